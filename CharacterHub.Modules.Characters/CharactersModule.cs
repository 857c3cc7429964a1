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
    }

    public IEnumerable<RecurringJobDefinition> RecurringJobs => [];
}
