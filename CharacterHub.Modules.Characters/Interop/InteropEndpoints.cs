using CharacterHub.Kernel.Security;
using CharacterHub.Modules.Characters.Cards;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;

namespace CharacterHub.Modules.Characters.Interop;

/// <summary>Card export (site and API) and the import API. Pages live in Areas/Characters/Pages/Import*.</summary>
internal static class InteropEndpoints
{
    /// <summary>One request may carry a bulk zip or many cards; each file is still capped at 20 MB by the importer.</summary>
    public const long MaxRequestBytes = 200L * 1024 * 1024;

    public static void Map(IEndpointRouteBuilder app, IEndpointRouteBuilder api)
    {
        app.MapGet("/characters/{id:long}/export", Export);
        app.MapGet("/characters/export-selected", async (long[] ids, HttpContext http, ICurrentUser me, IMediator mediator, CancellationToken ct) =>
        {
            if (!me.IsAuthenticated) return Results.Challenge();
            var zip = await mediator.Send(new ExportSelected(me.Id, ids), ct);
            http.Response.Headers.CacheControl = "private, no-store";
            return Results.File(zip, "application/zip", "characters.zip");
        });
        api.MapGet("/characters/{id:long}/export", Export);
        api.MapPost("/characters/import", Import)
            .WithMetadata(new SizeLimit(MaxRequestBytes)).WithFormOptions(multipartBodyLengthLimit: MaxRequestBytes)
            .RequireRateLimiting("import");
        api.MapGet("/characters/import/{jobId:long}", async (long jobId, ICurrentUser me, IMediator mediator, CancellationToken ct) =>
            await mediator.Send(new GetImportJob(jobId, me.Id), ct) is { } job
                ? Results.Json(new
                {
                    job_id = job.Id, status = job.Status, finished = job.Status == "done", total = job.Total, done = job.Done,
                    imported = job.Results.Count(r => r.Status == ImportStatus.Imported),
                    skipped = job.Results.Count(r => r.Status == ImportStatus.Skipped),
                    failed = job.Results.Count(r => r.Status == ImportStatus.Failed),
                    results = job.Results.Select(Json),
                })
                : Results.NotFound());
    }

    private sealed class SizeLimit(long limit) : IRequestSizeLimitMetadata
    {
        public long? MaxRequestBodySize => limit;
    }

    private static async Task<IResult> Export(long id, string? format, string? spec, HttpContext http, ICurrentUser me, IMediator mediator, CancellationToken ct)
    {
        ExportFormat? f = (format ?? "png").ToLowerInvariant() switch
        {
            "png" => ExportFormat.Png, "json" => ExportFormat.Json, "charx" => ExportFormat.Charx, _ => null,
        };
        CardSpec? s = (spec ?? "v3").ToLowerInvariant() switch { "v2" => CardSpec.V2, "v3" => CardSpec.V3, _ => null };
        if (f is null || s is null)
            return Results.Problem(statusCode: 400, title: "Use format=png|json|charx and spec=v2|v3.");
        var file = await mediator.Send(new ExportCharacter(id, me.IdOrNull, f.Value, s.Value), ct);
        if (file is null) return Results.NotFound();
        http.Response.Headers.CacheControl = "private, no-store";
        // Results.File writes an RFC 6266 header (ASCII fallback plus filename*), so any name is safe here.
        return Results.File(file.Data, file.ContentType, file.FileName);
    }

    private static async Task<IResult> Import(HttpRequest request, ICurrentUser me, IMediator mediator, CancellationToken ct)
    {
        if (!request.HasFormContentType) return Results.Problem(statusCode: 400, title: "Send the files as multipart/form-data.");
        var form = await request.ReadFormAsync(ct);
        var (files, tooLarge) = await ReadFilesAsync(form.Files, ct);
        if (files.Count + tooLarge.Count == 0) return Results.Problem(statusCode: 400, title: "No files were sent.");
        var mode = form["duplicates"] == "new_version" ? DuplicateMode.NewVersion : DuplicateMode.Skip;
        if (ImportJobs.IsBulk(files))
        {
            var jobId = await mediator.Send(new StartImportJob(me.Id, files, mode), ct);
            return Results.Json(new { job_id = jobId, status_url = $"/api/characters/import/{jobId}", results = tooLarge.Select(Json) },
                statusCode: StatusCodes.Status202Accepted);
        }
        var results = await mediator.Send(new ImportCards(me.Id, files, mode), ct);
        return Results.Json(new { results = tooLarge.Concat(results).Select(Json) });
    }

    /// <summary>Reads uploads into memory; a file over 20 MB is reported without reading it.</summary>
    public static async Task<(List<ImportFile> Files, List<ImportResult> TooLarge)> ReadFilesAsync(IFormFileCollection uploads, CancellationToken ct)
    {
        var files = new List<ImportFile>();
        var tooLarge = new List<ImportResult>();
        foreach (var upload in uploads)
        {
            // Control characters (a NUL above all, which PostgreSQL text cannot hold) never belong in a shown file name.
            var name = new string(Path.GetFileName(upload.FileName).Where(c => !char.IsControl(c)).Take(255).ToArray());
            if (name.Length == 0) name = "upload";
            // Bulk zips may be larger than one card; the zip expander bounds what they expand to.
            var cap = name.EndsWith(".zip", StringComparison.OrdinalIgnoreCase) ? MaxRequestBytes : CardImporter.MaxFileBytes;
            if (upload.Length > cap)
            {
                tooLarge.Add(ImportResult.Failed(name, $"The file is {upload.Length / (1024.0 * 1024):0.#} MB; at most {cap / (1024 * 1024)} MB is accepted."));
                continue;
            }
            var data = new byte[upload.Length];
            await using var stream = upload.OpenReadStream();
            await stream.ReadExactlyAsync(data, ct);
            files.Add(new ImportFile(name, data));
        }
        return (files, tooLarge);
    }

    public static object Json(ImportResult r) => new
    {
        file = r.File, status = r.Status, character_id = r.CharacterId,
        character_url = r.CharacterId is { } id ? $"/api/characters/{id}" : null, reason = r.Reason,
    };
}
