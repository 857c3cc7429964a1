namespace CharacterHub.Modules.Interaction.Prompting;

/// <summary>Receives every occurrence an <see cref="KeyAutomaton"/> finds. A struct implementation is passed by ref so
/// the per-character loop has no delegate or interface dispatch.</summary>
internal interface IKeyOccurrenceSink
{
    void OnOccurrence(int pattern, int start);
}

/// <summary>Aho-Corasick automaton over a set of (already case-folded) patterns: one left-to-right pass reports every
/// occurrence of every pattern, so a turn's scan costs O(text + occurrences) however many entries and keys a book has.
/// Immutable once built, hence safe to share between concurrent scans.</summary>
internal sealed class KeyAutomaton
{
    /// <summary>Children of state s are labels/targets[childStart[s] .. childStart[s + 1]), sorted by label.</summary>
    private readonly int[] childStart;
    private readonly char[] labels;
    private readonly int[] targets;
    private readonly int[] fail;

    /// <summary>Pattern that ends exactly at a state, or -1.</summary>
    private readonly int[] output;

    /// <summary>Nearest state on the failure chain that has an output, or 0 (the root never has one).</summary>
    private readonly int[] dictLink;

    private readonly int[] patternLength;

    /// <summary>Root transitions for ASCII, the common case, looked up without a search.</summary>
    private readonly int[] rootAscii = new int[128];

    public KeyAutomaton(IReadOnlyList<string> patterns)
    {
        // Build the trie with per-node dictionaries, then flatten: lookups in the scan loop touch only arrays.
        var children = new List<Dictionary<char, int>?> { null };
        var outputs = new List<int> { -1 };
        patternLength = new int[patterns.Count];
        for (var p = 0; p < patterns.Count; p++)
        {
            var pattern = patterns[p];
            if (pattern.Length == 0) throw new ArgumentException("Empty patterns match everywhere and are not allowed.", nameof(patterns));
            patternLength[p] = pattern.Length;
            var state = 0;
            foreach (var c in pattern)
            {
                var map = children[state] ??= new Dictionary<char, int>();
                if (!map.TryGetValue(c, out var next))
                {
                    next = children.Count;
                    map[c] = next;
                    children.Add(null);
                    outputs.Add(-1);
                }
                state = next;
            }
            if (outputs[state] >= 0) throw new ArgumentException($"Duplicate pattern \"{pattern}\".", nameof(patterns));
            outputs[state] = p;
        }

        var count = children.Count;
        StateCount = count;
        output = [.. outputs];
        childStart = new int[count + 1];
        var edges = 0;
        for (var s = 0; s < count; s++)
        {
            childStart[s] = edges;
            edges += children[s]?.Count ?? 0;
        }
        childStart[count] = edges;
        labels = new char[edges];
        targets = new int[edges];
        for (var s = 0; s < count; s++)
        {
            if (children[s] is not { } map) continue;
            var at = childStart[s];
            foreach (var (c, t) in map.OrderBy(kv => kv.Key))
            {
                labels[at] = c;
                targets[at] = t;
                at++;
            }
        }

        // Failure links breadth-first: a state's link is the longest proper suffix of its path that is also a path.
        fail = new int[count];
        dictLink = new int[count];
        var queue = new Queue<int>();
        for (var e = childStart[0]; e < childStart[1]; e++) queue.Enqueue(targets[e]);
        while (queue.Count > 0)
        {
            var s = queue.Dequeue();
            for (var e = childStart[s]; e < childStart[s + 1]; e++)
            {
                var c = labels[e];
                var t = targets[e];
                var f = fail[s];
                int next;
                while ((next = Child(f, c)) < 0 && f != 0) f = fail[f];
                fail[t] = next >= 0 && next != t ? next : 0;
                dictLink[t] = output[fail[t]] >= 0 ? fail[t] : dictLink[fail[t]];
                queue.Enqueue(t);
            }
        }
        for (var c = 0; c < rootAscii.Length; c++) rootAscii[c] = Child(0, (char)c);
    }

    public int StateCount { get; }

    /// <summary>Rough heap footprint, for bounding caches of compiled books.</summary>
    public long ApproximateBytes => (long)StateCount * 4 * sizeof(int) + labels.Length * (sizeof(char) + sizeof(int)) + rootAscii.Length * sizeof(int);

    /// <summary>Reports every occurrence that starts at or after <paramref name="from"/>. Returns the number of automaton
    /// steps taken (goto plus failure transitions), which is at most twice the scanned length: the work measure the
    /// tests use to prove the scan does not grow with the number of keys.</summary>
    public long Scan<TSink>(ReadOnlySpan<char> text, int from, ref TSink sink)
        where TSink : struct, IKeyOccurrenceSink, allows ref struct
    {
        long steps = 0;
        var state = 0;
        for (var i = Math.Max(0, from); i < text.Length; i++)
        {
            var c = text[i];
            while (true)
            {
                steps++;
                var next = state == 0 && c < 128 ? rootAscii[c] : Child(state, c);
                if (next >= 0)
                {
                    state = next;
                    break;
                }
                if (state == 0) break;
                state = fail[state];
            }
            var hit = output[state] >= 0 ? state : dictLink[state];
            while (hit != 0)
            {
                var p = output[hit];
                sink.OnOccurrence(p, i + 1 - patternLength[p]);
                hit = dictLink[hit];
            }
        }
        return steps;
    }

    private int Child(int state, char c)
    {
        var lo = childStart[state];
        var hi = childStart[state + 1] - 1;
        // Most trie nodes have one or two children; a linear probe beats a binary search there.
        if (hi - lo < 4)
        {
            for (var e = lo; e <= hi; e++)
            {
                if (labels[e] == c) return targets[e];
            }
            return -1;
        }
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var l = labels[mid];
            if (l == c) return targets[mid];
            if (l < c) lo = mid + 1;
            else hi = mid - 1;
        }
        return -1;
    }
}
