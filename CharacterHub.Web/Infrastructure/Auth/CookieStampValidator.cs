using System.Security.Claims;
using CharacterHub.Web.Accounts;
using Dapper;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Npgsql;

namespace CharacterHub.Web.Infrastructure.Auth;

/// <summary>
/// Checks every cookie against the user's current security stamp (one indexed lookup by primary key), so that a
/// password change signs out every other session at once, on every node, and a deleted user is signed out.
/// The admin role is refreshed from the database too.
/// </summary>
public static class CookieStampValidator
{
    public static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var principal = context.Principal;
        if (principal is null || !long.TryParse(principal.FindFirstValue(ClaimTypes.NameIdentifier), out var userId))
        {
            context.RejectPrincipal();
            return;
        }
        var db = context.HttpContext.RequestServices.GetRequiredService<NpgsqlDataSource>();
        await using var connection = await db.OpenConnectionAsync(context.HttpContext.RequestAborted);
        var user = await connection.QuerySingleOrDefaultAsync<AccountUser>(
            "select id, username, is_admin, security_stamp from accounts.users where id = @userId", new { userId });
        if (user is null || user.SecurityStamp.ToString() != principal.FindFirstValue(AccountClaims.SecurityStamp))
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(context.Scheme.Name);
            return;
        }
        if (user.IsAdmin != principal.IsInRole(AccountClaims.AdminRole))
        {
            context.ReplacePrincipal(AccountClaims.Principal(user, context.Scheme.Name));
            context.ShouldRenew = true;
        }
    }
}
