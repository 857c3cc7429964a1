using CharacterHub.Modules.Interaction.Prompting;

namespace CharacterHub.Benchmarks;

/// <summary>Per-turn prompt assembly for a long chat with a big lorebook: the in-process share of a turn's latency
/// (the database work is measured elsewhere).</summary>
internal sealed class PromptBuildBench : IBenchmark
{
    private const int Messages = 2_000;
    private const int Entries = 500;
    private const int Turns = 600;
    private const int Warmup = 50;

    private static readonly string[] Words =
    [
        "the", "a", "sword", "tavern", "night", "castle", "river", "she", "he", "smiled", "quietly", "dragon", "storm",
        "across", "ancient", "forest", "whispered", "laughed", "gold", "silver", "road", "king", "queen", "magic", "old",
        "door", "fire", "stone", "bridge", "market", "song", "eyes", "hand", "looked", "walked", "toward", "under", "moon",
    ];

    public string Name => "prompt-build";
    public string Description => "PromptBuilder.Build per turn: 2,000-message chat, 500-entry lorebook, 8k context";

    public Task<IReadOnlyList<Measurement>> RunAsync(BenchContext context)
    {
        var random = new Random(12345);
        var start = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var history = new List<HistoryMessage>(Messages + Turns + Warmup);
        for (var i = 0; i < Messages; i++) history.Add(Message(random, i, start));
        var book = new Lorebook
        {
            Id = "bench-book",
            Version = 1,
            ScanDepth = 4,
            TokenBudget = 1_500,
            RecursiveScanning = true,
            Entries = Enumerable.Range(0, Entries).Select(i => Entry(random, i)).ToList(),
        };
        var character = new PromptCharacter
        {
            Name = "Aria",
            Description = Sentence(random, 250),
            Personality = "cheerful, curious, stubborn",
            Scenario = Sentence(random, 60),
            SystemPrompt = "{{original}} Write {{char}}'s next reply.",
            PostHistoryInstructions = "Stay in character as {{char}}.",
            MesExample = "<START>\n{{user}}: " + Sentence(random, 20) + "\n{{char}}: " + Sentence(random, 60) + "\n<START>\n{{char}}: " + Sentence(random, 50),
            DepthPrompt = new DepthPrompt("{{char}} hides a secret.", 4),
        };
        var settings = new PromptSettings
        {
            GlobalSystemPrompt = "You are {{char}} in a role-play with {{user}}.",
            AuthorsNote = "[Keep replies under {{roll:d6}}00 words]",
            ContextSize = 8_192,
            MaxReplyTokens = 512,
        };
        var counter = TiktokenTokenCounter.Shared;
        var builder = new PromptBuilder(counter);

        var totalTokens = 0L;
        var activated = 0L;
        void Turn(int i)
        {
            history.Add(Message(random, history.Count, start));
            var prompt = builder.Build(new PromptRequest
            {
                Character = character,
                Persona = new PromptPersona("Sam", "A wandering knight."),
                History = history,
                Lorebooks = [book],
                Settings = settings,
                ChatId = "bench",
                Random = new Random(i),
            });
            totalTokens += prompt.TotalTokens;
            activated += prompt.ActivatedEntries.Count;
        }

        var coldStart = System.Diagnostics.Stopwatch.GetTimestamp();
        Turn(-1);
        var coldMs = System.Diagnostics.Stopwatch.GetElapsedTime(coldStart).TotalMilliseconds;
        for (var i = 0; i < Warmup; i++) Turn(i);
        totalTokens = 0;
        activated = 0;
        var cpuSamples = new List<double>(Turns);
        var samples = Stats.TimeAsync(Turns, i =>
        {
            var cpuBefore = ThreadCpu.Milliseconds();
            Turn(i);
            cpuSamples.Add(ThreadCpu.Milliseconds() - cpuBefore);
            return Task.CompletedTask;
        }).GetAwaiter().GetResult();
        cpuSamples.Sort();

        var meanTokens = (double)totalTokens / Turns;
        var meanActivated = (double)activated / Turns;

        // Breakdown, so the next regression shows where it is: the lorebook scan alone on the same chat, and Build
        // without any lorebook (card, macros, story string, history trimming and token counting).
        var scanSamples = Stats.TimeAsync(Turns, i =>
        {
            history.Add(Message(random, history.Count, start));
            builder.Matcher.Scan(book, history, new Random(i));
            return Task.CompletedTask;
        }).GetAwaiter().GetResult();
        var noLoreSamples = Stats.TimeAsync(Turns, i =>
        {
            history.Add(Message(random, history.Count, start));
            builder.Build(new PromptRequest
            {
                Character = character,
                Persona = new PromptPersona("Sam", "A wandering knight."),
                History = history,
                Settings = settings,
                ChatId = "bench",
                Random = new Random(i),
            });
            return Task.CompletedTask;
        }).GetAwaiter().GetResult();
        var allocStart = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++) Turn(Turns + i);
        var allocPerTurn = (GC.GetAllocatedBytesForCurrentThread() - allocStart) / 100.0 / 1024;

        var p50 = Stats.Percentile(samples, 50);
        var p95 = Stats.Percentile(samples, 95);
        var p99 = Stats.Percentile(samples, 99);
        IReadOnlyList<Measurement> results =
        [
            new("first build (compiles lorebook, loads tokenizer)", coldMs, "ms"),
            new($"Build per turn p50 ({Turns} turns)", p50, "ms", "p50 ≤ 5 ms", p50 <= 5),
            new($"Build per turn p95 ({Turns} turns)", p95, "ms", "p95 ≤ 15 ms", p95 <= 15),
            new($"Build per turn p99 ({Turns} turns)", p99, "ms"),
            new("  CPU time of the building thread per turn, p50", Stats.Percentile(cpuSamples, 50), "ms"),
            new("  CPU time of the building thread per turn, p95", Stats.Percentile(cpuSamples, 95), "ms"),
            new("  of which lorebook scan alone, p50", Stats.Percentile(scanSamples, 50), "ms"),
            new("  of which lorebook scan alone, p95", Stats.Percentile(scanSamples, 95), "ms"),
            new("  Build without lorebook, p50", Stats.Percentile(noLoreSamples, 50), "ms"),
            new("  Build without lorebook, p95", Stats.Percentile(noLoreSamples, 95), "ms"),
            new("allocated per turn", allocPerTurn, "KiB"),
            new("prompt tokens per turn (mean)", meanTokens, "tokens"),
            new("lorebook entries activated per turn (mean)", meanActivated, "entries"),
        ];
        return Task.FromResult(results);
    }

    private static HistoryMessage Message(Random random, int index, DateTimeOffset start)
    {
        var user = index % 2 == 0;
        return new HistoryMessage(user ? ChatRole.User : ChatRole.Assistant, user ? "Sam" : "Aria",
            Sentence(random, user ? random.Next(10, 60) : random.Next(60, 200)), start.AddMinutes(index));
    }

    private static LorebookEntry Entry(Random random, int i)
    {
        var keys = Enumerable.Range(0, random.Next(1, 4)).Select(k => $"{Words[random.Next(Words.Length)]}{(k == 0 ? "" : " ")}{(k == 0 ? i.ToString(System.Globalization.CultureInfo.InvariantCulture) : Words[random.Next(Words.Length)])}").ToList();
        // A sprinkle of common single-word keys so entries really activate every turn, as in real books.
        if (i % 25 == 0) keys.Add(Words[random.Next(Words.Length)]);
        return new LorebookEntry
        {
            Id = "e" + i,
            Keys = i % 40 == 0 ? [$"/{Words[random.Next(Words.Length)]}\\s+(of|the)\\s+\\w+/i"] : keys,
            UseRegex = false,
            SecondaryKeys = i % 7 == 0 ? [Words[random.Next(Words.Length)]] : [],
            Selective = i % 7 == 0,
            SelectiveLogic = (SelectiveLogic)(i % 4),
            MatchWholeWords = i % 3 == 0,
            Content = Sentence(random, random.Next(40, 160)),
            InsertionOrder = random.Next(0, 200),
            Position = (LorePosition)(i % 7),
            Depth = random.Next(0, 6),
            Probability = i % 10 == 0 ? 70 : 100,
            Group = i % 50 == 0 ? "weather" : "",
            Constant = i % 100 == 0,
        };
    }

    private static string Sentence(Random random, int words)
    {
        var parts = new string[words];
        for (var w = 0; w < words; w++) parts[w] = Words[random.Next(Words.Length)];
        return string.Join(' ', parts) + ".";
    }
}

/// <summary>CPU time consumed by the calling thread. On a shared, loaded machine wall-clock percentiles mostly measure
/// how long the thread waited for a core; this shows what the code itself cost. NaN where unsupported.</summary>
internal static class ThreadCpu
{
    private const int ClockThreadCpuTimeId = 3;

    public static double Milliseconds()
    {
        if (!OperatingSystem.IsLinux()) return double.NaN;
        return ClockGetTime(ClockThreadCpuTimeId, out var ts) == 0 ? (ts.Seconds * 1_000.0) + (ts.Nanoseconds / 1_000_000.0) : double.NaN;
    }

    // DllImport rather than LibraryImport: the source-generated form needs unsafe code enabled for the project.
    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clockId, out TimeSpec value);

    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
