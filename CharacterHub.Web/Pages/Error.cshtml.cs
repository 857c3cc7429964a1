using CharacterHub.Web.Infrastructure.Web;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CharacterHub.Web.Pages;

/// <summary>Every error a person sees: a sentence about what happened and the correlation id for the log.
/// When the failed request was for /api, the answer is a problem document instead.</summary>
[AllowAnonymous]
[IgnoreAntiforgeryToken]
[ResponseCache(Duration = 0, Location = ResponseCacheLocation.None, NoStore = true)]
public sealed class ErrorModel : PageModel
{
    public int Code { get; private set; }
    public string CorrelationId => HttpContext.TraceIdentifier;

    public string Title => Code switch
    {
        400 when InvalidInput is not null => "The input contained an invalid character",
        400 => "That request could not be understood",
        401 => "Please log in",
        403 => "You may not see this",
        404 => "Page not found",
        405 => "That action is not allowed here",
        413 => "That upload is too large",
        429 => "Too many requests",
        _ => "Something went wrong on our side",
    };

    public string Explanation => Code switch
    {
        403 => "Your account does not have access to this page.",
        404 => "There is nothing at this address, or it is private.",
        413 => "The file or form you sent is larger than this site accepts.",
        429 => "Wait a minute, then try again.",
        >= 500 => "The error was logged. If it keeps happening, report it with the id below.",
        400 when InvalidInput is not null => InvalidInput,
        _ => "Go back and try again.",
    };

    /// <summary>What was wrong with the request, when the pipeline knows (a NUL in a form, see NulInFormsMiddleware).</summary>
    public string? InvalidInput => HttpContext.Items[NulInFormsMiddleware.ItemKey] as string;

    public IActionResult OnGet(int? code) => Handle(code);
    public IActionResult OnPost(int? code) => Handle(code);
    // Errors of PUT, PATCH and DELETE requests are re-executed with their method: without these the page would render
    // with no code (as "Error 0"), and an API client would get HTML in place of a problem document.
    public IActionResult OnPut(int? code) => Handle(code);
    public IActionResult OnPatch(int? code) => Handle(code);
    public IActionResult OnDelete(int? code) => Handle(code);

    private IActionResult Handle(int? code)
    {
        // The code comes from the route, read by hand: model binding reads the failed request's form too, and a form
        // that cannot be read (a NUL in it) left the code unbound, so a 400 was shown as 404 "Page not found".
        code ??= int.TryParse(RouteData.Values["code"] as string, out var routed) ? routed : null;
        Code = code ?? (HttpContext.Features.Get<IExceptionHandlerFeature>() is not null ? 500 : 404);
        if (Code is < 400 or > 599) Code = 404; // /error/-1 typed by hand: not a status this page can answer with
        var originalPath = HttpContext.Features.Get<IStatusCodeReExecuteFeature>()?.OriginalPath
                           ?? HttpContext.Features.Get<IExceptionHandlerPathFeature>()?.Path;
        if (originalPath is not null && originalPath.StartsWith("/api", StringComparison.OrdinalIgnoreCase))
        {
            var problem = ApiProblems.Create(HttpContext, Code, Title);
            problem.Instance = originalPath; // the request that failed, not this re-executed error page
            return new ObjectResult(problem) { StatusCode = Code, ContentTypes = { "application/problem+json" } };
        }
        Response.StatusCode = Code;
        return Page();
    }
}
