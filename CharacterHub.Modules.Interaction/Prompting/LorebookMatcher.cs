using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;

namespace CharacterHub.Modules.Interaction.Prompting;

internal enum LoreActivation
{
    Constant,
    Key,
    Recursion,
}

/// <summary>An entry that will be inserted, and why: the key (and secondary key) that matched, at which recursion
/// level (0 = chat text).</summary>
internal sealed record ActivatedLoreEntry(
    LorebookEntry Entry,
    string BookName,
    LoreActivation Activation,
    string? MatchedKey,
    string? MatchedSecondaryKey,
    int RecursionLevel,
    int Tokens);

internal enum LoreNoteKind
{
    InvalidRegex,
    RegexTimeout,
    ProbabilityFailed,
    LostInclusionGroup,
    OverBudget,
}

/// <summary>Why an entry that could have been inserted was not; for the prompt inspector.</summary>
internal sealed record LoreNote(LorebookEntry Entry, LoreNoteKind Kind, string Message);

internal sealed record LoreScanResult(IReadOnlyList<ActivatedLoreEntry> Activated, IReadOnlyList<LoreNote> Notes)
{
    public static readonly LoreScanResult Empty = new([], []);
}

/// <summary>World Info activation. A lorebook is compiled once per (Id, Version): keys lower-cased, regexes built
/// with a match timeout. A turn then joins only the scanned tail of the chat once, lower-cases it once, and runs
/// ordinal span searches per key, so cost grows with entries × keys × scanned text, not with chat length.</summary>
internal sealed class LorebookMatcher(ITokenCounter tokens)
{
    public static readonly TimeSpan RegexTimeout = TimeSpan.FromMilliseconds(50);
    private const int MaxCachedBooks = 256;

    private readonly ConcurrentDictionary<(string Id, long Version), CompiledLorebook> byId = new();
    private readonly ConditionalWeakTable<Lorebook, CompiledLorebook> byInstance = new();

    public CompiledLorebook GetCompiled(Lorebook book)
    {
        if (string.IsNullOrEmpty(book.Id)) return byInstance.GetValue(book, b => new CompiledLorebook(b));
        var key = (book.Id, book.Version);
        if (byId.TryGetValue(key, out var compiled)) return compiled;
        if (byId.Count >= MaxCachedBooks) byId.Clear();
        return byId.GetOrAdd(key, _ => new CompiledLorebook(book));
    }

    public LoreScanResult Scan(Lorebook book, IReadOnlyList<HistoryMessage> history, Random random)
    {
        var compiled = GetCompiled(book);
        if (compiled.Entries.Length == 0) return LoreScanResult.Empty;
        var notes = new List<LoreNote>(compiled.CompileNotes);
        var chat = ChatText.Build(history, compiled.MaxScanDepth, compiled.NeedsLowerCase);
        var states = new EntryState[compiled.Entries.Length];
        var activated = new List<(int Index, ActivatedLoreEntry Hit)>();

        var progress = new ScanProgress(compiled.Entries.Length);
        ScanPass(compiled, chat, RecursionText.None, 0, states, progress, activated, notes, random);
        if (book.RecursiveScanning)
        {
            var recursion = new StringBuilder();
            var consumed = 0;
            for (var level = 1; level <= Math.Max(0, book.MaxRecursionSteps); level++)
            {
                var added = false;
                for (; consumed < activated.Count; consumed++)
                {
                    var entry = compiled.Entries[activated[consumed].Index];
                    if (entry.Source.PreventRecursion || entry.Source.Content.Length == 0) continue;
                    recursion.Append('\n').Append(entry.Source.Content);
                    added = true;
                }
                if (!added) break;
                var text = recursion.ToString();
                ScanPass(compiled, chat, new RecursionText(text, compiled.NeedsLowerCase ? text.ToLowerInvariant() : text), level, states, progress, activated, notes, random);
            }
        }

        var kept = ApplyInclusionGroups(activated, notes, random);
        kept = ApplyBudget(book, kept, notes);
        kept.Sort(static (a, b) => a.Hit.Entry.InsertionOrder != b.Hit.Entry.InsertionOrder
            ? a.Hit.Entry.InsertionOrder.CompareTo(b.Hit.Entry.InsertionOrder)
            : a.Index.CompareTo(b.Index));
        var result = new List<ActivatedLoreEntry>(kept.Count);
        foreach (var k in kept) result.Add(k.Hit);
        return new LoreScanResult(result, notes);
    }

    private enum EntryState : byte
    {
        Pending,
        Activated,
        Failed,
    }

    private void ScanPass(
        CompiledLorebook book,
        in ChatText chat,
        in RecursionText recursion,
        int level,
        EntryState[] states,
        ScanProgress progress,
        List<(int Index, ActivatedLoreEntry Hit)> activated,
        List<LoreNote> notes,
        Random random)
    {
        var entries = book.Entries;
        for (var i = 0; i < entries.Length; i++)
        {
            if (states[i] != EntryState.Pending) continue;
            var entry = entries[i];
            var source = entry.Source;
            LoreActivation how;
            string? primary = null;
            string? secondary = null;
            if (source.Constant)
            {
                how = LoreActivation.Constant;
            }
            else
            {
                if (source.DelayUntilRecursion && level == 0) continue;
                var useRecursion = level > 0 && !source.ExcludeRecursion && recursion.Text.Length > 0;
                var chatStart = chat.StartForDepth(entry.ScanDepth);
                if (chatStart >= chat.Text.Length && !useRecursion) continue;
                // Each text is searched for primary keys once: chat on the entry's first pass, recursion text only
                // where it grew since. A primary hit held back by secondary keys is remembered, not searched again.
                primary = progress.Primary[i];
                if (primary is null && !progress.ChatSearched[i])
                {
                    progress.ChatSearched[i] = true;
                    primary = FirstMatch(entry.Keys, entry, chat.Text, chat.Lower, chatStart, notes);
                }
                if (primary is null && useRecursion && progress.RecursionSearched[i] < recursion.Text.Length)
                {
                    primary = FirstMatch(entry.Keys, entry, recursion.Text, recursion.Lower, Math.Max(0, progress.RecursionSearched[i] - 1), notes);
                    progress.RecursionSearched[i] = recursion.Text.Length;
                }
                if (primary is null) continue;
                progress.Primary[i] = primary;
                if (entry.SecondaryKeys.Length > 0 && !SecondaryAllows(entry, chat, chatStart, recursion, useRecursion, notes, out secondary)) continue;
                how = level == 0 ? LoreActivation.Key : LoreActivation.Recursion;
            }

            if (source.Probability < 100 && (source.Probability <= 0 || random.NextDouble() * 100 >= source.Probability))
            {
                states[i] = EntryState.Failed;
                notes.Add(new LoreNote(source, LoreNoteKind.ProbabilityFailed, $"Matched but lost its {source.Probability}% probability roll."));
                continue;
            }
            states[i] = EntryState.Activated;
            activated.Add((i, new ActivatedLoreEntry(source, book.Name, how, primary, secondary, level, entry.Tokens(tokens))));
        }
    }

    private static string? FirstMatch(CompiledKey[] keys, CompiledEntry entry, string text, string lower, int start, List<LoreNote> notes)
    {
        foreach (var key in keys)
        {
            if (key.Matches(text, lower, start, entry, notes)) return key.Original;
        }
        return null;
    }

    private sealed class ScanProgress(int count)
    {
        public readonly bool[] ChatSearched = new bool[count];
        public readonly int[] RecursionSearched = new int[count];
        public readonly string?[] Primary = new string?[count];
    }

    private static bool SecondaryAllows(CompiledEntry entry, in ChatText chat, int chatStart, in RecursionText recursion, bool useRecursion, List<LoreNote> notes, out string? matched)
    {
        matched = null;
        var any = false;
        var all = true;
        foreach (var key in entry.SecondaryKeys)
        {
            var hit = key.Matches(chat.Text, chat.Lower, chatStart, entry, notes)
                || (useRecursion && key.Matches(recursion.Text, recursion.Lower, 0, entry, notes));
            if (hit)
            {
                any = true;
                matched ??= key.Original;
                if (entry.Source.SelectiveLogic is SelectiveLogic.AndAny or SelectiveLogic.NotAny) break;
            }
            else
            {
                all = false;
                if (entry.Source.SelectiveLogic is SelectiveLogic.AndAll or SelectiveLogic.NotAll) break;
            }
        }
        var allowed = entry.Source.SelectiveLogic switch
        {
            SelectiveLogic.AndAny => any,
            SelectiveLogic.NotAll => !all,
            SelectiveLogic.NotAny => !any,
            SelectiveLogic.AndAll => all,
            _ => any,
        };
        if (entry.Source.SelectiveLogic is SelectiveLogic.NotAll or SelectiveLogic.NotAny) matched = null;
        return allowed;
    }

    /// <summary>One winner per inclusion group: the highest priority, ties drawn by group weight.</summary>
    private static List<(int Index, ActivatedLoreEntry Hit)> ApplyInclusionGroups(List<(int Index, ActivatedLoreEntry Hit)> activated, List<LoreNote> notes, Random random)
    {
        var kept = new List<(int Index, ActivatedLoreEntry Hit)>(activated);
        var groups = new List<string>();
        foreach (var (_, hit) in activated)
        {
            foreach (var g in SplitGroups(hit.Entry.Group))
            {
                if (!groups.Contains(g, StringComparer.Ordinal)) groups.Add(g);
            }
        }
        foreach (var group in groups)
        {
            var members = kept.Where(k => SplitGroups(k.Hit.Entry.Group).Contains(group, StringComparer.Ordinal)).ToList();
            if (members.Count < 2) continue;
            var top = members.Max(m => m.Hit.Entry.EffectivePriority);
            var candidates = members.Where(m => m.Hit.Entry.EffectivePriority == top).ToList();
            var winner = candidates[0];
            if (candidates.Count > 1)
            {
                var total = candidates.Sum(c => Math.Max(0, c.Hit.Entry.GroupWeight));
                if (total > 0)
                {
                    var roll = random.NextDouble() * total;
                    foreach (var c in candidates)
                    {
                        roll -= Math.Max(0, c.Hit.Entry.GroupWeight);
                        if (roll < 0)
                        {
                            winner = c;
                            break;
                        }
                    }
                }
            }
            foreach (var m in members)
            {
                if (m.Index == winner.Index) continue;
                kept.Remove(m);
                notes.Add(new LoreNote(m.Hit.Entry, LoreNoteKind.LostInclusionGroup, $"Inclusion group \"{group}\" went to another entry."));
            }
        }
        return kept;
    }

    private static IEnumerable<string> SplitGroups(string group) =>
        string.IsNullOrWhiteSpace(group) ? [] : group.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Highest priority first, as the card spec says; the first entry that overflows and every entry
    /// below it are dropped.</summary>
    private static List<(int Index, ActivatedLoreEntry Hit)> ApplyBudget(Lorebook book, List<(int Index, ActivatedLoreEntry Hit)> kept, List<LoreNote> notes)
    {
        if (book.TokenBudget is not > 0) return kept;
        var ordered = kept.OrderByDescending(k => k.Hit.Entry.EffectivePriority)
            .ThenByDescending(k => k.Hit.Entry.InsertionOrder)
            .ThenBy(k => k.Index)
            .ToList();
        var used = 0;
        var result = new List<(int Index, ActivatedLoreEntry Hit)>(ordered.Count);
        var overflowed = false;
        foreach (var k in ordered)
        {
            if (!overflowed && used + k.Hit.Tokens <= book.TokenBudget.Value)
            {
                used += k.Hit.Tokens;
                result.Add(k);
                continue;
            }
            overflowed = true;
            notes.Add(new LoreNote(k.Hit.Entry, LoreNoteKind.OverBudget, $"Dropped: the book's budget of {book.TokenBudget} tokens was used by higher-priority entries."));
        }
        return result;
    }

    private readonly record struct RecursionText(string Text, string Lower)
    {
        public static RecursionText None => new("", "");
    }

    /// <summary>The last messages joined oldest-first, so the last k messages are a suffix: one string serves every
    /// scan depth.</summary>
    private readonly struct ChatText
    {
        private readonly int[] starts;

        private ChatText(string text, string lower, int[] starts)
        {
            Text = text;
            Lower = lower;
            this.starts = starts;
        }

        public string Text { get; }
        public string Lower { get; }

        public int StartForDepth(int depth) => starts[Math.Clamp(depth, 0, starts.Length - 1)];

        public static ChatText Build(IReadOnlyList<HistoryMessage> history, int maxDepth, bool lower)
        {
            var count = Math.Min(Math.Max(0, maxDepth), history.Count);
            var first = history.Count - count;
            var length = 0;
            for (var k = first; k < history.Count; k++) length += history[k].Content.Length + 1;
            var sb = new StringBuilder(length);
            var offsets = new int[count];
            for (var k = first; k < history.Count; k++)
            {
                offsets[k - first] = sb.Length;
                sb.Append(history[k].Content).Append('\n');
            }
            var text = sb.ToString();
            var starts = new int[count + 1];
            starts[0] = text.Length;
            for (var d = 1; d <= count; d++) starts[d] = offsets[count - d];
            return new ChatText(text, lower ? text.ToLowerInvariant() : text, starts);
        }
    }
}

internal sealed class CompiledKey
{
    private readonly string needle;
    private readonly Regex? regex;
    private readonly bool caseSensitive;
    private readonly bool wholeWords;
    private volatile bool timedOut;

    public CompiledKey(string original, Regex? regex, bool caseSensitive, bool wholeWords)
    {
        Original = original;
        this.regex = regex;
        this.caseSensitive = caseSensitive;
        this.wholeWords = wholeWords;
        needle = caseSensitive ? original : original.ToLowerInvariant();
    }

    public string Original { get; }
    public bool NeedsLowerCase => regex is null && !caseSensitive;

    public bool Matches(string text, string lower, int start, CompiledEntry entry, List<LoreNote> notes)
    {
        if (start >= text.Length) return false;
        if (regex is not null)
        {
            if (timedOut)
            {
                notes.Add(new LoreNote(entry.Source, LoreNoteKind.RegexTimeout, $"Regex key {Original} is skipped: it exceeded {LorebookMatcher.RegexTimeout.TotalMilliseconds:0} ms before."));
                return false;
            }
            try
            {
                return regex.IsMatch(text.AsSpan(start));
            }
            catch (RegexMatchTimeoutException)
            {
                // Remembered for this compiled book: a pattern that backtracks catastrophically once will again, and
                // 50 ms per key per turn would stall every reply.
                timedOut = true;
                notes.Add(new LoreNote(entry.Source, LoreNoteKind.RegexTimeout, $"Regex key {Original} exceeded {LorebookMatcher.RegexTimeout.TotalMilliseconds:0} ms and counts as no match."));
                return false;
            }
        }
        var hay = (caseSensitive ? text : lower).AsSpan(start);
        if (!wholeWords) return hay.IndexOf(needle, StringComparison.Ordinal) >= 0;
        var from = 0;
        while (from <= hay.Length - needle.Length)
        {
            var at = hay[from..].IndexOf(needle, StringComparison.Ordinal);
            if (at < 0) return false;
            at += from;
            var end = at + needle.Length;
            if ((at == 0 || !IsWordChar(hay[at - 1])) && (end >= hay.Length || !IsWordChar(hay[end]))) return true;
            from = at + 1;
        }
        return false;
    }

    private static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c == '_';
}

internal sealed class CompiledEntry
{
    private int tokens = -1;

    public CompiledEntry(LorebookEntry source, CompiledKey[] keys, CompiledKey[] secondaryKeys, int scanDepth)
    {
        Source = source;
        Keys = keys;
        SecondaryKeys = source.Selective ? secondaryKeys : [];
        ScanDepth = scanDepth;
    }

    public LorebookEntry Source { get; }
    public CompiledKey[] Keys { get; }
    public CompiledKey[] SecondaryKeys { get; }
    public int ScanDepth { get; }

    public int Tokens(ITokenCounter counter)
    {
        if (tokens < 0) tokens = counter.Count(Source.Content);
        return tokens;
    }
}

internal sealed class CompiledLorebook
{
    private static readonly Regex SlashForm = new("^/(?<p>.+)/(?<f>[a-z]*)$", RegexOptions.Singleline | RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(50));

    public CompiledLorebook(Lorebook book)
    {
        Name = book.Name;
        var notes = new List<LoreNote>();
        var entries = new List<CompiledEntry>(book.Entries.Count);
        foreach (var e in book.Entries)
        {
            if (!e.Enabled) continue;
            var caseSensitive = e.CaseSensitive ?? book.CaseSensitive;
            var wholeWords = e.MatchWholeWords ?? book.MatchWholeWords;
            var keys = CompileKeys(e, e.Keys, caseSensitive, wholeWords, notes);
            var secondary = CompileKeys(e, e.SecondaryKeys, caseSensitive, wholeWords, notes);
            // An entry without usable keys can only ever fire when constant; keeping it would cost a loop per turn.
            if (keys.Length == 0 && !e.Constant) continue;
            entries.Add(new CompiledEntry(e, keys, secondary, Math.Max(0, e.ScanDepth ?? book.ScanDepth)));
        }
        Entries = [.. entries];
        CompileNotes = notes;
        MaxScanDepth = Entries.Length == 0 ? 0 : Entries.Max(x => x.ScanDepth);
        NeedsLowerCase = Entries.Any(x => x.Keys.Any(k => k.NeedsLowerCase) || x.SecondaryKeys.Any(k => k.NeedsLowerCase));
    }

    public string Name { get; }
    public CompiledEntry[] Entries { get; }
    public IReadOnlyList<LoreNote> CompileNotes { get; }
    public int MaxScanDepth { get; }
    public bool NeedsLowerCase { get; }

    private static CompiledKey[] CompileKeys(LorebookEntry entry, IReadOnlyList<string> keys, bool caseSensitive, bool wholeWords, List<LoreNote> notes)
    {
        var result = new List<CompiledKey>(keys.Count);
        foreach (var raw in keys)
        {
            var key = raw?.Trim();
            if (string.IsNullOrEmpty(key)) continue;
            var slash = key.Length > 2 ? SlashForm.Match(key) : Match.Empty;
            if (!slash.Success && !entry.UseRegex)
            {
                result.Add(new CompiledKey(key, null, caseSensitive, wholeWords));
                continue;
            }
            var pattern = slash.Success ? slash.Groups["p"].Value : key;
            var flags = slash.Success ? slash.Groups["f"].Value : "";
            var options = RegexOptions.CultureInvariant | RegexOptions.Compiled;
            if (flags.Contains('i') || (!caseSensitive && !slash.Success)) options |= RegexOptions.IgnoreCase;
            if (flags.Contains('m')) options |= RegexOptions.Multiline;
            if (flags.Contains('s')) options |= RegexOptions.Singleline;
            try
            {
                result.Add(new CompiledKey(key, new Regex(pattern, options, LorebookMatcher.RegexTimeout), true, false));
            }
            catch (ArgumentException ex)
            {
                notes.Add(new LoreNote(entry, LoreNoteKind.InvalidRegex, $"Key {key} is not a valid regular expression: {ex.Message}"));
            }
        }
        return [.. result];
    }
}
