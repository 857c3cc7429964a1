using CharacterHub.Kernel.Security;
using CharacterHub.Kernel.Validation;
using CharacterHub.Kernel.Web;
using CharacterHub.Modules.Interaction.Chats;
using CharacterHub.Modules.Interaction.Prompting;
using Mediator;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CharacterHub.Modules.Interaction.Areas.Interaction.Pages;

/// <summary>/settings/prompt: the user's story string template, global system prompt and example dialogue behaviour,
/// and a story string for one character (which wins over the user's). Templates are checked on save; an invalid one
/// is shown back with its error and nothing is saved. The previews render against the chosen character.</summary>
[Authorize]
internal sealed class PromptSettingsModel(IMediator mediator, ICurrentUser me) : PageModel
{
    public string StoryString { get; private set; } = PromptSettings.DefaultStoryString;
    public bool UsesDefault { get; private set; } = true;
    public string SystemPrompt { get; private set; } = "";
    public string ExampleBehaviour { get; private set; } = "normal";
    public FieldErrors Errors { get; private set; } = new();
    public string? Saved { get; private set; }

    public IReadOnlyList<PromptCharacterChoice> Characters { get; private set; } = [];
    public CharacterStoryString? Character { get; private set; }
    public string CharacterTemplate { get; private set; } = "";

    public string? Error(string field) => Errors.All.TryGetValue(field, out var messages) ? messages[0] : null;

    public async Task<IActionResult> OnGetAsync(long? characterId, CancellationToken ct)
    {
        Response.VaryOnHtmx();
        return await LoadAsync(characterId, ct) ? Page() : NotFound();
    }

    public async Task<IActionResult> OnPostSaveAsync(string? storyString, string? systemPrompt, string? exampleBehaviour, long? characterId,
        CancellationToken ct)
    {
        var errors = await mediator.Send(new SaveUserPromptSettings(me.Id, storyString ?? "", systemPrompt ?? "", exampleBehaviour ?? "normal"), ct);
        if (errors.IsEmpty && !Request.IsHtmx()) return Redirect(Self(characterId));
        if (!await LoadAsync(characterId, ct)) return NotFound();
        if (!errors.IsEmpty)
        {
            // What the user typed stays in the form, with the reason beside it.
            (StoryString, SystemPrompt, ExampleBehaviour, Errors) = (storyString ?? "", systemPrompt ?? "", exampleBehaviour ?? "normal", errors);
            UsesDefault = false;
        }
        else Saved = "Your prompt settings are saved; they apply from the next reply in every chat.";
        return Page();
    }

    public async Task<IActionResult> OnPostResetAsync(long? characterId, CancellationToken ct)
    {
        await mediator.Send(new ResetUserStoryString(me.Id), ct);
        if (!Request.IsHtmx()) return Redirect(Self(characterId));
        if (!await LoadAsync(characterId, ct)) return NotFound();
        Saved = "Your story string is back to the default.";
        return Page();
    }

    public async Task<IActionResult> OnPostCharacterAsync(long characterId, string? characterStoryString, CancellationToken ct)
    {
        var outcome = await mediator.Send(new SaveCharacterStoryString(me.Id, characterId, characterStoryString ?? ""), ct);
        if (outcome is CharacterStoryStringOutcome.NotFound) return NotFound();
        if (outcome is CharacterStoryStringOutcome.Saved && !Request.IsHtmx()) return Redirect(Self(characterId));
        if (!await LoadAsync(characterId, ct)) return NotFound();
        if (outcome is CharacterStoryStringOutcome.Invalid invalid)
        {
            (CharacterTemplate, Errors) = (characterStoryString ?? "", invalid.Errors);
        }
        else Saved = string.IsNullOrWhiteSpace(characterStoryString)
            ? $"{Character!.Character.Name} now uses your own story string."
            : $"The story string for {Character!.Character.Name} is saved.";
        return Page();
    }

    /// <summary>The live preview of the template being typed (htmx). Answers the fragment, also for an invalid template.</summary>
    public Task<IActionResult> OnPostPreviewAsync(string? storyString, long? characterId, CancellationToken ct) =>
        PreviewAsync(storyString ?? "", characterId, ct);

    /// <summary>The character form's preview; a blank override previews what applies instead (the user's template).</summary>
    public async Task<IActionResult> OnPostPreviewCharacterAsync(string? characterStoryString, long? characterId, CancellationToken ct)
    {
        var template = characterStoryString ?? "";
        if (string.IsNullOrWhiteSpace(template)) template = (await mediator.Send(new GetUserPromptSettings(me.Id), ct)).StoryString ?? "";
        return await PreviewAsync(template, characterId, ct);
    }

    private async Task<IActionResult> PreviewAsync(string template, long? characterId, CancellationToken ct)
    {
        if (template.Length > PromptOptionValues.MaxTemplate)
            return Partial("_StoryStringPreview", new StoryStringPreview(null, "", 0, new TemplateProblem($"A story string can be at most {PromptOptionValues.MaxTemplate:N0} characters.", null)));
        var preview = await mediator.Send(new PreviewStoryString(me.Id, characterId, template, me.Username ?? "User"), ct);
        return preview is null ? NotFound() : Partial("_StoryStringPreview", preview);
    }

    private static string Self(long? characterId) => characterId is { } id ? $"/settings/prompt?characterId={id}" : "/settings/prompt";

    private async Task<bool> LoadAsync(long? characterId, CancellationToken ct)
    {
        var settings = await mediator.Send(new GetUserPromptSettings(me.Id), ct);
        (StoryString, UsesDefault) = settings.StoryString is { } s ? (s, false) : (PromptSettings.DefaultStoryString, true);
        (SystemPrompt, ExampleBehaviour) = (settings.SystemPrompt, settings.ExampleBehaviour);
        Characters = await mediator.Send(new ListPromptCharacters(me.Id), ct);
        var chosen = characterId ?? (Characters.Count > 0 ? Characters[0].Id : null);
        if (chosen is { } id)
        {
            Character = await mediator.Send(new GetCharacterStoryString(me.Id, id), ct);
            // A character named in the address that the user cannot read does not exist for them.
            if (Character is null) return characterId is null;
            CharacterTemplate = Character.StoryString ?? "";
            if (Characters.All(c => c.Id != id)) Characters = [new PromptCharacterChoice(id, Character.Character.Name), .. Characters];
        }
        return true;
    }
}
