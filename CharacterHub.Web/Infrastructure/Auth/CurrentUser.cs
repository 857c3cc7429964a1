using System.Globalization;
using System.Security.Claims;
using CharacterHub.Kernel.Security;
using CharacterHub.Web.Accounts;

namespace CharacterHub.Web.Infrastructure.Auth;

public sealed class CurrentUser(IHttpContextAccessor accessor) : ICurrentUser
{
    private ClaimsPrincipal? Principal => accessor.HttpContext?.User;

    public bool IsAuthenticated => Principal?.Identity?.IsAuthenticated == true;

    public long? IdOrNull =>
        IsAuthenticated && long.TryParse(Principal!.FindFirstValue(ClaimTypes.NameIdentifier), NumberStyles.None,
            CultureInfo.InvariantCulture, out var id) ? id : null;

    public long Id => IdOrNull ?? throw new InvalidOperationException("No signed-in user in this request.");

    public string? Username => IsAuthenticated ? Principal!.Identity!.Name : null;

    public bool IsAdmin => IsAuthenticated && Principal!.IsInRole(AccountClaims.AdminRole);
}
