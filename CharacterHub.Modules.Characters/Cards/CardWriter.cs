using System.Buffers.Text;
using System.Text.Json.Nodes;

namespace CharacterHub.Modules.Characters.Cards;

/// <summary>Writes cards as V2/V3 JSON, as PNG (SillyTavern's layout) and as CHARX. Unknown keys are written back.</summary>
internal static class CardWriter
{
    public static JsonObject ToJsonObject(CharacterCard card, CardSpec spec) => CardJson.ToJson(card, spec);

    /// <summary>UTF-8 JSON, <c>chara_card_v2</c>/2.0 or <c>chara_card_v3</c>/3.0.</summary>
    public static byte[] WriteJson(CharacterCard card, CardSpec spec) => CardJson.ToUtf8(CardJson.ToJson(card, spec));

    public static byte[] WriteLorebookJson(Lorebook book)
    {
        var root = new JsonObject { ["spec"] = CardJson.SpecLorebookV3, ["data"] = CardJson.LorebookToJson(book) };
        foreach (var (key, value) in book.UnknownTopLevel)
            if (!root.ContainsKey(key)) root[key] = value?.DeepClone();
        return CardJson.ToUtf8(root);
    }

    /// <summary>
    /// Embeds the card in a PNG image the way SillyTavern does: old <c>chara</c>/<c>ccv3</c> text chunks (any case,
    /// tEXt, iTXt or zTXt) are removed, then a <c>chara</c> chunk with the V2 JSON and a <c>ccv3</c> chunk with the
    /// V3 JSON, both base64 of UTF-8, go just before IEND. Every other chunk is copied byte for byte.
    /// </summary>
    /// <exception cref="ArgumentException">The image is not a valid PNG.</exception>
    public static byte[] WritePng(CharacterCard card, ReadOnlySpan<byte> png, CardLimits? limits = null)
    {
        limits ??= CardLimits.Default;
        var chara = Base64Utf8(WriteJson(card, CardSpec.V2));
        var ccv3 = Base64Utf8(WriteJson(card, CardSpec.V3));
        try
        {
            return PngCodec.RewriteTextChunks(png,
                keyword => keyword.Equals("chara", StringComparison.OrdinalIgnoreCase) || keyword.Equals("ccv3", StringComparison.OrdinalIgnoreCase),
                [("chara", chara), ("ccv3", ccv3)], limits with { MaxPngTextBytes = long.MaxValue });
        }
        catch (CardReadException e)
        {
            throw new ArgumentException("The image cannot carry a card: " + e.Message, nameof(png));
        }
    }

    private static byte[] Base64Utf8(byte[] data)
    {
        var output = new byte[Base64.GetMaxEncodedToUtf8Length(data.Length)];
        Base64.EncodeToUtf8(data, output, out _, out var written);
        return written == output.Length ? output : output[..written];
    }

    /// <summary>
    /// A CHARX zip: <c>card.json</c> (V3) and every embedded asset under <c>assets/{type}/{images|audio|video|other}/</c>,
    /// referenced as <c>embeded://</c> (the spec's spelling). <paramref name="files"/> are looked up by the paths the
    /// card's URIs name (as <see cref="CardReadResult.Files"/> holds them); files no asset references (such as
    /// RisuAI's <c>module.risum</c>) are kept at their own path. An <paramref name="avatar"/> becomes the main icon
    /// when the card has no embedded one.
    /// </summary>
    public static byte[] WriteCharx(CharacterCard card, IReadOnlyList<CardFile> files, ReadOnlyMemory<byte>? avatar = null)
    {
        var root = CardJson.ToJson(card, CardSpec.V3);
        var data = (JsonObject)root["data"]!;
        var byPath = new Dictionary<string, CardFile>(StringComparer.Ordinal);
        foreach (var file in files) byPath.TryAdd(file.Path, file);

        var output = new List<CardFile>();
        var used = new HashSet<string>(StringComparer.Ordinal);
        var referenced = new HashSet<string>(StringComparer.Ordinal);
        var hasMainIcon = false;
        if (data["assets"] is JsonArray assets)
        {
            foreach (var node in assets)
            {
                if (node is not JsonObject asset) continue;
                var uri = CardJson.Text(asset["uri"]) ?? "";
                if (CardAssets.EmbeddedPath(uri) is not { } path || !byPath.TryGetValue(path, out var file)) continue;
                var type = CardJson.Text(asset["type"]) ?? "other";
                var name = CardJson.Text(asset["name"]) ?? "asset";
                var ext = CardJson.Text(asset["ext"]) ?? Path.GetExtension(path).TrimStart('.');
                var target = UniquePath(type, name, ext, used);
                output.Add(new CardFile(target, file.Data));
                referenced.Add(path);
                asset["uri"] = "embeded://" + target;
                if (type == "icon" && name == "main") hasMainIcon = true;
            }
        }
        if (!hasMainIcon && avatar is { } image)
        {
            var ext = Kernel.Imaging.ImageProcessor.Sniff(image.Span) switch
            {
                Kernel.Imaging.ImageKind.Jpeg => "jpeg",
                Kernel.Imaging.ImageKind.WebP => "webp",
                Kernel.Imaging.ImageKind.Gif => "gif",
                _ => "png",
            };
            var target = UniquePath("icon", "main", ext, used);
            output.Add(new CardFile(target, image));
            var list = data["assets"] as JsonArray ?? [];
            // "ccdefault:" would point at the container's default image, which a CHARX does not have.
            foreach (var old in list.OfType<JsonObject>().Where(a => CardJson.Text(a["uri"]) == "ccdefault:").ToList()) list.Remove(old);
            list.Add(new JsonObject { ["type"] = "icon", ["uri"] = "embeded://" + target, ["name"] = "main", ["ext"] = ext });
            data["assets"] = list;
        }
        foreach (var file in files)
            if (!referenced.Contains(file.Path) && CharxCodec.IsSafePath(file.Path) && file.Path != CharxCodec.CardEntry && used.Add(file.Path))
                output.Add(file);

        return CharxCodec.Write(CardJson.ToUtf8(root), output);
    }

    private static string UniquePath(string type, string name, string ext, HashSet<string> used)
    {
        ext = Safe(ext.ToLowerInvariant(), "bin");
        var folder = ext switch
        {
            "png" or "jpg" or "jpeg" or "webp" or "gif" or "avif" or "svg" => "images",
            "mp3" or "wav" or "ogg" or "flac" or "m4a" => "audio",
            "mp4" or "webm" => "video",
            _ => "other",
        };
        var stem = $"assets/{Safe(type, "other")}/{folder}/{Safe(name, "asset")}";
        var path = $"{stem}.{ext}";
        for (var i = 2; !used.Add(path); i++) path = $"{stem}_{i}.{ext}";
        return path;
    }

    // Asset names come from the card (untrusted): only characters that are harmless in a zip path survive.
    private static string Safe(string text, string fallback)
    {
        var chars = text.Where(c => char.IsLetterOrDigit(c) || c is '-' or '_').Take(64).ToArray();
        return chars.Length == 0 ? fallback : new string(chars);
    }
}
