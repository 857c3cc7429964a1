using System.Buffers;
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
    IgnoredDecorator,
}

/// <summary>Why an entry that could have been inserted was not; for the prompt inspector.</summary>
internal sealed record LoreNote(LorebookEntry Entry, LoreNoteKind Kind, string Message);

internal sealed record LoreScanResult(IReadOnlyList<ActivatedLoreEntry> Activated, IReadOnlyList<LoreNote> Notes)
{
    public static readonly LoreScanResult Empty = new([], []);

    /// <summary>Key-matching work of this scan: automaton steps plus candidate occurrences verified. Regex keys are not
    /// included. Exposed so a test can prove the cost follows the scanned text, not entries × keys × text.</summary>
    public long MatchWork { get; init; }
}

/// <summary>World Info activation. A lorebook is compiled once per (Id, Version): decorators parsed, every plain key
/// of every entry case-folded into one Aho-Corasick automaton, regexes built with a match timeout. A turn joins only
/// the scanned tail of the chat once, lower-cases it once and runs the automaton over it in a single pass, so the cost
/// grows with the scanned text plus the occurrences found, not with entries × keys × text. Entry content never
/// changes within a book version, so which plain keys occur in it is worked out at compile time too: recursion then
/// costs one lookup per key occurrence instead of a scan of the (often large) activated content.</summary>
internal sealed class LorebookMatcher(ITokenCounter tokens)
{
    public static readonly TimeSpan RegexTimeout = TimeSpan.FromMilliseconds(50);
    private const int MaxCachedBooks = 256;

    /// <summary>Compiled books hold their automaton; a size bound as well as a count bound keeps a server that sees many
    /// huge books from growing without limit.</summary>
    private const long MaxCachedBytes = 64L * 1024 * 1024;

    private readonly ConcurrentDictionary<(string Id, long Version), CompiledLorebook> byId = new();
    private readonly ConditionalWeakTable<Lorebook, CompiledLorebook> byInstance = new();
    private long cachedBytes;

    public CompiledLorebook GetCompiled(Lorebook book)
    {
        if (string.IsNullOrEmpty(book.Id)) return byInstance.GetValue(book, b => new CompiledLorebook(b));
        var key = (book.Id, book.Version);
        if (byId.TryGetValue(key, out var compiled)) return compiled;
        compiled = new CompiledLorebook(book);
        // An edit bumps the version, so older versions of the same book are dead weight from here on.
        foreach (var old in byId.Keys)
        {
            if (old.Id == book.Id && old.Version != book.Version && byId.TryRemove(old, out var gone)) Interlocked.Add(ref cachedBytes, -gone.ApproximateBytes);
        }
        if (byId.Count >= MaxCachedBooks || Interlocked.Read(ref cachedBytes) + compiled.ApproximateBytes > MaxCachedBytes)
        {
            // Clearing wholesale keeps the bound without LRU bookkeeping; a recompile costs one turn per book.
            byId.Clear();
            Interlocked.Exchange(ref cachedBytes, 0);
        }
        var stored = byId.GetOrAdd(key, compiled);
        if (ReferenceEquals(stored, compiled)) Interlocked.Add(ref cachedBytes, compiled.ApproximateBytes);
        return stored;
    }

    public LoreScanResult Scan(Lorebook book, IReadOnlyList<HistoryMessage> history, Random random)
    {
        var compiled = GetCompiled(book);
        if (compiled.Entries.Length == 0) return LoreScanResult.Empty;
        var notes = new List<LoreNote>(compiled.CompileNotes);
        var chat = ChatText.Build(history, compiled.MaxScanDepth, compiled.Automaton is not null);
        using var scan = new ScanState(compiled, chat, history.Count);
        scan.FindChatKeys();
        var activated = new List<(int Index, ActivatedLoreEntry Hit)>();

        ScanPass(scan, 0, activated, notes, random);
        if (book.RecursiveScanning)
        {
            var consumed = 0;
            for (var level = 1; level <= Math.Max(0, book.MaxRecursionSteps); level++)
            {
                var previousLength = scan.RecursionLength;
                for (; consumed < activated.Count; consumed++)
                {
                    var entry = compiled.Entries[activated[consumed].Index];
                    if (entry.Source.PreventRecursion || entry.Source.Content.Length == 0) continue;
                    scan.AppendRecursion(entry);
                }
                if (scan.RecursionLength == previousLength) break;
                ScanPass(scan, level, activated, notes, random);
            }
        }

        var kept = ApplyInclusionGroups(activated, notes, random);
        kept = ApplyBudget(book, kept, notes);
        kept.Sort(static (a, b) => a.Hit.Entry.InsertionOrder != b.Hit.Entry.InsertionOrder
            ? a.Hit.Entry.InsertionOrder.CompareTo(b.Hit.Entry.InsertionOrder)
            : a.Index.CompareTo(b.Index));
        var result = new List<ActivatedLoreEntry>(kept.Count);
        foreach (var k in kept) result.Add(k.Hit);
        return new LoreScanResult(result, notes) { MatchWork = scan.Work };
    }

    private enum EntryState : byte
    {
        Pending,
        Activated,
        Failed,
    }

    private void ScanPass(ScanState scan, int level, List<(int Index, ActivatedLoreEntry Hit)> activated, List<LoreNote> notes, Random random)
    {
        var book = scan.Book;
        var entries = book.Entries;
        var chat = scan.Chat;
        for (var i = 0; i < entries.Length; i++)
        {
            if (scan.States[i] != EntryState.Pending) continue;
            var entry = entries[i];
            var source = entry.Source;
            if (scan.MessageCount < entry.ActivateOnlyAfter) continue;
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
                var useRecursion = level > 0 && !source.ExcludeRecursion && scan.RecursionLength > 0;
                var chatStart = chat.StartForDepth(entry.ScanDepth);
                if (chatStart >= chat.Text.Length && !useRecursion) continue;
                // Each text is examined for an entry's primary keys once: chat on the entry's first pass, recursion
                // text only where it grew since. A primary hit held back by other keys is remembered.
                primary = scan.Primary[i];
                if (primary is null && !scan.ChatSearched[i])
                {
                    scan.ChatSearched[i] = true;
                    primary = scan.FirstChatMatch(entry, entry.Keys, chatStart, notes);
                }
                if (primary is null && useRecursion && scan.RecursionSearched[i] < scan.RecursionLength)
                {
                    primary = scan.FirstRecursionMatch(entry, entry.Keys, Math.Max(0, scan.RecursionSearched[i] - 1), notes);
                    scan.RecursionSearched[i] = scan.RecursionLength;
                }
                if (primary is null) continue;
                scan.Primary[i] = primary;
                if (entry.ExcludeKeys.Length > 0 && scan.AnyMatch(entry, entry.ExcludeKeys, chatStart, useRecursion, notes)) continue;
                if (entry.SecondaryKeys.Length > 0 && !SecondaryAllows(scan, entry, chatStart, useRecursion, notes, out secondary)) continue;
                how = level == 0 ? LoreActivation.Key : LoreActivation.Recursion;
            }

            if (source.Probability < 100 && (source.Probability <= 0 || random.NextDouble() * 100 >= source.Probability))
            {
                scan.States[i] = EntryState.Failed;
                notes.Add(new LoreNote(source, LoreNoteKind.ProbabilityFailed, $"Matched but lost its {source.Probability}% probability roll."));
                continue;
            }
            scan.States[i] = EntryState.Activated;
            activated.Add((i, new ActivatedLoreEntry(source, book.Name, how, primary, secondary, level, entry.Tokens(tokens))));
        }
    }

    private static bool SecondaryAllows(ScanState scan, CompiledEntry entry, int chatStart, bool useRecursion, List<LoreNote> notes, out string? matched)
    {
        matched = null;
        var any = false;
        var all = true;
        var logic = entry.Source.SelectiveLogic;
        foreach (var key in entry.SecondaryKeys)
        {
            if (scan.KeyMatches(entry, key, chatStart, useRecursion, notes))
            {
                any = true;
                matched ??= key.Original;
                if (logic is SelectiveLogic.AndAny or SelectiveLogic.NotAny) break;
            }
            else
            {
                all = false;
                if (logic is SelectiveLogic.AndAll or SelectiveLogic.NotAll) break;
            }
        }
        var allowed = logic switch
        {
            SelectiveLogic.AndAny => any,
            SelectiveLogic.NotAll => !all,
            SelectiveLogic.NotAny => !any,
            SelectiveLogic.AndAll => all,
            _ => any,
        };
        if (logic is SelectiveLogic.NotAll or SelectiveLogic.NotAny) matched = null;
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
        var dropped = $"Dropped: the book's budget of {book.TokenBudget} tokens was used by higher-priority entries.";
        foreach (var k in ordered)
        {
            if (!overflowed && used + k.Hit.Tokens <= book.TokenBudget.Value)
            {
                used += k.Hit.Tokens;
                result.Add(k);
                continue;
            }
            overflowed = true;
            notes.Add(new LoreNote(k.Hit.Entry, LoreNoteKind.OverBudget, dropped));
        }
        return result;
    }

    /// <summary>Everything one scan of one book knows. Plain keys are answered from hit flags (set by the automaton
    /// for chat, from compile-time content hits for recursion); regex keys are still run one by one, lazily, in key
    /// order, so their timeout notes appear as before.</summary>
    private sealed class ScanState : IDisposable
    {
        private readonly bool[] chatHit;
        private readonly bool[] recursionHit;

        /// <summary>The recursion text itself is only needed by regex keys; it lives in a pooled buffer because with a
        /// big book it reaches hundreds of kilobytes per turn.</summary>
        private char[] recursionText = [];

        public ScanState(CompiledLorebook book, ChatText chat, int messageCount)
        {
            Book = book;
            Chat = chat;
            MessageCount = messageCount;
            var entries = book.Entries.Length;
            States = new EntryState[entries];
            ChatSearched = new bool[entries];
            RecursionSearched = new int[entries];
            Primary = new string?[entries];
            chatHit = new bool[book.Keys.Length];
            recursionHit = new bool[book.Keys.Length];
        }

        public CompiledLorebook Book { get; }
        public ChatText Chat { get; }
        public int MessageCount { get; }
        public EntryState[] States { get; }
        public bool[] ChatSearched { get; }
        public int[] RecursionSearched { get; }
        public string?[] Primary { get; }

        /// <summary>Length of the recursion text ('\n' + content per activated entry), whether or not it is materialised.</summary>
        public int RecursionLength { get; private set; }

        public long Work { get; private set; }

        private ReadOnlySpan<char> Recursion => recursionText.AsSpan(0, Math.Min(RecursionLength, recursionText.Length));

        public void FindChatKeys()
        {
            if (Book.Automaton is not { } automaton || Chat.Text.Length == 0) return;
            var sink = new HitSink(Book, Chat, chatHit);
            Work += automaton.Scan(Chat.Lower.AsSpan(), 0, ref sink);
            Work += sink.Verified;
        }

        /// <summary>Adds an activated entry's content to the recursion text. The '\n' between two contents is a word
        /// boundary, and keys are trimmed, so the keys found in the content alone at compile time are the keys found in
        /// it here; only a key with a line break inside it could have spanned two contents, and such a key is now
        /// matched within each content. Hit flags accumulate over the passes.</summary>
        public void AppendRecursion(CompiledEntry entry)
        {
            foreach (var id in entry.ContentKeyHits) recursionHit[id] = true;
            Work += entry.ContentKeyHits.Length;
            var needed = RecursionLength + 1 + entry.Source.Content.Length;
            if (Book.HasRegexKeys)
            {
                if (needed > recursionText.Length)
                {
                    var grown = ArrayPool<char>.Shared.Rent(Math.Max(needed, recursionText.Length * 2));
                    Recursion.CopyTo(grown);
                    ReturnBuffer();
                    recursionText = grown;
                }
                recursionText[RecursionLength] = '\n';
                entry.Source.Content.CopyTo(recursionText.AsSpan(RecursionLength + 1));
            }
            RecursionLength = needed;
        }

        public void Dispose() => ReturnBuffer();

        private void ReturnBuffer()
        {
            if (recursionText.Length > 0) ArrayPool<char>.Shared.Return(recursionText);
            recursionText = [];
        }

        public string? FirstChatMatch(CompiledEntry entry, CompiledKey[] keys, int chatStart, List<LoreNote> notes)
        {
            foreach (var key in keys)
            {
                if (key.IsRegex ? key.RegexMatches(Chat.Text.AsSpan(), chatStart, entry, notes) : chatHit[key.Id]) return key.Original;
            }
            return null;
        }

        public string? FirstRecursionMatch(CompiledEntry entry, CompiledKey[] keys, int from, List<LoreNote> notes)
        {
            foreach (var key in keys)
            {
                if (key.IsRegex ? key.RegexMatches(Recursion, from, entry, notes) : recursionHit[key.Id]) return key.Original;
            }
            return null;
        }

        /// <summary>Secondary and exclude keys look at the entry's chat window and, when recursing, all recursion text.</summary>
        public bool KeyMatches(CompiledEntry entry, CompiledKey key, int chatStart, bool useRecursion, List<LoreNote> notes) => key.IsRegex
            ? key.RegexMatches(Chat.Text.AsSpan(), chatStart, entry, notes) || (useRecursion && key.RegexMatches(Recursion, 0, entry, notes))
            : chatHit[key.Id] || (useRecursion && recursionHit[key.Id]);

        public bool AnyMatch(CompiledEntry entry, CompiledKey[] keys, int chatStart, bool useRecursion, List<LoreNote> notes)
        {
            foreach (var key in keys)
            {
                if (KeyMatches(entry, key, chatStart, useRecursion, notes)) return true;
            }
            return false;
        }
    }

    /// <summary>Turns raw chat occurrences (of case-folded patterns) into per-key hits, checked against the owning
    /// entry's scan depth.</summary>
    private struct HitSink(CompiledLorebook book, ChatText chat, bool[] hits) : IKeyOccurrenceSink
    {
        public long Verified { get; private set; }

        public void OnOccurrence(int pattern, int start)
        {
            foreach (var id in book.PatternKeys[pattern])
            {
                if (hits[id]) continue;
                Verified++;
                var key = book.Keys[id];
                if (start < chat.StartForDepth(book.Entries[key.Owner].ScanDepth)) continue;
                if (key.OccursAt(chat.Text, chat.Lower, start)) hits[id] = true;
            }
        }
    }

    /// <summary>The last messages joined oldest-first, so the last k messages are a suffix: one string serves every
    /// scan depth.</summary>
    private sealed class ChatText
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
    private readonly Regex? regex;
    private volatile bool timedOut;

    public CompiledKey(int id, int owner, string original, Regex? regex, bool caseSensitive, bool wholeWords)
    {
        Id = id;
        Owner = owner;
        Original = original;
        this.regex = regex;
        CaseSensitive = caseSensitive;
        WholeWords = wholeWords;
        Needle = caseSensitive ? original : original.ToLowerInvariant();
    }

    /// <summary>Index into <see cref="CompiledLorebook.Keys"/>, and into a scan's hit flags.</summary>
    public int Id { get; }

    /// <summary>Index of the entry the key belongs to in <see cref="CompiledLorebook.Entries"/>.</summary>
    public int Owner { get; }

    public string Original { get; }
    public string Needle { get; }
    public bool CaseSensitive { get; }
    public bool WholeWords { get; }
    public bool IsRegex => regex is not null;

    public bool RegexMatches(ReadOnlySpan<char> text, int start, CompiledEntry entry, List<LoreNote> notes)
    {
        if (regex is null || start >= text.Length) return false;
        if (timedOut)
        {
            notes.Add(new LoreNote(entry.Source, LoreNoteKind.RegexTimeout, $"Regex key {Original} is skipped: it exceeded {LorebookMatcher.RegexTimeout.TotalMilliseconds:0} ms before."));
            return false;
        }
        try
        {
            return regex.IsMatch(text[start..]);
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

    /// <summary>Confirms an occurrence of the case-folded pattern at <paramref name="start"/>: a case-sensitive key
    /// against the original text, a whole-word key at its boundaries (the text's ends count as boundaries).</summary>
    public bool OccursAt(ReadOnlySpan<char> text, ReadOnlySpan<char> lower, int start)
    {
        var hay = CaseSensitive ? text : lower;
        var end = start + Needle.Length;
        if (CaseSensitive && !hay[start..end].SequenceEqual(Needle)) return false;
        return !WholeWords || ((start == 0 || !IsWordChar(hay[start - 1])) && (end >= hay.Length || !IsWordChar(hay[end])));
    }

    private static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c == '_';
}

internal sealed class CompiledEntry
{
    private int tokens = -1;

    public CompiledEntry(LorebookEntry source, CompiledKey[] keys, CompiledKey[] secondaryKeys, CompiledKey[] excludeKeys, int scanDepth, int activateOnlyAfter)
    {
        Source = source;
        LowerContent = source.Content.ToLowerInvariant();
        Keys = keys;
        SecondaryKeys = source.Selective ? secondaryKeys : [];
        ExcludeKeys = excludeKeys;
        ScanDepth = scanDepth;
        ActivateOnlyAfter = activateOnlyAfter;
    }

    /// <summary>The entry as it is inserted: decorator lines stripped from the content and their settings applied.</summary>
    public LorebookEntry Source { get; }

    /// <summary>Case-folded once per book version, so recursion never lower-cases entry content per turn.</summary>
    public string LowerContent { get; }

    public CompiledKey[] Keys { get; }
    public CompiledKey[] SecondaryKeys { get; }

    /// <summary>From <c>@@exclude_keys</c>: any of them in the scanned text keeps the entry out.</summary>
    public CompiledKey[] ExcludeKeys { get; }

    public int ScanDepth { get; }

    /// <summary>Ids of the plain keys (of any entry) that occur in this entry's content; filled in once the book's
    /// automaton exists.</summary>
    public int[] ContentKeyHits { get; internal set; } = [];

    /// <summary>From <c>@@activate_only_after</c>: the chat needs at least this many messages.</summary>
    public int ActivateOnlyAfter { get; }

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
        var keys = new List<CompiledKey>();
        foreach (var raw in book.Entries)
        {
            if (!raw.Enabled) continue;
            var e = ApplyDecorators(raw, notes, out var decorators);
            var caseSensitive = e.CaseSensitive ?? book.CaseSensitive;
            var wholeWords = e.MatchWholeWords ?? book.MatchWholeWords;
            var firstKey = keys.Count;
            var owner = entries.Count;
            var primary = CompileKeys(e, e.Keys, caseSensitive, wholeWords, owner, keys, notes);
            var secondary = CompileKeys(e, e.Selective ? e.SecondaryKeys : [], caseSensitive, wholeWords, owner, keys, notes);
            var exclude = CompileKeys(e, decorators.ExcludeKeys, caseSensitive, wholeWords, owner, keys, notes);
            // An entry without usable keys can only ever fire when constant, and @@dont_activate forbids keys; keeping
            // either would cost a loop per turn.
            if (!e.Constant && (primary.Length == 0 || decorators.DontActivate))
            {
                keys.RemoveRange(firstKey, keys.Count - firstKey);
                continue;
            }
            entries.Add(new CompiledEntry(e, primary, secondary, exclude, Math.Max(0, e.ScanDepth ?? book.ScanDepth), decorators.ActivateOnlyAfter ?? 0));
        }
        Entries = [.. entries];
        Keys = [.. keys];
        CompileNotes = notes;
        MaxScanDepth = Entries.Length == 0 ? 0 : Entries.Max(x => x.ScanDepth);

        // Distinct case-folded plain keys become the automaton's patterns; each pattern lists the keys it stands for.
        var patternIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var patternKeys = new List<List<int>>();
        foreach (var key in Keys)
        {
            if (key.IsRegex) continue;
            var folded = key.CaseSensitive ? key.Needle.ToLowerInvariant() : key.Needle;
            if (!patternIndex.TryGetValue(folded, out var p))
            {
                p = patternKeys.Count;
                patternIndex[folded] = p;
                patternKeys.Add([]);
            }
            patternKeys[p].Add(key.Id);
        }
        PatternKeys = [.. patternKeys.Select(l => l.ToArray())];
        Automaton = patternKeys.Count == 0 ? null : new KeyAutomaton([.. patternIndex.OrderBy(kv => kv.Value).Select(kv => kv.Key)]);
        HasRegexKeys = Keys.Any(k => k.IsRegex);
        if (Automaton is not null)
        {
            var seen = new bool[Keys.Length];
            var found = new List<int>();
            foreach (var entry in Entries)
            {
                if (entry.Source.PreventRecursion || entry.Source.Content.Length == 0) continue;
                var sink = new ContentSink(this, entry.Source.Content, entry.LowerContent, found, seen);
                Automaton.Scan(entry.LowerContent.AsSpan(), 0, ref sink);
                entry.ContentKeyHits = [.. found];
                foreach (var id in found) seen[id] = false;
                found.Clear();
            }
        }
        ApproximateBytes = 1024 + (Automaton?.ApproximateBytes ?? 0) + Keys.Length * 64L
            + Entries.Sum(x => (4L * x.Source.Content.Length) + (4L * x.ContentKeyHits.Length) + 256);
    }

    public string Name { get; }
    public CompiledEntry[] Entries { get; }
    public CompiledKey[] Keys { get; }
    public IReadOnlyList<LoreNote> CompileNotes { get; }
    public int MaxScanDepth { get; }

    /// <summary>All plain keys of the book; null when it has none (regex-only or constant-only books).</summary>
    public KeyAutomaton? Automaton { get; }

    /// <summary>Automaton pattern → ids of the keys (possibly in several entries) that fold to it.</summary>
    public int[][] PatternKeys { get; }

    public long ApproximateBytes { get; }

    /// <summary>Only regex keys need the recursion text itself; plain keys use <see cref="CompiledEntry.ContentKeyHits"/>.</summary>
    public bool HasRegexKeys { get; }

    /// <summary>Collects the distinct keys occurring in one entry's content, at compile time.</summary>
    private struct ContentSink(CompiledLorebook book, string text, string lower, List<int> found, bool[] seen) : IKeyOccurrenceSink
    {
        public void OnOccurrence(int pattern, int start)
        {
            foreach (var id in book.PatternKeys[pattern])
            {
                if (seen[id] || !book.Keys[id].OccursAt(text, lower, start)) continue;
                seen[id] = true;
                found.Add(id);
            }
        }
    }

    private static LorebookEntry ApplyDecorators(LorebookEntry entry, List<LoreNote> notes, out LoreDecorators decorators)
    {
        decorators = LoreDecorators.Parse(entry.Content);
        if (decorators.Content.Length == entry.Content.Length) return entry;
        var effective = entry with
        {
            Content = decorators.Content,
            Position = decorators.EffectivePosition ?? entry.Position,
            Depth = decorators.Depth ?? entry.Depth,
            Role = decorators.Role ?? entry.Role,
            ScanDepth = decorators.ScanDepth ?? entry.ScanDepth,
            Constant = entry.Constant || decorators.Activate,
        };
        foreach (var ignored in decorators.Ignored)
        {
            notes.Add(new LoreNote(effective, LoreNoteKind.IgnoredDecorator, $"Decorator {ignored} is not supported or has an invalid value and was ignored."));
        }
        return effective;
    }

    private static CompiledKey[] CompileKeys(LorebookEntry entry, IReadOnlyList<string> keys, bool caseSensitive, bool wholeWords, int owner, List<CompiledKey> all, List<LoreNote> notes)
    {
        if (keys.Count == 0) return [];
        var result = new List<CompiledKey>(keys.Count);
        foreach (var raw in keys)
        {
            var key = raw?.Trim();
            if (string.IsNullOrEmpty(key)) continue;
            var slash = key.Length > 2 ? SlashForm.Match(key) : Match.Empty;
            CompiledKey compiled;
            if (!slash.Success && !entry.UseRegex)
            {
                compiled = new CompiledKey(all.Count, owner, key, null, caseSensitive, wholeWords);
            }
            else
            {
                var pattern = slash.Success ? slash.Groups["p"].Value : key;
                var flags = slash.Success ? slash.Groups["f"].Value : "";
                var options = RegexOptions.CultureInvariant | RegexOptions.Compiled;
                if (flags.Contains('i') || (!caseSensitive && !slash.Success)) options |= RegexOptions.IgnoreCase;
                if (flags.Contains('m')) options |= RegexOptions.Multiline;
                if (flags.Contains('s')) options |= RegexOptions.Singleline;
                try
                {
                    compiled = new CompiledKey(all.Count, owner, key, new Regex(pattern, options, LorebookMatcher.RegexTimeout), true, false);
                }
                catch (ArgumentException ex)
                {
                    notes.Add(new LoreNote(entry, LoreNoteKind.InvalidRegex, $"Key {key} is not a valid regular expression: {ex.Message}"));
                    continue;
                }
            }
            all.Add(compiled);
            result.Add(compiled);
        }
        return [.. result];
    }
}
