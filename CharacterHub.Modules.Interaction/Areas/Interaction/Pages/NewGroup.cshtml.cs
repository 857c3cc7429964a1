using CharacterHub.Kernel.Contracts.Characters;
using CharacterHub.Kernel.Security;
using CharacterHub.Modules.Interaction.Chats;
using Mediator;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CharacterHub.Modules.Interaction.Areas.Interaction.Pages;

/// <summary>
/// "New group chat": search the characters the user may read, tick two or more, start. The ticks travel as repeated
/// <c>ids</c> fields of the one form, so searching again keeps them and the page works without script.
/// </summary>
[Authorize]
internal sealed class NewGroupModel(IMediator mediator, ICurrentUser me) : PageModel
{
    public const int MaxSearchLength = 200;

    public string Q { get; private set; } = "";
    public IReadOnlyList<ChatCharacterChoice> Results { get; private set; } = [];
    public IReadOnlyList<ChatCharacter> Picked { get; private set; } = [];
    public string? Problem { get; private set; }

    public async Task OnGetAsync(string? q, long[]? ids, CancellationToken ct) => await LoadAsync(q, ids, ct);

    public async Task<IActionResult> OnPostSearchAsync(string? q, long[]? ids, CancellationToken ct)
    {
        await LoadAsync(q, ids, ct);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(long[]? ids, string? q, CancellationToken ct)
    {
        var outcome = await mediator.Send(new CreateGroupChat(me.Id, (ids ?? []).Take(GroupChats.MaxMembers + 1).ToList(), me.Username ?? "User"), ct);
        if (outcome is GroupOutcome.Done done) return Redirect($"/chats/{done.ChatId}");
        Problem = (outcome as GroupOutcome.Invalid)?.Problem ?? "That group chat could not be started.";
        await LoadAsync(q, ids, ct);
        return Page();
    }

    private async Task LoadAsync(string? q, long[]? ids, CancellationToken ct)
    {
        Q = (q ?? "").Trim();
        if (Q.Length > MaxSearchLength) Q = Q[..MaxSearchLength];
        var picked = new List<ChatCharacter>();
        // Only characters the user may read are shown back; anything else in the ids is dropped silently.
        foreach (var id in (ids ?? []).Where(i => i > 0).Distinct().Take(GroupChats.MaxMembers))
            if (await mediator.Send(new GetCharacterForChat(id, me.Id), ct) is { } c) picked.Add(c);
        Picked = picked;
        Results = (await mediator.Send(new FindCharactersForChat(me.Id, Q.Replace("\0", "", StringComparison.Ordinal), 30), ct))
            .Where(r => picked.All(p => p.Id != r.Id)).ToList();
    }
}
