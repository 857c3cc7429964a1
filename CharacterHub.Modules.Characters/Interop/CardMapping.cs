using System.Text.Json;
using System.Text.Json.Nodes;
using CharacterHub.Kernel.Validation;
using CharacterHub.Modules.Characters.Cards;
using CharacterHub.Modules.Characters.Domain;

namespace CharacterHub.Modules.Characters.Interop;

/// <summary>
/// CharacterCard ↔ CharacterDraft. Our editor normalises text (trims, LF line endings, lower-case tags, at most 30)
/// and has no place for some card fields, so a plain mapping would lose data. The rule used here:
/// <list type="bullet">
/// <item>Card fields we do not model (creator, character_version, source, dates, assets, unknown keys...) are kept
/// verbatim in <c>extensions.characterhub_card.data</c> (and root-level unknowns in <c>.top</c>).</item>
/// <item>For a modeled field whose normalised value differs from the card's, the card's value and the value we stored
/// are both kept (<c>.verbatim[key] = {card, draft}</c>). Export writes the card's value back as long as the field
/// still holds what we stored; once the user edits it, the edit wins. Lorebook entries do the same per entry
/// (<c>entry.extensions.characterhub_entry</c>), so one edited entry does not cost the others their fidelity.</item>
/// <item>Our own fields that cards lack (tagline, background, traits, Big Five, voice...) travel in
/// <c>extensions.characterhub</c> and are read back on import.</item>
/// </list>
/// Fields longer than our limits are not truncated: <see cref="ToDraft"/> reports them and the card is refused.
/// </summary>
internal static class CardMapping
{
    public const string ReservedKey = "characterhub_card";
    public const string EntryReservedKey = "characterhub_entry";
    public const string OwnFieldsKey = "characterhub";

    /// <summary>Data keys that map to draft fields; every other data key is kept verbatim.</summary>
    private static readonly string[] ModeledKeys =
    [
        "name", "description", "personality", "scenario", "first_mes", "mes_example", "creator_notes", "system_prompt",
        "post_history_instructions", "alternate_greetings", "tags", "nickname", "character_book", "extensions",
    ];

    private static readonly string[] BookScalarKeys = ["name", "description", "scan_depth", "token_budget", "recursive_scanning"];

    /// <summary>The draft for a card, already normalised as the save handlers would; errors name the fields over our limits.</summary>
    public static (CharacterDraft Draft, FieldErrors Errors) ToDraft(CharacterCard card, IReadOnlySet<string> categories)
    {
        var cardJson = CardWriter.ToJsonObject(card, CardSpec.V3);
        var data = (JsonObject)cardJson["data"]!;
        var extensions = card.Extensions.DeepClone().AsObject();
        extensions.Remove(ReservedKey);
        var own = extensions[OwnFieldsKey] as JsonObject;
        extensions.Remove(OwnFieldsKey);

        var draft = new CharacterDraft
        {
            Name = card.Name,
            Nickname = card.Nickname ?? "",
            Description = card.Description,
            Personality = new Personality(card.Personality),
            Scenario = card.Scenario,
            FirstMessage = card.FirstMessage,
            AlternateGreetings = card.AlternateGreetings,
            ExampleDialogues = card.MessageExamples,
            SystemPrompt = card.SystemPrompt,
            PostHistoryInstructions = card.PostHistoryInstructions,
            CreatorNotes = card.CreatorNotes,
            // Tags longer than our limit are dropped rather than refusing the card: the originals are restored on export.
            Tags = NormalTags(card.Tags),
            Lorebook = card.CharacterBook is { } book ? BookToData(book) : new LorebookData(),
            Visibility = Visibility.Private,
            Extensions = extensions,
        };
        draft = ApplyOwnFields(draft, own);
        // A category this site does not have (another CharacterHub's list) is dropped, not a reason to refuse the card.
        if (draft.Category is { } category && !categories.Contains(category.Trim().ToLowerInvariant())) draft = draft with { Category = null };
        var (normalized, errors) = DraftRules.Normalize(draft, categories);
        if (!errors.IsEmpty) return (normalized, errors);

        var keep = new JsonObject();
        var kept = data.DeepClone().AsObject();
        foreach (var key in ModeledKeys) kept.Remove(key);
        if (kept.Count > 0) keep["data"] = kept;
        var top = cardJson.DeepClone().AsObject();
        foreach (var key in new[] { "spec", "spec_version", "data" }) top.Remove(key);
        if (top.Count > 0) keep["top"] = top;

        // Book-level scalars and unknown keys; entries carry their own verbatim record.
        if (data["character_book"] is JsonObject originalBook)
        {
            var bookKeep = originalBook.DeepClone().AsObject();
            bookKeep.Remove("entries");
            bookKeep.Remove("extensions");
            var mappedBook = BookScalars(normalized.Lorebook);
            if (!JsonNode.DeepEquals(bookKeep, mappedBook)) keep["book"] = new JsonObject { ["card"] = bookKeep, ["draft"] = mappedBook };
        }

        var mapped = ModeledData(normalized);
        var verbatim = new JsonObject();
        foreach (var key in ModeledKeys)
        {
            if (key is "extensions" or "character_book") continue;
            var original = data[key];
            var ours = mapped[key];
            if (!JsonNode.DeepEquals(original, ours))
                verbatim[key] = new JsonObject { ["card"] = original?.DeepClone(), ["draft"] = ours?.DeepClone(), ["present"] = data.ContainsKey(key) };
        }
        if (verbatim.Count > 0) keep["verbatim"] = verbatim;
        var finalExtensions = normalized.Extensions.DeepClone().AsObject();
        if (keep.Count > 0) finalExtensions[ReservedKey] = keep;
        return (normalized with { Extensions = finalExtensions }, errors);
    }

    /// <summary>The card for a draft: what an import kept comes back exactly unless the user changed that field.</summary>
    public static CharacterCard ToCard(CharacterDraft draft)
    {
        var keep = draft.Extensions[ReservedKey] as JsonObject ?? [];
        var data = ModeledData(draft);
        if (keep["verbatim"] is JsonObject verbatim)
        {
            foreach (var (key, node) in verbatim)
            {
                if (node is not JsonObject record || !JsonNode.DeepEquals(data[key], record["draft"])) continue;
                if (record["present"]?.GetValue<bool>() == false) data.Remove(key);
                else data[key] = record["card"]?.DeepClone();
            }
        }
        var extensions = draft.Extensions.DeepClone().AsObject();
        extensions.Remove(ReservedKey);
        extensions.Remove(OwnFieldsKey);
        if (OwnFields(draft) is { Count: > 0 } own) extensions[OwnFieldsKey] = own;
        data["extensions"] = extensions;

        if (draft.Lorebook.Entries.Count > 0 || keep.ContainsKey("book") || draft.Lorebook.Name.Length > 0)
        {
            var book = BookScalars(draft.Lorebook);
            if (keep["book"] is JsonObject bookRecord && JsonNode.DeepEquals(book, bookRecord["draft"]))
                book = bookRecord["card"]!.DeepClone().AsObject();
            book["extensions"] = draft.Lorebook.Extensions.DeepClone();
            book["entries"] = new JsonArray(draft.Lorebook.Entries.Select(e => (JsonNode)EntryToJson(e)).ToArray());
            data["character_book"] = book;
        }
        if (keep["data"] is JsonObject kept)
            foreach (var (key, value) in kept)
                if (!data.ContainsKey(key)) data[key] = value?.DeepClone();

        var root = new JsonObject { ["spec"] = CardJson.SpecV3, ["spec_version"] = "3.0", ["data"] = data };
        if (keep["top"] is JsonObject top)
            foreach (var (key, value) in top)
                if (!root.ContainsKey(key)) root[key] = value?.DeepClone();
        // Reading our own JSON back through the codec gives the typed card the writers need (and one code path
        // for unknown keys), at the cost of one parse per export.
        return CardJson.ReadCard(root, draft.Name, [], out _);
    }

    /// <summary>Lorebook entries (a standalone lorebook being attached) in our model, with the same verbatim records.</summary>
    public static LorebookData BookToData(Lorebook book)
    {
        var json = CardJson.LorebookToJson(book);
        var entries = (JsonArray)json["entries"]!;
        return new LorebookData
        {
            Name = book.Name ?? "",
            Description = book.Description ?? "",
            ScanDepth = book.ScanDepth,
            TokenBudget = book.TokenBudget,
            RecursiveScanning = book.RecursiveScanning ?? false,
            Extensions = book.Extensions.DeepClone().AsObject(),
            Entries = book.Entries.Select((e, i) => EntryToData(e, (JsonObject)entries[i]!)).ToList(),
        };
    }

    private static LorebookEntryData EntryToData(LorebookEntry entry, JsonObject original)
    {
        var extensions = entry.Extensions.DeepClone().AsObject();
        extensions.Remove(EntryReservedKey);
        var keys = entry.Keys.Select(Clean).Where(k => k.Length > 0).ToList();
        var secondary = (entry.SecondaryKeys ?? []).Select(Clean).Where(k => k.Length > 0).ToList();
        var useRegex = entry.UseRegex && keys.Concat(secondary).All(k => RegexKey.Problem(k) is null);
        var constant = entry.Constant ?? false;
        var data = new LorebookEntryData
        {
            Keys = keys,
            SecondaryKeys = secondary,
            Content = entry.Content.Replace("\r\n", "\n"),
            Comment = Clean(entry.Comment ?? entry.Name ?? ""),
            InsertionOrder = entry.InsertionOrder,
            Priority = entry.Priority ?? 10,
            Position = entry.Position is "after_char" ? "after_char" : "before_char",
            // An enabled entry without keys never fires in any tool; our editor refuses it, so it comes in disabled.
            Enabled = entry.Enabled && (keys.Count > 0 || constant),
            Constant = constant,
            Selective = entry.Selective ?? false,
            // Patterns .NET cannot compile are matched as plain text rather than refusing the card.
            UseRegex = useRegex,
            CaseSensitive = entry.CaseSensitive ?? false,
            Id = entry.Id is { } id ? (id.Number is { } n ? JsonValue.Create(n) : JsonValue.Create(id.Text)) : null,
            Extensions = extensions,
        };
        var cardShape = original.DeepClone().AsObject();
        cardShape.Remove("extensions");
        var ours = EntryShape(data);
        if (!JsonNode.DeepEquals(cardShape, ours))
        {
            var withRecord = extensions.DeepClone().AsObject();
            withRecord[EntryReservedKey] = new JsonObject { ["card"] = cardShape, ["draft"] = ours };
            data = data with { Extensions = withRecord };
        }
        return data;
    }

    private static JsonObject EntryToJson(LorebookEntryData entry)
    {
        var extensions = entry.Extensions.DeepClone().AsObject();
        var record = extensions[EntryReservedKey] as JsonObject;
        extensions.Remove(EntryReservedKey);
        var shape = EntryShape(entry);
        if (record is not null && JsonNode.DeepEquals(shape, record["draft"])) shape = record["card"]!.DeepClone().AsObject();
        shape["extensions"] = extensions;
        return shape;
    }

    /// <summary>An entry as a card writes it, without extensions; also the fingerprint of what we stored.</summary>
    private static JsonObject EntryShape(LorebookEntryData e)
    {
        var obj = new JsonObject
        {
            ["keys"] = Strings(e.Keys),
            ["content"] = e.Content,
            ["enabled"] = e.Enabled,
            ["insertion_order"] = e.InsertionOrder,
            ["use_regex"] = e.UseRegex,
            ["secondary_keys"] = Strings(e.SecondaryKeys),
            ["case_sensitive"] = e.CaseSensitive,
            ["constant"] = e.Constant,
            ["priority"] = e.Priority,
            ["comment"] = e.Comment,
            ["selective"] = e.Selective,
            ["position"] = e.Position,
        };
        if (e.Id is { } id) obj["id"] = id.DeepClone();
        return obj;
    }

    private static JsonObject BookScalars(LorebookData book)
    {
        var obj = new JsonObject();
        if (book.Name.Length > 0) obj["name"] = book.Name;
        if (book.Description.Length > 0) obj["description"] = book.Description;
        if (book.ScanDepth is { } depth) obj["scan_depth"] = depth;
        if (book.TokenBudget is { } budget) obj["token_budget"] = budget;
        obj["recursive_scanning"] = book.RecursiveScanning;
        return obj;
    }

    /// <summary>The card data keys our draft fields produce (the same shape <see cref="CardJson"/> writes).</summary>
    private static JsonObject ModeledData(CharacterDraft d)
    {
        var data = new JsonObject
        {
            ["name"] = d.Name,
            ["description"] = d.Description,
            ["personality"] = d.Personality.Summary,
            ["scenario"] = d.Scenario,
            ["first_mes"] = d.FirstMessage,
            ["mes_example"] = d.ExampleDialogues,
            ["creator_notes"] = d.CreatorNotes,
            ["system_prompt"] = d.SystemPrompt,
            ["post_history_instructions"] = d.PostHistoryInstructions,
            ["alternate_greetings"] = Strings(d.AlternateGreetings),
            ["tags"] = Strings(d.Tags),
        };
        if (d.Nickname.Length > 0) data["nickname"] = d.Nickname;
        return data;
    }

    private static readonly Personality DefaultPersonality = new();

    /// <summary>Our fields that no card spec has, so an export → import round trip keeps them.</summary>
    private static JsonObject OwnFields(CharacterDraft d)
    {
        var own = new JsonObject();
        if (d.Tagline.Length > 0) own["tagline"] = d.Tagline;
        if (d.Background.Length > 0) own["background"] = d.Background;
        if (d.Category is { } category) own["category"] = category;
        if (d.Traits.Count > 0) own["traits"] = System.Text.Json.JsonSerializer.SerializeToNode(d.Traits, CharacterDraft.Json);
        var p = d.Personality with { Summary = "" };
        if (p.BigFive != DefaultPersonality.BigFive || p.Likes.Count + p.Dislikes.Count > 0 || p.Speech.Vocabulary.Length + p.Speech.Quirks.Length + p.Speech.Catchphrases.Count > 0)
            own["personality"] = System.Text.Json.JsonSerializer.SerializeToNode(p, CharacterDraft.Json);
        if (d.Voice != new VoiceConfig()) own["voice"] = System.Text.Json.JsonSerializer.SerializeToNode(d.Voice, CharacterDraft.Json);
        return own;
    }

    private static CharacterDraft ApplyOwnFields(CharacterDraft draft, JsonObject? own)
    {
        if (own is null) return draft;
        try
        {
            T? Read<T>(string key) => own[key] is { } node ? node.Deserialize<T>(CharacterDraft.Json) : default;
            var personality = Read<Personality>("personality");
            return draft with
            {
                Tagline = CardJson.Text(own["tagline"]) ?? "",
                Background = CardJson.Text(own["background"]) ?? "",
                Category = CardJson.Text(own["category"]),
                Traits = Read<List<Trait>>("traits") ?? [],
                Personality = personality is null ? draft.Personality : personality with { Summary = draft.Personality.Summary },
                Voice = Read<VoiceConfig>("voice") ?? new VoiceConfig(),
            };
        }
        catch (System.Text.Json.JsonException)
        {
            // Another tool's "characterhub" key that is not ours: keep it as an ordinary extension instead.
            return draft with { Extensions = new JsonObject(draft.Extensions.Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone())).Append(KeyValuePair.Create(OwnFieldsKey, (JsonNode?)own.DeepClone()))) };
        }
    }

    private static List<string> NormalTags(IEnumerable<string> tags) =>
        tags.SelectMany(t => (t ?? "").Split(',')).Select(t => Clean(t).ToLowerInvariant().TrimStart('#'))
            .Where(t => t.Length is > 0 and <= Limits.Tag).Distinct(StringComparer.Ordinal).Take(Limits.Tags).ToList();

    private static string Clean(string s) => s.Replace("\r\n", "\n").Replace('\r', '\n').Trim();

    private static JsonArray Strings(IEnumerable<string> items) => new(items.Select(s => (JsonNode)JsonValue.Create(s)).ToArray());
}
