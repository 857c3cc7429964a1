using CharacterHub.Kernel.Security;
using CharacterHub.Kernel.Web;
using CharacterHub.Modules.Interaction.Chats;
using Mediator;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CharacterHub.Modules.Interaction.Areas.Interaction.Pages;

/// <summary>What one message partial needs: the message and who the speakers are.</summary>
/// <summary><see cref="Speaker"/>: who an assistant message is shown as when it is not simply the chat's character
/// (group chats).</summary>
internal sealed record ChatMessageItem(long ChatId, string CharacterName, string UserName, ChatMessageView Message, ChatSpeaker? Speaker = null);

/// <summary>"Load older": the messages before a cursor and, when there are more, the next button.</summary>
internal sealed record ChatOlderItems(long ChatId, string CharacterName, string UserName, IReadOnlyList<ChatMessageView> Messages, bool HasOlder,
    GroupInfo? Group = null);

/// <summary>The chat page and its htmx actions. Each action answers the fragment htmx swaps, or a redirect back to the
/// page when the browser posted without htmx.</summary>
[Authorize]
internal sealed class ChatModel(IMediator mediator, ICurrentUser me, ChatCharacters characters) : PageModel
{
    public ChatPage Chat { get; private set; } = null!;

    /// <summary>The chat this one was branched from, while it exists.</summary>
    public ChatOrigin? Origin { get; private set; }

    /// <summary>Who the user's messages are shown as: the chat's persona, else the default persona, else the account.</summary>
    public string UserName => Chat.Persona.Name;

    public string AccountName => me.Username ?? "You";

    /// <summary>The chat's author's note, for its form under "Chat options".</summary>
    public AuthorsNoteForm AuthorsNote { get; private set; } = null!;

    public ChatMessageItem Item(ChatMessageView m) => new(Chat.Chat.Id, Chat.CharacterName, UserName, m, Chat.Group.SpeakerOf(m));

    public async Task<IActionResult> OnGetAsync(long id, CancellationToken ct)
    {
        Response.VaryOnHtmx();
        var chat = await mediator.Send(new GetChatPage(id, me.Id, UserName: AccountName), ct);
        if (chat is null) return NotFound();
        Chat = chat;
        Origin = await mediator.Send(new GetChatOrigin(id, me.Id), ct);
        AuthorsNote = AuthorsNoteForm.From(await mediator.Send(new GetAuthorsNote(id, me.Id), ct), id);
        return Page();
    }

    public async Task<IActionResult> OnGetOlderAsync(long id, long before, CancellationToken ct)
    {
        var chat = await mediator.Send(new GetChatPage(id, me.Id, before, AccountName), ct);
        return chat is null ? NotFound() : Partial("_ChatOlder", new ChatOlderItems(id, chat.CharacterName, chat.Persona.Name, chat.Messages, chat.HasOlder, chat.Group));
    }

    public Task<IActionResult> OnGetMessageAsync(long id, long messageId, CancellationToken ct) =>
        MessageFragment(id, mediator.Send(new GetChatMessage(id, me.Id, messageId), ct), ct);

    public async Task<IActionResult> OnGetEditAsync(long id, long messageId, CancellationToken ct)
    {
        var message = await mediator.Send(new GetChatMessage(id, me.Id, messageId), ct);
        return message is null ? NotFound() : Partial("_ChatEditForm", new ChatEditForm(id, message.Id, message.Content, null));
    }

    public async Task<IActionResult> OnPostSendAsync(long id, string? text, CancellationToken ct)
    {
        var outcome = await mediator.Send(new SendMessage(id, me.Id, text ?? ""), ct);
        switch (outcome)
        {
            case SendOutcome.NotFound:
                return NotFound();
            case SendOutcome.Invalid invalid when Request.IsHtmx():
                // The composer keeps its text; only the error line changes.
                Response.Headers["HX-Retarget"] = "#composer-error";
                Response.Headers["HX-Reswap"] = "innerHTML";
                return Content(System.Net.WebUtility.HtmlEncode(invalid.Problem), "text/html; charset=utf-8");
        }
        if (!Request.IsHtmx() || outcome is not SendOutcome.Sent sent) return Redirect($"/chats/{id}");
        // A one-character chat: the send already knows who speaks, so the fragment goes out without another read
        // (the time before the reply's stream can start is the time the user waits for the first word).
        if (sent.Message is { Group: false, Reply: { } single } && characters.CachedDisplayName(sent.Message.CharacterId) is { } name)
        {
            var speaksAs = sent.Message.PersonaName ?? AccountName;
            return Partial("_ChatTurn", new List<ChatMessageItem> { new(id, name, speaksAs, sent.Message.UserMessage), new(id, name, speaksAs, single) });
        }
        if (await Names(id, ct) is not var (character, user, group)) return NotFound();
        var turn = new List<ChatMessageItem> { new(id, character, user, sent.Message.UserMessage) };
        if (sent.Message.Reply is { } reply) turn.Add(new ChatMessageItem(id, character, user, reply, group.SpeakerOf(reply)));
        return Partial("_ChatTurn", turn);
    }

    public Task<IActionResult> OnPostRegenerateAsync(long id, long messageId, CancellationToken ct) =>
        MessageFragment(id, mediator.Send(new StartReply(id, me.Id, messageId, Continue: false), ct), ct);

    public Task<IActionResult> OnPostContinueAsync(long id, long messageId, CancellationToken ct) =>
        MessageFragment(id, mediator.Send(new StartReply(id, me.Id, messageId, Continue: true), ct), ct);

    public Task<IActionResult> OnPostSwipeAsync(long id, long messageId, int direction, CancellationToken ct) =>
        MessageFragment(id, mediator.Send(new BrowseSwipe(id, me.Id, messageId, direction), ct), ct);

    public async Task<IActionResult> OnPostStopAsync(long id, long messageId, CancellationToken ct)
    {
        await mediator.Send(new StopReply(id, me.Id, messageId), ct);
        // The stream ends itself and its "done" brings the saved text; nothing to swap here.
        return Request.IsHtmx() ? new NoContentResult() : Redirect($"/chats/{id}");
    }

    public async Task<IActionResult> OnPostEditAsync(long id, long messageId, string? text, CancellationToken ct)
    {
        var outcome = await mediator.Send(new EditMessage(id, me.Id, messageId, text ?? ""), ct);
        return outcome switch
        {
            EditOutcome.Invalid invalid => Partial("_ChatEditForm", new ChatEditForm(id, messageId, text ?? "", invalid.Problem)),
            EditOutcome.Edited edited when Request.IsHtmx() => await Fragment(id, edited.Message, ct),
            EditOutcome.Edited => Redirect($"/chats/{id}"),
            _ => NotFound(),
        };
    }

    public async Task<IActionResult> OnPostDeleteAsync(long id, long messageId, CancellationToken ct)
    {
        if (!await mediator.Send(new DeleteMessage(id, me.Id, messageId), ct)) return NotFound();
        // htmx swaps the message's outerHTML with nothing: it leaves the page.
        return Request.IsHtmx() ? Content("", "text/html; charset=utf-8") : Redirect($"/chats/{id}");
    }

    public async Task<IActionResult> OnPostRenameAsync(long id, string? title, CancellationToken ct)
    {
        await mediator.Send(new RenameChat(id, me.Id, title ?? ""), ct);
        return Redirect($"/chats/{id}");
    }

    /// <summary>The persona selector: an empty value follows the default persona; a persona that is not the caller's
    /// (or a chat that is not) is 404 and changes nothing.</summary>
    public async Task<IActionResult> OnPostPersonaAsync(long id, long? personaId, CancellationToken ct)
    {
        if (!await mediator.Send(new SetChatPersona(id, me.Id, personaId), ct)) return NotFound();
        // Every shown user message changes its speaker, so the whole page is the fragment.
        if (Request.IsHtmx())
        {
            Response.HxRedirect($"/chats/{id}");
            return new NoContentResult();
        }
        return Redirect($"/chats/{id}");
    }

    /// <summary>The chat's "Model": empty follows the user's default connection; an id must be the caller's own.</summary>
    public async Task<IActionResult> OnPostConnectionAsync(long id, string? connectionId, CancellationToken ct)
    {
        long? chosen = null;
        if (!string.IsNullOrEmpty(connectionId))
        {
            if (!long.TryParse(connectionId, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var parsed))
                return NotFound();
            chosen = parsed;
        }
        if (!await mediator.Send(new Connections.SetChatConnection(id, me.Id, chosen), ct)) return NotFound();
        if (Request.IsHtmx())
        {
            Response.HxRedirect($"/chats/{id}");
            return new NoContentResult();
        }
        return Redirect($"/chats/{id}");
    }

    /// <summary>A new chat holding this one up to the message; the browser goes there.</summary>
    public async Task<IActionResult> OnPostBranchAsync(long id, long messageId, CancellationToken ct)
    {
        if (await mediator.Send(new BranchChat(id, me.Id, messageId), ct) is not { } branch) return NotFound();
        if (!Request.IsHtmx()) return Redirect($"/chats/{branch}");
        Response.HxRedirect($"/chats/{branch}");
        return new NoContentResult();
    }

    /// <summary>The author's note form: its fragment for htmx (with the problem, the typed text kept), else the page.</summary>
    public async Task<IActionResult> OnPostAuthorsNoteAsync(long id, string? authorsNote, string? depth, string? role, CancellationToken ct)
    {
        if (await AuthorsNoteForm.SaveAsync(mediator, me.Id, id, authorsNote, depth, role, ct) is not { } form) return NotFound();
        if (Request.IsHtmx()) return Partial("_ChatAuthorsNote", form);
        if (form.Problem is null) return Redirect($"/chats/{id}");
        var page = await OnGetAsync(id, ct);
        AuthorsNote = form;
        return page;
    }

    public async Task<IActionResult> OnPostDeleteChatAsync(long id, CancellationToken ct)
    {
        if (!await mediator.Send(new DeleteChat(id, me.Id), ct)) return NotFound();
        if (Request.IsHtmx())
        {
            Response.HxRedirect("/chats");
            return new NoContentResult();
        }
        return Redirect("/chats");
    }

    private async Task<IActionResult> MessageFragment(long id, ValueTask<ChatMessageView?> pending, CancellationToken ct)
    {
        var message = await pending;
        if (message is null) return NotFound();
        return Request.IsHtmx() ? await Fragment(id, message, ct) : Redirect($"/chats/{id}");
    }

    private async Task<IActionResult> Fragment(long id, ChatMessageView message, CancellationToken ct)
    {
        return await Names(id, ct, message.Id + 1) is var (character, user, group)
            ? Partial("_ChatMessage", new ChatMessageItem(id, character, user, message, group.SpeakerOf(message)))
            : NotFound();
    }

    /// <summary>Who speaks; with <paramref name="before"/> past a message, its speaker is known even after they left the group.</summary>
    private async Task<(string Character, string User, GroupInfo Group)?> Names(long id, CancellationToken ct, long before = 0) =>
        await mediator.Send(new GetChatPage(id, me.Id, Before: before, AccountName), ct) is { } page ? (page.CharacterName, page.Persona.Name, page.Group) : null;
}

internal sealed record ChatEditForm(long ChatId, long MessageId, string Text, string? Problem);
