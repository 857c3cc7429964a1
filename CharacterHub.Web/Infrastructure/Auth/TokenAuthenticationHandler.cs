using System.Text.Encodings.Web;
using CharacterHub.Web.Accounts;
using CharacterHub.Web.Infrastructure.Web;
using Dapper;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CharacterHub.Web.Infrastructure.Auth;

/// <summary>
/// Personal access tokens for /api: "Authorization: Bearer chp_...". Only the SHA-256 of a token is stored, so the
/// lookup is by hash. A missing or bad token is answered with a 401 problem document, never a login redirect.
/// </summary>
public sealed class TokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, NpgsqlDataSource db)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Token";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(header)) return AuthenticateResult.NoResult();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return AuthenticateResult.Fail("The Authorization header is not a Bearer token.");
        var token = header["Bearer ".Length..].Trim();
        if (!token.StartsWith(TokenFormat.Prefix, StringComparison.Ordinal) || token.Length > 100)
            return AuthenticateResult.Fail("Malformed token.");

        await using var connection = await db.OpenConnectionAsync(Context.RequestAborted);
        // The lookup and the "last used" stamp in one statement (one round trip). The stamp is written at most once a
        // minute per token, so a busy API client does not turn every read into a write (nor wait for a WAL flush).
        var row = await connection.QuerySingleOrDefaultAsync<TokenRow>(
            """
            with found as (
                select t.id as token_id, u.id as user_id, u.username, u.is_admin, u.security_stamp, t.last_used_at
                from accounts.personal_access_tokens t join accounts.users u on u.id = t.user_id
                where t.token_hash = @hash and t.revoked_at is null and (t.expires_at is null or t.expires_at > now())),
            touched as (
                update accounts.personal_access_tokens p set last_used_at = now()
                from found f where p.id = f.token_id and (f.last_used_at is null or f.last_used_at < now() - interval '1 minute'))
            select token_id, user_id, username, is_admin, security_stamp from found
            """, new { hash = TokenFormat.Hash(token) });
        if (row is null) return AuthenticateResult.Fail("Unknown, expired or revoked token.");

        var principal = AccountClaims.Principal(new AccountUser(row.UserId, row.Username, row.IsAdmin, row.SecurityStamp), SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer";
        var failure = Context.Features.Get<IAuthenticateResultFeature>()?.AuthenticateResult?.Failure?.Message;
        return Context.WriteProblem(StatusCodes.Status401Unauthorized, "Authentication required.",
            failure ?? "Send a personal access token as 'Authorization: Bearer <token>'. Create one on your account page or with POST /api/tokens.");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        Context.WriteProblem(StatusCodes.Status403Forbidden, "You may not do that.");

    private sealed record TokenRow(long TokenId, long UserId, string Username, bool IsAdmin, Guid SecurityStamp);
}
