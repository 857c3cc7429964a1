using CharacterHub.Kernel.Contracts.Interaction;
using CharacterHub.Kernel.Modules;
using CharacterHub.Kernel.Security;
using CharacterHub.Modules.Characters.Api;
using CharacterHub.Modules.Characters.Features;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CharacterHub.Modules.Characters;

/// <summary>Characters: profiles, cards, versions, templates, categories, avatars and voice. Schema "characters".</summary>
public sealed class CharactersModule : IModule
{
    public string Schema => "characters";

    public void AddServices(IServiceCollection services, IConfiguration configuration) { }

    public void MapEndpoints(IEndpointRouteBuilder app, IEndpointRouteBuilder api)
    {
        CharactersApi.Map(api);
        Interop.InteropEndpoints.Map(app, api);
        app.MapGet("/characters/{id:long}/avatar/{size}", async (long id, string size, string? s, HttpContext http,
            ICurrentUser me, IMediator mediator, CancellationToken ct) =>
        {
            if (size is not ("large" or "small")) return Results.NotFound();
            var image = await mediator.Send(new GetCharacterAvatar(id, me.IdOrNull, s, size == "small"), ct);
            if (image is null) return Results.NotFound();
            var etag = $"\"{image.ETag}-{size}\"";
            http.Response.Headers.ETag = etag;
            // Private characters' avatars must not sit in shared caches.
            http.Response.Headers.CacheControl = "private, max-age=604800";
            if (http.Request.Headers.IfNoneMatch.ToString() == etag) return Results.StatusCode(StatusCodes.Status304NotModified);
            return Results.File(image.Data, image.ContentType);
        });
        app.MapGet("/characters/{id:long}/expressions/{expression}", async (long id, string expression, HttpContext http,
            ICurrentUser me, IMediator mediator, CancellationToken ct) =>
        {
            var image = await mediator.Send(new GetExpressionImage(id, me.IdOrNull, expression), ct);
            if (image is null) return Results.NotFound();
            http.Response.Headers.CacheControl = "private, max-age=3600";
            return Results.File(image.Image, image.ContentType);
        });
        // The voice preview speaks the character's greeting with its configured voice through the site's TTS service.
        app.MapGet("/characters/{id:long}/voice/preview", async (long id, ICurrentUser me, IMediator mediator, CancellationToken ct) =>
        {
            var character = await mediator.Send(new GetCharacter(id, me.IdOrNull), ct);
            if (character is null) return Results.NotFound();
            var d = character.Draft;
            var text = d.FirstMessage.Length > 0 ? d.FirstMessage.Replace("{{char}}", d.Name).Replace("{{user}}", "friend") : $"Hello, I am {d.Name}.";
            var speech = await mediator.Send(new SynthesizeSpeech(text, d.Voice.VoiceName, d.Voice.Rate), ct);
            return speech.Audio is null
                ? Results.Problem(statusCode: 503, title: speech.Problem)
                : Results.File(speech.Audio, speech.ContentType ?? "audio/mpeg");
        }).RequireRateLimiting("login");
    }

    public IEnumerable<RecurringJobDefinition> RecurringJobs =>
    [
        new(Interop.PurgeFinishedImportJobsHandler.Id, Interop.PurgeFinishedImportJobsHandler.Cron, new Interop.PurgeFinishedImportJobs()),
    ];
}
