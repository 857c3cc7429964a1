using System.Text.Json;
using System.Text.Json.Nodes;
using CharacterHub.Kernel.Security;
using CharacterHub.Kernel.Validation;
using CharacterHub.Modules.Characters.Domain;
using CharacterHub.Modules.Characters.Features;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace CharacterHub.Modules.Characters.Api;

/// <summary>
/// /api/characters: the same handlers as the pages, as JSON with snake_case names. Bodies are the character's fields
/// (as in GET) and, for PUT, the "version" being edited; a stale version is a 409 whose body is the current character.
/// </summary>
internal static class CharactersApi
{
    private const int MaxBodyBytes = 4 * 1024 * 1024;

    public static void Map(IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("/characters");
        group.MapGet("", List);
        group.MapPost("", Create).WithMetadata(new RequestSizeLimitMetadata(MaxBodyBytes));
        group.MapGet("/{id:long}", Get);
        group.MapPut("/{id:long}", Update).WithMetadata(new RequestSizeLimitMetadata(MaxBodyBytes));
        group.MapDelete("/{id:long}", Delete);
        group.MapGet("/{id:long}/versions", History);
    }

    private sealed class RequestSizeLimitMetadata(long limit) : Microsoft.AspNetCore.Http.Metadata.IRequestSizeLimitMetadata
    {
        public long? MaxRequestBodySize => limit;
    }

    private static async Task<IResult> List(HttpRequest request, ICurrentUser me, IMediator mediator, CancellationToken ct)
    {
        var qs = request.Query;
        long? creator = long.TryParse(qs["creator_id"], out var c) ? c : null;
        var sort = qs["sort"].ToString() switch { "name" => LibrarySort.Name, "created" => LibrarySort.Created, "chats" => LibrarySort.Chats, _ => LibrarySort.Updated };
        var limit = int.TryParse(qs["limit"], out var l) ? l : 24;
        // Like the library page, the listing is the caller's own and shared characters; scope=all adds every public one.
        var scope = qs["scope"] == "all" ? LibraryScope.Visible : LibraryScope.Library;
        var page = await mediator.Send(new LibraryQuery(me.Id, scope, qs["q"], qs["category"], qs["tag"], qs["visibility"],
            CreatorId: creator, Sort: sort, Cursor: string.IsNullOrEmpty(qs["cursor"]) ? null : qs["cursor"].ToString(), PageSize: limit), ct);
        if (page.Problem is not null) return Problem(400, page.Problem);
        return Results.Json(new
        {
            items = page.Items.Select(i => new
            {
                id = i.Id, creator_id = i.CreatorId, name = i.Name, tagline = i.Tagline, category = i.Category, tags = i.Tags,
                visibility = i.Visibility, version = i.Version, created_at = i.CreatedAt, updated_at = i.UpdatedAt,
                chat_count = i.ChatCount, is_favorite = i.IsFavorite,
                avatar_url = i.AvatarEtag is null ? null : $"/characters/{i.Id}/avatar/large?v={i.AvatarEtag}",
            }),
            next_cursor = page.NextCursor,
        });
    }

    private static async Task<IResult> Get(long id, ICurrentUser me, IMediator mediator, CancellationToken ct) =>
        await mediator.Send(new GetCharacter(id, me.Id), ct) is { } c ? Results.Json(ToJson(c)) : NotFound();

    private static async Task<IResult> Create(HttpRequest request, ICurrentUser me, IMediator mediator, CancellationToken ct)
    {
        var (draft, _, problem) = await ReadBody(request, ct, needsVersion: false);
        if (problem is not null) return problem;
        switch (await mediator.Send(new CreateCharacter(me.Id, draft!), ct))
        {
            case SaveOutcome.Saved saved:
                var created = await mediator.Send(new GetCharacter(saved.Id, me.Id), ct);
                return Results.Created($"/api/characters/{saved.Id}", ToJson(created!));
            case SaveOutcome.Invalid invalid:
                return Validation(invalid.Errors);
            default:
                return NotFound();
        }
    }

    private static async Task<IResult> Update(long id, HttpRequest request, ICurrentUser me, IMediator mediator, CancellationToken ct)
    {
        var (draft, version, problem) = await ReadBody(request, ct, needsVersion: true);
        if (problem is not null) return problem;
        return await mediator.Send(new UpdateCharacter(id, me.Id, version!.Value, draft!), ct) switch
        {
            SaveOutcome.Saved => Results.Json(ToJson((await mediator.Send(new GetCharacter(id, me.Id), ct))!)),
            SaveOutcome.Invalid invalid => Validation(invalid.Errors),
            SaveOutcome.Conflict conflict => Results.Json(new
            {
                type = "https://tools.ietf.org/html/rfc9110#section-15.5.10", title = "The character was changed since that version.",
                status = 409, detail = $"You edited version {version}; the current version is {conflict.Current.Version}. Merge and send it again.",
                current = ToJson(conflict.Current),
            }, statusCode: 409, contentType: "application/problem+json"),
            _ => NotFound(),
        };
    }

    private static async Task<IResult> Delete(long id, ICurrentUser me, IMediator mediator, CancellationToken ct) =>
        await mediator.Send(new DeleteCharacter(id, me.Id), ct) ? Results.NoContent() : NotFound();

    private static async Task<IResult> History(long id, ICurrentUser me, IMediator mediator, CancellationToken ct) =>
        await mediator.Send(new ListVersions(id, me.Id), ct) is { } versions
            ? Results.Json(versions.Select(v => new { version = v.Version, author_id = v.AuthorId, message = v.Message, created_at = v.CreatedAt }))
            : NotFound();

    private static async Task<(CharacterDraft? Draft, int? Version, IResult? Problem)> ReadBody(HttpRequest request, CancellationToken ct, bool needsVersion)
    {
        JsonObject? body;
        try
        {
            body = await JsonNode.ParseAsync(request.Body, cancellationToken: ct) as JsonObject;
            _ = body?.Count; // a JsonObject reads its properties on first use: a repeated name throws here, not later
        }
        catch (JsonException e)
        {
            return (null, null, Problem(400, "The body is not valid JSON.", e.Message));
        }
        catch (ArgumentException)
        {
            return (null, null, Problem(400, "The body names a field twice.", "Send each field once."));
        }
        if (body is null) return (null, null, Problem(400, "Send the character as a JSON object."));
        int? version = null;
        if (body.Remove("version", out var v) && v is JsonValue value && value.TryGetValue<int>(out var parsed)) version = parsed;
        if (needsVersion && version is null)
            return (null, null, Validation(FieldErrors.One("version", "Send the version you edited (from GET), so that nobody's changes are overwritten.")));
        foreach (var readOnly in new[] { "id", "creator_id", "created_at", "updated_at", "avatar_url", "share_token", "chat_count" }) body.Remove(readOnly);
        try
        {
            return (body.Deserialize<CharacterDraft>(CharacterDraft.Json) ?? new CharacterDraft(), version, null);
        }
        catch (JsonException e)
        {
            return (null, null, Problem(400, "A field has the wrong type.", e.Path is null ? e.Message : $"{e.Path.TrimStart('$', '.')}: {e.Message}"));
        }
        catch (InvalidOperationException e) // "\ud800" alone: JSON allows the escape, a .NET string read from it does not
        {
            return (null, null, Problem(400, "A text field is not valid Unicode.", e.Message));
        }
    }

    public static JsonObject ToJson(CharacterDetails c)
    {
        var json = JsonSerializer.SerializeToNode(c.Draft, CharacterDraft.Json)!.AsObject();
        var result = new JsonObject
        {
            ["id"] = c.Id, ["creator_id"] = c.Row.CreatorId, ["version"] = c.Version,
            ["created_at"] = c.Row.CreatedAt, ["updated_at"] = c.Row.UpdatedAt,
            ["avatar_url"] = c.Row.AvatarEtag is null ? null : $"/characters/{c.Id}/avatar/large?v={c.Row.AvatarEtag}",
            ["chat_count"] = c.Row.ChatCount,
        };
        if (c.IsOwner && c.Row.ShareToken is not null) result["share_token"] = c.Row.ShareToken;
        foreach (var (key, value) in json.ToList())
        {
            json.Remove(key);
            result[key] = value;
        }
        return result;
    }

    private static IResult NotFound() => Problem(404, "No such character (or it is not visible to you).");

    private static IResult Problem(int status, string title, string? detail = null) =>
        Results.Problem(statusCode: status, title: title, detail: detail);

    private static IResult Validation(FieldErrors errors) =>
        Results.ValidationProblem(errors.All.ToDictionary(e => ApiName(e.Key), e => e.Value.ToArray()),
            title: "Some fields need attention.");

    /// <summary>"Draft.Personality.Summary" → "personality.summary"; "Draft.Lorebook.Entries[2].Keys" → "lorebook.entries[2].keys".</summary>
    public static string ApiName(string field) =>
        string.Join('.', (field.StartsWith("Draft.", StringComparison.Ordinal) ? field["Draft.".Length..] : field)
            .Split('.').Select(JsonNamingPolicy.SnakeCaseLower.ConvertName));
}
