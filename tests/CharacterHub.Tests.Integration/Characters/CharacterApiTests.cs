using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using CharacterHub.Tests.Support;

namespace CharacterHub.Tests.Integration.Characters;

public sealed class CharacterApiTests : IntegrationTest
{
    private async Task<(TestClient Client, string Token)> ApiUser(string name)
    {
        var client = await SignedInClient(name);
        var token = await client.CreateTokenAsync(name);
        client.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return (client, token);
    }

    private static async Task<JsonObject> Json(HttpResponseMessage r) => (await r.Content.ReadFromJsonAsync<JsonObject>())!;

    [Test]
    public async Task Post_Creates201WithLocation_AndGetReturnsEveryField()
    {
        var (api, _) = await ApiUser("ann");
        var response = await api.Http.PostAsJsonAsync("/api/characters", new
        {
            name = "  Seraphina ", nickname = "Sera", tagline = "Guardian", description = "desc", scenario = "forest",
            first_message = "Hello {{user}}", alternate_greetings = new[] { "Hi", "" }, example_dialogues = "<START>\n{{char}}: hm",
            system_prompt = "sys", post_history_instructions = "post", creator_notes = "notes", category = "fantasy",
            tags = new[] { "Elf", "elf", " Healer " }, visibility = "unlisted",
            personality = new { summary = "kind", big_five = new { openness = 90, conscientiousness = 10, extraversion = 20, agreeableness = 30, neuroticism = 40 },
                likes = new[] { "tea" }, dislikes = new[] { "fire" }, speech = new { vocabulary = "old", quirks = "hums", catchphrases = new[] { "Be well." } } },
            traits = new[] { new { name = "brave", intensity = 80 } },
            background = "# Past", lorebook = new { name = "Book", entries = new[] { new { keys = new[] { "forest" }, content = "Old.", extensions = new { depth = 4 } } } },
            voice = new { provider = "tts", voice_name = "alloy", language = "en-GB", pitch = 1.2, rate = 0.9, style_notes = "soft" },
            extensions = new { chub = new { id = 42 }, talkativeness = "0.5" },
        });
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), await response.Content.ReadAsStringAsync());
        Assert.That(response.Headers.Location!.ToString(), Does.Match("^/api/characters/[0-9]+$"));
        var created = await Json(response);
        var got = await Json(await api.Http.GetAsync(response.Headers.Location));
        Assert.Multiple(() =>
        {
            Assert.That(got["name"]!.GetValue<string>(), Is.EqualTo("Seraphina"), "trimmed");
            Assert.That(got["version"]!.GetValue<int>(), Is.EqualTo(1));
            Assert.That(got["tags"]!.AsArray().Select(t => t!.GetValue<string>()), Is.EqualTo(new[] { "elf", "healer" }), "lower-cased, unique");
            Assert.That(got["alternate_greetings"]!.AsArray().Count, Is.EqualTo(1), "empty greetings dropped");
            Assert.That(got["personality"]!["big_five"]!["openness"]!.GetValue<int>(), Is.EqualTo(90));
            Assert.That(got["personality"]!["speech"]!["catchphrases"]![0]!.GetValue<string>(), Is.EqualTo("Be well."));
            Assert.That(got["traits"]![0]!["name"]!.GetValue<string>(), Is.EqualTo("brave"));
            Assert.That(got["lorebook"]!["entries"]![0]!["extensions"]!["depth"]!.GetValue<int>(), Is.EqualTo(4));
            Assert.That(got["voice"]!["voice_name"]!.GetValue<string>(), Is.EqualTo("alloy"));
            Assert.That(got["extensions"]!["chub"]!["id"]!.GetValue<int>(), Is.EqualTo(42), "unknown card data kept verbatim");
            Assert.That(got["share_token"]!.GetValue<string>(), Has.Length.GreaterThanOrEqualTo(20), "unlisted has a share token");
            Assert.That(JsonNode.DeepEquals(created, got), Is.True);
        });
    }

    [Test]
    public async Task Post_WithBadFields_Is400ProblemWithFieldMessages_AndNothingSaved()
    {
        var (api, _) = await ApiUser("bea");
        var response = await api.Http.PostAsJsonAsync("/api/characters", new
        {
            name = "", tagline = new string('x', 201), tags = Enumerable.Range(0, 31).Select(i => $"t{i}"), category = "nope",
            lorebook = new { entries = new[] { new { keys = new[] { "(unclosed" }, content = "x", use_regex = true } } },
        });
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/problem+json"));
        var errors = (await Json(response))["errors"]!.AsObject();
        Assert.That(errors.Select(e => e.Key), Is.SupersetOf(new[] { "name", "tagline", "tags", "category", "lorebook.entries[0].keys" }));
        var list = await Json(await api.Http.GetAsync("/api/characters"));
        Assert.That(list["items"]!.AsArray(), Is.Empty);
    }

    [Test]
    public async Task Post_WithWrongTypesOrNotJson_Is400NotA500()
    {
        var (api, _) = await ApiUser("cid");
        var wrongType = await api.Http.PostAsync("/api/characters", new StringContent("""{"name": 5, "tags": "x"}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.That(wrongType.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        var notJson = await api.Http.PostAsync("/api/characters", new StringContent("{name:", System.Text.Encoding.UTF8, "application/json"));
        Assert.That(notJson.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [Test]
    public async Task Put_WithCurrentVersion_SavesANewVersion_WithStaleVersion_Is409WithTheCurrentOne()
    {
        var (api, _) = await ApiUser("dan");
        var created = await Json(await api.Http.PostAsJsonAsync("/api/characters", new { name = "Orig", description = "one" }));
        var id = created["id"]!.GetValue<long>();

        created["description"] = "two";
        var ok = await api.Http.PutAsJsonAsync($"/api/characters/{id}", created);
        Assert.That(ok.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await Json(ok))["version"]!.GetValue<int>(), Is.EqualTo(2));

        created["description"] = "stale edit";   // still says version 1
        var stale = await api.Http.PutAsJsonAsync($"/api/characters/{id}", created);
        Assert.That(stale.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        var body = await Json(stale);
        Assert.That(body["current"]!["version"]!.GetValue<int>(), Is.EqualTo(2));
        Assert.That(body["current"]!["description"]!.GetValue<string>(), Is.EqualTo("two"));

        var versions = await api.Http.GetFromJsonAsync<JsonArray>($"/api/characters/{id}/versions");
        Assert.That(versions!.Select(v => v!["version"]!.GetValue<int>()), Is.EqualTo(new[] { 2, 1 }));
        Assert.That((await Json(await api.Http.GetAsync($"/api/characters/{id}")))["description"]!.GetValue<string>(), Is.EqualTo("two"));

        var noVersion = await api.Http.PutAsJsonAsync($"/api/characters/{id}", new { name = "x" });
        Assert.That(noVersion.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [Test]
    public async Task PrivateCharacter_IsA404ForOthers_OnEveryEndpoint_PublicIsVisible()
    {
        var (owner, _) = await ApiUser("eve");
        var (other, _) = await ApiUser("fay");
        var privateId = (await Json(await owner.Http.PostAsJsonAsync("/api/characters", new { name = "Secret" })))["id"]!.GetValue<long>();
        var publicId = (await Json(await owner.Http.PostAsJsonAsync("/api/characters", new { name = "Open", visibility = "public" })))["id"]!.GetValue<long>();

        Assert.That((await other.Http.GetAsync($"/api/characters/{privateId}")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((await other.Http.GetAsync($"/api/characters/{privateId}/versions")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((await other.Http.PutAsJsonAsync($"/api/characters/{privateId}", new { name = "x", version = 1 })).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((await other.Http.DeleteAsync($"/api/characters/{privateId}")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((await other.Http.PutAsJsonAsync($"/api/characters/{publicId}", new { name = "hijack", version = 1 })).StatusCode,
            Is.EqualTo(HttpStatusCode.NotFound), "public is readable, not writable");

        var publicForOther = await Json(await other.Http.GetAsync($"/api/characters/{publicId}"));
        Assert.That(publicForOther["name"]!.GetValue<string>(), Is.EqualTo("Open"));
        var list = await Json(await other.Http.GetAsync("/api/characters?scope=all"));
        Assert.That(list["items"]!.AsArray().Select(i => i!["name"]!.GetValue<string>()), Is.EqualTo(new[] { "Open" }));
        var library = await Json(await other.Http.GetAsync("/api/characters"));
        Assert.That(library["items"]!.AsArray(), Is.Empty, "the default listing is the caller's library");

        var page = await other.GetAsync($"/characters/{privateId}");
        Assert.That(page.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((await other.GetAsync($"/characters/{privateId}/edit")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((await other.GetAsync($"/characters/{privateId}/avatar/large")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));

        Assert.That((await owner.Http.DeleteAsync($"/api/characters/{privateId}")).StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That((await owner.Http.GetAsync($"/api/characters/{privateId}")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task List_FiltersByQueryCategoryTagAndCreator_AndPagesWithACursor()
    {
        var (api, _) = await ApiUser("gus");
        for (var i = 0; i < 7; i++)
            await api.Http.PostAsJsonAsync("/api/characters", new
            {
                name = $"Knight {i}", category = i % 2 == 0 ? "fantasy" : "sci-fi", tags = i < 3 ? new[] { "hero" } : new[] { "villain" },
            });
        await api.Http.PostAsJsonAsync("/api/characters", new { name = "Seraphina", description = "forest healer" });

        async Task<List<string>> Names(string url) =>
            (await Json(await api.Http.GetAsync(url)))["items"]!.AsArray().Select(i => i!["name"]!.GetValue<string>()).ToList();

        Assert.That(await Names("/api/characters?q=sera"), Is.EqualTo(new[] { "Seraphina" }), "prefix search");
        Assert.That(await Names("/api/characters?q=forest"), Is.EqualTo(new[] { "Seraphina" }), "searches the description");
        Assert.That(await Names("/api/characters?category=sci-fi"), Has.Count.EqualTo(3));
        Assert.That(await Names("/api/characters?tag=hero"), Has.Count.EqualTo(3));
        Assert.That(await Names("/api/characters?q=%27%3B%20drop%20table%20x%3B%20--%20%21%26%7C"), Is.Empty, "tsquery syntax is not injectable");

        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var page = await Json(await api.Http.GetAsync($"/api/characters?sort=name&limit=3{(cursor is null ? "" : "&cursor=" + cursor)}"));
            seen.AddRange(page["items"]!.AsArray().Select(i => i!["name"]!.GetValue<string>()));
            cursor = page["next_cursor"]?.GetValue<string>();
        } while (cursor is not null);
        Assert.That(seen, Is.EqualTo(seen.OrderBy(s => s.ToLowerInvariant(), StringComparer.Ordinal).ToList()));
        Assert.That(seen, Has.Count.EqualTo(8).And.Unique);

        Assert.That((await api.Http.GetAsync("/api/characters?cursor=garbage")).StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
    }
}
