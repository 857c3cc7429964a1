using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CharacterHub.Tests.Support;
using Dapper;
using Npgsql;

namespace CharacterHub.Benchmarks;

/// <summary>
/// Issue 3's figures: with 1,000,000 characters in the table and 10,000 owned by one user, that user's library
/// (search + filter + sort, page and API) p95 ≤ 30 ms; create and update p95 ≤ 15 ms. Times are measured at the
/// client over loopback HTTP against the real host (so they include Kestrel, auth, rendering and the network stack):
/// an upper bound of server time.
/// </summary>
internal sealed class LibraryBench : IBenchmark
{
    public string Name => "library";
    public string Description => "1M characters, 10k owned: library page/API p95, create/update p95 (real host, HTTP)";

    private const int Total = 1_000_000;
    private const int Owned = 10_000;
    private const int Iterations = 200;

    public async Task<IReadOnlyList<Measurement>> RunAsync(BenchContext context)
    {
        var cs = context.RequireDatabase();
        Environment.SetEnvironmentVariable(TestDatabase.EnvironmentVariable, cs);
        var database = new NpgsqlConnectionStringBuilder(cs).Database ?? "characterhub_bench";
        var db = new TestDatabase(database);
        await using var app = await TestApp.StartAsync(db.ConnectionString, environment: "Production",
            settings: new Dictionary<string, string?> { ["Database:AutoMigrate"] = "true", ["AllowedHosts"] = "*", ["role"] = "web" });
        using var client = app.CreateClient();

        var username = "bench_owner";
        await using var connection = new NpgsqlConnection(db.ConnectionString);
        var userId = await connection.ExecuteScalarAsync<long?>("select id from accounts.users where username = @username", new { username });
        if (userId is null)
        {
            await client.RegisterAsync(username, "bench password 123");
            userId = await connection.ExecuteScalarAsync<long>("select id from accounts.users where username = @username", new { username });
        }
        else if ((await client.LoginAsync(username, "bench password 123")).StatusCode != System.Net.HttpStatusCode.Redirect)
            throw new InvalidOperationException("could not log in as the benchmark user");
        var token = await client.CreateTokenAsync(username, "bench password 123", "bench");
        using var api = new HttpClient { BaseAddress = app.BaseAddress };
        api.DefaultRequestHeaders.Authorization = new("Bearer", token);

        await SeedAsync(connection, userId!.Value);

        var results = new List<Measurement>();
        async Task Measure(string what, string target, double limitMs, Func<int, Task> action)
        {
            for (var i = 0; i < 20; i++) await action(i); // warm-up
            var samples = await Stats.TimeAsync(Iterations, action);
            var p50 = Stats.Percentile(samples, 50);
            var p95 = Stats.Percentile(samples, 95);
            results.Add(new Measurement($"{what} p50", p50, "ms"));
            results.Add(new Measurement($"{what} p95", p95, "ms", target, p95 <= limitMs));
        }

        async Task MeasureInfo(string what, Func<int, Task> action)
        {
            for (var i = 0; i < 10; i++) await action(i);
            var samples = await Stats.TimeAsync(Iterations / 2, action);
            results.Add(new Measurement($"{what} p50", Stats.Percentile(samples, 50), "ms"));
            results.Add(new Measurement($"{what} p95", Stats.Percentile(samples, 95), "ms"));
        }

        string[] words = ["ari", "bram", "cel", "dor", "eli", "fen", "gal", "hal"];
        await Measure("library page, default sort", "p95 ≤ 30 ms", 30, async _ => await Ok(client.Http.GetAsync("/characters")));
        await Measure("library page, search + category + sort by name", "p95 ≤ 30 ms", 30, async i =>
            await Ok(client.Http.GetAsync($"/characters?q={words[i % words.Length]}&category=fantasy&sort=name")));
        await Measure("library fragment (htmx), tag + favourites off + sort by created", "p95 ≤ 30 ms", 30, async i =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/characters?tag=elf&sort=created");
            request.Headers.Add("HX-Request", "true");
            await Ok(client.Http.SendAsync(request));
        });
        var cursor = (await api.GetFromJsonAsync<JsonObject>("/api/characters?creator_id=" + userId + "&limit=24"))!["next_cursor"]!.GetValue<string>();
        await Measure("library page 2 (keyset cursor)", "p95 ≤ 30 ms", 30, async _ =>
            await Ok(client.Http.GetAsync($"/characters?cursor={cursor}")));
        await Measure("API list (library), default", "p95 ≤ 30 ms", 30, async _ => await Ok(api.GetAsync("/api/characters")));
        await Measure("API list (library), search + category + sort by name", "p95 ≤ 30 ms", 30, async i =>
            await Ok(api.GetAsync($"/api/characters?q={words[i % words.Length]}&category=sci-fi&sort=name")));
        // Beyond the figure: the same search over every public character (333,000 rows) as well.
        await MeasureInfo("API list scope=all (+ 333k public), default", async _ => await Ok(api.GetAsync("/api/characters?scope=all")));
        await MeasureInfo("API list scope=all, search + category", async i =>
            await Ok(api.GetAsync($"/api/characters?scope=all&q={words[i % words.Length]}&category=sci-fi")));

        var ids = new List<long>();
        await Measure("API create", "p95 ≤ 15 ms", 15, async i =>
        {
            var response = await api.PostAsJsonAsync("/api/characters", new
            {
                name = $"Bench {i}", tagline = "benchmark", description = "A character made by the benchmark.", category = "original",
                tags = new[] { "bench" }, first_message = "Hello!",
            });
            ids.Add(JsonNode.Parse(await Ok(Task.FromResult(response)))!["id"]!.GetValue<long>());
        });
        var bodies = new Dictionary<long, JsonObject>();
        foreach (var id in ids.Take(Iterations + 20)) bodies[id] = (await api.GetFromJsonAsync<JsonObject>($"/api/characters/{id}"))!;
        await Measure("API update (PUT with version)", "p95 ≤ 15 ms", 15, async i =>
        {
            var body = bodies[ids[i]];
            body["description"] = $"Updated {Stopwatch.GetTimestamp()}";
            var response = await api.PutAsJsonAsync($"/api/characters/{ids[i]}", body);
            body["version"] = JsonNode.Parse(await Ok(Task.FromResult(response)))!["version"]!.GetValue<int>();
        });
        await connection.ExecuteAsync("delete from characters.characters where creator_id = @userId and tagline = 'benchmark'", new { userId });
        var count = await connection.ExecuteScalarAsync<long>("select count(*) from characters.characters");
        results.Insert(0, new Measurement("characters in the table", count, "rows"));
        return results;
    }

    /// <summary>Awaits the call, reads the whole body (part of what is timed) and insists on success.</summary>
    private static async Task<string> Ok(Task<HttpResponseMessage> call)
    {
        using var response = await call;
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"{response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}: {body[..Math.Min(300, body.Length)]}");
        return body;
    }

    /// <summary>1M characters: the owner's 10,000 plus 990,000 from 100,000 other creators, a third of them public.</summary>
    private static async Task SeedAsync(NpgsqlConnection connection, long ownerId)
    {
        var existing = await connection.ExecuteScalarAsync<long>("select count(*) from characters.characters");
        if (existing >= Total) return;
        await connection.ExecuteAsync("truncate characters.characters cascade");
        var started = Stopwatch.StartNew();
        const string sql = """
            insert into characters.characters (creator_id, name, tagline, description, category, tags, visibility, created_at, updated_at, chat_count)
            select case when g <= @owned then @ownerId else 1000000 + (g % 100000) end,
                   (array['Aria','Bram','Celes','Doran','Elira','Fenwick','Galen','Halia','Ivo','Juna','Kael','Lyra','Mira','Nox','Orin','Pella'])[1 + (g * 7) % 16]
                       || ' ' || (array['Ashford','Brightwater','Coldspire','Dunmore','Everlight','Frostvale','Greymoor','Hollowell'])[1 + (g * 13) % 8]
                       || ' ' || g,
                   (array['A wandering bard','A retired knight','A curious android','A village healer','A starship pilot','A tavern keeper'])[1 + g % 6],
                   'Born in the far north, ' || md5(g::text) || ', this character has a long history of adventures, friendships and rivalries.',
                   (array['fantasy','sci-fi','anime','games','historical','horror','mystery','romance','slice-of-life','comedy','assistant','educational','original'])[1 + g % 13],
                   array[(array['elf','robot','mage','pirate','vampire','detective','knight','healer','bard','alien'])[1 + g % 10],
                         (array['friendly','grumpy','shy','bold','wise','funny'])[1 + (g / 10) % 6]],
                   case when g % 3 = 0 then 'public' else 'private' end,
                   now() - make_interval(mins => g), now() - make_interval(secs => (g * 17) % 5000000), (g * 31) % 500
            from generate_series(@from, @to) g
            """;
        for (var from = 1; from <= Total; from += 100_000)
            await connection.ExecuteAsync(new CommandDefinition(sql, new { from, to = from + 99_999, owned = Owned, ownerId }, commandTimeout: 600));
        await connection.ExecuteAsync(new CommandDefinition("analyze characters.characters", commandTimeout: 600));
        Console.WriteLine($"   seeded {Total:N0} characters in {started.Elapsed.TotalSeconds:0} s");
    }
}
