using CharacterHub.Kernel.Security;
using CharacterHub.Modules.Characters.Features;
using Mediator;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CharacterHub.Modules.Characters.Areas.Characters.Pages;

[Authorize]
internal sealed class TemplatesModel(IMediator mediator, ICurrentUser me) : PageModel
{
    public IReadOnlyList<CharacterTemplate> Templates { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct) => Templates = await mediator.Send(new ListTemplates(me.Id), ct);

    public async Task<IActionResult> OnPostDeleteAsync(long templateId, CancellationToken ct)
    {
        await mediator.Send(new DeleteTemplate(me.Id, templateId), ct);
        return Redirect("/characters/templates");
    }
}
