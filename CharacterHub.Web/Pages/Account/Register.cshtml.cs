using CharacterHub.Web.Accounts;
using Mediator;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;

namespace CharacterHub.Web.Pages.Account;

[EnableRateLimiting("login")]
public sealed class RegisterModel(IMediator mediator) : PageModel
{
    [BindProperty] public string? Username { get; set; }
    [BindProperty] public string? Email { get; set; }
    [BindProperty] public string? Password { get; set; }
    [BindProperty] public string? ConfirmPassword { get; set; }

    public IActionResult OnGet() => User.Identity?.IsAuthenticated == true ? Redirect("/") : Page();

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var result = await mediator.Send(new RegisterUser(Username, Email, Password, ConfirmPassword ?? ""), ct);
        if (result.User is null)
        {
            foreach (var (field, messages) in result.Errors.All)
                foreach (var message in messages) ModelState.AddModelError(field, message);
            return Page();
        }
        await HttpContext.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme,
            AccountClaims.Principal(result.User, CookieAuthenticationDefaults.AuthenticationScheme),
            new AuthenticationProperties { IsPersistent = true });
        return Redirect("/");
    }
}
