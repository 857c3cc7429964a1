using System.Text.Json;

namespace CharacterHub.Modules.Characters.Domain;

/// <summary>
/// The parts of a draft a person compares and merges, in editor order: text for the diff, and how to take the part
/// from one draft into another for a merge. One list, so the diff and the merge can never disagree.
/// </summary>
internal sealed record DraftField(string Key, string Label, Func<CharacterDraft, string> Text, Func<CharacterDraft, CharacterDraft, CharacterDraft> Take)
{
    private static string Lines(IEnumerable<string> items) => string.Join("\n", items);

    public static readonly IReadOnlyList<DraftField> All =
    [
        new("name", "Name", d => d.Name, (t, s) => t with { Name = s.Name }),
        new("nickname", "Nickname", d => d.Nickname, (t, s) => t with { Nickname = s.Nickname }),
        new("tagline", "Tagline", d => d.Tagline, (t, s) => t with { Tagline = s.Tagline }),
        new("category", "Category", d => d.Category ?? "", (t, s) => t with { Category = s.Category }),
        new("tags", "Tags", d => string.Join(", ", d.Tags), (t, s) => t with { Tags = s.Tags }),
        new("visibility", "Visibility", d => d.Visibility.ToString(), (t, s) => t with { Visibility = s.Visibility }),
        new("description", "Description", d => d.Description, (t, s) => t with { Description = s.Description }),
        new("personality", "Personality", d =>
        {
            var p = d.Personality;
            var b = p.BigFive;
            return $"{p.Summary}\nBig Five: openness {b.Openness}, conscientiousness {b.Conscientiousness}, extraversion {b.Extraversion}, " +
                   $"agreeableness {b.Agreeableness}, neuroticism {b.Neuroticism}\nLikes: {string.Join(", ", p.Likes)}\n" +
                   $"Dislikes: {string.Join(", ", p.Dislikes)}\nVocabulary: {p.Speech.Vocabulary}\nQuirks: {p.Speech.Quirks}\n" +
                   $"Catchphrases: {string.Join(" | ", p.Speech.Catchphrases)}";
        }, (t, s) => t with { Personality = s.Personality }),
        new("traits", "Traits", d => Lines(d.Traits.Select(x => $"{x.Name} ({x.Intensity})")), (t, s) => t with { Traits = s.Traits }),
        new("background", "Background & lore", d => d.Background, (t, s) => t with { Background = s.Background }),
        new("scenario", "Scenario", d => d.Scenario, (t, s) => t with { Scenario = s.Scenario }),
        new("first_message", "First message", d => d.FirstMessage, (t, s) => t with { FirstMessage = s.FirstMessage }),
        new("alternate_greetings", "Alternate greetings", d => string.Join("\n---\n", d.AlternateGreetings), (t, s) => t with { AlternateGreetings = s.AlternateGreetings }),
        new("example_dialogues", "Example dialogues", d => d.ExampleDialogues, (t, s) => t with { ExampleDialogues = s.ExampleDialogues }),
        new("system_prompt", "System prompt", d => d.SystemPrompt, (t, s) => t with { SystemPrompt = s.SystemPrompt }),
        new("post_history_instructions", "Post-history instructions", d => d.PostHistoryInstructions, (t, s) => t with { PostHistoryInstructions = s.PostHistoryInstructions }),
        new("creator_notes", "Creator notes", d => d.CreatorNotes, (t, s) => t with { CreatorNotes = s.CreatorNotes }),
        new("lorebook", "Lorebook", d => Lines(d.Lorebook.Entries.Select(e =>
            $"[{string.Join(", ", e.Keys)}]{(e.Enabled ? "" : " (disabled)")}{(e.Constant ? " (constant)" : "")}: {e.Content}")),
            (t, s) => t with { Lorebook = s.Lorebook }),
        new("voice", "Voice", d => $"{d.Voice.Provider}, voice “{d.Voice.VoiceName}”, {d.Voice.Language}, pitch {d.Voice.Pitch}, rate {d.Voice.Rate}\n{d.Voice.StyleNotes}",
            (t, s) => t with { Voice = s.Voice }),
        new("extensions", "Extensions (card data)", d => d.Extensions.Count == 0 ? "" : d.Extensions.ToJsonString(Indented),
            (t, s) => t with { Extensions = s.Extensions }),
    ];

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Merges: start from <paramref name="theirs"/>, take the listed fields from <paramref name="mine"/>.</summary>
    public static CharacterDraft Merge(CharacterDraft theirs, CharacterDraft mine, IEnumerable<string> takeMine)
    {
        var keys = takeMine.ToHashSet(StringComparer.Ordinal);
        return All.Where(f => keys.Contains(f.Key)).Aggregate(theirs, (acc, f) => f.Take(acc, mine));
    }

    public static IReadOnlyList<DraftField> Differing(CharacterDraft a, CharacterDraft b) =>
        All.Where(f => f.Text(a) != f.Text(b)).ToList();
}
