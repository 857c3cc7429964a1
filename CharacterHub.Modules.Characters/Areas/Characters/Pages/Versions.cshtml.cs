using CharacterHub.Kernel.Security;
using CharacterHub.Modules.Characters.Features;
using Mediator;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CharacterHub.Modules.Characters.Areas.Characters.Pages;

/// <summary>History: every saved version, a side-by-side diff of any two, and restore (which saves a new version).</summary>
[Authorize]
internal sealed class VersionsModel(IMediator mediator, ICurrentUser me) : PageModel
{
    public CharacterDetails Character { get; private set; } = null!;
    public IReadOnlyList<VersionInfo> History { get; private set; } = [];
    public int? Left { get; private set; }
    public int? Right { get; private set; }
    public IReadOnlyList<FieldDiff> Diff { get; private set; } = [];
    public string? Problem { get; private set; }

    public async Task<IActionResult> OnGetAsync(long id, int? a, int? b, CancellationToken ct)
    {
        if (!await Load(id, ct)) return NotFound();
        if (a is null || b is null)
        {
            // By default compare the latest save with the one before it.
            if (History.Count >= 2) (a, b) = (History[1].Version, History[0].Version);
            else return Page();
        }
        var left = await mediator.Send(new GetVersionSnapshot(id, me.Id, a.Value), ct);
        var right = await mediator.Send(new GetVersionSnapshot(id, me.Id, b.Value), ct);
        if (left is null || right is null)
        {
            Problem = "One of those versions does not exist.";
            return Page();
        }
        (Left, Right) = (a, b);
        Diff = Differ.Compare(left, right);
        return Page();
    }

    public async Task<IActionResult> OnPostRestoreAsync(long id, int version, CancellationToken ct)
    {
        switch (await mediator.Send(new RestoreVersion(id, me.Id, version), ct))
        {
            case SaveOutcome.Saved saved:
                return Redirect($"/characters/{id}/versions?a={version}&b={saved.Version}");
            case SaveOutcome.Invalid invalid:
                await Load(id, ct);
                Problem = "That version cannot be restored as it is: " + string.Join(" ", invalid.Errors.All.SelectMany(e => e.Value));
                return Page();
            default:
                return NotFound();
        }
    }

    private async Task<bool> Load(long id, CancellationToken ct)
    {
        var character = await mediator.Send(new GetCharacter(id, me.Id), ct);
        if (character is null) return false;
        Character = character;
        History = await mediator.Send(new ListVersions(id, me.Id), ct) ?? [];
        return true;
    }
}
