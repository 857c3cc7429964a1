using System.Security.Claims;

namespace CharacterHub.Web.Accounts;

public sealed record AccountUser(long Id, string Username, bool IsAdmin, Guid SecurityStamp);

public static class AccountClaims
{
    public const string SecurityStamp = "ch:stamp";
    public const string AdminRole = "admin";

    public static ClaimsPrincipal Principal(AccountUser user, string scheme)
    {
        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, user.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new(ClaimTypes.Name, user.Username),
            new(SecurityStamp, user.SecurityStamp.ToString()),
        };
        if (user.IsAdmin) claims.Add(new Claim(ClaimTypes.Role, AdminRole));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, scheme));
    }
}
