using CharacterHub.Kernel.Contracts.Characters;
using CharacterHub.Kernel.Security;
using CharacterHub.Kernel.Web;
using CharacterHub.Modules.Interaction.Chats;
using Mediator;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CharacterHub.Modules.Interaction.Areas.Interaction.Pages;

/// <summary>What the members panel shows: the chat's members and reply order, a problem from the last change, and
/// the results of an "add a character" search.</summary>
internal sealed record GroupPanelView(long ChatId, GroupInfo Group, string? Problem = null, string Q = "",
    IReadOnlyList<ChatCharacterChoice>? Results = null);

/// <summary>
/// A chat's members: add, remove, mute, reorder, the reply order, and "let X speak". The chat page shows the same
/// panel in its options; here it is a page of its own too, so everything works without script. An htmx request gets
/// the panel back (with the "let X speak" bar out of band); a plain post goes back to the chat.
/// </summary>
[Authorize]
internal sealed class GroupMembersModel(IMediator mediator, ICurrentUser me) : PageModel
{
    public GroupPanelView Panel { get; private set; } = null!;
    public string Title { get; private set; } = "";

    public async Task<IActionResult> OnGetAsync(long id, string? q, CancellationToken ct)
    {
        Response.VaryOnHtmx();
        var search = Clean(q);
        var view = await ViewAsync(id, null, search, ct);
        if (view is null) return NotFound();
        if (Request.IsHtmx()) return Partial("_GroupPanel", view);
        Panel = view;
        return Page();
    }

    public Task<IActionResult> OnPostAddAsync(long id, long characterId, CancellationToken ct) =>
        Answer(id, mediator.Send(new AddGroupMember(id, me.Id, characterId), ct), ct);

    public Task<IActionResult> OnPostRemoveAsync(long id, long characterId, CancellationToken ct) =>
        Answer(id, mediator.Send(new RemoveGroupMember(id, me.Id, characterId), ct), ct);

    public Task<IActionResult> OnPostMuteAsync(long id, long characterId, bool muted, CancellationToken ct) =>
        Answer(id, mediator.Send(new SetGroupMemberMuted(id, me.Id, characterId, muted), ct), ct);

    public Task<IActionResult> OnPostTalkativenessAsync(long id, long characterId, string? talkativeness, CancellationToken ct) =>
        Answer(id, mediator.Send(new SetGroupMemberTalkativeness(id, me.Id, characterId, talkativeness), ct), ct);

    public Task<IActionResult> OnPostMoveAsync(long id, long characterId, int direction, CancellationToken ct) =>
        Answer(id, mediator.Send(new MoveGroupMember(id, me.Id, characterId, direction), ct), ct);

    public Task<IActionResult> OnPostOrderAsync(long id, string? order, CancellationToken ct) =>
        Answer(id, mediator.Send(new SetReplyOrder(id, me.Id, order ?? ""), ct), ct);

    /// <summary>"Let X speak": the pending reply's fragment, appended to the messages (it streams at once).</summary>
    public async Task<IActionResult> OnPostSpeakAsync(long id, long characterId, CancellationToken ct)
    {
        var message = await mediator.Send(new LetMemberSpeak(id, me.Id, characterId), ct);
        if (message is null) return NotFound();
        if (!Request.IsHtmx()) return Redirect($"/chats/{id}");
        var page = await mediator.Send(new GetChatPage(id, me.Id, Before: 0, me.Username ?? "You"), ct);
        if (page is null) return NotFound();
        return Partial("_ChatMessage", new ChatMessageItem(id, page.CharacterName, page.Persona.Name, message, page.Group.SpeakerOf(message)));
    }

    /// <summary>Messages after a given one (the next group speaker's pending reply, once a reply's stream ends).</summary>
    public async Task<IActionResult> OnGetAfterAsync(long id, long after, CancellationToken ct)
    {
        var messages = await mediator.Send(new GetMessagesAfter(id, me.Id, after), ct);
        if (messages is null) return NotFound();
        var page = await mediator.Send(new GetChatPage(id, me.Id, Before: 0, me.Username ?? "You"), ct);
        if (page is null) return NotFound();
        return Partial("_ChatTurn", messages.Select(m => new ChatMessageItem(id, page.CharacterName, page.Persona.Name, m, page.Group.SpeakerOf(m))).ToList());
    }

    private async Task<IActionResult> Answer(long id, ValueTask<GroupOutcome> change, CancellationToken ct)
    {
        var outcome = await change;
        if (outcome is GroupOutcome.NotFound) return NotFound();
        var problem = (outcome as GroupOutcome.Invalid)?.Problem;
        if (!Request.IsHtmx())
        {
            if (problem is null) return Redirect($"/chats/{id}");
            Panel = (await ViewAsync(id, problem, "", ct))!;
            return Panel is null ? NotFound() : Page();
        }
        var view = await ViewAsync(id, problem, "", ct);
        return view is null ? NotFound() : Partial("_GroupPanel", view);
    }

    private async Task<GroupPanelView?> ViewAsync(long id, string? problem, string q, CancellationToken ct)
    {
        var page = await mediator.Send(new GetChatPage(id, me.Id, Before: 0, me.Username ?? "You"), ct);
        if (page is null) return null;
        Title = page.Chat.Title;
        IReadOnlyList<ChatCharacterChoice>? results = null;
        if (q.Length > 0)
            results = (await mediator.Send(new FindCharactersForChat(me.Id, q, 20), ct))
                .Where(r => page.Group.Members.All(m => m.CharacterId != r.Id)).ToList();
        return new GroupPanelView(id, page.Group, problem, q, results);
    }

    private static string Clean(string? q)
    {
        var s = (q ?? "").Replace("\0", "", StringComparison.Ordinal).Trim();
        return s.Length > NewGroupModel.MaxSearchLength ? s[..NewGroupModel.MaxSearchLength] : s;
    }
}
