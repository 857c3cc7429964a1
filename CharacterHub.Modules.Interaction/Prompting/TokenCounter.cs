using System.Collections.Concurrent;
using Microsoft.ML.Tokenizers;

namespace CharacterHub.Modules.Interaction.Prompting;

internal interface ITokenCounter
{
    int Count(string text);
}

/// <summary>o200k_base (gpt-4o) counting. The tokenizer is loaded once per process (it parses a ~200k-entry vocabulary)
/// and is thread-safe. Chat history is re-counted every turn, so counts of longer texts are memoised in a bounded
/// cache: hashing a string is far cheaper than tokenising it.</summary>
internal sealed class TiktokenTokenCounter : ITokenCounter
{
    private const int MinCachedLength = 48;
    private const int MaxCacheEntries = 50_000;

    private static readonly Lazy<TiktokenTokenCounter> SharedInstance = new(() => new TiktokenTokenCounter());

    private readonly Tokenizer tokenizer = TiktokenTokenizer.CreateForModel("gpt-4o");
    private readonly ConcurrentDictionary<string, int> cache = new(StringComparer.Ordinal);

    private TiktokenTokenCounter()
    {
    }

    public static TiktokenTokenCounter Shared => SharedInstance.Value;

    public int Count(string text)
    {
        if (string.IsNullOrEmpty(text)) return 0;
        if (text.Length < MinCachedLength) return tokenizer.CountTokens(text);
        if (cache.TryGetValue(text, out var known)) return known;
        var count = tokenizer.CountTokens(text);
        // Clearing wholesale keeps the bound without LRU bookkeeping on the hot path; a refill costs one turn.
        if (cache.Count >= MaxCacheEntries) cache.Clear();
        cache.TryAdd(text, count);
        return count;
    }
}
