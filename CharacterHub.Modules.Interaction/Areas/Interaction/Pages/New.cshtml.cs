using CharacterHub.Kernel.Security;
using CharacterHub.Modules.Interaction.Chats;
using Mediator;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CharacterHub.Modules.Interaction.Areas.Interaction.Pages;

/// <summary>The "Chat" button on a character posts here; a new chat opens with the character's greetings.</summary>
[Authorize]
internal sealed class NewChatModel(IMediator mediator, ICurrentUser me) : PageModel
{
    public IActionResult OnGet() => Redirect("/chats");

    public async Task<IActionResult> OnPostAsync(long characterId, CancellationToken ct)
    {
        var chatId = await mediator.Send(new CreateChat(me.Id, characterId, me.Username ?? "User"), ct);
        return chatId is null ? NotFound() : Redirect($"/chats/{chatId}");
    }
}
