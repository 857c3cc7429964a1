using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;

namespace CharacterHub.Modules.Characters.Cards;

/// <summary>
/// Maps card JSON to <see cref="CharacterCard"/> and back. Reading is tolerant (numbers written as strings, empty
/// strings in numeric fields, nulls, missing fields); every key it does not know is moved, not copied, into the
/// model's <c>Unknown*</c> objects so nothing is lost and nothing is cloned on the hot path.
/// </summary>
internal static class CardJson
{
    public const string SpecV2 = "chara_card_v2";
    public const string SpecV3 = "chara_card_v3";
    public const string SpecLorebookV3 = "lorebook_v3";

    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        AllowTrailingCommas = true,
        CommentHandling = JsonCommentHandling.Skip,
        MaxDepth = 128,
    };

    // Non-ASCII text stays readable (a Japanese card would otherwise triple in size as \uXXXX escapes); the
    // HTML-sensitive characters stay escaped because these files end up inside web pages too.
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.Create(UnicodeRanges.All),
        Indented = false,
    };

    private static readonly string[] V1MirrorKeys = ["name", "description", "personality", "scenario", "first_mes", "mes_example"];

    /// <summary>Parses UTF-8 JSON text (a BOM is skipped) into an object, or throws <see cref="CardReadException"/>.</summary>
    public static JsonObject ParseObject(ReadOnlySpan<byte> utf8, int maxBytes, string what)
    {
        if (utf8.StartsWith("\uFEFF"u8)) utf8 = utf8[3..];
        if (utf8.Length > maxBytes)
            throw new CardReadException($"The {what} is {Size(utf8.Length)}; at most {Size(maxBytes)} is accepted.");
        // System.Text.Json checks UTF-8 only when a string is read, long after parsing; checking up front turns
        // a later crash in some field into one clear message (and the check is vectorised, so it is cheap).
        if (!Utf8.IsValid(utf8)) throw new CardReadException($"The {what} is not valid UTF-8 text.");
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(utf8, nodeOptions: null, DocumentOptions);
        }
        catch (JsonException e)
        {
            throw new CardReadException($"The {what} is not valid JSON ({Describe(e)}).");
        }
        catch (ArgumentException)
        {
            throw new CardReadException($"The {what} is not valid JSON (a key appears twice in one object).");
        }
        return node as JsonObject ?? throw new CardReadException($"The {what} is JSON but not an object.");
    }

    private static string Describe(JsonException e) =>
        e.LineNumber is { } line ? $"line {line + 1}, position {e.BytePositionInLine + 1}" : "unreadable text";

    public static string Size(long bytes) => bytes >= 1024 * 1024
        ? (bytes / (1024.0 * 1024)).ToString("0.#", CultureInfo.InvariantCulture) + " MB"
        : bytes >= 1024 ? (bytes / 1024.0).ToString("0.#", CultureInfo.InvariantCulture) + " KB" : bytes + " bytes";

    // ---------------------------------------------------------------- reading cards

    /// <summary>Reads a card from its root object. The object is consumed: its children move into the model.</summary>
    public static CharacterCard ReadCard(JsonObject root, string fallbackName, List<string> warnings, out CardSpec spec)
    {
        var specName = Text(root["spec"]);
        var version = Number(root["spec_version"]);
        var data = root["data"] as JsonObject;

        if (string.Equals(specName, SpecLorebookV3, StringComparison.Ordinal) || IsWorldInfo(root))
            throw new CardReadException("This file is a lorebook (world info), not a character card: import it as a lorebook.");

        var card = new CharacterCard();
        if (specName is SpecV2 or SpecV3 || data is not null && (specName is null || version is not null))
        {
            if (data is null) throw new CardReadException($"The card says it is {specName} but has no \"data\" object.");
            // The spec says compare versions as numbers: "3", 3, "3.0" and 3.1 are all V3.
            spec = specName == SpecV3 || version >= 3 ? CardSpec.V3 : CardSpec.V2;
            foreach (var (key, value) in Drain(root))
                if (key is not ("spec" or "spec_version" or "data")) card.UnknownTopLevel[key] = value;
            ReadData(data, card, card.UnknownData, warnings);
        }
        else if (root.ContainsKey("char_name") || root.ContainsKey("char_persona") || root.ContainsKey("char_greeting"))
        {
            spec = CardSpec.Pygmalion;
            var renamed = new JsonObject();
            foreach (var (key, value) in Drain(root))
            {
                var mapped = key switch
                {
                    "char_name" => "name",
                    "char_persona" => "description",
                    "char_greeting" => "first_mes",
                    "example_dialogue" => "mes_example",
                    "world_scenario" => "scenario",
                    _ => key,
                };
                // A file carrying both spellings keeps the first typed and the other verbatim.
                if (!renamed.ContainsKey(mapped)) renamed[mapped] = value;
                else card.UnknownTopLevel[key] = value;
            }
            ReadData(renamed, card, card.UnknownTopLevel, warnings);
        }
        else if (V1MirrorKeys.Any(root.ContainsKey))
        {
            spec = CardSpec.V1;
            ReadData(root, card, card.UnknownTopLevel, warnings);
        }
        else
        {
            throw new CardReadException("The JSON holds no character: none of name, description, first_mes or data was found.");
        }

        if (string.IsNullOrWhiteSpace(card.Name))
        {
            card.Name = fallbackName;
            warnings.Add($"The card has no name; it was named \"{fallbackName}\" after the file.");
        }
        return card;
    }

    private static bool IsWorldInfo(JsonObject root) =>
        root["entries"] is JsonObject or JsonArray && !root.ContainsKey("name") && !root.ContainsKey("data");

    /// <summary>Detaches every property so the values can be re-parented without a deep clone.</summary>
    private static List<KeyValuePair<string, JsonNode?>> Drain(JsonObject obj)
    {
        var list = new List<KeyValuePair<string, JsonNode?>>(obj.Count);
        foreach (var pair in obj) list.Add(pair);
        obj.Clear();
        return list;
    }

    private static void ReadData(JsonObject data, CharacterCard card, JsonObject unknown, List<string> warnings)
    {
        foreach (var (key, value) in Drain(data))
        {
            switch (key)
            {
                case "name": card.Name = Text(value) ?? ""; break;
                case "description": card.Description = Text(value) ?? ""; break;
                case "personality": card.Personality = Text(value) ?? ""; break;
                case "scenario": card.Scenario = Text(value) ?? ""; break;
                case "first_mes": card.FirstMessage = Text(value) ?? ""; break;
                case "mes_example": card.MessageExamples = Text(value) ?? ""; break;
                case "creator_notes": card.CreatorNotes = Text(value) ?? ""; break;
                case "system_prompt": card.SystemPrompt = Text(value) ?? ""; break;
                case "post_history_instructions": card.PostHistoryInstructions = Text(value) ?? ""; break;
                case "alternate_greetings": card.AlternateGreetings = TextList(value, splitCommas: false) ?? []; break;
                case "tags": card.Tags = TextList(value, splitCommas: true) ?? []; break;
                case "creator": card.Creator = Text(value) ?? ""; break;
                case "character_version": card.CharacterVersion = Text(value) ?? ""; break;
                case "extensions":
                    card.Extensions = ObjectOrKeep(value, key, unknown, warnings) ?? [];
                    break;
                case "character_book":
                    if (value is JsonObject book) card.CharacterBook = ReadLorebook(book, warnings);
                    else if (value is not null) KeepWrongType(key, value, unknown, warnings);
                    break;
                case "nickname": card.Nickname = Text(value); break;
                case "creator_notes_multilingual":
                    if (value is JsonObject notes)
                    {
                        var map = new Dictionary<string, string>(notes.Count, StringComparer.Ordinal);
                        foreach (var (lang, text) in notes)
                            if (Text(text) is { } t) map[lang] = t;
                        card.CreatorNotesMultilingual = map;
                    }
                    else if (value is not null) KeepWrongType(key, value, unknown, warnings);
                    break;
                case "source": card.Source = TextList(value, splitCommas: false); break;
                case "group_only_greetings": card.GroupOnlyGreetings = TextList(value, splitCommas: false) ?? []; break;
                case "creation_date": card.CreationDate = Long(value); break;
                case "modification_date": card.ModificationDate = Long(value); break;
                case "assets":
                    if (value is JsonArray assets) card.Assets = ReadAssets(assets);
                    else if (value is not null) KeepWrongType(key, value, unknown, warnings);
                    break;
                default:
                    unknown[key] = value;
                    break;
            }
        }
    }

    private static JsonObject? ObjectOrKeep(JsonNode? value, string key, JsonObject unknown, List<string> warnings)
    {
        if (value is JsonObject obj) return obj;
        if (value is not null) KeepWrongType(key, value, unknown, warnings);
        return null;
    }

    // A field of the wrong shape (say, extensions as a string) cannot be typed, but dropping it would lose data.
    private static void KeepWrongType(string key, JsonNode value, JsonObject unknown, List<string> warnings)
    {
        warnings.Add($"\"{key}\" has an unexpected type ({value.GetValueKind()}); it was kept as it is but not used.");
        unknown["_invalid_" + key] = value;
    }

    private static List<CardAsset> ReadAssets(JsonArray array)
    {
        var list = new List<CardAsset>(array.Count);
        var items = array.ToArray();
        array.Clear();
        foreach (var item in items)
        {
            if (item is not JsonObject obj) continue;
            var asset = new CardAsset();
            foreach (var (key, value) in Drain(obj))
            {
                switch (key)
                {
                    case "type": asset.Type = Text(value) ?? ""; break;
                    case "uri": asset.Uri = Text(value) ?? ""; break;
                    case "name": asset.Name = Text(value) ?? ""; break;
                    case "ext": asset.Ext = Text(value) ?? ""; break;
                    default: asset.Unknown[key] = value; break;
                }
            }
            list.Add(asset);
        }
        return list;
    }

    public static Lorebook ReadLorebook(JsonObject obj, List<string> warnings)
    {
        var book = new Lorebook();
        foreach (var (key, value) in Drain(obj))
        {
            switch (key)
            {
                case "name": book.Name = Text(value); break;
                case "description": book.Description = Text(value); break;
                case "scan_depth": book.ScanDepth = Int(value); break;
                case "token_budget": book.TokenBudget = Int(value); break;
                case "recursive_scanning": book.RecursiveScanning = Bool(value); break;
                case "extensions": book.Extensions = ObjectOrKeep(value, key, book.Unknown, warnings) ?? []; break;
                case "entries":
                    // Some exporters write the entries as a map keyed by id instead of an array.
                    IEnumerable<JsonNode?> entries = value switch
                    {
                        JsonArray a => a.ToArray(),
                        JsonObject o => Drain(o).Select(p => p.Value).ToArray(),
                        _ => [],
                    };
                    (value as JsonArray)?.Clear();
                    foreach (var entry in entries)
                        if (entry is JsonObject e) book.Entries.Add(ReadEntry(e, warnings));
                    break;
                default: book.Unknown[key] = value; break;
            }
        }
        return book;
    }

    private static LorebookEntry ReadEntry(JsonObject obj, List<string> warnings)
    {
        var entry = new LorebookEntry();
        foreach (var (key, value) in Drain(obj))
        {
            switch (key)
            {
                case "keys": entry.Keys = TextList(value, splitCommas: true) ?? []; break;
                case "secondary_keys": entry.SecondaryKeys = TextList(value, splitCommas: true); break;
                case "content": entry.Content = Text(value) ?? ""; break;
                case "extensions": entry.Extensions = ObjectOrKeep(value, key, entry.Unknown, warnings) ?? []; break;
                case "enabled": entry.Enabled = Bool(value) ?? true; break;
                case "insertion_order": entry.InsertionOrder = Int(value) ?? 0; break;
                case "case_sensitive": entry.CaseSensitive = Bool(value); break;
                case "use_regex": entry.UseRegex = Bool(value) ?? false; break;
                case "constant": entry.Constant = Bool(value); break;
                case "name": entry.Name = Text(value); break;
                case "priority": entry.Priority = Int(value); break;
                case "id": entry.Id = EntryId(value); break;
                case "comment": entry.Comment = Text(value); break;
                case "selective": entry.Selective = Bool(value); break;
                case "position": entry.Position = Text(value); break;
                default: entry.Unknown[key] = value; break;
            }
        }
        return entry;
    }

    // ---------------------------------------------------------------- tolerant scalar readers

    public static string? Text(JsonNode? node) => node switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() is JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => v.ToJsonString(),
        _ => null,
    };

    public static List<string>? TextList(JsonNode? node, bool splitCommas)
    {
        switch (node)
        {
            case JsonArray array:
                var list = new List<string>(array.Count);
                foreach (var item in array)
                    if (Text(item) is { } s) list.Add(s);
                return list;
            case JsonValue:
                var text = Text(node);
                if (text is null) return null;
                if (text.Length == 0) return [];
                return splitCommas
                    ? [.. text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)]
                    : [text];
            default:
                return null;
        }
    }

    public static double? Number(JsonNode? node)
    {
        if (node is not JsonValue v) return null;
        switch (v.GetValueKind())
        {
            case JsonValueKind.Number:
                return v.TryGetValue<double>(out var d) ? d : double.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out d) ? d : null;
            case JsonValueKind.String:
                var s = v.GetValue<string>().Trim();
                return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) && double.IsFinite(parsed) ? parsed : null;
            default:
                return null;
        }
    }

    public static int? Int(JsonNode? node) => Number(node) is { } d ? (int)Math.Clamp(Math.Round(d), int.MinValue, int.MaxValue) : null;

    public static long? Long(JsonNode? node) => Number(node) is { } d ? (long)Math.Clamp(Math.Round(d), long.MinValue, long.MaxValue) : null;

    public static bool? Bool(JsonNode? node)
    {
        if (node is not JsonValue v) return null;
        return v.GetValueKind() switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Number => Number(v) is { } d ? d != 0 : null,
            JsonValueKind.String => v.GetValue<string>().Trim().ToLowerInvariant() switch
            {
                "true" or "1" or "yes" or "on" => true,
                "false" or "0" or "no" or "off" => false,
                _ => null,
            },
            _ => null,
        };
    }

    private static LorebookEntryId? EntryId(JsonNode? node)
    {
        if (node is not JsonValue v) return null;
        if (v.GetValueKind() == JsonValueKind.Number)
            return v.TryGetValue<long>(out var n) ? LorebookEntryId.FromNumber(n) : LorebookEntryId.FromText(v.ToJsonString());
        return Text(v) is { } s ? LorebookEntryId.FromText(s) : null;
    }

    // ---------------------------------------------------------------- writing

    public static JsonObject ToJson(CharacterCard card, CardSpec spec)
    {
        if (spec is not (CardSpec.V2 or CardSpec.V3))
            throw new ArgumentOutOfRangeException(nameof(spec), spec, "Cards are written as V2 or V3.");
        var root = new JsonObject
        {
            ["spec"] = spec == CardSpec.V3 ? SpecV3 : SpecV2,
            ["spec_version"] = spec == CardSpec.V3 ? "3.0" : "2.0",
            ["data"] = DataToJson(card),
        };
        foreach (var (key, value) in card.UnknownTopLevel)
        {
            if (root.ContainsKey(key)) continue;
            // V1-era mirrors of the data fields (old SillyTavern exports, converted V1 cards) must follow edits,
            // otherwise an old reader would show the stale text.
            root[key] = key switch
            {
                "name" when value is JsonValue => card.Name,
                "description" when value is JsonValue => card.Description,
                "personality" when value is JsonValue => card.Personality,
                "scenario" when value is JsonValue => card.Scenario,
                "first_mes" when value is JsonValue => card.FirstMessage,
                "mes_example" when value is JsonValue => card.MessageExamples,
                _ => value?.DeepClone(),
            };
        }
        return root;
    }

    /// <summary>
    /// The same <c>data</c> object serves V2 and V3. V3-only fields are written inside V2's <c>data</c> too, as
    /// SillyTavern does (its <c>chara</c> chunk carries <c>group_only_greetings</c> and entry <c>use_regex</c>):
    /// V2 readers keep unknown data keys, and a V3-aware reader of a V2-only file still gets every field back.
    /// Moving them under <c>extensions</c> instead would make a V2→V3 round trip depend on a private convention.
    /// </summary>
    private static JsonObject DataToJson(CharacterCard card)
    {
        var data = new JsonObject
        {
            ["name"] = card.Name,
            ["description"] = card.Description,
            ["personality"] = card.Personality,
            ["scenario"] = card.Scenario,
            ["first_mes"] = card.FirstMessage,
            ["mes_example"] = card.MessageExamples,
            ["creator_notes"] = card.CreatorNotes,
            ["system_prompt"] = card.SystemPrompt,
            ["post_history_instructions"] = card.PostHistoryInstructions,
            ["alternate_greetings"] = StringArray(card.AlternateGreetings),
            ["tags"] = StringArray(card.Tags),
            ["creator"] = card.Creator,
            ["character_version"] = card.CharacterVersion,
            ["extensions"] = card.Extensions.DeepClone(),
        };
        if (card.CharacterBook is { } book) data["character_book"] = LorebookToJson(book);
        data["group_only_greetings"] = StringArray(card.GroupOnlyGreetings);
        if (card.Nickname is { } nickname) data["nickname"] = nickname;
        if (card.CreatorNotesMultilingual is { } notes)
        {
            var obj = new JsonObject();
            foreach (var (lang, text) in notes) obj[lang] = text;
            data["creator_notes_multilingual"] = obj;
        }
        if (card.Source is { } source) data["source"] = StringArray(source);
        if (card.CreationDate is { } created) data["creation_date"] = created;
        if (card.ModificationDate is { } modified) data["modification_date"] = modified;
        if (card.Assets is { } assets)
        {
            var array = new JsonArray();
            foreach (var asset in assets)
            {
                var obj = new JsonObject { ["type"] = asset.Type, ["uri"] = asset.Uri, ["name"] = asset.Name, ["ext"] = asset.Ext };
                CopyUnknown(asset.Unknown, obj);
                array.Add(obj);
            }
            data["assets"] = array;
        }
        CopyUnknown(card.UnknownData, data);
        return data;
    }

    public static JsonObject LorebookToJson(Lorebook book)
    {
        var obj = new JsonObject();
        if (book.Name is { } name) obj["name"] = name;
        if (book.Description is { } description) obj["description"] = description;
        if (book.ScanDepth is { } scanDepth) obj["scan_depth"] = scanDepth;
        if (book.TokenBudget is { } budget) obj["token_budget"] = budget;
        if (book.RecursiveScanning is { } recursive) obj["recursive_scanning"] = recursive;
        obj["extensions"] = book.Extensions.DeepClone();
        var entries = new JsonArray();
        foreach (var entry in book.Entries) entries.Add(EntryToJson(entry));
        obj["entries"] = entries;
        CopyUnknown(book.Unknown, obj);
        return obj;
    }

    private static JsonObject EntryToJson(LorebookEntry entry)
    {
        var obj = new JsonObject
        {
            ["keys"] = StringArray(entry.Keys),
            ["content"] = entry.Content,
            ["extensions"] = entry.Extensions.DeepClone(),
            ["enabled"] = entry.Enabled,
            ["insertion_order"] = entry.InsertionOrder,
            ["use_regex"] = entry.UseRegex,
        };
        if (entry.SecondaryKeys is { } secondary) obj["secondary_keys"] = StringArray(secondary);
        if (entry.CaseSensitive is { } caseSensitive) obj["case_sensitive"] = caseSensitive;
        if (entry.Constant is { } constant) obj["constant"] = constant;
        if (entry.Name is { } name) obj["name"] = name;
        if (entry.Priority is { } priority) obj["priority"] = priority;
        if (entry.Id is { } id) obj["id"] = id.Number is { } n ? JsonValue.Create(n) : JsonValue.Create(id.Text);
        if (entry.Comment is { } comment) obj["comment"] = comment;
        if (entry.Selective is { } selective) obj["selective"] = selective;
        if (entry.Position is { } position) obj["position"] = position;
        CopyUnknown(entry.Unknown, obj);
        return obj;
    }

    private static void CopyUnknown(JsonObject unknown, JsonObject target)
    {
        foreach (var (key, value) in unknown)
            if (!target.ContainsKey(key)) target[key] = value?.DeepClone();
    }

    private static JsonArray StringArray(List<string> items)
    {
        var array = new JsonArray();
        foreach (var item in items) array.Add(item);
        return array;
    }

    public static byte[] ToUtf8(JsonNode node)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions)) node.WriteTo(writer);
        return buffer.WrittenSpan.ToArray();
    }
}
