using System.Diagnostics;
using CharacterHub.Kernel.Data;
using CharacterHub.Modules.Characters.Avatars;
using CharacterHub.Modules.Characters.Cards;
using CharacterHub.Modules.Characters.Interop;
using CharacterHub.Web.Infrastructure.Database;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace CharacterHub.Benchmarks;

/// <summary>
/// Bulk import of 1,000 generated PNG cards into PostgreSQL, file by file exactly as the import job does it:
/// read + validate, map, avatar decode and two WebP encodes, then one transaction per card (character, version 1,
/// avatar, duplicate hash). Each card has its own 512 px picture and a 6-entry lorebook. Optional argument: card count.
/// </summary>
internal sealed class CardImportBench : IBenchmark
{
    private const long BenchUserId = 900_000_001;

    public string Name => "card-import";
    public string Description => "bulk import of 1,000 PNG cards end to end into PostgreSQL (as the import job does)";

    public async Task<IReadOnlyList<Measurement>> RunAsync(BenchContext context)
    {
        var count = context.Args.Count > 0 && int.TryParse(context.Args[0], out var n) ? n : 1_000;
        var cs = context.RequireDatabase();
        new DatabaseMigrator(cs, NullLogger.Instance).Migrate();
        DapperSetup.Configure();
        await using var db = NpgsqlDataSource.Create(cs);
        await using (var c = await db.OpenConnectionAsync())
            await c.ExecuteAsync("delete from characters.characters where creator_id = @BenchUserId", new { BenchUserId });
        var categories = (await (await db.OpenConnectionAsync()).QueryAsync<string>("select slug from characters.categories")).ToHashSet();

        // Pictures are rendered before the clock starts: the benchmark measures importing, not our avatar painter.
        var pictures = Enumerable.Range(0, 16).Select(i => AvatarRenderer.ToPng(AvatarParameters.Random(i), Expression.Neutral, 512)).ToList();
        var files = Enumerable.Range(0, count)
            .Select(i => new ImportFile($"card-{i:0000}.png", CardWriter.WritePng(Generate(i), pictures[i % pictures.Count])))
            .ToList();

        var stopwatch = Stopwatch.StartNew();
        var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var imported = 0;
        foreach (var file in files)
        {
            var result = await CardImporter.ImportOneAsync(db, BenchUserId, file, DuplicateMode.Skip, categories, null, CancellationToken.None);
            if (result.Status != ImportStatus.Imported) throw new InvalidOperationException($"{file.Name}: {result.Status} {result.Reason}");
            imported++;
        }
        var seconds = stopwatch.Elapsed.TotalSeconds;
        process.Refresh();
        var cpu = (process.TotalProcessorTime - cpuBefore).TotalSeconds;

        await using (var c = await db.OpenConnectionAsync())
            await c.ExecuteAsync("delete from characters.characters where creator_id = @BenchUserId", new { BenchUserId });
        return
        [
            new($"bulk import of {imported:N0} PNG cards, wall time", seconds, "s", "≤ 60 s", seconds <= 60),
            new("cards imported per wall second", imported / seconds, "cards/s"),
            new("process CPU seconds per card", cpu / imported * 1000, "ms"),
            new("average card file size", files.Average(f => f.Data.Length) / 1024, "KB"),
        ];
    }

    private static CharacterCard Generate(int seed)
    {
        var random = new Random(seed);
        string[] words = ["forest", "ancient", "river", "guardian", "silver", "storm", "quiet", "library", "ember", "harbor", "crown", "mist"];
        string Words(int count) => string.Join(' ', Enumerable.Range(0, count).Select(_ => words[random.Next(words.Length)]));
        return new CharacterCard
        {
            Name = $"Bench {seed} {Words(1)}",
            Description = Words(400),
            Personality = Words(60),
            Scenario = Words(80),
            FirstMessage = Words(150),
            MessageExamples = "<START>\n{{user}}: " + Words(20) + "\n{{char}}: " + Words(40),
            AlternateGreetings = [Words(60), Words(60)],
            Tags = [Words(1), Words(1), "bench"],
            Creator = "bench",
            Extensions = new System.Text.Json.Nodes.JsonObject { ["talkativeness"] = "0.5", ["seed"] = seed },
            CharacterBook = new Lorebook
            {
                Name = "Bench lore",
                Entries = Enumerable.Range(0, 6).Select(i => new LorebookEntry
                {
                    Keys = [Words(1), Words(1)], Content = Words(80), InsertionOrder = i, Id = LorebookEntryId.FromNumber(i),
                }).ToList(),
            },
        };
    }
}
