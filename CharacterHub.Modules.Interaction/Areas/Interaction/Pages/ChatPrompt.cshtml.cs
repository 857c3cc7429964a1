using CharacterHub.Kernel.Security;
using CharacterHub.Kernel.Web;
using CharacterHub.Modules.Interaction.Chats;
using Mediator;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CharacterHub.Modules.Interaction.Areas.Interaction.Pages;

/// <summary>The prompt inspector of one message: what its shown reply was written from. A whole page for a link, the
/// panel alone for htmx (the "Prompt" action opens it under the message).</summary>
[Authorize]
internal sealed class ChatPromptModel(IMediator mediator, ICurrentUser me) : PageModel
{
    public PromptInspection Inspection { get; private set; } = null!;
    public long ChatId { get; private set; }

    public async Task<IActionResult> OnGetAsync(long id, long messageId, CancellationToken ct)
    {
        Response.VaryOnHtmx();
        var inspection = await mediator.Send(new GetPromptInspection(id, me.Id, messageId), ct);
        if (inspection is null) return NotFound();
        (Inspection, ChatId) = (inspection, id);
        return Request.IsHtmx() ? Partial("_PromptInspector", this) : Page();
    }
}
