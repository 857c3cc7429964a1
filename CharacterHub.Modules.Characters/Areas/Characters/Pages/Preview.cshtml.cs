using CharacterHub.Kernel.Text;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CharacterHub.Modules.Characters.Areas.Characters.Pages;

/// <summary>Live Markdown preview for the editor (htmx posts the one textarea it is attached to).</summary>
[Authorize]
[RequestSizeLimit(256 * 1024)]
internal sealed class PreviewModel(MarkdownRenderer markdown) : PageModel
{
    public IActionResult OnGet() => NotFound();

    public IActionResult OnPost()
    {
        var text = Request.Form.Where(f => f.Key != "__RequestVerificationToken").Select(f => f.Value.ToString()).FirstOrDefault() ?? "";
        var html = markdown.ToSafeHtml(text);
        return Content(html.Length == 0 ? "<p class=\"muted\">Preview appears here.</p>" : html, "text/html; charset=utf-8");
    }
}
