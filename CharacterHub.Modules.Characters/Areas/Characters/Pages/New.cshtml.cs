using CharacterHub.Kernel.Security;
using CharacterHub.Kernel.Web;
using CharacterHub.Modules.Characters.Domain;
using CharacterHub.Modules.Characters.Features;
using Mediator;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CharacterHub.Modules.Characters.Areas.Characters.Pages;

[Authorize]
internal sealed class NewModel(IMediator mediator, ICurrentUser me) : PageModel, IEditorPage
{
    [BindProperty] public CharacterForm Form { get; set; } = new();
    public IReadOnlyList<CategoryOption> Categories { get; private set; } = [];
    public CharacterTemplate? Template { get; private set; }
    public bool CanChangeVisibility => true;
    public string SubmitLabel => "Create character";

    public async Task<IActionResult> OnGetAsync(string? template, CancellationToken ct)
    {
        Categories = await mediator.Send(new ListCategories(), ct);
        if (template is not null)
        {
            Template = await mediator.Send(new GetTemplate(me.Id, template), ct);
            if (Template is null) return NotFound();
            Form = CharacterForm.FromDraft(Template.Draft);
        }
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        Categories = await mediator.Send(new ListCategories(), ct);
        if (EditorErrors.RefuseUnreadable(ModelState)) return Page();
        var (draft, extensionsProblem) = Form.ToDraft();
        if (extensionsProblem is not null)
        {
            ModelState.AddModelError("Form.ExtensionsJson", extensionsProblem);
            return Page();
        }
        switch (await mediator.Send(new CreateCharacter(me.Id, draft, Form.VersionMessage), ct))
        {
            case SaveOutcome.Saved saved:
                var url = $"/characters/{saved.Id}";
                if (Request.IsHtmx()) { Response.HxRedirect(url); return new OkResult(); }
                return Redirect(url);
            case SaveOutcome.Invalid invalid:
                EditorErrors.AddTo(ModelState, invalid.Errors);
                return Page();
            default:
                return NotFound();
        }
    }
}
