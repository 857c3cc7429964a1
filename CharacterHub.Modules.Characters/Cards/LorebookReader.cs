using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Nodes;

namespace CharacterHub.Modules.Characters.Cards;

internal sealed class LorebookReadResult
{
    private LorebookReadResult() { }

    public Lorebook? Lorebook { get; private init; }
    public string? Error { get; private init; }
    public IReadOnlyList<string> Warnings { get; private init; } = [];

    [MemberNotNullWhen(true, nameof(Lorebook))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool Success => Lorebook is not null;

    public static LorebookReadResult Fail(string error) => new() { Error = error };
    public static LorebookReadResult Ok(Lorebook book, IReadOnlyList<string> warnings) => new() { Lorebook = book, Warnings = warnings };
}

/// <summary>
/// Reads standalone lorebooks: V3 <c>lorebook_v3</c>, a bare V2 <c>character_book</c> object, and SillyTavern
/// World Info (an <c>entries</c> map keyed by uid), which is converted the way SillyTavern converts it when it
/// embeds a world into a card: its own fields map to the spec's, every other field goes to the entry's
/// <c>extensions</c> unchanged.
/// </summary>
internal static class LorebookReader
{
    public static LorebookReadResult Read(ReadOnlySpan<byte> file, string fileName, CardLimits? limits = null)
    {
        limits ??= CardLimits.Default;
        if (file.Length > limits.MaxFileBytes)
            return LorebookReadResult.Fail($"The file is {CardJson.Size(file.Length)}; at most {CardJson.Size(limits.MaxFileBytes)} is accepted.");
        if (!CardReader.LooksLikeJson(file))
            return LorebookReadResult.Fail("This file is not a lorebook: lorebooks are JSON files.");
        var warnings = new List<string>();
        try
        {
            var root = CardJson.ParseObject(file, limits.MaxCardJsonBytes, "lorebook JSON");
            var book = ReadRoot(root, warnings);
            if (book.Entries.Count > limits.MaxLorebookEntries)
                return LorebookReadResult.Fail($"The lorebook has {book.Entries.Count} entries; at most {limits.MaxLorebookEntries} are accepted.");
            if (string.IsNullOrWhiteSpace(book.Name)) book.Name = CardReader.NameFromFile(fileName);
            return LorebookReadResult.Ok(book, warnings);
        }
        catch (CardReadException e)
        {
            return LorebookReadResult.Fail(e.Message);
        }
        catch (Exception e) when (e is not (OutOfMemoryException or StackOverflowException or ThreadAbortException))
        {
            return LorebookReadResult.Fail($"The file could not be read as a lorebook ({e.GetType().Name}).");
        }
    }

    private static Lorebook ReadRoot(JsonObject root, List<string> warnings)
    {
        if (CardJson.Text(root["spec"]) == CardJson.SpecLorebookV3)
        {
            if (root["data"] is not JsonObject data) throw new CardReadException("The lorebook has no \"data\" object.");
            root.Remove("data");
            var book = CardJson.ReadLorebook(data, warnings);
            foreach (var (key, value) in Detach(root))
                if (key != "spec") book.UnknownTopLevel[key] = value;
            return book;
        }
        if (root["data"] is JsonObject { } cardData && root.ContainsKey("spec"))
        {
            // A character card handed in as a lorebook: its embedded book is what the user wants.
            if (cardData["character_book"] is JsonObject embedded)
            {
                cardData.Remove("character_book");
                return CardJson.ReadLorebook(embedded, warnings);
            }
            throw new CardReadException("This is a character card without a lorebook.");
        }
        return root["entries"] switch
        {
            JsonArray => CardJson.ReadLorebook(root, warnings),
            JsonObject map when LooksLikeWorldInfo(map) => FromWorldInfo(root, map, warnings),
            JsonObject => CardJson.ReadLorebook(root, warnings),
            _ => throw new CardReadException("This file is not a lorebook: it has no \"entries\"."),
        };
    }

    private static bool LooksLikeWorldInfo(JsonObject entries) =>
        entries.Select(p => p.Value).OfType<JsonObject>().Any(e => e.ContainsKey("key") || e.ContainsKey("uid") || e.ContainsKey("disable"));

    private static List<KeyValuePair<string, JsonNode?>> Detach(JsonObject obj)
    {
        var list = obj.ToList();
        obj.Clear();
        return list;
    }

    private static Lorebook FromWorldInfo(JsonObject root, JsonObject entries, List<string> warnings)
    {
        var book = new Lorebook();
        foreach (var (key, value) in Detach(root))
        {
            switch (key)
            {
                case "entries": break;
                case "name": book.Name = CardJson.Text(value); break;
                case "description": book.Description = CardJson.Text(value); break;
                default: book.Unknown[key] = value; break;
            }
        }
        foreach (var (mapKey, node) in Detach(entries))
        {
            if (node is not JsonObject wi) continue;
            var entry = new LorebookEntry();
            foreach (var (key, value) in Detach(wi))
            {
                switch (key)
                {
                    case "key": entry.Keys = CardJson.TextList(value, splitCommas: true) ?? []; break;
                    case "keysecondary": entry.SecondaryKeys = CardJson.TextList(value, splitCommas: true) ?? []; break;
                    case "content": entry.Content = CardJson.Text(value) ?? ""; break;
                    case "comment": entry.Comment = CardJson.Text(value); break;
                    case "constant": entry.Constant = CardJson.Bool(value); break;
                    case "selective": entry.Selective = CardJson.Bool(value); break;
                    case "order": entry.InsertionOrder = CardJson.Int(value) ?? 0; break;
                    case "disable": entry.Enabled = !(CardJson.Bool(value) ?? false); break;
                    case "uid":
                        entry.Id = CardJson.Long(value) is { } uid ? LorebookEntryId.FromNumber(uid)
                            : CardJson.Text(value) is { } text ? LorebookEntryId.FromText(text) : null;
                        break;
                    case "position":
                        // World Info has more positions (0 before char, 1 after char, 2+ notes and depths) than
                        // the spec's two; the exact number is kept in extensions as SillyTavern does.
                        entry.Position = CardJson.Int(value) == 0 ? "before_char" : "after_char";
                        entry.Extensions["position"] = value;
                        break;
                    case "case_sensitive": entry.CaseSensitive = CardJson.Bool(value); break;
                    case "use_regex": entry.UseRegex = CardJson.Bool(value) ?? false; break;
                    case "extensions" when value is JsonObject ext:
                        foreach (var (k, v) in Detach(ext)) entry.Extensions[k] = v;
                        break;
                    default: entry.Extensions[key] = value; break;
                }
            }
            entry.Id ??= long.TryParse(mapKey, out var n) ? LorebookEntryId.FromNumber(n) : LorebookEntryId.FromText(mapKey);
            book.Entries.Add(entry);
        }
        if (book.Entries.Count == 0) warnings.Add("The world info has no entries.");
        return book;
    }
}
