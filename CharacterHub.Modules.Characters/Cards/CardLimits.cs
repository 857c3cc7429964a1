namespace CharacterHub.Modules.Characters.Cards;

/// <summary>
/// Ceilings for untrusted card files. Each one is checked before the step it protects (allocation, base64
/// decoding, JSON parsing, decompression), so a hostile file costs at most what the limit allows.
/// </summary>
internal sealed record CardLimits
{
    public static CardLimits Default { get; } = new();

    public long MaxFileBytes { get; init; } = 20 * 1024 * 1024;

    /// <summary>A PNG chunk declaring more than this is refused before its data is touched.</summary>
    public long MaxPngChunkBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>Sum of all text chunk payloads (tEXt/iTXt/zTXt); RisuAI's private chunk alone can be several MB.</summary>
    public long MaxPngTextBytes { get; init; } = 18 * 1024 * 1024;

    public int MaxPngChunks { get; init; } = 10_000;

    /// <summary>The decoded card JSON (after base64 or decompression).</summary>
    public int MaxCardJsonBytes { get; init; } = 5 * 1024 * 1024;

    /// <summary>Width × height read from the image header; above it the image is refused without decoding.</summary>
    public long MaxImagePixels { get; init; } = 50_000_000;

    public int MaxCharxEntries { get; init; } = 1_000;

    /// <summary>Counted on the bytes actually inflated, never on the sizes the zip headers claim.</summary>
    public long MaxCharxUncompressedBytes { get; init; } = 100 * 1024 * 1024;

    /// <summary>Inflated/compressed ratio above which an entry is treated as a zip bomb (checked past 1 MB).</summary>
    public int MaxCompressionRatio { get; init; } = 200;

    public int MaxLorebookEntries { get; init; } = 20_000;

    public int MaxNameLength { get; init; } = 256;
}
