using CharacterHub.Kernel.Security;
using CharacterHub.Kernel.Web;
using Microsoft.AspNetCore.Http;
using CharacterHub.Modules.Characters.Domain;
using CharacterHub.Modules.Characters.Features;
using Mediator;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CharacterHub.Modules.Characters.Areas.Characters.Pages;

/// <summary>
/// Edits a character. The form carries the version it was loaded from; saving a stale form shows both versions
/// side by side and lets the user pick, per field, whose text to keep — nothing is overwritten silently and the
/// user's own edits are never thrown away.
/// </summary>
[Authorize]
internal sealed class EditModel(IMediator mediator, ICurrentUser me) : PageModel, IEditorPage
{
    [BindProperty] public CharacterForm Form { get; set; } = new();
    [BindProperty] public int ExpectedVersion { get; set; }
    public IReadOnlyList<CategoryOption> Categories { get; private set; } = [];
    public CharacterDetails Character { get; private set; } = null!;
    public bool CanChangeVisibility => Character.IsOwner;
    public string SubmitLabel => "Save";

    /// <summary>Set when the save met a newer version: theirs is current, mine is what the user submitted.</summary>
    public CharacterDraft? Mine { get; private set; }
    public IReadOnlyList<DraftField> ConflictFields { get; private set; } = [];
    [BindProperty] public string? MineJson { get; set; }
    /// <summary>Per conflicting field key: "mine" or "theirs".</summary>
    [BindProperty] public Dictionary<string, string> Choice { get; set; } = [];

    public async Task<IActionResult> OnGetAsync(long id, CancellationToken ct)
    {
        if (!await Load(id, ct)) return NotFound();
        Form = CharacterForm.FromDraft(Character.Draft);
        ExpectedVersion = Character.Version;
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(long id, CancellationToken ct)
    {
        if (!await Load(id, ct)) return NotFound();
        if (EditorErrors.RefuseUnreadable(ModelState)) return Page();
        var (draft, extensionsProblem) = Form.ToDraft();
        if (extensionsProblem is not null)
        {
            ModelState.AddModelError("Form.ExtensionsJson", extensionsProblem);
            return Page();
        }
        return await Save(id, ExpectedVersion, draft, Form.VersionMessage, ct);
    }

    /// <summary>The merge form after a conflict: their current version, with the fields the user chose taken from theirs.</summary>
    public async Task<IActionResult> OnPostMergeAsync(long id, CancellationToken ct)
    {
        if (!await Load(id, ct)) return NotFound();
        if (string.IsNullOrEmpty(MineJson)) return BadRequest();
        var mine = CharacterDraft.FromJson(MineJson);
        var merged = DraftField.Merge(Character.Draft, mine, Choice.Where(c => c.Value == "mine").Select(c => c.Key));
        return await Save(id, ExpectedVersion, merged, $"Merged with version {ExpectedVersion}", ct);
    }

    private async Task<IActionResult> Save(long id, int expected, CharacterDraft draft, string? message, CancellationToken ct)
    {
        switch (await mediator.Send(new UpdateCharacter(id, me.Id, expected, draft, message), ct))
        {
            case SaveOutcome.Saved:
                var url = $"/characters/{id}";
                if (Request.IsHtmx()) { Response.HxRedirect(url); return new OkResult(); }
                return Redirect(url);
            case SaveOutcome.Invalid invalid:
                EditorErrors.AddTo(ModelState, invalid.Errors);
                return Page(); // the form keeps exactly what the user typed
            case SaveOutcome.Conflict conflict:
                Character = conflict.Current;
                Mine = draft;
                MineJson = draft.ToJson();
                ConflictFields = DraftField.Differing(conflict.Current.Draft, draft);
                ExpectedVersion = conflict.Current.Version;
                Form = CharacterForm.FromDraft(draft);
                Response.StatusCode = StatusCodes.Status409Conflict;
                return Page();
            default:
                return NotFound();
        }
    }

    private async Task<bool> Load(long id, CancellationToken ct)
    {
        Categories = await mediator.Send(new ListCategories(), ct);
        var character = await mediator.Send(new GetCharacter(id, me.Id), ct);
        if (character is null || !character.CanEdit) return false;
        Character = character;
        return true;
    }
}
