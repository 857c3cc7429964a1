using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Nodes;
using CharacterHub.Kernel.Imaging;

namespace CharacterHub.Modules.Characters.Cards;

/// <summary>What reading a card file produced: a card and what came with it, or one error a user can act on.</summary>
internal sealed class CardReadResult
{
    private CardReadResult() { }

    public CharacterCard? Card { get; private init; }
    public string? Error { get; private init; }
    public CardSpec Spec { get; private init; }
    public CardContainer Container { get; private init; }

    /// <summary>The card's picture: the PNG file itself, the JPEG before an appended CHARX, or CHARX's main icon.</summary>
    public ReadOnlyMemory<byte>? Avatar { get; private init; }
    public IReadOnlyList<CardFile> Files { get; private init; } = [];

    /// <summary>Things that were repaired or ignored (no name, wrongly typed fields); the card is still usable.</summary>
    public IReadOnlyList<string> Warnings { get; private init; } = [];

    [MemberNotNullWhen(true, nameof(Card))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool Success => Card is not null;

    /// <summary>The bytes an asset URI points to inside this file (<c>embeded://</c>, <c>embedded://</c>, <c>__asset:</c>).</summary>
    public ReadOnlyMemory<byte>? FindFile(string uri)
    {
        var path = CardAssets.EmbeddedPath(uri);
        if (path is null) return null;
        foreach (var file in Files)
            if (string.Equals(file.Path, path, StringComparison.Ordinal)) return file.Data;
        return null;
    }

    public static CardReadResult Fail(string error) => new() { Error = error };

    public static CardReadResult Ok(CharacterCard card, CardSpec spec, CardContainer container, ReadOnlyMemory<byte>? avatar,
        IReadOnlyList<CardFile> files, IReadOnlyList<string> warnings) =>
        new() { Card = card, Spec = spec, Container = container, Avatar = avatar, Files = files, Warnings = warnings };
}

/// <summary>
/// Reads character cards from PNG, JSON, CHARX and JPEG+CHARX files, sniffing the format from the bytes (the file
/// name only names the card when it has none). Bad input never throws: it yields a result with an error.
/// </summary>
internal static class CardReader
{
    public static CardReadResult Read(ReadOnlySpan<byte> file, string fileName, CardLimits? limits = null)
    {
        limits ??= CardLimits.Default;
        // The size check comes before the copy the result needs (the avatar outlives the span).
        if (file.Length > limits.MaxFileBytes) return TooLarge(file.Length, limits);
        return Read(file.ToArray(), fileName, limits);
    }

    public static CardReadResult Read(byte[] file, string fileName, CardLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        limits ??= CardLimits.Default;
        if (file.Length > limits.MaxFileBytes) return TooLarge(file.Length, limits);
        if (file.Length == 0) return CardReadResult.Fail("The file is empty.");
        var warnings = new List<string>();
        try
        {
            var fallbackName = NameFromFile(fileName);
            var span = file.AsSpan();
            switch (ImageProcessor.Sniff(span))
            {
                case ImageKind.Png:
                    return ReadPng(file, fallbackName, limits, warnings);
                case ImageKind.Jpeg:
                    return ReadJpeg(file, fileName, fallbackName, limits, warnings);
                case ImageKind.WebP:
                    return CardReadResult.Fail(NotACard("a WebP image", fileName));
                case ImageKind.Gif:
                    return CardReadResult.Fail(NotACard("a GIF image", fileName));
            }
            if (span.StartsWith(CharxCodec.LocalHeader))
                return ReadCharx(file, 0, fallbackName, CardContainer.Charx, null, limits, warnings);
            if (LooksLikeJson(span))
            {
                var root = CardJson.ParseObject(span, limits.MaxCardJsonBytes, "card JSON");
                var card = CardJson.ReadCard(root, fallbackName, warnings, out var spec);
                return CardReadResult.Ok(card, spec, CardContainer.Json, null, [], warnings);
            }
            return CardReadResult.Fail("This file is not a character card: expected a PNG, JSON or CHARX file.");
        }
        catch (CardReadException e)
        {
            return CardReadResult.Fail(e.Message);
        }
        catch (Exception e) when (e is not (OutOfMemoryException or StackOverflowException or ThreadAbortException))
        {
            // This is the trust boundary for uploaded files: whatever a third-party parser (zip, zlib, JSON)
            // throws on hostile bytes becomes a refusal, not a server error; the type name helps a bug report.
            return CardReadResult.Fail($"The file could not be read as a character card ({e.GetType().Name}).");
        }
    }

    private static CardReadResult TooLarge(long size, CardLimits limits) =>
        CardReadResult.Fail($"The file is {CardJson.Size(size)}; at most {CardJson.Size(limits.MaxFileBytes)} is accepted.");

    private static string NotACard(string what, string fileName)
    {
        var claimed = Path.GetExtension(fileName).ToLowerInvariant();
        return claimed is ".png" or ".json" or ".charx"
            ? $"This is {what}, not a {claimed.TrimStart('.').ToUpperInvariant()}; no card data found."
            : $"This is {what}; no card data found.";
    }

    public static string NameFromFile(string fileName)
    {
        var name = Path.GetFileNameWithoutExtension(fileName ?? "").Trim();
        return name.Length == 0 ? "Unnamed character" : name;
    }

    internal static bool LooksLikeJson(ReadOnlySpan<byte> data)
    {
        if (data.StartsWith("\uFEFF"u8)) data = data[3..];
        var trimmed = data.TrimStart(" \t\r\n"u8);
        return trimmed.Length > 0 && trimmed[0] == (byte)'{';
    }

    private static void CheckPixels(ReadOnlySpan<byte> image, CardLimits limits)
    {
        if (!ImageHeader.TryGetSize(image, out var width, out var height)) return;
        if ((long)width * height > limits.MaxImagePixels)
            throw new CardReadException(
                $"The image is {width}×{height} pixels; at most {limits.MaxImagePixels / 1_000_000} megapixels are accepted.");
    }

    private static CardReadResult ReadPng(byte[] file, string fallbackName, CardLimits limits, List<string> warnings)
    {
        var span = file.AsSpan();
        var chunks = PngCodec.ReadChunks(span, limits);
        CheckPixels(span, limits);
        var texts = PngCodec.TextChunks(span, chunks);

        // ccv3 first (the spec's preference), then chara; within each, file order. A damaged preferred chunk
        // falls back to the next one, and its error is reported only when nothing readable is left.
        var candidates = texts.Where(t => t.Keyword.Equals("ccv3", StringComparison.OrdinalIgnoreCase))
            .Concat(texts.Where(t => t.Keyword.Equals("chara", StringComparison.OrdinalIgnoreCase)))
            .ToList();
        if (candidates.Count == 0)
            return CardReadResult.Fail("This PNG image holds no character card (no \"chara\" or \"ccv3\" text chunk).");

        CardReadException? firstError = null;
        foreach (var candidate in candidates)
        {
            try
            {
                var card = DecodePngCard(span, candidate, fallbackName, limits, warnings, out var spec);
                if (firstError is not null) warnings.Add($"A damaged card chunk was skipped: {firstError.Message}");
                var files = RisuAssets(span, texts, limits, warnings);
                return CardReadResult.Ok(card, spec, CardContainer.Png, file, files, warnings);
            }
            catch (CardReadException e)
            {
                firstError ??= e;
            }
        }
        throw firstError!;
    }

    private static CharacterCard DecodePngCard(ReadOnlySpan<byte> png, PngTextChunk chunk, string fallbackName, CardLimits limits,
        List<string> warnings, out CardSpec spec)
    {
        // Base64 is 4/3 of the JSON, so the text may be up to that much larger than the JSON limit.
        var textLimit = (int)Math.Min(int.MaxValue - 64, limits.MaxCardJsonBytes * 4L / 3 + 64);
        var text = PngCodec.ExtractText(png, chunk, textLimit, limits.MaxCardJsonBytes, out var textLength);
        try
        {
            var json = PngCodec.DecodePayload(text.AsSpan(0, textLength), limits.MaxCardJsonBytes, chunk.Keyword, out var jsonLength);
            try
            {
                var root = CardJson.ParseObject(json.AsSpan(0, jsonLength), limits.MaxCardJsonBytes, $"card JSON in the \"{chunk.Keyword}\" chunk");
                return CardJson.ReadCard(root, fallbackName, warnings, out spec);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(json);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(text);
        }
    }

    /// <summary>RisuAI stores assets as <c>chara-ext-asset_:N</c> chunks, referenced from the card as <c>__asset:N</c>.</summary>
    private static List<CardFile> RisuAssets(ReadOnlySpan<byte> png, List<PngTextChunk> texts, CardLimits limits, List<string> warnings)
    {
        const string prefix = "chara-ext-asset_";
        var files = new List<CardFile>();
        foreach (var text in texts)
        {
            if (!text.Keyword.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) continue;
            var index = text.Keyword[prefix.Length..].TrimStart(':');
            try
            {
                var cap = (int)Math.Min(int.MaxValue - 64, limits.MaxPngChunkBytes);
                var raw = PngCodec.ExtractText(png, text, cap, cap, out var rawLength);
                try
                {
                    var data = PngCodec.DecodePayload(raw.AsSpan(0, rawLength), (int)limits.MaxPngChunkBytes, text.Keyword, out var length);
                    files.Add(new CardFile(index, data.AsSpan(0, length).ToArray()));
                    ArrayPool<byte>.Shared.Return(data);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(raw);
                }
            }
            catch (CardReadException e)
            {
                warnings.Add($"Asset {index} was skipped: {e.Message}");
            }
        }
        return files;
    }

    private static CardReadResult ReadJpeg(byte[] file, string fileName, string fallbackName, CardLimits limits, List<string> warnings)
    {
        CheckPixels(file, limits);
        // charxJpeg: the zip follows the JPEG. A local header signature can occur by chance inside JPEG data, so
        // every occurrence is tried (few in practice) until one opens as a CHARX.
        var span = file.AsSpan();
        var offset = 0;
        CardReadException? lastError = null;
        for (var attempts = 0; attempts < 16; attempts++)
        {
            var found = span[(offset + 1)..].IndexOf(CharxCodec.LocalHeader);
            if (found < 0) break;
            offset += found + 1;
            try
            {
                return ReadCharx(file, offset, fallbackName, CardContainer.JpegCharx, file.AsMemory(0, offset), limits, warnings);
            }
            catch (CardReadException e)
            {
                lastError = e;
            }
        }
        if (lastError is null) return CardReadResult.Fail(NotACard("a JPEG image", fileName));
        try
        {
            // Tools that fix up the zip's offsets after appending it (zip -A) make it readable only as a whole.
            var whole = ReadCharx(file, 0, fallbackName, CardContainer.JpegCharx, null, limits, warnings);
            var zipStart = span.IndexOf(CharxCodec.LocalHeader);
            return CardReadResult.Ok(whole.Card!, whole.Spec, whole.Container, file.AsMemory(0, zipStart), whole.Files, whole.Warnings);
        }
        catch (CardReadException)
        {
            throw lastError;
        }
    }

    private static CardReadResult ReadCharx(byte[] file, int offset, string fallbackName, CardContainer container,
        ReadOnlyMemory<byte>? avatar, CardLimits limits, List<string> warnings)
    {
        var (json, files) = CharxCodec.Read(file.AsMemory(offset), limits);
        var root = CardJson.ParseObject(json, limits.MaxCardJsonBytes, "card.json in the CHARX archive");
        var card = CardJson.ReadCard(root, fallbackName, warnings, out var spec);
        var result = CardReadResult.Ok(card, spec, container, avatar, files, warnings);
        if (avatar is null && CardAssets.MainIcon(card) is { } icon && result.FindFile(icon.Uri) is { } image)
        {
            CheckPixels(image.Span, limits);
            return CardReadResult.Ok(card, spec, container, image, files, warnings);
        }
        return result;
    }
}

/// <summary>Asset URI helpers shared by the reader and the writer.</summary>
internal static class CardAssets
{
    private static readonly string[] EmbeddedPrefixes = ["embeded://", "embedded://", "__asset:"];

    /// <summary>The path inside the container an embedded URI names, or null for external/default URIs.</summary>
    public static string? EmbeddedPath(string uri)
    {
        foreach (var prefix in EmbeddedPrefixes)
            if (uri.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
                return uri[prefix.Length..];
        return null;
    }

    /// <summary>The icon named "main" (the spec's rule when there are several), else the first icon.</summary>
    public static CardAsset? MainIcon(CharacterCard card)
    {
        if (card.Assets is not { } assets) return null;
        return assets.FirstOrDefault(a => a.Type == "icon" && a.Name == "main") ?? assets.FirstOrDefault(a => a.Type == "icon");
    }
}
