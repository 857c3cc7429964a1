using System.Text.Json.Nodes;

namespace CharacterHub.Modules.Characters.Cards;

/// <summary>The card format a file was written in. Pygmalion is the pre-TavernAI JSON shape.</summary>
internal enum CardSpec { V1, V2, V3, Pygmalion }

/// <summary>How the card was packaged in the file.</summary>
internal enum CardContainer { Json, Png, Charx, JpegCharx }

/// <summary>
/// One character, able to hold everything a V1, V2 or V3 card carries. Every field the V3 spec names is typed;
/// anything else is kept verbatim in the <c>Unknown*</c> objects so an export writes back what the import saw
/// (the V2 spec's "never drop unknown keys" rule).
/// </summary>
internal sealed class CharacterCard
{
    public string Name { get; set; } = "";
    public string Description { get; set; } = "";
    public string Personality { get; set; } = "";
    public string Scenario { get; set; } = "";
    public string FirstMessage { get; set; } = "";
    public string MessageExamples { get; set; } = "";
    public string CreatorNotes { get; set; } = "";
    public string SystemPrompt { get; set; } = "";
    public string PostHistoryInstructions { get; set; } = "";
    public List<string> AlternateGreetings { get; set; } = [];
    public List<string> Tags { get; set; } = [];
    public string Creator { get; set; } = "";
    public string CharacterVersion { get; set; } = "";

    /// <summary>Kept as raw JSON: tools put arbitrary, nested data here (SillyTavern, chub.ai, RisuAI).</summary>
    public JsonObject Extensions { get; set; } = [];

    public Lorebook? CharacterBook { get; set; }

    // V3 additions.
    public string? Nickname { get; set; }
    public Dictionary<string, string>? CreatorNotesMultilingual { get; set; }
    public List<string>? Source { get; set; }
    public List<string> GroupOnlyGreetings { get; set; } = [];
    public long? CreationDate { get; set; }
    public long? ModificationDate { get; set; }

    /// <summary>Null means "absent", which V3 defines as the single default icon; an empty list means "no assets".</summary>
    public List<CardAsset>? Assets { get; set; }

    /// <summary>Keys inside <c>data</c> (or, for V1, at the root) that no spec names, e.g. chub.ai's <c>avatar</c>.</summary>
    public JsonObject UnknownData { get; set; } = [];

    /// <summary>Keys next to <c>spec</c>/<c>data</c> (or V1's extra root keys such as <c>chat</c>, <c>create_date</c>).</summary>
    public JsonObject UnknownTopLevel { get; set; } = [];
}

/// <summary>A V3 asset reference. <see cref="Uri"/> may be http(s), a data URL, <c>embeded://</c>, <c>__asset:</c> or <c>ccdefault:</c>.</summary>
internal sealed class CardAsset
{
    public string Type { get; set; } = "";
    public string Uri { get; set; } = "";
    public string Name { get; set; } = "";
    public string Ext { get; set; } = "";
    public JsonObject Unknown { get; set; } = [];

    public static CardAsset DefaultIcon() => new() { Type = "icon", Uri = "ccdefault:", Name = "main", Ext = "png" };
}

/// <summary>A lorebook (V2 <c>character_book</c>, V3 <c>lorebook_v3</c> data, or converted SillyTavern World Info).</summary>
internal sealed class Lorebook
{
    public string? Name { get; set; }
    public string? Description { get; set; }
    public int? ScanDepth { get; set; }
    public int? TokenBudget { get; set; }
    public bool? RecursiveScanning { get; set; }
    public JsonObject Extensions { get; set; } = [];
    public List<LorebookEntry> Entries { get; set; } = [];
    public JsonObject Unknown { get; set; } = [];

    /// <summary>Keys next to <c>spec</c>/<c>data</c> in a standalone <c>lorebook_v3</c> file; unused inside a card.</summary>
    public JsonObject UnknownTopLevel { get; set; } = [];
}

internal sealed class LorebookEntry
{
    public List<string> Keys { get; set; } = [];
    public List<string>? SecondaryKeys { get; set; }

    /// <summary>The original text, decorator lines included; see <see cref="Decorators"/> for the parsed view.</summary>
    public string Content { get; set; } = "";
    public JsonObject Extensions { get; set; } = [];
    public bool Enabled { get; set; } = true;
    public int InsertionOrder { get; set; }
    public bool? CaseSensitive { get; set; }
    public bool UseRegex { get; set; }
    public bool? Constant { get; set; }
    public string? Name { get; set; }
    public int? Priority { get; set; }
    public LorebookEntryId? Id { get; set; }
    public string? Comment { get; set; }
    public bool? Selective { get; set; }

    /// <summary><c>before_char</c> or <c>after_char</c> per spec; kept as text because tools write other values.</summary>
    public string? Position { get; set; }
    public JsonObject Unknown { get; set; } = [];

    /// <summary>Parsed on demand so editing <see cref="Content"/> can never get out of step with it.</summary>
    public LorebookDecorators Decorators => LorebookDecorators.Parse(Content);
}

/// <summary>A V3 entry id is "number or string"; a number stays a number when written back.</summary>
internal readonly record struct LorebookEntryId
{
    public long? Number { get; }
    public string? Text { get; }

    private LorebookEntryId(long? number, string? text) { Number = number; Text = text; }

    public static LorebookEntryId FromNumber(long number) => new(number, null);
    public static LorebookEntryId FromText(string text) => new(null, text);

    public override string ToString() => Number?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? Text ?? "";
}
