using CharacterHub.Kernel.Security;
using CharacterHub.Kernel.Validation;
using CharacterHub.Kernel.Web;
using CharacterHub.Web.Accounts;
using Mediator;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CharacterHub.Web.Pages.Account;

/// <summary>/account: profile, avatar, password and personal access tokens, each section posting on its own and
/// swapped in place by htmx (full page without JavaScript).</summary>
[RequestSizeLimit(SetAvatarHandler.MaxBytes + 64 * 1024)]
[RequestFormLimits(MultipartBodyLengthLimit = SetAvatarHandler.MaxBytes + 64 * 1024)]
public sealed class IndexModel(IMediator mediator, ICurrentUser me, TimeProvider clock) : PageModel
{
    public Profile Profile { get; private set; } = null!;
    public IReadOnlyList<TokenInfo> Tokens { get; private set; } = [];
    public DateTimeOffset Now => clock.GetUtcNow();

    [BindProperty] public string? DisplayName { get; set; }
    [BindProperty] public string? Email { get; set; }
    [BindProperty] public string? Bio { get; set; }
    [BindProperty] public string? CurrentPassword { get; set; }
    [BindProperty] public string? NewPassword { get; set; }
    [BindProperty] public string? ConfirmPassword { get; set; }
    [BindProperty] public string? TokenName { get; set; }
    [BindProperty] public int? TokenExpiresInDays { get; set; }

    public string? ProfileSaved { get; private set; }
    public string? PasswordSaved { get; private set; }
    /// <summary>A just-created token: shown this once, never again.</summary>
    public string? NewToken { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        if (!await Load(ct)) return NotFound();
        DisplayName = Profile.DisplayName;
        Email = Profile.Email;
        Bio = Profile.Bio;
        return Page();
    }

    public async Task<IActionResult> OnPostProfileAsync(CancellationToken ct)
    {
        AddErrors(await mediator.Send(new UpdateProfile(me.Id, DisplayName, Bio, Email), ct));
        if (ModelState.IsValid) ProfileSaved = "Profile saved.";
        return await Section("_AccountProfile", ct);
    }

    public async Task<IActionResult> OnPostAvatarAsync(IFormFile? avatar, CancellationToken ct)
    {
        if (avatar is null || avatar.Length == 0)
            ModelState.AddModelError("Avatar", "Choose an image file to upload.");
        else if (avatar.Length > SetAvatarHandler.MaxBytes)
            ModelState.AddModelError("Avatar", $"The image is larger than {SetAvatarHandler.MaxBytes / 1024 / 1024} MB.");
        else
        {
            using var buffer = new MemoryStream((int)avatar.Length);
            await avatar.CopyToAsync(buffer, ct);
            AddErrors(await mediator.Send(new SetAvatar(me.Id, buffer.ToArray()), ct));
            if (ModelState.IsValid) ProfileSaved = "Avatar updated.";
        }
        return await Section("_AccountProfile", ct, keepForm: false);
    }

    public async Task<IActionResult> OnPostPasswordAsync(CancellationToken ct)
    {
        var result = await mediator.Send(new ChangePassword(me.Id, CurrentPassword, NewPassword, ConfirmPassword), ct);
        AddErrors(result.Errors);
        if (result.User is not null)
        {
            // The stamp changed: re-issue this session's cookie; every other session is now invalid.
            await HttpContext.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme,
                AccountClaims.Principal(result.User, CookieAuthenticationDefaults.AuthenticationScheme),
                new AuthenticationProperties { IsPersistent = true });
            PasswordSaved = "Password changed. Every other session of yours has been logged out.";
        }
        CurrentPassword = NewPassword = ConfirmPassword = null;
        return await Section("_AccountPassword", ct);
    }

    public async Task<IActionResult> OnPostCreateTokenAsync(CancellationToken ct)
    {
        var result = await mediator.Send(new CreateToken(me.Id, TokenName, TokenExpiresInDays), ct);
        foreach (var (field, messages) in result.Errors.All)
            foreach (var m in messages) ModelState.AddModelError(field == "Name" ? nameof(TokenName) : nameof(TokenExpiresInDays), m);
        if (result.Token is not null)
        {
            NewToken = result.Token;
            TokenName = null;
            TokenExpiresInDays = null;
        }
        return await Section("_AccountTokens", ct);
    }

    public async Task<IActionResult> OnPostRevokeTokenAsync(long tokenId, CancellationToken ct)
    {
        await mediator.Send(new RevokeToken(me.Id, tokenId), ct);
        return await Section("_AccountTokens", ct);
    }

    private async Task<bool> Load(CancellationToken ct)
    {
        var profile = await mediator.Send(new GetProfile(me.Id), ct);
        if (profile is null) return false;
        Profile = profile;
        Tokens = await mediator.Send(new ListTokens(me.Id), ct);
        return true;
    }

    private async Task<IActionResult> Section(string partial, CancellationToken ct, bool keepForm = true)
    {
        await Load(ct);
        if (!keepForm)
        {
            DisplayName = Profile.DisplayName;
            Email = Profile.Email;
            Bio = Profile.Bio;
        }
        else if (partial != "_AccountProfile")
        {
            DisplayName ??= Profile.DisplayName;
            Email ??= Profile.Email;
            Bio ??= Profile.Bio;
        }
        Response.VaryOnHtmx();
        return Request.IsHtmx() ? Partial(partial, this) : Page();
    }

    private void AddErrors(FieldErrors errors)
    {
        foreach (var (field, messages) in errors.All)
            foreach (var m in messages) ModelState.AddModelError(field, m);
    }
}
