using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using CharacterHub.Kernel.Validation;

namespace CharacterHub.Modules.Characters.Domain;

internal enum Visibility { Private, Unlisted, Public }

/// <summary>Big Five personality dimensions, 0–100.</summary>
internal sealed record BigFive(int Openness = 50, int Conscientiousness = 50, int Extraversion = 50, int Agreeableness = 50, int Neuroticism = 50);

internal sealed record Trait(string Name, int Intensity);

internal sealed record SpeechStyle(string Vocabulary = "", string Quirks = "", IReadOnlyList<string>? Catchphrases = null)
{
    public IReadOnlyList<string> Catchphrases { get; init; } = Catchphrases ?? [];
}

/// <summary>The personality editor's data, stored in the personality jsonb column.</summary>
internal sealed record Personality(string Summary = "", BigFive? BigFive = null, IReadOnlyList<string>? Likes = null,
    IReadOnlyList<string>? Dislikes = null, SpeechStyle? Speech = null)
{
    public BigFive BigFive { get; init; } = BigFive ?? new BigFive();
    public IReadOnlyList<string> Likes { get; init; } = Likes ?? [];
    public IReadOnlyList<string> Dislikes { get; init; } = Dislikes ?? [];
    public SpeechStyle Speech { get; init; } = Speech ?? new SpeechStyle();
}

internal enum VoiceProvider { Browser, Tts }

/// <summary>How the character sounds: the browser's speech synthesis, or an OpenAI-compatible TTS endpoint.</summary>
internal sealed record VoiceConfig(VoiceProvider Provider = VoiceProvider.Browser, string VoiceName = "", string Language = "en-US",
    double Pitch = 1.0, double Rate = 1.0, string StyleNotes = "");

internal sealed record LorebookEntryData
{
    public IReadOnlyList<string> Keys { get; init; } = [];
    public IReadOnlyList<string> SecondaryKeys { get; init; } = [];
    public string Content { get; init; } = "";
    public string Comment { get; init; } = "";
    public int InsertionOrder { get; init; } = 100;
    public int Priority { get; init; } = 10;
    /// <summary>before_char | after_char (card positions); SillyTavern's finer positions live in Extensions.</summary>
    public string Position { get; init; } = "before_char";
    public bool Enabled { get; init; } = true;
    public bool Constant { get; init; }
    public bool Selective { get; init; }
    public bool UseRegex { get; init; }
    public bool CaseSensitive { get; init; }
    /// <summary>The entry's id as the card had it (number or string), kept verbatim.</summary>
    public JsonNode? Id { get; init; }
    public JsonObject Extensions { get; init; } = [];
}

internal sealed record LorebookData
{
    public string Name { get; init; } = "";
    public string Description { get; init; } = "";
    public int? ScanDepth { get; init; }
    public int? TokenBudget { get; init; }
    public bool RecursiveScanning { get; init; }
    public IReadOnlyList<LorebookEntryData> Entries { get; init; } = [];
    public JsonObject Extensions { get; init; } = [];
}

/// <summary>
/// Everything a user edits about a character: the form, the API body, a version snapshot and a template are all this.
/// Card data we do not model stays verbatim in <see cref="Extensions"/>.
/// </summary>
internal sealed record CharacterDraft
{
    public string Name { get; init; } = "";
    public string Nickname { get; init; } = "";
    public string Tagline { get; init; } = "";
    public string Description { get; init; } = "";
    public Personality Personality { get; init; } = new();
    public IReadOnlyList<Trait> Traits { get; init; } = [];
    public string Background { get; init; } = "";
    public string Scenario { get; init; } = "";
    public string FirstMessage { get; init; } = "";
    public IReadOnlyList<string> AlternateGreetings { get; init; } = [];
    public string ExampleDialogues { get; init; } = "";
    public string SystemPrompt { get; init; } = "";
    public string PostHistoryInstructions { get; init; } = "";
    public string CreatorNotes { get; init; } = "";
    public string? Category { get; init; }
    public IReadOnlyList<string> Tags { get; init; } = [];
    public Visibility Visibility { get; init; } = Visibility.Private;
    public LorebookData Lorebook { get; init; } = new();
    public VoiceConfig Voice { get; init; } = new();
    public JsonObject Extensions { get; init; } = [];

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);
    public static CharacterDraft FromJson(string json) => JsonSerializer.Deserialize<CharacterDraft>(json, Json) ?? new CharacterDraft();
}

/// <summary>Field limits, shown in the form and enforced here; one place so the two cannot disagree.</summary>
internal static class Limits
{
    public const int Name = 100, Nickname = 100, Tagline = 200, Description = 20_000, Summary = 5_000, Background = 50_000,
        Scenario = 10_000, FirstMessage = 20_000, Greeting = 20_000, Greetings = 50, ExampleDialogues = 50_000,
        SystemPrompt = 20_000, PostHistory = 10_000, CreatorNotes = 20_000, Tags = 30, Tag = 40, Traits = 30, TraitName = 40,
        ListItems = 30, ListItem = 80, Catchphrases = 20, Catchphrase = 200, Vocabulary = 1_000, Quirks = 2_000,
        LorebookEntries = 1_000, EntryContent = 20_000, EntryKeys = 50, EntryKey = 200, VoiceName = 100, StyleNotes = 1_000;
}

internal static class DraftRules
{
    /// <summary>Trims, lower-cases tags, drops empty list items and normalises line endings; then validates.
    /// Field keys in the result are the form's names (e.g. "Draft.Name").</summary>
    public static (CharacterDraft Draft, FieldErrors Errors) Normalize(CharacterDraft d, IReadOnlySet<string> categories)
    {
        static string T(string? s) => (s ?? "").Replace("\r\n", "\n").Replace('\r', '\n').Trim();
        static IReadOnlyList<string> L(IEnumerable<string>? items) =>
            (items ?? []).Select(T).Where(s => s.Length > 0).ToList();

        var tags = (d.Tags ?? []).SelectMany(t => (t ?? "").Split(',')).Select(t => T(t).ToLowerInvariant().TrimStart('#'))
            .Where(t => t.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        var draft = d with
        {
            Name = T(d.Name), Nickname = T(d.Nickname), Tagline = T(d.Tagline), Description = T(d.Description),
            Background = T(d.Background), Scenario = T(d.Scenario), FirstMessage = T(d.FirstMessage),
            AlternateGreetings = L(d.AlternateGreetings), ExampleDialogues = T(d.ExampleDialogues),
            SystemPrompt = T(d.SystemPrompt), PostHistoryInstructions = T(d.PostHistoryInstructions), CreatorNotes = T(d.CreatorNotes),
            Category = string.IsNullOrWhiteSpace(d.Category) ? null : T(d.Category).ToLowerInvariant(),
            Tags = tags,
            Traits = (d.Traits ?? []).Where(t => !string.IsNullOrWhiteSpace(t.Name))
                .Select(t => new Trait(T(t.Name), Math.Clamp(t.Intensity, 0, 100))).ToList(),
            Personality = (d.Personality ?? new Personality()) is var p
                ? p with
                {
                    Summary = T(p.Summary), Likes = L(p.Likes), Dislikes = L(p.Dislikes),
                    Speech = p.Speech with { Vocabulary = T(p.Speech.Vocabulary), Quirks = T(p.Speech.Quirks), Catchphrases = L(p.Speech.Catchphrases) },
                }
                : new Personality(),
            Lorebook = (d.Lorebook ?? new LorebookData()) with
            {
                Entries = (d.Lorebook?.Entries ?? []).Select(e => e with
                {
                    Keys = L(e.Keys), SecondaryKeys = L(e.SecondaryKeys), Content = (e.Content ?? "").Replace("\r\n", "\n"),
                    Comment = T(e.Comment), Position = e.Position is "after_char" ? "after_char" : "before_char",
                    Extensions = e.Extensions ?? [],
                }).Where(e => e.Keys.Count > 0 || e.Content.Length > 0 || e.Constant).ToList(),
            },
            Voice = d.Voice ?? new VoiceConfig(),
            Extensions = d.Extensions ?? [],
        };

        var errors = new FieldErrors();
        void Max(string field, string value, int max)
        {
            if (value.Length > max) errors.Add(field, $"Use at most {max:N0} characters (this has {value.Length:N0}).");
        }

        if (draft.Name.Length == 0) errors.Add("Draft.Name", "Give the character a name.");
        Max("Draft.Name", draft.Name, Limits.Name);
        Max("Draft.Nickname", draft.Nickname, Limits.Nickname);
        Max("Draft.Tagline", draft.Tagline, Limits.Tagline);
        Max("Draft.Description", draft.Description, Limits.Description);
        Max("Draft.Personality.Summary", draft.Personality.Summary, Limits.Summary);
        Max("Draft.Background", draft.Background, Limits.Background);
        Max("Draft.Scenario", draft.Scenario, Limits.Scenario);
        Max("Draft.FirstMessage", draft.FirstMessage, Limits.FirstMessage);
        Max("Draft.ExampleDialogues", draft.ExampleDialogues, Limits.ExampleDialogues);
        Max("Draft.SystemPrompt", draft.SystemPrompt, Limits.SystemPrompt);
        Max("Draft.PostHistoryInstructions", draft.PostHistoryInstructions, Limits.PostHistory);
        Max("Draft.CreatorNotes", draft.CreatorNotes, Limits.CreatorNotes);
        Max("Draft.Personality.Speech.Vocabulary", draft.Personality.Speech.Vocabulary, Limits.Vocabulary);
        Max("Draft.Personality.Speech.Quirks", draft.Personality.Speech.Quirks, Limits.Quirks);
        if (draft.AlternateGreetings.Count > Limits.Greetings)
            errors.Add("Draft.AlternateGreetings", $"Use at most {Limits.Greetings} alternate greetings.");
        if (draft.AlternateGreetings.Any(g => g.Length > Limits.Greeting))
            errors.Add("Draft.AlternateGreetings", $"Each greeting may have at most {Limits.Greeting:N0} characters.");
        if (draft.Tags.Count > Limits.Tags) errors.Add("Draft.Tags", $"Use at most {Limits.Tags} tags (this has {draft.Tags.Count}).");
        if (draft.Tags.Any(t => t.Length > Limits.Tag)) errors.Add("Draft.Tags", $"Each tag may have at most {Limits.Tag} characters.");
        if (draft.Category is { } c && !categories.Contains(c)) errors.Add("Draft.Category", "Choose a category from the list.");
        if (draft.Traits.Count > Limits.Traits) errors.Add("Draft.Traits", $"Use at most {Limits.Traits} traits.");
        if (draft.Traits.Any(t => t.Name.Length > Limits.TraitName)) errors.Add("Draft.Traits", $"Each trait name may have at most {Limits.TraitName} characters.");
        foreach (var (field, list) in new[] { ("Draft.Personality.Likes", draft.Personality.Likes), ("Draft.Personality.Dislikes", draft.Personality.Dislikes) })
        {
            if (list.Count > Limits.ListItems) errors.Add(field, $"Use at most {Limits.ListItems} items.");
            if (list.Any(i => i.Length > Limits.ListItem)) errors.Add(field, $"Each item may have at most {Limits.ListItem} characters.");
        }
        if (draft.Personality.Speech.Catchphrases.Count > Limits.Catchphrases || draft.Personality.Speech.Catchphrases.Any(x => x.Length > Limits.Catchphrase))
            errors.Add("Draft.Personality.Speech.Catchphrases", $"Use at most {Limits.Catchphrases} catchphrases of {Limits.Catchphrase} characters.");
        var b = draft.Personality.BigFive;
        if (new[] { b.Openness, b.Conscientiousness, b.Extraversion, b.Agreeableness, b.Neuroticism }.Any(v => v is < 0 or > 100))
            errors.Add("Draft.Personality.BigFive", "Each Big Five value is between 0 and 100.");
        if (draft.Lorebook.Entries.Count > Limits.LorebookEntries)
            errors.Add("Draft.Lorebook", $"A lorebook may have at most {Limits.LorebookEntries:N0} entries.");
        for (var i = 0; i < draft.Lorebook.Entries.Count; i++)
        {
            var e = draft.Lorebook.Entries[i];
            if (e.Content.Length > Limits.EntryContent)
                errors.Add($"Draft.Lorebook.Entries[{i}].Content", $"Use at most {Limits.EntryContent:N0} characters.");
            if (e.Keys.Count + e.SecondaryKeys.Count > Limits.EntryKeys || e.Keys.Concat(e.SecondaryKeys).Any(k => k.Length > Limits.EntryKey))
                errors.Add($"Draft.Lorebook.Entries[{i}].Keys", $"Use at most {Limits.EntryKeys} keys of {Limits.EntryKey} characters.");
            if (!e.Constant && e.Keys.Count == 0 && e.Enabled)
                errors.Add($"Draft.Lorebook.Entries[{i}].Keys", "Give the entry at least one key, or make it constant.");
            if (e.UseRegex)
                foreach (var key in e.Keys.Concat(e.SecondaryKeys))
                    if (RegexKey.Problem(key) is { } problem)
                        errors.Add($"Draft.Lorebook.Entries[{i}].Keys", $"“{key}” is not a valid regular expression: {problem}");
        }
        var v = draft.Voice;
        if (v.Pitch is < 0 or > 2) errors.Add("Draft.Voice.Pitch", "Pitch is between 0 and 2.");
        if (v.Rate is < 0.1 or > 10) errors.Add("Draft.Voice.Rate", "Rate is between 0.1 and 10.");
        Max("Draft.Voice.VoiceName", v.VoiceName, Limits.VoiceName);
        Max("Draft.Voice.StyleNotes", v.StyleNotes, Limits.StyleNotes);
        if (!System.Text.RegularExpressions.Regex.IsMatch(v.Language, "^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$"))
            errors.Add("Draft.Voice.Language", "Use a language tag such as en-US or fr.");
        // PostgreSQL cannot store NUL in text or jsonb, so saving one would fail as a server error; anywhere in the
        // draft (extensions and hidden card data included) it is refused with a message instead.
        try
        {
            if (HasNul(JsonSerializer.SerializeToNode(draft, CharacterDraft.Json)))
                errors.Add("", "Some text contains a NUL character (U+0000), which cannot be saved. Remove it and save again.");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException) // JSON data holding "\ud800" alone
        {
            errors.Add("", "Some JSON data holds text that is not valid Unicode (an unpaired surrogate such as \\ud800). Fix it and save again.");
        }
        return (draft, errors);
    }

    private static bool HasNul(JsonNode? node) => node switch
    {
        JsonObject o => o.Any(p => p.Key.Contains('\0', StringComparison.Ordinal) || HasNul(p.Value)),
        JsonArray a => a.Any(HasNul),
        JsonValue v => v.TryGetValue<string>(out var s) && s.Contains('\0', StringComparison.Ordinal),
        _ => false,
    };
}

internal static class RegexKey
{
    /// <summary>Why a lorebook regex key would not compile (keys may be written /pattern/flags), or null.</summary>
    public static string? Problem(string key)
    {
        var pattern = key;
        if (key.Length > 2 && key[0] == '/' && key.LastIndexOf('/') > 0) pattern = key[1..key.LastIndexOf('/')];
        try
        {
            _ = new System.Text.RegularExpressions.Regex(pattern, System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromMilliseconds(50));
            return null;
        }
        catch (ArgumentException e)
        {
            return e.Message;
        }
    }
}
