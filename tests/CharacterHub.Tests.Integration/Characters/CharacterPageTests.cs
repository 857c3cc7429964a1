using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CharacterHub.Tests.Support;
using Dapper;
using Npgsql;
using SkiaSharp;

namespace CharacterHub.Tests.Integration.Characters;

public sealed class CharacterPageTests : IntegrationTest
{
    private static Dictionary<string, string> Form(string name, params (string Key, string Value)[] more)
    {
        var form = new Dictionary<string, string> { ["Form.Name"] = name, ["Form.Visibility"] = "private" };
        foreach (var (k, v) in more) form[k] = v;
        return form;
    }

    private static async Task<long> Create(TestClient client, string name, params (string Key, string Value)[] more)
    {
        var response = await client.PostFormAsync("/characters/new", Form(name, more));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), await response.Content.ReadAsStringAsync());
        return long.Parse(response.Headers.Location!.ToString().Split('/').Last());
    }

    [Test]
    public async Task Create_ThroughTheEditor_WithListsAndLorebook_ShowsOnTheCharacterPage()
    {
        var client = await SignedInClient("hal");
        var id = await Create(client, "Aria",
            ("Form.Tagline", "A bard"), ("Form.Tags", "Music, bard"), ("Form.Category", "fantasy"),
            ("Form.Openness", "85"), ("Form.Traits.index", "a"), ("Form.Traits[a].Name", "witty"), ("Form.Traits[a].Intensity", "70"),
            ("Form.Likes", "songs\nale"), ("Form.AlternateGreetings", "Another hello"),
            ("Form.Entries.index", "e1"), ("Form.Entries[e1].Keys", "lute, harp"), ("Form.Entries[e1].Content", "Her lute is named Echo."),
            ("Form.Entries[e1].Enabled", "true"), ("Form.VoiceLanguage", "en-GB"), ("Form.VersionMessage", "first draft"));
        var (response, html) = await client.GetPageAsync($"/characters/{id}");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var doc = TestClient.Parse(html);
        Assert.That(doc.QuerySelector("h1")!.TextContent, Does.Contain("Aria"));
        foreach (var expected in new[] { "#music", "witty", "songs", "Another hello", "Her lute is named Echo." })
            Assert.That(html, Does.Contain(expected));
        Assert.That(doc.QuerySelector("meter[aria-label^='Openness']")!.GetAttribute("value"), Is.EqualTo("85"));
    }

    [Test]
    public async Task Editor_WithInvalidFields_ShowsMessagesInline_AndKeepsWhatWasTyped()
    {
        var client = await SignedInClient("ida");
        var response = await client.PostFormAsync("/characters/new", Form("", ("Form.Tagline", new string('t', 250)), ("Form.Description", "my long careful text"),
            ("Form.ExtensionsJson", "{not json")));
        var html = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var doc = TestClient.Parse(html);
        Assert.That(doc.QuerySelector("[data-valmsg-for='Form.ExtensionsJson']")!.TextContent, Does.Contain("JSON object"));
        Assert.That(doc.QuerySelector("textarea[name='Form.Description']")!.TextContent, Is.EqualTo("my long careful text"));

        var second = await client.PostFormAsync("/characters/new", Form("", ("Form.Tagline", new string('t', 250))));
        var doc2 = TestClient.Parse(await second.Content.ReadAsStringAsync());
        Assert.That(doc2.QuerySelector("[data-valmsg-for='Form.Name']")!.TextContent, Is.EqualTo("Give the character a name."));
        Assert.That(doc2.QuerySelector("[data-valmsg-for='Form.Tagline']")!.TextContent, Does.Contain("at most 200"));
        await using var db = new NpgsqlConnection(Database.ConnectionString);
        Assert.That(await db.ExecuteScalarAsync<long>("select count(*) from characters.characters"), Is.Zero);
    }

    [Test]
    public async Task HostileText_InEveryField_RendersInert()
    {
        var client = await SignedInClient("jon");
        const string evil = "<script>alert(1)</script><img src=x onerror=alert(2)><iframe src=//evil></iframe>[x](javascript:alert(3))";
        var id = await Create(client, "<b onmouseover=alert(1)>Name</b>", ("Form.Tagline", evil), ("Form.Description", evil),
            ("Form.Background", evil), ("Form.FirstMessage", evil), ("Form.CreatorNotes", evil), ("Form.Tags", "<i>x</i>"),
            ("Form.Scenario", evil), ("Form.Likes", "<script>alert(4)</script>"));
        foreach (var url in new[] { $"/characters/{id}", "/characters", $"/characters/{id}/edit", $"/characters/{id}/versions" })
        {
            var doc = TestClient.Parse((await client.GetPageAsync(url)).Body);
            var main = doc.QuerySelector("main")!;
            Assert.That(main.QuerySelectorAll("script, iframe, img[src='x'], b[onmouseover]"), Is.Empty, url);
            var attributes = main.QuerySelectorAll("*").SelectMany(e => e.Attributes);
            Assert.That(attributes.Where(a => a.Name.StartsWith("on", StringComparison.Ordinal)), Is.Empty, url);
            Assert.That(attributes.Where(a => a.Name == "href" && a.Value.Contains("javascript:", StringComparison.OrdinalIgnoreCase)), Is.Empty, url);
        }
    }

    [Test]
    public async Task StaleForm_ShowsConflictWithBothVersions_AndMergeKeepsChosenFields()
    {
        var alice = await SignedInClient("kim");
        var id = await Create(alice, "Orig", ("Form.Description", "base"), ("Form.Tagline", "base tagline"));
        // Two tabs open the editor at version 1; the first saves.
        var first = await alice.PostFormAsync($"/characters/{id}/edit", Form("Orig", ("ExpectedVersion", "1"), ("Form.Description", "theirs"), ("Form.Tagline", "base tagline")));
        Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));

        var stale = await alice.PostFormAsync($"/characters/{id}/edit", Form("Orig", ("ExpectedVersion", "1"), ("Form.Description", "base"), ("Form.Tagline", "mine tagline")));
        var html = await stale.Content.ReadAsStringAsync();
        Assert.That(stale.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        var doc = TestClient.Parse(html);
        var conflict = doc.QuerySelector("#conflict")!;
        Assert.That(conflict.TextContent, Does.Contain("theirs").And.Contain("mine tagline"));
        await using var db = new NpgsqlConnection(Database.ConnectionString);
        Assert.That(await db.ExecuteScalarAsync<string>("select description from characters.characters"), Is.EqualTo("theirs"), "nothing overwritten");

        var mineJson = doc.QuerySelector("input[name=MineJson]")!.GetAttribute("value")!;
        var merge = await alice.PostFormAsync($"/characters/{id}/edit", new Dictionary<string, string>
        {
            ["MineJson"] = mineJson, ["ExpectedVersion"] = "2", ["Choice[tagline]"] = "mine", ["Choice[description]"] = "theirs",
        }, action: $"/characters/{id}/edit?handler=Merge");
        Assert.That(merge.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
        var row = await db.QuerySingleAsync<(string Description, string Tagline, int Version)>("select description, tagline, version from characters.characters");
        Assert.That(row, Is.EqualTo(("theirs", "mine tagline", 3)));
    }

    [Test]
    public async Task History_DiffsTwoVersionsSideBySide_AndRestoreMakesANewVersion()
    {
        var client = await SignedInClient("lea");
        var id = await Create(client, "Hist", ("Form.Description", "line one\nline two"));
        await client.PostFormAsync($"/characters/{id}/edit", Form("Hist", ("ExpectedVersion", "1"), ("Form.Description", "line one\nline 2 changed"), ("Form.VersionMessage", "reworded")));

        var (_, html) = await client.GetPageAsync($"/characters/{id}/versions?a=1&b=2");
        var doc = TestClient.Parse(html);
        Assert.That(doc.QuerySelectorAll("table.versions tbody tr"), Has.Length.EqualTo(2));
        Assert.That(html, Does.Contain("reworded"));
        var diff = doc.QuerySelectorAll("section.diff").Single(s => s.QuerySelector("h3")!.TextContent == "Description");
        Assert.That(diff.QuerySelectorAll(".diff-side")[0].QuerySelector(".diff-line.modified, .diff-line.deleted")!.TextContent, Is.EqualTo("line two"));
        Assert.That(diff.QuerySelectorAll(".diff-side")[1].QuerySelector(".diff-line.modified, .diff-line.inserted")!.TextContent, Is.EqualTo("line 2 changed"));

        var restore = await client.PostFormAsync($"/characters/{id}/versions", new Dictionary<string, string> { ["version"] = "1" },
            action: $"/characters/{id}/versions?handler=Restore");
        Assert.That(restore.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
        await using var db = new NpgsqlConnection(Database.ConnectionString);
        Assert.That(await db.QuerySingleAsync<(string, int)>("select description, version from characters.characters"), Is.EqualTo(("line one\nline two", 3)));
        Assert.That(await db.ExecuteScalarAsync<string>("select message from characters.character_versions where version = 3"), Is.EqualTo("Restored version 1"));
        Assert.That(await db.ExecuteScalarAsync<long>("select count(*) from characters.character_versions"), Is.EqualTo(3), "history is never rewritten");
    }

    [Test]
    public async Task Templates_BuiltInsPrefillTheEditor_AndSaveAsTemplateAddsOne()
    {
        var client = await SignedInClient("max");
        var (_, list) = await client.GetPageAsync("/characters/templates");
        var names = TestClient.Parse(list).QuerySelectorAll(".template-card h2").Select(h => h.TextContent.Trim()).ToList();
        Assert.That(names, Is.SupersetOf(new[] { "Mentor", "Companion", "Detective", "Villain", "Game master / narrator", "Historical figure", "Assistant", "Fantasy adventurer" }));

        var (_, editor) = await client.GetPageAsync("/characters/new?template=builtin:detective");
        var doc = TestClient.Parse(editor);
        Assert.That(doc.QuerySelector("input[name='Form.Name']")!.GetAttribute("value"), Is.EqualTo("Detective"));
        Assert.That(doc.QuerySelector("textarea[name='Form.FirstMessage']")!.TextContent, Does.Contain("left-handed"));

        var id = await Create(client, "My sleuth", ("Form.Description", "custom"));
        await client.PostFormAsync($"/characters/{id}", new Dictionary<string, string> { ["templateName"] = "Sleuth base" }, action: $"/characters/{id}?handler=Template");
        var (_, again) = await client.GetPageAsync("/characters/templates");
        Assert.That(again, Does.Contain("Sleuth base"));
        var other = await SignedInClient("ned");
        Assert.That((await other.GetPageAsync("/characters/templates")).Body, Does.Not.Contain("Sleuth base"), "templates are private");
    }

    [Test]
    public async Task Unlisted_ShareLinkOpensForAnyone_ButTheCharacterPageIs404ForOthers()
    {
        var owner = await SignedInClient("ola");
        var id = await Create(owner, "Hidden gem", ("Form.Visibility", "unlisted"));
        var (_, page) = await owner.GetPageAsync($"/characters/{id}");
        var link = TestClient.Parse(page).QuerySelector("#share-link")!.TextContent.Trim();
        var path = new Uri(link).AbsolutePath;
        Assert.That(path, Does.Match("^/c/[A-Za-z0-9_-]{20,}$"));

        var stranger = Client();
        var (shared, html) = await stranger.GetPageAsync(path);
        Assert.That(shared.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(html, Does.Contain("Hidden gem"));
        Assert.That(html, Does.Not.Contain(path), "the token is not repeated to viewers");
        Assert.That((await stranger.GetAsync($"/characters/{id}")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((await stranger.GetAsync("/c/not-a-real-token-at-all")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task Avatar_Upload_IsResizedTo512And128_AndBombsAreRefused()
    {
        var client = await SignedInClient("pam");
        var id = await Create(client, "Pic");
        using var bitmap = new SKBitmap(900, 700);
        using (var canvas = new SKCanvas(bitmap)) canvas.Clear(SKColors.MediumPurple);
        var png = SKImage.FromBitmap(bitmap).Encode(SKEncodedImageFormat.Jpeg, 90).ToArray();
        var ok = await client.PostMultipartAsync($"/characters/{id}", $"/characters/{id}?handler=Avatar", "avatar", png, "me.png", "image/png", htmx: true);
        Assert.That(await ok.Content.ReadAsStringAsync(), Does.Contain("Avatar updated."));
        foreach (var (size, px) in new[] { ("large", 512), ("small", 128) })
        {
            var image = await client.GetAsync($"/characters/{id}/avatar/{size}");
            Assert.That(image.Headers.CacheControl!.ToString(), Does.Contain("max-age"));
            using var decoded = SKBitmap.Decode(await image.Content.ReadAsByteArrayAsync());
            Assert.That(decoded.Width, Is.EqualTo(px));
        }

        var bomb = await client.PostMultipartAsync($"/characters/{id}", $"/characters/{id}?handler=Avatar", "avatar",
            Support.Images.PngHeaderOnly(20000, 20000), "bomb.png", "image/png", htmx: true);
        Assert.That(await bomb.Content.ReadAsStringAsync(), Does.Contain("20000×20000"));
        var notImage = await client.PostMultipartAsync($"/characters/{id}", $"/characters/{id}?handler=Avatar", "avatar",
            "GIF87a but not really"u8.ToArray(), "x.gif", "image/gif", htmx: true);
        var notImageHtml = await notImage.Content.ReadAsStringAsync();
        Assert.That(TestClient.Parse(notImageHtml).QuerySelector(".field-error[role=alert]")?.TextContent, Does.Contain("image"), notImageHtml);
    }

    [Test]
    public async Task Library_SearchFragmentForHtmx_Favourites_Archive_AndBulkTag()
    {
        var client = await SignedInClient("quin");
        var a = await Create(client, "Alpha wolf");
        var b = await Create(client, "Beta bear");
        var c = await Create(client, "Gamma goose");

        using (var request = new HttpRequestMessage(HttpMethod.Get, "/characters?q=bea"))
        {
            request.Headers.Add("HX-Request", "true");
            var fragment = await (await client.Http.SendAsync(request)).Content.ReadAsStringAsync();
            Assert.That(fragment, Does.StartWith("<div id=\"library-results\"").And.Contain("Beta bear").And.Not.Contain("Alpha"));
        }

        await client.PostFormAsync($"/characters/{a}", new Dictionary<string, string> { ["favorite"] = "true" }, action: $"/characters/{a}?handler=Favorite");
        Assert.That((await client.GetPageAsync("/characters?fav=true")).Body, Does.Contain("Alpha wolf").And.Not.Contain("Beta bear"));

        await client.PostFormAsync($"/characters/{c}", new Dictionary<string, string> { ["archived"] = "true" }, action: $"/characters/{c}?handler=Archive");
        Assert.That((await client.GetPageAsync("/characters")).Body, Does.Not.Contain("Gamma goose"));
        Assert.That((await client.GetPageAsync("/characters?archived=true")).Body, Does.Contain("Gamma goose"));

        var bulk = await client.PostFormAsync("/characters", new Dictionary<string, string> { ["action"] = "tag", ["bulkTag"] = "Forest", ["ids"] = a.ToString() },
            action: "/characters?handler=Bulk");
        Assert.That(await bulk.Content.ReadAsStringAsync(), Does.Contain("Tagged 1 character(s) with #forest"));
        Assert.That((await client.GetPageAsync("/characters?tag=forest")).Body, Does.Contain("Alpha wolf").And.Not.Contain("Beta bear"));
        _ = b;
    }

    [Test]
    public async Task Preview_RendersMarkdownSafely()
    {
        var client = await SignedInClient("ray");
        var response = await client.PostFormAsync("/characters/new", new Dictionary<string, string> { ["Form.Description"] = "**bold** <script>x</script>" },
            action: "/characters/preview", htmx: true);
        var html = await response.Content.ReadAsStringAsync();
        Assert.That(html, Does.Contain("<strong>bold</strong>").And.Not.Contain("<script>"));
    }
}
