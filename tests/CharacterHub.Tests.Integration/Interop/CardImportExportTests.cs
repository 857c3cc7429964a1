using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using CharacterHub.Modules.Characters.Cards;
using CharacterHub.Tests.Support;

namespace CharacterHub.Tests.Integration.Interop;

public sealed class CardImportExportTests : IntegrationTest
{
    private static string CardsFolder() => Path.GetFullPath(Path.Combine(TestApp.RepositoryDirectory(), "..", "shared", "cards"));

    /// <summary>Every character card fixture (the World Info file is a lorebook, tested separately).</summary>
    public static IEnumerable<string> CardFixtures() =>
        Directory.GetFiles(CardsFolder()).Select(Path.GetFileName).Where(f => f!.EndsWith(".png") || f.EndsWith(".json"))
            .Where(f => !f!.Contains("worldinfo")).Order(StringComparer.Ordinal)!;

    private async Task<TestClient> ApiUser(string name)
    {
        var client = await SignedInClient(name);
        var token = await client.CreateTokenAsync(name);
        client.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private static async Task<(HttpStatusCode Status, JsonObject Body)> Import(TestClient api, string? duplicates, params (string Name, byte[] Data)[] files)
    {
        using var content = new MultipartFormDataContent();
        foreach (var (name, data) in files) content.Add(new ByteArrayContent(data), "files", name);
        if (duplicates is not null) content.Add(new StringContent(duplicates), "duplicates");
        var response = await api.Http.PostAsync("/api/characters/import", content);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonNode.Parse(text) as JsonObject ?? throw new AssertionException(text));
    }

    private static async Task<long> ImportOne(TestClient api, string name, byte[] data)
    {
        var (status, body) = await Import(api, null, (name, data));
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body.ToJsonString());
        var result = body["results"]![0]!;
        Assert.That(result["status"]!.GetValue<string>(), Is.EqualTo("imported"), body.ToJsonString());
        return result["character_id"]!.GetValue<long>();
    }

    private static async Task<byte[]> Export(TestClient client, long id, string format, string spec)
    {
        var response = await client.Http.GetAsync($"/api/characters/{id}/export?format={format}&spec={spec}");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), $"{format}/{spec}");
        return await response.Content.ReadAsByteArrayAsync();
    }

    /// <summary>The card as the codec sees it, in the V3 shape: the common ground for comparing any two containers.</summary>
    private static JsonObject DataOf(CardReadResult read, bool withoutAssets = false)
    {
        Assert.That(read.Success, Is.True, read.Error);
        var data = CardWriter.ToJsonObject(read.Card!, CardSpec.V3);
        if (withoutAssets) ((JsonObject)data["data"]!).Remove("assets");
        data.Remove("spec");
        data.Remove("spec_version");
        return data;
    }

    [TestCaseSource(nameof(CardFixtures))]
    public async Task Import_EveryFixture_KeepsNameGreetingsDescriptionLorebookAndAvatar(string fixture)
    {
        var api = await ApiUser("ann");
        var bytes = await File.ReadAllBytesAsync(Path.Combine(CardsFolder(), fixture));
        var expected = CardReader.Read(bytes, fixture);
        Assert.That(expected.Success, Is.True, expected.Error);
        var id = await ImportOne(api, fixture, bytes);

        var got = (await api.Http.GetFromJsonAsync<JsonObject>($"/api/characters/{id}"))!;
        var card = expected.Card!;
        Assert.Multiple(() =>
        {
            Assert.That(got["name"]!.GetValue<string>(), Is.EqualTo(card.Name.Trim()));
            Assert.That(got["first_message"]!.GetValue<string>(), Is.EqualTo(card.FirstMessage.Replace("\r\n", "\n").Trim()));
            Assert.That(got["description"]!.GetValue<string>(), Is.EqualTo(card.Description.Replace("\r\n", "\n").Trim()));
            Assert.That(got["alternate_greetings"]!.AsArray().Count, Is.EqualTo(card.AlternateGreetings.Count(g => g.Trim().Length > 0)));
            Assert.That(got["lorebook"]!["entries"]!.AsArray().Count, Is.EqualTo(card.CharacterBook?.Entries.Count ?? 0));
            Assert.That(got["visibility"]!.GetValue<string>(), Is.EqualTo("private"), "imports are private");
        });
        var avatar = await api.Http.GetAsync($"/characters/{id}/avatar/large");
        Assert.That(avatar.StatusCode, Is.EqualTo(expected.Avatar is null ? HttpStatusCode.NotFound : HttpStatusCode.OK));
        var history = (await api.Http.GetFromJsonAsync<JsonArray>($"/api/characters/{id}/versions"))!;
        Assert.That(history.Single()!["message"]!.GetValue<string>(), Is.EqualTo($"Imported from {fixture}"));
    }

    [TestCaseSource(nameof(CardFixtures))]
    public async Task ImportThenExport_EveryFixture_KeepsEveryFieldAndUnknownKeyInEveryFormat(string fixture)
    {
        var api = await ApiUser("ann");
        var bytes = await File.ReadAllBytesAsync(Path.Combine(CardsFolder(), fixture));
        var original = CardReader.Read(bytes, fixture);
        var id = await ImportOne(api, fixture, bytes);

        foreach (var (format, spec) in new[] { ("png", "v3"), ("png", "v2"), ("json", "v3"), ("json", "v2"), ("charx", "v3") })
        {
            var exported = await Export(api, id, format, spec);
            var read = CardReader.Read(exported, $"x.{format}");
            // A CHARX always carries its icon as an asset (the spec's rule for that container), so assets differ there.
            var charx = format == "charx";
            var expected = DataOf(original, withoutAssets: charx);
            var actual = DataOf(read, withoutAssets: charx);
            Assert.That(JsonNode.DeepEquals(expected, actual), Is.True,
                $"{fixture} as {format}/{spec}:\nexpected {expected.ToJsonString()}\nactual   {actual.ToJsonString()}");
        }

        // The raw keys of the file itself (not only the codec's view) come back too.
        var v3 = JsonNode.Parse(await Export(api, id, "json", "v3"))!.AsObject();
        if (CardReader.LooksLikeJson(bytes))
        {
            var raw = JsonNode.Parse(Encoding.UTF8.GetString(bytes).TrimStart('\uFEFF'))!.AsObject();
            var rawData = raw["data"] as JsonObject ?? raw;
            foreach (var (key, _) in rawData)
                Assert.That(v3["data"]!.AsObject().ContainsKey(key) || v3.ContainsKey(key), Is.True, $"key {key} kept");
        }
    }

    [Test]
    public async Task ExportThenImport_GivesBackEveryModeledFieldAndExtensionKey()
    {
        var api = await ApiUser("ann");
        var create = await api.Http.PostAsJsonAsync("/api/characters", new
        {
            name = "Seraphina", nickname = "Sera", tagline = "Guardian", description = "desc", scenario = "forest",
            first_message = "Hello {{user}}", alternate_greetings = new[] { "Hi", "Hey" }, example_dialogues = "<START>\n{{char}}: hm",
            system_prompt = "sys", post_history_instructions = "post", creator_notes = "notes", category = "fantasy",
            tags = new[] { "elf", "healer" }, visibility = "public",
            personality = new { summary = "kind", big_five = new { openness = 90, conscientiousness = 10, extraversion = 20, agreeableness = 30, neuroticism = 40 },
                likes = new[] { "tea" }, dislikes = new[] { "fire" }, speech = new { vocabulary = "old", quirks = "hums", catchphrases = new[] { "Be well." } } },
            traits = new[] { new { name = "brave", intensity = 80 } },
            background = "# Past",
            lorebook = new { name = "Book", entries = new[] { new { keys = new[] { "forest" }, content = "Old.", extensions = new { depth = 4 } } } },
            voice = new { provider = "tts", voice_name = "alloy", language = "en-GB", pitch = 1.2, rate = 0.9, style_notes = "soft" },
            extensions = new { chub = new { id = 42 }, talkativeness = "0.5" },
        });
        Assert.That(create.StatusCode, Is.EqualTo(HttpStatusCode.Created), await create.Content.ReadAsStringAsync());
        var source = (await create.Content.ReadFromJsonAsync<JsonObject>())!;
        var id = source["id"]!.GetValue<long>();

        foreach (var (format, spec) in new[] { ("png", "v3"), ("json", "v2"), ("json", "v3"), ("charx", "v3") })
        {
            var file = await Export(api, id, format, spec);
            var other = await ApiUser($"bob{format}{spec}");
            var copyId = await ImportOne(other, $"copy.{format}", file);
            var copy = (await other.Http.GetFromJsonAsync<JsonObject>($"/api/characters/{copyId}"))!;
            foreach (var field in new[] { "name", "nickname", "tagline", "description", "personality", "traits", "background", "scenario",
                         "first_message", "alternate_greetings", "example_dialogues", "system_prompt", "post_history_instructions",
                         "creator_notes", "category", "tags", "lorebook", "voice" })
                Assert.That(JsonNode.DeepEquals(source[field], copy[field]), Is.True,
                    $"{format}/{spec} {field}: {source[field]?.ToJsonString()} vs {copy[field]?.ToJsonString()}");
            foreach (var (key, value) in source["extensions"]!.AsObject())
                Assert.That(JsonNode.DeepEquals(value, copy["extensions"]![key]), Is.True, $"{format}/{spec} extension {key}");
            Assert.That(copy["visibility"]!.GetValue<string>(), Is.EqualTo("private"));
        }
    }

    [Test]
    public async Task Import_BadFilesInABatch_GetTheirOwnReasons_WhileTheGoodOneImports()
    {
        var api = await ApiUser("ann");
        var good = await File.ReadAllBytesAsync(Path.Combine(CardsFolder(), "st_default_FluxTheCat.png"));
        var corrupt = (byte[])good.Clone();
        corrupt[corrupt.Length / 2] ^= 0xFF; // breaks a chunk's CRC
        var longCard = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["spec"] = "chara_card_v2", ["spec_version"] = "2.0",
            ["data"] = new JsonObject { ["name"] = "Long", ["description"] = new string('x', 60_000), ["first_mes"] = "hi" },
        }.ToJsonString());
        var (status, body) = await Import(api, null,
            ("notes.txt", "just some text"u8.ToArray()), ("broken.png", corrupt), ("huge.png", new byte[21 * 1024 * 1024]),
            ("long.json", longCard), ("flux.png", good));
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        var results = body["results"]!.AsArray().ToDictionary(r => r!["file"]!.GetValue<string>(), r => r!.AsObject());
        Assert.Multiple(() =>
        {
            Assert.That(results["notes.txt"]["status"]!.GetValue<string>(), Is.EqualTo("failed"));
            Assert.That(results["notes.txt"]["reason"]!.GetValue<string>(), Does.Contain("not a character card"));
            Assert.That(results["broken.png"]["status"]!.GetValue<string>(), Is.EqualTo("failed"));
            Assert.That(results["broken.png"]["reason"]!.GetValue<string>(), Is.Not.Empty);
            Assert.That(results["huge.png"]["status"]!.GetValue<string>(), Is.EqualTo("failed"));
            Assert.That(results["huge.png"]["reason"]!.GetValue<string>(), Does.Contain("20 MB"));
            Assert.That(results["long.json"]["status"]!.GetValue<string>(), Is.EqualTo("failed"));
            Assert.That(results["long.json"]["reason"]!.GetValue<string>(), Does.Contain("Description").And.Contain("20,000"));
            Assert.That(results["flux.png"]["status"]!.GetValue<string>(), Is.EqualTo("imported"));
        });
        var list = (await api.Http.GetFromJsonAsync<JsonObject>("/api/characters"))!;
        Assert.That(list["items"]!.AsArray().Count, Is.EqualTo(1), "nothing half-imported from the failures");
    }

    [Test]
    public async Task Import_Duplicate_IsSkippedByDefault_OrBecomesANewVersion()
    {
        var api = await ApiUser("ann");
        var bytes = await File.ReadAllBytesAsync(Path.Combine(CardsFolder(), "st_default_CodingSensei.png"));
        var id = await ImportOne(api, "sensei.png", bytes);

        var (_, again) = await Import(api, null, ("sensei-again.png", bytes));
        Assert.That(again["results"]![0]!["status"]!.GetValue<string>(), Is.EqualTo("skipped"));
        Assert.That(again["results"]![0]!["character_id"]!.GetValue<long>(), Is.EqualTo(id));
        Assert.That(again["results"]![0]!["reason"]!.GetValue<string>(), Does.Contain("Already imported"));

        var (_, update) = await Import(api, "new_version", ("sensei-again.png", bytes));
        Assert.That(update["results"]![0]!["status"]!.GetValue<string>(), Is.EqualTo("imported"));
        Assert.That(update["results"]![0]!["character_id"]!.GetValue<long>(), Is.EqualTo(id));
        var got = (await api.Http.GetFromJsonAsync<JsonObject>($"/api/characters/{id}"))!;
        Assert.That(got["version"]!.GetValue<int>(), Is.EqualTo(2));

        // Another user importing the same card is no duplicate of ann's.
        var bob = await ApiUser("bob");
        Assert.That(await ImportOne(bob, "sensei.png", bytes), Is.Not.EqualTo(id));
    }

    [Test]
    public async Task Import_Zip_RunsAsAJob_WithProgressAndReport_VisibleToItsOwnerOnly()
    {
        var api = await ApiUser("ann");
        var zip = new MemoryStream();
        using (var archive = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var fixture in CardFixtures())
            {
                var entry = archive.CreateEntry("cards/" + fixture);
                await using var stream = entry.Open();
                await stream.WriteAsync(await File.ReadAllBytesAsync(Path.Combine(CardsFolder(), fixture)));
            }
            var bad = archive.CreateEntry("cards/readme.txt");
            await using (var s = bad.Open()) await s.WriteAsync("not a card"u8.ToArray());
        }
        var (status, body) = await Import(api, null, ("library.zip", zip.ToArray()));
        Assert.That(status, Is.EqualTo(HttpStatusCode.Accepted), body.ToJsonString());
        var jobId = body["job_id"]!.GetValue<long>();

        JsonObject job = [];
        for (var i = 0; i < 120; i++)
        {
            job = (await api.Http.GetFromJsonAsync<JsonObject>($"/api/characters/import/{jobId}"))!;
            if (job["status"]!.GetValue<string>() == "done") break;
            await Task.Delay(500);
        }
        var expected = CardFixtures().Count();
        Assert.That(job["status"]!.GetValue<string>(), Is.EqualTo("done"), job.ToJsonString());
        Assert.That(job["total"]!.GetValue<int>(), Is.EqualTo(expected + 1));
        Assert.That(job["done"]!.GetValue<int>(), Is.EqualTo(expected + 1));
        var results = job["results"]!.AsArray();
        Assert.That(results.Count(r => r!["status"]!.GetValue<string>() == "imported"), Is.EqualTo(expected), job.ToJsonString());
        Assert.That(results.Single(r => r!["file"]!.GetValue<string>().EndsWith("readme.txt"))!["status"]!.GetValue<string>(), Is.EqualTo("failed"));

        var (page, html) = await api.GetPageAsync($"/characters/import/{jobId}");
        Assert.That(page.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(html, Does.Contain($"{expected + 1} of {expected + 1} files").And.Contain("<progress"));

        var bob = await ApiUser("bob");
        Assert.That((await bob.Http.GetAsync($"/api/characters/import/{jobId}")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((await bob.GetAsync($"/characters/import/{jobId}")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task Import_Zip_WithPathTraversal_IsRefusedWithAReason()
    {
        var api = await ApiUser("ann");
        var zip = new MemoryStream();
        using (var archive = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true))
        {
            var entry = archive.CreateEntry("../evil.png");
            await using var s = entry.Open();
            await s.WriteAsync(await File.ReadAllBytesAsync(Path.Combine(CardsFolder(), "st_default_FluxTheCat.png")));
        }
        var (_, body) = await Import(api, null, ("evil.zip", zip.ToArray()));
        var jobId = body["job_id"]!.GetValue<long>();
        JsonObject job = [];
        for (var i = 0; i < 60 && job["status"]?.GetValue<string>() != "done"; i++)
        {
            await Task.Delay(300);
            job = (await api.Http.GetFromJsonAsync<JsonObject>($"/api/characters/import/{jobId}"))!;
        }
        var result = job["results"]!.AsArray().Single()!;
        Assert.That(result["status"]!.GetValue<string>(), Is.EqualTo("failed"));
        Assert.That(result["reason"]!.GetValue<string>(), Does.Contain("unsafe file name"));
    }

    [Test]
    public async Task Export_OfAPrivateCharacter_Is404ForOthersAndAnonymous()
    {
        var api = await ApiUser("ann");
        var id = await ImportOne(api, "flux.png", await File.ReadAllBytesAsync(Path.Combine(CardsFolder(), "st_default_FluxTheCat.png")));
        var bob = await ApiUser("bob");
        Assert.That((await bob.Http.GetAsync($"/api/characters/{id}/export?format=png")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((await Client().GetAsync($"/characters/{id}/export?format=json")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        var own = await api.GetAsync($"/characters/{id}/export?format=png&spec=v2");
        Assert.That(own.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(own.Content.Headers.ContentDisposition!.ToString(), Does.Contain("attachment").And.Contain(".png"));
    }

    [Test]
    public async Task Export_WithoutAvatar_UsesAGeneratedPicture()
    {
        var api = await ApiUser("ann");
        var json = Encoding.UTF8.GetBytes("""{"name":"Plain","description":"d","first_mes":"hi"}""");
        var id = await ImportOne(api, "plain.json", json);
        var png = await Export(api, id, "png", "v3");
        var read = CardReader.Read(png, "plain.png");
        Assert.That(read.Success, Is.True, read.Error);
        Assert.That(read.Card!.Name, Is.EqualTo("Plain"));
        Assert.That(read.Container, Is.EqualTo(CardContainer.Png));
    }

    [Test]
    public async Task Import_HostileHtml_IsStoredAsTextAndRendersInert()
    {
        var api = await ApiUser("ann");
        var card = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["name"] = "<script>alert('name')</script>",
            ["description"] = "<img src=x onerror=\"alert('desc')\"> <script>alert('d')</script>",
            ["first_mes"] = "<iframe src=\"javascript:alert(1)\"></iframe>",
            ["personality"] = "<b onmouseover=alert(1)>x</b>",
        }.ToJsonString());
        var id = await ImportOne(api, "evil.json", card);
        var got = (await api.Http.GetFromJsonAsync<JsonObject>($"/api/characters/{id}"))!;
        Assert.That(got["name"]!.GetValue<string>(), Is.EqualTo("<script>alert('name')</script>"), "stored as text");
        var (_, html) = await api.GetPageAsync($"/characters/{id}");
        var doc = TestClient.Parse(html);
        Assert.Multiple(() =>
        {
            Assert.That(doc.QuerySelectorAll("script").Select(e => e.GetAttribute("src")), Has.All.Not.Null, "only our own script files");
            Assert.That(doc.QuerySelectorAll("*").SelectMany(e => e.Attributes).Where(a => a.Name.StartsWith("on", StringComparison.Ordinal)),
                Is.Empty, "no event handler attributes");
            Assert.That(doc.QuerySelectorAll("iframe, img[src=x]"), Is.Empty);
            Assert.That(doc.QuerySelector("h1")!.TextContent, Does.Contain("<script>alert('name')</script>"), "the name is shown as text");
        });
    }

    [Test]
    public async Task ImportPage_MultipartUpload_ShowsThePerFileReport()
    {
        var client = await SignedInClient("ann");
        var (page, form) = await client.GetPageAsync("/characters/import");
        Assert.That(page.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(form, Does.Contain("type=\"file\"").And.Contain("multiple").And.Contain("/js/import."));
        Assert.That(form, Does.Not.Contain("onclick=").And.Not.Contain("<script>"), "no inline script under the CSP");

        var bytes = await File.ReadAllBytesAsync(Path.Combine(CardsFolder(), "st_default_Seraphina_2024-09-28.png"));
        var response = await client.PostMultipartAsync("/characters/import", "/characters/import", "files", bytes, "seraphina.png", "image/png");
        var html = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), html);
        Assert.That(html, Does.Contain("1 imported").And.Contain("seraphina.png"));
        var doc = TestClient.Parse(html);
        var link = doc.QuerySelector(".import-report a[href^='/characters/']")!.GetAttribute("href")!;
        var (_, profile) = await client.GetPageAsync(link);
        Assert.That(profile, Does.Contain("Seraphina").And.Contain("export?format=charx"));
    }

    [Test]
    public async Task AttachLorebook_FromTheCharacterPage_MergesWorldInfoEntriesAsANewVersion()
    {
        var client = await SignedInClient("ann");
        var token = await client.CreateTokenAsync("ann");
        client.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var id = await ImportOne(client, "flux.png", await File.ReadAllBytesAsync(Path.Combine(CardsFolder(), "st_default_FluxTheCat.png")));
        client.Http.DefaultRequestHeaders.Authorization = null;
        var before = (await (await client.Http.SendAsync(Bearer($"/api/characters/{id}", token))).Content.ReadFromJsonAsync<JsonObject>())!;
        var world = await File.ReadAllBytesAsync(Path.Combine(CardsFolder(), "st_Eldoria_worldinfo.json"));
        var expected = LorebookReader.Read(world, "st_Eldoria_worldinfo.json").Lorebook!.Entries.Count;

        var response = await client.PostMultipartAsync($"/characters/{id}", $"/characters/{id}/lorebook/import", "lorebook", world,
            "Eldoria.json", "application/json");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), await response.Content.ReadAsStringAsync());
        var after = (await (await client.Http.SendAsync(Bearer($"/api/characters/{id}", token))).Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.That(after["lorebook"]!["entries"]!.AsArray().Count,
            Is.EqualTo(before["lorebook"]!["entries"]!.AsArray().Count + expected));
        Assert.That(after["version"]!.GetValue<int>(), Is.EqualTo(before["version"]!.GetValue<int>() + 1));

        // A lorebook sent to the card import is recognised and pointed to the right place.
        var bob = await ApiUser("bob");
        var (_, body) = await Import(bob, null, ("Eldoria.json", world));
        Assert.That(body["results"]![0]!["status"]!.GetValue<string>(), Is.EqualTo("skipped"));
        Assert.That(body["results"]![0]!["reason"]!.GetValue<string>(), Does.Contain("lorebook"));
        // Someone who cannot edit the character cannot attach to it.
        var (_, bobPage) = await bob.GetPageAsync($"/characters/{id}");
        Assert.That(bobPage, Does.Not.Contain("Attach lorebook"));
    }

    private static HttpRequestMessage Bearer(string url, string token)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    [Test]
    public async Task Library_ExportSelected_DownloadsAZipOfPngCards()
    {
        var client = await SignedInClient("ann");
        var token = await client.CreateTokenAsync("ann");
        client.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var a = await ImportOne(client, "flux.png", await File.ReadAllBytesAsync(Path.Combine(CardsFolder(), "st_default_FluxTheCat.png")));
        var b = await ImportOne(client, "sensei.png", await File.ReadAllBytesAsync(Path.Combine(CardsFolder(), "st_default_CodingSensei.png")));
        client.Http.DefaultRequestHeaders.Authorization = null;

        var (_, html) = await client.GetPageAsync("/characters");
        var form = new List<KeyValuePair<string, string>>
        {
            new("__RequestVerificationToken", TestClient.AntiforgeryToken(html)!), new("action", "export"),
            new("ids", a.ToString()), new("ids", b.ToString()),
        };
        var response = await client.Http.PostAsync("/characters?handler=Bulk", new FormUrlEncodedContent(form));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
        var download = await client.GetAsync(response.Headers.Location!.ToString());
        Assert.That(download.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/zip"));
        using var zip = new ZipArchive(await download.Content.ReadAsStreamAsync());
        Assert.That(zip.Entries.Count, Is.EqualTo(2));
        foreach (var entry in zip.Entries)
        {
            await using var s = entry.Open();
            var data = new MemoryStream();
            await s.CopyToAsync(data);
            Assert.That(CardReader.Read(data.ToArray(), entry.Name).Success, Is.True, entry.Name);
        }
    }
}
