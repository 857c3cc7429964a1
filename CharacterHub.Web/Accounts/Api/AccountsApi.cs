using CharacterHub.Kernel.Security;
using CharacterHub.Web.Infrastructure.Web;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace CharacterHub.Web.Accounts.Api;

public static class AccountsApi
{
    public sealed record CreateTokenRequest(string? Username, string? Password, string? Name, int? ExpiresInDays);

    public static void MapAccountsApi(this RouteGroupBuilder api)
    {
        api.MapPost("/tokens", CreateTokenWithPassword).AllowAnonymous().RequireRateLimiting("login");
        api.MapGet("/tokens", async (ICurrentUser me, IMediator mediator, CancellationToken ct) =>
            (await mediator.Send(new ListTokens(me.Id), ct)).Select(ToJson));
        api.MapDelete("/tokens/{id:long}", async Task<Results<NoContent, ProblemHttpResult>> (long id, ICurrentUser me, IMediator mediator, CancellationToken ct) =>
            await mediator.Send(new RevokeToken(me.Id, id), ct)
                ? TypedResults.NoContent()
                : TypedResults.Problem(statusCode: 404, title: "No such active token."));
        api.MapGet("/me", async Task<IResult> (ICurrentUser me, IMediator mediator, CancellationToken ct) =>
        {
            var p = await mediator.Send(new GetProfile(me.Id), ct);
            return p is null
                ? TypedResults.Problem(statusCode: 404, title: "Account not found.")
                : TypedResults.Ok(new { id = p.Id, username = p.Username, display_name = p.DisplayName, is_admin = p.IsAdmin, created_at = p.CreatedAt });
        });
    }

    private static object ToJson(TokenInfo t) => new
    {
        id = t.Id, name = t.Name, prefix = t.TokenPrefix, created_at = t.CreatedAt, last_used_at = t.LastUsedAt,
        expires_at = t.ExpiresAt, revoked_at = t.RevokedAt,
    };

    private static async Task<IResult> CreateTokenWithPassword(
        [FromBody] CreateTokenRequest? request, HttpContext http, IMediator mediator, CancellationToken ct)
    {
        if (request is null)
            return TypedResults.Problem(statusCode: 400, title: "Send JSON: {\"username\", \"password\", \"name\"}.");
        var ip = http.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        var signIn = await mediator.Send(new VerifyCredentials(request.Username, request.Password, ip), ct);
        switch (signIn.Outcome)
        {
            case SignInOutcome.Throttled:
                return Results.Json(ApiProblems.Create(http, 429, SignInResult.ThrottledMessage), statusCode: 429,
                    contentType: "application/problem+json");
            case SignInOutcome.InvalidCredentials:
                return Results.Json(ApiProblems.Create(http, 401, "Wrong username or password."), statusCode: 401,
                    contentType: "application/problem+json");
        }
        var created = await mediator.Send(new CreateToken(signIn.User!.Id, request.Name ?? "API", request.ExpiresInDays), ct);
        if (!created.Errors.IsEmpty)
            return TypedResults.ValidationProblem(created.Errors.All.ToDictionary(k => ToSnake(k.Key), v => v.Value.ToArray()));
        return TypedResults.Created($"/api/tokens/{created.Info!.Id}",
            new { token = created.Token, id = created.Info.Id, name = created.Info.Name, expires_at = created.Info.ExpiresAt });
    }

    private static string ToSnake(string name) => System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(name);
}
