using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CharacterHub.Modules.Characters.Domain;

/// <summary>
/// The editor's HTML form, shaped for model binding: list items are dictionaries keyed by a client-chosen index
/// (the ".index" convention), so items can be added and removed in the page without renumbering. Converts to and from
/// <see cref="CharacterDraft"/>; card data the form does not show (entry ids and extensions) rides in hidden JSON fields
/// so that nothing is lost by editing.
/// </summary>
internal sealed class CharacterForm
{
    public string? Name { get; set; }
    public string? Nickname { get; set; }
    public string? Tagline { get; set; }
    public string? Description { get; set; }
    public string? PersonalitySummary { get; set; }
    public int Openness { get; set; } = 50;
    public int Conscientiousness { get; set; } = 50;
    public int Extraversion { get; set; } = 50;
    public int Agreeableness { get; set; } = 50;
    public int Neuroticism { get; set; } = 50;
    public List<TraitForm> Traits { get; set; } = [];
    /// <summary>One per line.</summary>
    public string? Likes { get; set; }
    public string? Dislikes { get; set; }
    public string? Vocabulary { get; set; }
    public string? Quirks { get; set; }
    public string? Catchphrases { get; set; }
    public string? Background { get; set; }
    public string? Scenario { get; set; }
    public string? FirstMessage { get; set; }
    public List<string?> AlternateGreetings { get; set; } = [];
    public string? ExampleDialogues { get; set; }
    public string? SystemPrompt { get; set; }
    public string? PostHistoryInstructions { get; set; }
    public string? CreatorNotes { get; set; }
    public string? Category { get; set; }
    /// <summary>Comma-separated.</summary>
    public string? Tags { get; set; }
    public string Visibility { get; set; } = "private";
    public string? LorebookName { get; set; }
    public int? LorebookScanDepth { get; set; }
    public int? LorebookTokenBudget { get; set; }
    public bool LorebookRecursive { get; set; }
    public string? LorebookHiddenJson { get; set; }
    public List<EntryForm> Entries { get; set; } = [];
    public string VoiceProvider { get; set; } = "browser";
    public string? VoiceName { get; set; }
    public string? VoiceLanguage { get; set; } = "en-US";
    public double VoicePitch { get; set; } = 1.0;
    public double VoiceRate { get; set; } = 1.0;
    public string? VoiceStyleNotes { get; set; }
    /// <summary>The card's extensions as editable JSON ("advanced").</summary>
    public string? ExtensionsJson { get; set; }
    public string? VersionMessage { get; set; }

    public sealed class TraitForm
    {
        public string? Name { get; set; }
        public int Intensity { get; set; } = 50;
    }

    public sealed class EntryForm
    {
        public string? Keys { get; set; }
        public string? SecondaryKeys { get; set; }
        public string? Content { get; set; }
        public string? Comment { get; set; }
        public int InsertionOrder { get; set; } = 100;
        public int Priority { get; set; } = 10;
        public string Position { get; set; } = "before_char";
        public bool Enabled { get; set; } = true;
        public bool Constant { get; set; }
        public bool Selective { get; set; }
        public bool UseRegex { get; set; }
        public bool CaseSensitive { get; set; }
        /// <summary>The entry's id and extensions from its card, kept as they were.</summary>
        public string? HiddenJson { get; set; }
    }

    private static List<string> Lines(string? text) =>
        (text ?? "").Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();

    private static List<string> Commas(string? text) =>
        (text ?? "").Split(',').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();

    /// <summary>The draft, or a message for a field whose JSON could not be read.</summary>
    public (CharacterDraft Draft, string? ExtensionsProblem) ToDraft()
    {
        JsonObject extensions = [];
        string? problem = null;
        if (!string.IsNullOrWhiteSpace(ExtensionsJson))
        {
            try
            {
                extensions = JsonNode.Parse(ExtensionsJson) as JsonObject ?? throw new JsonException("not an object");
            }
            catch (JsonException e)
            {
                problem = $"Extensions must be a JSON object: {e.Message}";
            }
        }
        var hiddenBook = ParseObject(LorebookHiddenJson);
        var draft = new CharacterDraft
        {
            Name = Name ?? "", Nickname = Nickname ?? "", Tagline = Tagline ?? "", Description = Description ?? "",
            Personality = new Personality(PersonalitySummary ?? "",
                new BigFive(Openness, Conscientiousness, Extraversion, Agreeableness, Neuroticism),
                Lines(Likes), Lines(Dislikes), new SpeechStyle(Vocabulary ?? "", Quirks ?? "", Lines(Catchphrases))),
            Traits = Traits.Select(t => new Trait(t.Name ?? "", t.Intensity)).ToList(),
            Background = Background ?? "", Scenario = Scenario ?? "", FirstMessage = FirstMessage ?? "",
            AlternateGreetings = AlternateGreetings.Select(g => g ?? "").ToList(),
            ExampleDialogues = ExampleDialogues ?? "", SystemPrompt = SystemPrompt ?? "",
            PostHistoryInstructions = PostHistoryInstructions ?? "", CreatorNotes = CreatorNotes ?? "",
            Category = Category, Tags = Commas(Tags),
            Visibility = Enum.TryParse<Visibility>(Visibility, true, out var v) ? v : Domain.Visibility.Private,
            Lorebook = new LorebookData
            {
                Name = LorebookName ?? "", ScanDepth = LorebookScanDepth, TokenBudget = LorebookTokenBudget,
                RecursiveScanning = LorebookRecursive,
                Description = HiddenText(hiddenBook?["description"]),
                Extensions = hiddenBook?["extensions"] as JsonObject is { } be ? (JsonObject)be.DeepClone() : [],
                Entries = Entries.Select(e =>
                {
                    var hidden = ParseObject(e.HiddenJson);
                    return new LorebookEntryData
                    {
                        Keys = Commas(e.Keys), SecondaryKeys = Commas(e.SecondaryKeys), Content = e.Content ?? "",
                        Comment = e.Comment ?? "", InsertionOrder = e.InsertionOrder, Priority = e.Priority, Position = e.Position,
                        Enabled = e.Enabled, Constant = e.Constant, Selective = e.Selective, UseRegex = e.UseRegex,
                        CaseSensitive = e.CaseSensitive, Id = hidden?["id"]?.DeepClone(),
                        Extensions = hidden?["extensions"] as JsonObject is { } x ? (JsonObject)x.DeepClone() : [],
                    };
                }).ToList(),
            },
            Voice = new VoiceConfig(VoiceProvider == "tts" ? Domain.VoiceProvider.Tts : Domain.VoiceProvider.Browser,
                VoiceName ?? "", VoiceLanguage ?? "en-US", VoicePitch, VoiceRate, VoiceStyleNotes ?? ""),
            Extensions = extensions,
        };
        return (draft, problem);
    }

    public static CharacterForm FromDraft(CharacterDraft d) => new()
    {
        Name = d.Name, Nickname = d.Nickname, Tagline = d.Tagline, Description = d.Description,
        PersonalitySummary = d.Personality.Summary,
        Openness = d.Personality.BigFive.Openness, Conscientiousness = d.Personality.BigFive.Conscientiousness,
        Extraversion = d.Personality.BigFive.Extraversion, Agreeableness = d.Personality.BigFive.Agreeableness,
        Neuroticism = d.Personality.BigFive.Neuroticism,
        Traits = d.Traits.Select(t => new TraitForm { Name = t.Name, Intensity = t.Intensity }).ToList(),
        Likes = string.Join("\n", d.Personality.Likes), Dislikes = string.Join("\n", d.Personality.Dislikes),
        Vocabulary = d.Personality.Speech.Vocabulary, Quirks = d.Personality.Speech.Quirks,
        Catchphrases = string.Join("\n", d.Personality.Speech.Catchphrases),
        Background = d.Background, Scenario = d.Scenario, FirstMessage = d.FirstMessage,
        AlternateGreetings = [.. d.AlternateGreetings], ExampleDialogues = d.ExampleDialogues, SystemPrompt = d.SystemPrompt,
        PostHistoryInstructions = d.PostHistoryInstructions, CreatorNotes = d.CreatorNotes, Category = d.Category,
        Tags = string.Join(", ", d.Tags), Visibility = d.Visibility.ToString().ToLowerInvariant(),
        LorebookName = d.Lorebook.Name, LorebookScanDepth = d.Lorebook.ScanDepth, LorebookTokenBudget = d.Lorebook.TokenBudget,
        LorebookRecursive = d.Lorebook.RecursiveScanning,
        LorebookHiddenJson = new JsonObject { ["description"] = d.Lorebook.Description, ["extensions"] = d.Lorebook.Extensions.DeepClone() }.ToJsonString(),
        Entries = d.Lorebook.Entries.Select(e => new EntryForm
        {
            Keys = string.Join(", ", e.Keys), SecondaryKeys = string.Join(", ", e.SecondaryKeys), Content = e.Content,
            Comment = e.Comment, InsertionOrder = e.InsertionOrder, Priority = e.Priority, Position = e.Position,
            Enabled = e.Enabled, Constant = e.Constant, Selective = e.Selective, UseRegex = e.UseRegex, CaseSensitive = e.CaseSensitive,
            HiddenJson = new JsonObject { ["id"] = e.Id?.DeepClone(), ["extensions"] = e.Extensions.DeepClone() }.ToJsonString(),
        }).ToList(),
        VoiceProvider = d.Voice.Provider == Domain.VoiceProvider.Tts ? "tts" : "browser", VoiceName = d.Voice.VoiceName,
        VoiceLanguage = d.Voice.Language, VoicePitch = d.Voice.Pitch, VoiceRate = d.Voice.Rate, VoiceStyleNotes = d.Voice.StyleNotes,
        ExtensionsJson = d.Extensions.Count == 0 ? "" : d.Extensions.ToJsonString(new JsonSerializerOptions { WriteIndented = true }),
    };

    /// <summary>A string from the hidden card data, or "" when it is not one (or not valid Unicode): the field
    /// round-trips what the server wrote, so anything else was edited by hand.</summary>
    private static string HiddenText(JsonNode? node)
    {
        try
        {
            return node is JsonValue value && value.TryGetValue<string>(out var text) ? text : "";
        }
        catch (InvalidOperationException)
        {
            return "";
        }
    }

    private static JsonObject? ParseObject(string? json)
    {
        if (string.IsNullOrWhiteSpace(json)) return null;
        try { return JsonNode.Parse(json) as JsonObject; }
        catch (JsonException) { return null; }
    }

    public static string Format(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);
}
