using CharacterHub.Kernel.Validation;
using CharacterHub.Modules.Characters.Domain;
using CharacterHub.Modules.Characters.Features;
using Microsoft.AspNetCore.Mvc.ModelBinding;

namespace CharacterHub.Modules.Characters.Areas.Characters.Pages;

/// <summary>What the shared editor partial needs from the New and Edit pages.</summary>
internal interface IEditorPage
{
    CharacterForm Form { get; }
    IReadOnlyList<CategoryOption> Categories { get; }
    /// <summary>Only the creator changes visibility.</summary>
    bool CanChangeVisibility { get; }
    string SubmitLabel { get; }
}

internal static class EditorErrors
{
    /// <summary>
    /// True (with a message above the form) when a posted value could not be read, like "abc" in a number. Saving then
    /// would store the field's default in place of what the character had, so nothing is saved. Only values that were
    /// sent count: a field left out of the post (an entry without a position) keeps its default as before.
    /// </summary>
    public static bool RefuseUnreadable(ModelStateDictionary state)
    {
        if (!state.Any(e => e.Value is { Errors.Count: > 0 } v && !string.IsNullOrEmpty(v.AttemptedValue))) return false;
        state.AddModelError("", "Nothing was saved: some values are not in the form this field needs (see the messages below).");
        return true;
    }

    /// <summary>Copies rule violations into ModelState under the form's field names ("Draft.X" → "Form.X"); lorebook
    /// entries are reported on the lorebook with their number, since empty entries are dropped before validation.</summary>
    public static void AddTo(ModelStateDictionary state, FieldErrors errors)
    {
        foreach (var (field, messages) in errors.All)
            foreach (var message in messages)
            {
                if (field.StartsWith("Draft.Lorebook.Entries[", StringComparison.Ordinal))
                {
                    var n = int.Parse(field["Draft.Lorebook.Entries[".Length..field.IndexOf(']')]) + 1;
                    state.AddModelError("Form.Entries", $"Entry {n}: {message}");
                }
                else
                {
                    var key = field.Replace("Draft.", "Form.", StringComparison.Ordinal) switch
                    {
                        "Form.Personality.Summary" => "Form.PersonalitySummary",
                        "Form.Personality.BigFive" => "Form.Openness",
                        "Form.Personality.Likes" => "Form.Likes",
                        "Form.Personality.Dislikes" => "Form.Dislikes",
                        "Form.Personality.Speech.Vocabulary" => "Form.Vocabulary",
                        "Form.Personality.Speech.Quirks" => "Form.Quirks",
                        "Form.Personality.Speech.Catchphrases" => "Form.Catchphrases",
                        "Form.Lorebook" => "Form.Entries",
                        var k when k.StartsWith("Form.Voice.", StringComparison.Ordinal) => "Form.Voice" + k["Form.Voice.".Length..],
                        var k => k,
                    };
                    state.AddModelError(key, message);
                }
            }
    }
}
