using System.Buffers.Binary;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using CharacterHub.Kernel.Jobs;
using CharacterHub.Modules.Characters.Interop;
using CharacterHub.Tests.Support;
using Dapper;
using Hangfire;
using Hangfire.Storage;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace CharacterHub.Tests.Integration.Interop;

/// <summary>Card import under pressure: the same card twice at once, old job rows, lying zips, and the job status a client polls.</summary>
public sealed class ImportHardeningTests : IntegrationTest
{
    private static byte[] CardJson(string name) => Encoding.UTF8.GetBytes(new JsonObject
    {
        ["spec"] = "chara_card_v2", ["spec_version"] = "2.0",
        ["data"] = new JsonObject { ["name"] = name, ["description"] = $"{name} is here.", ["first_mes"] = "Hello!" },
    }.ToJsonString());

    private async Task<TestClient> ApiUser(string name)
    {
        var client = await SignedInClient(name);
        client.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await client.CreateTokenAsync(name));
        return client;
    }

    private static async Task<(HttpStatusCode Status, JsonObject Body)> Import(TestClient api, params (string Name, byte[] Data)[] files)
    {
        using var content = new MultipartFormDataContent();
        foreach (var (name, data) in files) content.Add(new ByteArrayContent(data), "files", name);
        var response = await api.Http.PostAsync("/api/characters/import", content);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonNode.Parse(text) as JsonObject ?? throw new AssertionException(text));
    }

    private async Task<T> Scalar<T>(string sql, object? args = null)
    {
        await using var db = new NpgsqlConnection(Database.ConnectionString);
        return (await db.ExecuteScalarAsync<T>(sql, args))!;
    }

    // ------------------------------------------------------------------ the same card twice at once

    // Repeated: which of the two claims first, and whether the loser's claim starts before or after the winner
    // commits, varies from run to run; every order must end with one character.
    [Test, Repeat(4)]
    public async Task Import_SameCardTwiceAtTheSameMoment_MakesOneCharacter_AndTellsTheSecondCallerWhichOne()
    {
        var api = await ApiUser("twin");
        var card = CardJson("Twin");

        // Hold both requests just before they create the character: a SHARE lock lets them look for the card's hash
        // (neither finds one) but not insert. Only when both wait there is the lock released, so both really race.
        await using var blocker = new NpgsqlConnection(Database.ConnectionString);
        await blocker.OpenAsync();
        var hold = await blocker.BeginTransactionAsync();
        await blocker.ExecuteAsync("lock table characters.characters in share mode", transaction: hold);
        var first = Task.Run(() => Import(api, ("twin.json", card)));
        var second = Task.Run(() => Import(api, ("twin-copy.json", card)));
        var deadline = DateTime.UtcNow.AddSeconds(60);
        long waiting = 0;
        while (DateTime.UtcNow < deadline && waiting < 2)
        {
            waiting = await Scalar<long>(
                """
                select count(*) from pg_stat_activity
                where datname = current_database() and state = 'active' and wait_event_type = 'Lock'
                  and query ilike '%insert into characters.characters (%' and pid <> pg_backend_pid()
                """);
            if (waiting < 2) await Task.Delay(50);
        }
        await hold.CommitAsync();
        Assert.That(waiting, Is.EqualTo(2), "both imports should have been waiting to insert");

        var results = (await Task.WhenAll(first, second)).Select(r =>
        {
            Assert.That(r.Status, Is.EqualTo(HttpStatusCode.OK), r.Body.ToJsonString());
            return r.Body["results"]![0]!;
        }).ToList();
        var imported = results.Single(r => r["status"]!.GetValue<string>() == "imported");
        var skipped = results.Single(r => r["status"]!.GetValue<string>() == "skipped");
        var id = imported["character_id"]!.GetValue<long>();
        Assert.That(skipped["character_id"]!.GetValue<long>(), Is.EqualTo(id));
        Assert.That(skipped["character_url"]!.GetValue<string>(), Is.EqualTo($"/api/characters/{id}"));
        Assert.That(skipped["reason"]!.GetValue<string>(), Does.Contain($"Already imported: it is character {id}"));
        Assert.That(await Scalar<long>("select count(*) from characters.characters"), Is.EqualTo(1));
        Assert.That(await Scalar<long>("select count(*) from characters.character_versions"), Is.EqualTo(1));
        Assert.That(await Scalar<long>("select count(*) from characters.import_hashes where character_id = @id", new { id }), Is.EqualTo(1));
    }

    [Test]
    public async Task Import_SameCardAgainOnThePage_ReportsItAsAlreadyImported_WithALinkToTheCharacter()
    {
        var web = await SignedInClient("page");
        var card = CardJson("Paged");
        var first = await web.PostMultipartAsync("/characters/import", "/characters/import", "files", card, "paged.json", "application/json");
        Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var id = await Scalar<long>("select id from characters.characters");
        var again = await web.PostMultipartAsync("/characters/import", "/characters/import", "files", card, "paged-again.json", "application/json");
        var doc = TestClient.Parse(await again.Content.ReadAsStringAsync());
        var row = doc.QuerySelector("tr.import-skipped")!;
        Assert.That(row.TextContent, Does.Contain("Already imported"));
        Assert.That(row.QuerySelector("a")!.GetAttribute("href"), Is.EqualTo($"/characters/{id}"));
        Assert.That(await Scalar<long>("select count(*) from characters.characters"), Is.EqualTo(1));
    }

    [Test]
    public async Task Import_AfterTheFirstCharacterWasDeleted_ImportsTheCardAgain()
    {
        var api = await ApiUser("again");
        var card = CardJson("Again");
        var (_, first) = await Import(api, ("a.json", card));
        var id = first["results"]![0]!["character_id"]!.GetValue<long>();
        Assert.That((await api.Http.DeleteAsync($"/api/characters/{id}")).IsSuccessStatusCode, Is.True);
        var (_, second) = await Import(api, ("a.json", card));
        Assert.That(second["results"]![0]!["status"]!.GetValue<string>(), Is.EqualTo("imported"), second.ToJsonString());
        Assert.That(second["results"]![0]!["character_id"]!.GetValue<long>(), Is.Not.EqualTo(id));
    }

    // ------------------------------------------------------------------ a CHARX that lies about its sizes

    [Test]
    public async Task Import_CharxWhoseEntryIsCutShortByItsHeaders_IsRefusedWithAReason_AndNothingIsStored()
    {
        var api = await ApiUser("liar");
        var notes = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 300).Select(i => $"note {i}. ")));
        var output = new MemoryStream();
        using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            var card = JsonNode.Parse(CardJson("Cut"))!.AsObject();
            card["spec"] = "chara_card_v3";
            card["spec_version"] = "3.0";
            foreach (var (name, data) in new[] { ("card.json", Encoding.UTF8.GetBytes(card.ToJsonString())), ("assets/other/other/notes.txt", notes) })
            {
                await using var s = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
                await s.WriteAsync(data);
            }
        }
        var bytes = output.ToArray();
        var entry = "assets/other/other/notes.txt"u8.ToArray();
        for (var i = 0; i < bytes.Length - 46; i++)
        {
            var sig = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(i));
            if (sig == 0x04034B50 && bytes.AsSpan(i + 30).StartsWith(entry))
                foreach (var at in new[] { 18, 22 }) BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i + at), 100);
            if (sig == 0x02014B50 && bytes.AsSpan(i + 46).StartsWith(entry))
                foreach (var at in new[] { 20, 24 }) BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i + at), 100);
        }

        var (status, body) = await Import(api, ("cut.charx", bytes));
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body.ToJsonString());
        var result = body["results"]![0]!;
        Assert.That(result["status"]!.GetValue<string>(), Is.EqualTo("failed"), body.ToJsonString());
        Assert.That(result["reason"]!.GetValue<string>(), Does.Contain("\"assets/other/other/notes.txt\" is not whole"));
        Assert.That(await Scalar<long>("select count(*) from characters.characters"), Is.Zero);
        Assert.That(await Scalar<long>("select count(*) from characters.assets"), Is.Zero);
    }

    [Test]
    public async Task Import_BulkZipWhoseCardIsCutShortByItsHeaders_FailsThatArchiveWithAReason()
    {
        var api = await ApiUser("bulkliar");
        var output = new MemoryStream();
        using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            await using var s = zip.CreateEntry("cards/a.json", CompressionLevel.NoCompression).Open();
            await s.WriteAsync(CardJson("Bulk"));
        }
        var bytes = output.ToArray();
        for (var i = 0; i < bytes.Length - 46; i++)
        {
            var sig = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(i));
            if (sig == 0x04034B50) foreach (var at in new[] { 18, 22 }) BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i + at), 20);
            if (sig == 0x02014B50) foreach (var at in new[] { 20, 24 }) BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i + at), 20);
        }
        var (status, body) = await Import(api, ("cards.zip", bytes));
        Assert.That(status, Is.EqualTo(HttpStatusCode.Accepted), body.ToJsonString());
        var job = await PollUntilFinished(api, body["status_url"]!.GetValue<string>());
        Assert.That(job["failed"]!.GetValue<int>(), Is.EqualTo(1), job.ToJsonString());
        Assert.That(job["results"]![0]!["reason"]!.GetValue<string>(), Does.Contain("is not whole"));
        Assert.That(await Scalar<long>("select count(*) from characters.characters"), Is.Zero);
    }

    // ------------------------------------------------------------------ the job status a client polls

    private static async Task<JsonObject> PollUntilFinished(TestClient api, string url)
    {
        JsonObject job = [];
        for (var i = 0; i < 240; i++)
        {
            job = (await api.Http.GetFromJsonAsync<JsonObject>(url))!;
            if (job["finished"]!.GetValue<bool>()) return job;
            await Task.Delay(250);
        }
        throw new AssertionException("the job did not finish: " + job.ToJsonString());
    }

    private static byte[] Bundle(params (string Name, byte[] Data)[] entries)
    {
        var output = new MemoryStream();
        using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var (name, data) in entries)
            {
                using var s = zip.CreateEntry(name).Open();
                s.Write(data);
            }
        return output.ToArray();
    }

    [Test]
    public async Task BulkImport_Answers202WithAStatusUrl_WhosePollEndsWithCountsAndAResultPerCard()
    {
        var api = await ApiUser("poller");
        var (status, body) = await Import(api, ("batch.zip", Bundle(("a.json", CardJson("Ann")), ("b.json", CardJson("Ann")),
            ("c.json", "not a card"u8.ToArray()), ("d.json", CardJson("Dee")))));
        Assert.That(status, Is.EqualTo(HttpStatusCode.Accepted), body.ToJsonString());
        var jobId = body["job_id"]!.GetValue<long>();
        Assert.That(body["status_url"]!.GetValue<string>(), Is.EqualTo($"/api/characters/import/{jobId}"));

        var job = await PollUntilFinished(api, body["status_url"]!.GetValue<string>());
        Assert.Multiple(() =>
        {
            Assert.That(job["status"]!.GetValue<string>(), Is.EqualTo("done"));
            Assert.That(job["total"]!.GetValue<int>(), Is.EqualTo(4));
            Assert.That(job["done"]!.GetValue<int>(), Is.EqualTo(4));
            Assert.That(job["imported"]!.GetValue<int>(), Is.EqualTo(2), job.ToJsonString());
            Assert.That(job["skipped"]!.GetValue<int>(), Is.EqualTo(1), "b.json is a.json again");
            Assert.That(job["failed"]!.GetValue<int>(), Is.EqualTo(1));
        });
        var results = job["results"]!.AsArray().ToDictionary(r => r!["file"]!.GetValue<string>(), r => r!);
        Assert.That(results["batch.zip/c.json"]["status"]!.GetValue<string>(), Is.EqualTo("failed"));
        Assert.That(results["batch.zip/c.json"]["reason"]!.GetValue<string>(), Is.Not.Empty);
        var dee = results["batch.zip/d.json"];
        Assert.That(dee["status"]!.GetValue<string>(), Is.EqualTo("imported"));
        Assert.That((await api.Http.GetAsync(dee["character_url"]!.GetValue<string>())).StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [TestCase("0")]
    [TestCase("-1")]
    [TestCase("99999999999999999999")]
    [TestCase("abc")]
    public async Task JobStatus_WithABadOrForeignId_Is404Problem_NeverA5xx(string jobId)
    {
        var api = await ApiUser("hostile");
        var response = await api.Http.GetAsync($"/api/characters/import/{jobId}");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/problem+json"));
    }

    // ------------------------------------------------------------------ purging finished jobs

    [Test]
    public void PurgeJob_IsRegisteredAsARecurringJob()
    {
        using var connection = App.Services.GetRequiredService<JobStorage>().GetConnection();
        var job = connection.GetRecurringJobs().SingleOrDefault(j => j.Id == "characters:purge-import-jobs");
        Assert.That(job, Is.Not.Null);
        Assert.That(job!.Job.Type, Is.EqualTo(typeof(MediatorJob)));
        Assert.That(job.Job.Args[0], Is.TypeOf<PurgeFinishedImportJobs>());
    }

    [Test]
    public async Task PurgeJob_DeletesJobsFinishedLongerAgoThanTheSetting_WithTheirFiles_AndKeepsTheRest()
    {
        var api = await ApiUser("purger");
        var (_, body) = await Import(api, ("old.zip", Bundle(("a.json", CardJson("Kept")))));
        var oldJob = await PollUntilFinished(api, body["status_url"]!.GetValue<string>());
        var oldId = oldJob["job_id"]!.GetValue<long>();
        await using var db = new NpgsqlConnection(Database.ConnectionString);
        var userId = await db.ExecuteScalarAsync<long>("select user_id from characters.import_jobs where id = @oldId", new { oldId });
        await db.ExecuteAsync("update characters.import_jobs set finished_at = now() - interval '8 days' where id = @oldId", new { oldId });
        // A job finished six days ago, and a job that never finished, started long ago (with a file still staged).
        var recent = await db.ExecuteScalarAsync<long>(
            "insert into characters.import_jobs (user_id, duplicate_mode, status, finished_at) values (@userId, 'skip', 'done', now() - interval '6 days') returning id",
            new { userId });
        var running = await db.ExecuteScalarAsync<long>(
            "insert into characters.import_jobs (user_id, duplicate_mode, status, created_at) values (@userId, 'skip', 'running', now() - interval '30 days') returning id",
            new { userId });
        await db.ExecuteAsync("insert into characters.import_job_files (job_id, seq, file_name, data) values (@running, 0, 'x.json', '\\x01'::bytea)", new { running });

        // Run through Hangfire as the schedule would, with the default setting (7 days).
        var jobs = App.Services.GetRequiredService<IBackgroundJobClient>();
        var hangfireId = jobs.Enqueue<MediatorJob>(j => j.Run(new PurgeFinishedImportJobs(null), CancellationToken.None));
        var monitor = App.Services.GetRequiredService<JobStorage>().GetMonitoringApi();
        string? state = null;
        for (var deadline = DateTime.UtcNow.AddSeconds(30); DateTime.UtcNow < deadline; await Task.Delay(100))
        {
            state = monitor.JobDetails(hangfireId)?.History.FirstOrDefault()?.StateName;
            if (state is "Succeeded" or "Failed") break;
        }
        Assert.That(state, Is.EqualTo("Succeeded"));

        var left = (await db.QueryAsync<long>("select id from characters.import_jobs order by id")).ToList();
        Assert.That(left, Is.EqualTo(new[] { recent, running }.Order()));
        Assert.That(await db.ExecuteScalarAsync<long>("select count(*) from characters.import_job_files where job_id = @oldId", new { oldId }), Is.Zero);
        Assert.That(await db.ExecuteScalarAsync<long>("select count(*) from characters.import_job_files where job_id = @running", new { running }), Is.EqualTo(1));
        Assert.That(await db.ExecuteScalarAsync<long>("select count(*) from characters.characters where name = 'Kept'"), Is.EqualTo(1),
            "the job's characters stay");
        Assert.That((await api.Http.GetAsync($"/api/characters/import/{oldId}")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));

        // A longer retention given to the command keeps what the default would purge; zero purges every finished job.
        using (var scope = App.Services.CreateScope())
        {
            var mediator = scope.ServiceProvider.GetRequiredService<Mediator.IMediator>();
            await mediator.Send(new PurgeFinishedImportJobs(30));
            Assert.That(await db.ExecuteScalarAsync<long>("select count(*) from characters.import_jobs"), Is.EqualTo(2));
            await mediator.Send(new PurgeFinishedImportJobs(0));
            Assert.That((await db.QueryAsync<long>("select id from characters.import_jobs")).ToList(), Is.EqualTo(new[] { running }));
        }
    }
}
