using System.Diagnostics;
using System.Globalization;
using CharacterHub.Modules.Characters.Cards;

namespace CharacterHub.Benchmarks;

/// <summary>
/// Import throughput of PNG character cards on one thread: chunk walk with CRC checks, base64, JSON, model
/// mapping and validation, exactly what an upload or a library scan does per file. The mix is the real fixtures
/// plus cards generated into those same images (so sizes stay realistic, 13 KB to 3.7 MB).
/// Optional argument: seconds to measure (default 5).
/// </summary>
internal sealed class CardParseBench : IBenchmark
{
    public string Name => "card-parse";
    public string Description => "parse + validate real and generated PNG cards on one thread (cards/s)";

    public Task<IReadOnlyList<Measurement>> RunAsync(BenchContext context)
    {
        var seconds = context.Args.Count > 0 && double.TryParse(context.Args[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var s) ? s : 5;
        var fixtures = Directory.GetFiles(FixtureFolder(), "*.png").OrderBy(f => f, StringComparer.Ordinal).Select(File.ReadAllBytes).ToList();
        var cards = new List<byte[]>(fixtures);
        for (var i = 0; i < 200; i++) cards.Add(CardWriter.WritePng(Generate(i), fixtures[i % fixtures.Count]));
        var small = cards.Where(c => c.Length < 1024 * 1024).ToList();

        // Warm-up so the JIT's tiered compilation has settled before anything is timed.
        RunFor(cards, TimeSpan.FromSeconds(1));
        var all = RunFor(cards, TimeSpan.FromSeconds(seconds));
        var fixturesOnly = RunFor(fixtures, TimeSpan.FromSeconds(seconds / 2));
        var smallOnly = RunFor(small, TimeSpan.FromSeconds(seconds / 2));

        IReadOnlyList<Measurement> results =
        [
            new("cards parsed + validated per wall second, mixed (1 thread)", all.PerWallSecond, "cards/s", "≥ 500/s", all.PerWallSecond >= 500),
            new("cards per CPU second (process CPU time), mixed", all.PerCpuSecond, "cards/s", "≥ 500/s", all.PerCpuSecond >= 500),
            new("input throughput per wall second, mixed", all.BytesPerWallSecond / (1024 * 1024), "MB/s"),
            new("cards per wall second, the 9 real fixtures only", fixturesOnly.PerWallSecond, "cards/s", "≥ 500/s", fixturesOnly.PerWallSecond >= 500),
            new("cards per CPU second, the 9 real fixtures only", fixturesOnly.PerCpuSecond, "cards/s"),
            new("cards per wall second, files under 1 MB only", smallOnly.PerWallSecond, "cards/s"),
            new("cards per CPU second, files under 1 MB only", smallOnly.PerCpuSecond, "cards/s"),
            new("cards in the set (fixtures + generated)", cards.Count, "cards"),
            new("mean card file size", cards.Average(c => c.Length) / 1024, "KB"),
        ];
        return Task.FromResult(results);
    }

    private readonly record struct Rate(double PerWallSecond, double PerCpuSecond, double BytesPerWallSecond);

    /// <summary>Wall-clock and CPU-time rates: the machine is shared, and CPU time (all threads of the process,
    /// GC included) shows the cost per core even when other work steals the wall clock.</summary>
    private static Rate RunFor(List<byte[]> cards, TimeSpan duration)
    {
        var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var stopwatch = Stopwatch.StartNew();
        long count = 0, bytes = 0;
        while (stopwatch.Elapsed < duration)
        {
            foreach (var file in cards)
            {
                var result = CardReader.Read(file, "bench.png");
                if (!result.Success) throw new InvalidOperationException("A benchmark card failed to parse: " + result.Error);
                if (CardValidator.Validate(result.Card, result.Files).Any(p => p.Blocking))
                    throw new InvalidOperationException("A benchmark card failed validation.");
                count++;
                bytes += file.Length;
            }
        }
        var elapsed = stopwatch.Elapsed.TotalSeconds;
        process.Refresh();
        var cpu = (process.TotalProcessorTime - cpuBefore).TotalSeconds;
        return new Rate(count / elapsed, count / cpu, bytes / elapsed);
    }

    private static CharacterCard Generate(int seed)
    {
        var random = new Random(seed);
        string Words(int n) => string.Join(' ', Enumerable.Range(0, n).Select(_ => Vocabulary[random.Next(Vocabulary.Length)]));
        var card = new CharacterCard
        {
            Name = $"Generated {seed} {Words(2)}",
            Description = Words(random.Next(100, 800)),
            Personality = Words(random.Next(10, 60)),
            Scenario = Words(random.Next(20, 200)),
            FirstMessage = "*" + Words(random.Next(40, 300)) + "*",
            MessageExamples = "<START>\n{{user}}: " + Words(20) + "\n{{char}}: " + Words(60),
            AlternateGreetings = [.. Enumerable.Range(0, random.Next(0, 4)).Select(_ => Words(80))],
            Tags = [.. Enumerable.Range(0, random.Next(0, 6)).Select(_ => Words(1))],
            Creator = "bench",
            GroupOnlyGreetings = [],
        };
        card.Extensions["talkativeness"] = "0.5";
        card.Extensions["depth_prompt"] = new System.Text.Json.Nodes.JsonObject { ["prompt"] = Words(10), ["depth"] = 4, ["role"] = "system" };
        if (seed % 3 == 0)
            card.CharacterBook = new Lorebook
            {
                Name = "World " + seed,
                Entries = [.. Enumerable.Range(0, random.Next(5, 40)).Select(i => new LorebookEntry
                {
                    Keys = [Words(1), Words(1)],
                    Content = (i % 4 == 0 ? "@@depth 4\n" : "") + Words(random.Next(20, 120)),
                    InsertionOrder = i,
                    Id = LorebookEntryId.FromNumber(i),
                    Position = "before_char",
                })],
            };
        return card;
    }

    private static readonly string[] Vocabulary =
    [
        "the", "forest", "glade", "healer", "moonlight", "{{char}}", "{{user}}", "whispers", "ancient", "river", "sword",
        "gentle", "storm", "tavern", "smiles", "quietly", "猫", "café", "naïve", "dragon", "library", "letters", "🌙",
    ];

    private static string FixtureFolder()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "CharacterHub.sln"))) dir = dir.Parent;
        if (dir is null) throw new DirectoryNotFoundException("CharacterHub.sln not found above " + AppContext.BaseDirectory);
        return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "cards"));
    }
}
