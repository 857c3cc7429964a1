using CharacterHub.Kernel.Security;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace CharacterHub.Modules.Interaction.Personas;

/// <summary>GET /personas/{id}/avatar[?size=small]: the persona's avatar, for its owner only.</summary>
internal static class PersonaEndpoints
{
    public static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/personas/{id:long}/avatar", async (long id, string? size, HttpContext http, ICurrentUser me, IMediator mediator,
            CancellationToken ct) =>
        {
            var image = await mediator.Send(new GetPersonaAvatar(id, me.Id, size == "small"), ct);
            if (image is null) return Results.NotFound();
            var etag = $"\"{image.ETag}-{(size == "small" ? "small" : "large")}\"";
            http.Response.Headers.ETag = etag;
            // Pages link it with ?v=<etag>, so a long lifetime is safe; "private" keeps it out of shared caches, since
            // only the owner may see it.
            http.Response.Headers.CacheControl = "private, max-age=604800";
            http.Response.Headers.Vary = "Cookie";
            if (http.Request.Headers.IfNoneMatch.ToString() == etag) return Results.StatusCode(StatusCodes.Status304NotModified);
            return Results.File(image.Data, image.ContentType);
        }).RequireAuthorization();
}
