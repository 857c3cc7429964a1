using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using CharacterHub.Kernel.Jobs;
using CharacterHub.Modules.Characters.Avatars;
using CharacterHub.Modules.Characters.Cards;
using CharacterHub.Modules.Characters.Interop;
using CharacterHub.Tests.Support;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace CharacterHub.Tests.Integration.Interop;

public sealed class CardAssetsAndEditsTests : IntegrationTest
{
    private async Task<TestClient> ApiUser(string name)
    {
        var client = await SignedInClient(name);
        client.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await client.CreateTokenAsync(name));
        return client;
    }

    private static async Task<JsonObject> Import(TestClient api, string name, byte[] data)
    {
        using var content = new MultipartFormDataContent { { new ByteArrayContent(data), "files", name } };
        var response = await api.Http.PostAsync("/api/characters/import", content);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    [Test]
    public async Task Charx_EmotionAssetsBecomeExpressions_AndEveryFileComesBackOnExport()
    {
        var api = await ApiUser("ann");
        var icon = AvatarRenderer.ToPng(AvatarParameters.Random(1), Expression.Neutral, 256);
        var joy = AvatarRenderer.ToPng(AvatarParameters.Random(1), Expression.Joy, 256);
        var card = new CharacterCard
        {
            Name = "Risu", FirstMessage = "hi", Description = "d",
            Assets =
            [
                new CardAsset { Type = "icon", Uri = "embeded://assets/icon/images/main.png", Name = "main", Ext = "png" },
                new CardAsset { Type = "emotion", Uri = "embeded://assets/emotion/images/Joy.png", Name = "Joy", Ext = "png" },
                new CardAsset { Type = "x_music", Uri = "embeded://assets/other/theme.ogg", Name = "theme", Ext = "ogg" },
            ],
        };
        var charx = CardWriter.WriteCharx(card, [
            new CardFile("assets/icon/images/main.png", icon), new CardFile("assets/emotion/images/Joy.png", joy),
            new CardFile("assets/other/theme.ogg", "OggS fake audio"u8.ToArray()), new CardFile("module.risum", "risu module"u8.ToArray()),
        ]);
        var result = (await Import(api, "risu.charx", charx))["results"]![0]!;
        Assert.That(result["status"]!.GetValue<string>(), Is.EqualTo("imported"), result.ToJsonString());
        var id = result["character_id"]!.GetValue<long>();

        await using (var db = new NpgsqlConnection(Database.ConnectionString))
        {
            var expressions = (await db.QueryAsync<string>("select expression from characters.expressions where character_id = @id", new { id })).ToList();
            Assert.That(expressions, Is.EqualTo(new[] { "joy" }));
            var kept = (await db.QueryAsync<string>("select path from characters.assets where character_id = @id order by path", new { id })).ToList();
            Assert.That(kept, Is.EquivalentTo(new[] { "assets/emotion/images/Joy.png", "assets/x_music/audio/theme.ogg", "module.risum" }),
                "the main icon is the avatar; every other file is kept (at the path CardWriter gave it)");
        }
        Assert.That((await api.Http.GetAsync($"/characters/{id}/avatar/large")).StatusCode, Is.EqualTo(HttpStatusCode.OK));

        var exported = await (await api.Http.GetAsync($"/api/characters/{id}/export?format=charx")).Content.ReadAsByteArrayAsync();
        var read = CardReader.Read(exported, "back.charx");
        Assert.That(read.Success, Is.True, read.Error);
        var assets = read.Card!.Assets!;
        Assert.That(assets.Select(a => a.Type), Is.EquivalentTo(new[] { "icon", "emotion", "x_music" }));
        Assert.That(read.FindFile(assets.Single(a => a.Type == "emotion").Uri)!.Value.ToArray(), Is.EqualTo(joy), "the original sprite, byte for byte");
        Assert.That(read.FindFile(assets.Single(a => a.Type == "x_music").Uri)!.Value.ToArray(), Is.EqualTo("OggS fake audio"u8.ToArray()));
        Assert.That(read.Files.Any(f => f.Path == "module.risum"), Is.True);
        Assert.That(read.Avatar, Is.Not.Null);
    }

    [Test]
    public async Task Export_AfterAnEdit_WritesTheEdit_AndStillRestoresTheUneditedFieldsVerbatim()
    {
        var api = await ApiUser("ann");
        var json = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["spec"] = "chara_card_v2", ["spec_version"] = "2.0",
            ["data"] = new JsonObject
            {
                ["name"] = "Crlf", ["description"] = "line one\r\nline two\r\n", ["first_mes"] = "  hello  ",
                ["tags"] = new JsonArray("Fantasy", "#Elf"), ["creator"] = "someone", ["character_version"] = "1.2",
                ["x_tool_field"] = new JsonObject { ["nested"] = new JsonArray(1, "two", null) },
                ["extensions"] = new JsonObject { ["depth_prompt"] = new JsonObject { ["prompt"] = "p", ["depth"] = 4 } },
                ["character_book"] = new JsonObject
                {
                    ["entries"] = new JsonArray(
                        new JsonObject { ["keys"] = new JsonArray(" Sword "), ["content"] = "A blade.", ["enabled"] = true, ["insertion_order"] = 1, ["x_entry"] = "kept" },
                        new JsonObject { ["keys"] = new JsonArray("shield"), ["content"] = "Round.", ["enabled"] = true, ["insertion_order"] = 2, ["name"] = "Shield" }),
                },
            },
        }.ToJsonString());
        var id = (await Import(api, "crlf.json", json))["results"]![0]!["character_id"]!.GetValue<long>();
        var current = (await api.Http.GetFromJsonAsync<JsonObject>($"/api/characters/{id}"))!;
        Assert.That(current["description"]!.GetValue<string>(), Is.EqualTo("line one\nline two"), "our editor's normalised text");
        Assert.That(current["tags"]!.AsArray().Select(t => t!.GetValue<string>()), Is.EqualTo(new[] { "fantasy", "elf" }));

        var untouched = JsonNode.Parse(await api.Http.GetByteArrayAsync($"/api/characters/{id}/export?format=json&spec=v2"))!["data"]!;
        Assert.Multiple(() =>
        {
            Assert.That(untouched["description"]!.GetValue<string>(), Is.EqualTo("line one\r\nline two\r\n"));
            Assert.That(untouched["first_mes"]!.GetValue<string>(), Is.EqualTo("  hello  "));
            Assert.That(untouched["tags"]!.AsArray().Select(t => t!.GetValue<string>()), Is.EqualTo(new[] { "Fantasy", "#Elf" }));
            Assert.That(untouched["creator"]!.GetValue<string>(), Is.EqualTo("someone"));
            Assert.That(JsonNode.DeepEquals(untouched["x_tool_field"], JsonNode.Parse("""{"nested":[1,"two",null]}""")), Is.True);
            Assert.That(untouched["character_book"]!["entries"]![0]!["keys"]![0]!.GetValue<string>(), Is.EqualTo(" Sword "));
            Assert.That(untouched["character_book"]!["entries"]![0]!["x_entry"]!.GetValue<string>(), Is.EqualTo("kept"));
            Assert.That(untouched["extensions"]!.AsObject().ContainsKey(CardMapping.ReservedKey), Is.False, "our bookkeeping never leaves");
        });

        current["description"] = "rewritten";
        current["lorebook"]!["entries"]![1]!["content"] = "Square now.";
        var put = await api.Http.PutAsJsonAsync($"/api/characters/{id}", current);
        Assert.That(put.StatusCode, Is.EqualTo(HttpStatusCode.OK), await put.Content.ReadAsStringAsync());

        var edited = JsonNode.Parse(await api.Http.GetByteArrayAsync($"/api/characters/{id}/export?format=json&spec=v3"))!["data"]!;
        Assert.Multiple(() =>
        {
            Assert.That(edited["description"]!.GetValue<string>(), Is.EqualTo("rewritten"), "the edit wins");
            Assert.That(edited["first_mes"]!.GetValue<string>(), Is.EqualTo("  hello  "), "untouched fields stay verbatim");
            Assert.That(edited["tags"]!.AsArray().Select(t => t!.GetValue<string>()), Is.EqualTo(new[] { "Fantasy", "#Elf" }));
            Assert.That(edited["character_book"]!["entries"]![0]!["x_entry"]!.GetValue<string>(), Is.EqualTo("kept"), "the untouched entry keeps its unknown key");
            Assert.That(edited["character_book"]!["entries"]![1]!["content"]!.GetValue<string>(), Is.EqualTo("Square now."));
            Assert.That(edited["character_version"]!.GetValue<string>(), Is.EqualTo("1.2"));
        });
    }

    [Test]
    public async Task ImportJob_RunAgainAfterItFinished_ChangesNothing_AndTheFragmentShowsProgress()
    {
        var api = await ApiUser("ann");
        var files = Enumerable.Range(0, 22).Select(i => (Name: $"c{i}.json",
            Data: Encoding.UTF8.GetBytes($$"""{"name":"Card {{i}}","first_mes":"hi {{i}}"}"""))).ToList();
        using var content = new MultipartFormDataContent();
        foreach (var (name, data) in files) content.Add(new ByteArrayContent(data), "files", name);
        var started = await api.Http.PostAsync("/api/characters/import", content);
        Assert.That(started.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), "more than 20 files run as a job");
        var jobId = (await started.Content.ReadFromJsonAsync<JsonObject>())!["job_id"]!.GetValue<long>();
        JsonObject job = [];
        for (var i = 0; i < 120 && job["status"]?.GetValue<string>() != "done"; i++)
        {
            await Task.Delay(250);
            job = (await api.Http.GetFromJsonAsync<JsonObject>($"/api/characters/import/{jobId}"))!;
        }
        Assert.That(job["done"]!.GetValue<int>(), Is.EqualTo(22), job.ToJsonString());

        await using (var scope = App.Services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<MediatorJob>().Run(new RunImportJob(jobId), CancellationToken.None);
        await using (var db = new NpgsqlConnection(Database.ConnectionString))
        {
            Assert.That(await db.ExecuteScalarAsync<int>("select count(*) from characters.characters"), Is.EqualTo(22), "a retry imports nothing twice");
            Assert.That(await db.ExecuteScalarAsync<int>("select count(*) from characters.import_job_files where data is not null"), Is.Zero,
                "uploaded bytes are dropped once their file is done");
        }

        var client = api;
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/characters/import/{jobId}");
        request.Headers.Add("HX-Request", "true");
        var fragment = await (await client.Http.SendAsync(request)).Content.ReadAsStringAsync();
        Assert.That(fragment, Does.StartWith("<div id=\"import-job\"").Or.Contain("id=\"import-job\""));
        Assert.That(fragment, Does.Not.Contain("<html"), "htmx gets the fragment only");
        Assert.That(fragment, Does.Contain("22 of 22 files").And.Not.Contain("hx-trigger"), "a finished job stops polling");
    }

    [Test]
    public async Task ImportPage_AcceptsFilesAboveTheDefaultOneMegabyteLimit()
    {
        var client = await SignedInClient("ann");
        var folder = Path.GetFullPath(Path.Combine(TestApp.RepositoryDirectory(), "..", "shared", "cards"));
        var bytes = await File.ReadAllBytesAsync(Path.Combine(folder, "risu_sample_yuzu_v1+risuai.png"));
        Assert.That(bytes.Length, Is.GreaterThan(1024 * 1024));
        var response = await client.PostMultipartAsync("/characters/import", "/characters/import", "files", bytes, "yuzu.png", "image/png");
        var html = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(html, Does.Contain("1 imported"));
    }
}
