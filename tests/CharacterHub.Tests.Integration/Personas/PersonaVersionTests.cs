using System.Net;
using System.Reflection;
using CharacterHub.Tests.Support;
using Dapper;
using Npgsql;
using static CharacterHub.Tests.Integration.Chats.ChatKit;
using static CharacterHub.Tests.Integration.Personas.PersonaKit;

namespace CharacterHub.Tests.Integration.Personas;

/// <summary>Optimistic concurrency on personas: the edit form carries the version it was opened at; a save from a stale
/// form (another tab saved first) or from a form without a version writes nothing and says so in the form.</summary>
public sealed class PersonaVersionTests : IntegrationTest
{
    private sealed record Row(string Name, string Description, bool IsDefault, int Version);

    private static async Task<Row> RowAsync(long id)
    {
        await using var db = new NpgsqlConnection(Database.ConnectionString);
        return await db.QuerySingleAsync<Row>(
            "select name, description, is_default as IsDefault, version from interaction.personas where id = @id", new { id });
    }

    private static async Task<string> OpenEditFormAsync(TestClient client, long id)
    {
        var (response, html) = await client.GetPageAsync($"/personas?edit={id}");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        return VersionIn(html) ?? throw new AssertionException("the edit form carries no version");
    }

    [Test]
    public async Task StaleSave_FromASecondTab_IsAConflict_ShowingTheSavedVersion_KeepingTheTypedValues_OverwritingNothing()
    {
        var client = await SignedInClient("tabs");
        var id = await CreateAsync(client, "Captain Ada", "Retired starship captain.");
        Assert.That((await RowAsync(id)).Version, Is.EqualTo(1), "a new persona starts at version 1");
        Assert.That(VersionIn((await client.GetPageAsync("/personas")).Body), Is.Null, "the new-persona form names no version");

        // Two tabs open the same persona's editor.
        var tabA = await OpenEditFormAsync(client, id);
        var tabB = await OpenEditFormAsync(client, id);
        Assert.That(tabA, Is.EqualTo("1"));

        var savedA = await SaveAsync(client, "Admiral Ada", "Promoted.", personaId: id, makeDefault: true, version: tabA);
        Assert.That(savedA.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(TestClient.Parse(await savedA.Content.ReadAsStringAsync()).QuerySelector("[role=status]")!.TextContent, Is.EqualTo("Persona saved."));
        Assert.That(await RowAsync(id), Is.EqualTo(new Row("Admiral Ada", "Promoted.", true, 2)));

        // Tab B still holds version 1: its save is refused, in the form, with both versions to see.
        var stale = await SaveAsync(client, "Commodore Ada", "Demoted\nand bitter.", personaId: id, makeDefault: true, version: tabB);
        var html = await stale.Content.ReadAsStringAsync();
        Assert.That(stale.StatusCode, Is.EqualTo(HttpStatusCode.OK), "htmx swaps the panel with the conflict in it");
        var doc = TestClient.Parse(html);
        var conflict = doc.QuerySelector("#persona-form #persona-conflict[role=alert]");
        Assert.That(conflict, Is.Not.Null, html);
        Assert.That(conflict!.TextContent, Does.Contain("Someone saved this persona while you were editing").And.Contain("Nothing has been overwritten"));
        Assert.That(conflict.QuerySelector(".persona-conflict-name")!.TextContent, Is.EqualTo("Admiral Ada"));
        Assert.That(conflict.QuerySelector(".persona-conflict-description")!.TextContent, Is.EqualTo("Promoted."));
        Assert.That(conflict.QuerySelector(".persona-conflict-default")!.TextContent, Is.EqualTo("yes"));
        Assert.That(conflict.TextContent, Does.Contain("version 2"));
        Assert.That(doc.QuerySelector("#persona-name")!.GetAttribute("value"), Is.EqualTo("Commodore Ada"), "the typed name stays");
        Assert.That(doc.QuerySelector("#persona-description")!.TextContent, Is.EqualTo("Demoted\nand bitter."), "the typed description stays");
        Assert.That(doc.QuerySelector("#persona-form input[name=version]")!.GetAttribute("value"), Is.EqualTo("2"),
            "the form now names the saved version, so saving again replaces it knowingly");
        Assert.That(doc.QuerySelector("[role=status]"), Is.Null, "no 'saved' message");
        Assert.That(await RowAsync(id), Is.EqualTo(new Row("Admiral Ada", "Promoted.", true, 2)), "nothing was overwritten");
        Assert.That(Items(doc).Single().QuerySelector(".persona-name")!.TextContent, Is.EqualTo("Admiral Ada"));

        // Saving the conflict form again (its version is current) is a deliberate overwrite.
        var again = await SaveAsync(client, "Commodore Ada", "Demoted\nand bitter.", personaId: id, makeDefault: true, version: "2");
        Assert.That(TestClient.Parse(await again.Content.ReadAsStringAsync()).QuerySelector("[role=status]")!.TextContent, Is.EqualTo("Persona saved."));
        Assert.That(await RowAsync(id), Is.EqualTo(new Row("Commodore Ada", "Demoted\nand bitter.", true, 3)));
    }

    [Test]
    public async Task StaleSave_WithoutHtmx_Answers409_WithTheConflictInTheFullPage()
    {
        var client = await SignedInClient("nojs");
        var id = await CreateAsync(client, "Bea", "First words.");
        var old = await OpenEditFormAsync(client, id);
        var ok = await SaveAsync(client, "Bea 2", "Second words.", personaId: id, makeDefault: true, htmx: false);
        Assert.That(ok.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));

        var stale = await SaveAsync(client, "Bea stale", "Stale words.", personaId: id, htmx: false, version: old);
        var html = await stale.Content.ReadAsStringAsync();
        Assert.That(stale.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        var doc = TestClient.Parse(html);
        Assert.That(doc.QuerySelector("h1")!.TextContent, Is.EqualTo("Your personas"), "the whole page, not a fragment");
        Assert.That(doc.QuerySelector("#persona-conflict .persona-conflict-name")!.TextContent, Is.EqualTo("Bea 2"));
        Assert.That(doc.QuerySelector("#persona-name")!.GetAttribute("value"), Is.EqualTo("Bea stale"));
        Assert.That(TestClient.AntiforgeryToken(html), Is.Not.Null, "the form can be posted again");
        Assert.That(await RowAsync(id), Is.EqualTo(new Row("Bea 2", "Second words.", true, 2)));
    }

    [Test]
    public async Task MakingAnotherPersonaDefault_InAnotherTab_MakesTheOldDefaultsFormStale()
    {
        var client = await SignedInClient("defaults");
        var first = await CreateAsync(client, "First");
        var second = await CreateAsync(client, "Second");
        Assert.That((await RowAsync(first)).IsDefault, Is.True);
        var form = await OpenEditFormAsync(client, first); // its "My default persona" box is checked

        Assert.That((await ActAsync(client, "Default", second)).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await RowAsync(first)).Version, Is.EqualTo(2), "losing the default changes the persona");

        // Saving the old form would silently take the default back: it is a conflict instead.
        var stale = await SaveAsync(client, "First renamed", personaId: first, makeDefault: true, version: form);
        var doc = TestClient.Parse(await stale.Content.ReadAsStringAsync());
        Assert.That(doc.QuerySelector("#persona-conflict .persona-conflict-default")!.TextContent, Is.EqualTo("no"));
        Assert.That(await RowAsync(first), Is.EqualTo(new Row("First", "", false, 2)));
        Assert.That((await RowAsync(second)).IsDefault, Is.True);

        // Editing the default persona itself and keeping it default is not a conflict with itself.
        var ok = await SaveAsync(client, "Second, still default", personaId: second, makeDefault: true);
        Assert.That(TestClient.Parse(await ok.Content.ReadAsStringAsync()).QuerySelector("[role=status]")!.TextContent, Is.EqualTo("Persona saved."));
        Assert.That(await RowAsync(second), Is.EqualTo(new Row("Second, still default", "", true, 3)));
        Assert.That((await RowAsync(first)).Version, Is.EqualTo(2), "a persona that was not the default is not touched");
    }

    [Test]
    public async Task Save_WithoutAVersion_OrWithAMalformedOne_IsRefusedWithAMessage_AndNothingChanges()
    {
        var client = await SignedInClient("forms");
        var id = await CreateAsync(client, "Cleo", "Original.");
        foreach (var version in new[] { NoVersion, "", "abc", "0", "-1", "1.0", " 1", "99999999999999999999", new string('9', 5000) })
        {
            var response = await SaveAsync(client, "Overwritten", "Overwritten.", personaId: id, version: version);
            var html = await response.Content.ReadAsStringAsync();
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), $"version '{version[..Math.Min(20, version.Length)]}'");
            var conflict = TestClient.Parse(html).QuerySelector("#persona-conflict");
            Assert.That(conflict, Is.Not.Null, html);
            Assert.That(conflict!.TextContent, Does.Contain("did not say which version").And.Contain("nothing was saved"));
            Assert.That(conflict.QuerySelector(".persona-conflict-name")!.TextContent, Is.EqualTo("Cleo"));
            Assert.That(TestClient.Parse(html).QuerySelector("#persona-name")!.GetAttribute("value"), Is.EqualTo("Overwritten"));
        }
        // A future version (never issued) is stale too.
        var future = await SaveAsync(client, "Overwritten", personaId: id, version: "7");
        Assert.That(TestClient.Parse(await future.Content.ReadAsStringAsync()).QuerySelector("#persona-conflict")!.TextContent,
            Does.Contain("Someone saved this persona"));
        Assert.That(await RowAsync(id), Is.EqualTo(new Row("Cleo", "Original.", true, 1)));
    }

    [Test]
    public async Task HostileSaves_NeverA5xx_AndChangeNothing()
    {
        var owner = await SignedInClient("owner8");
        var theirs = await CreateAsync(owner, "Theirs", "Keep out.");
        var me = await SignedInClient("intruder8");
        var mine = await CreateAsync(me, "Mine", "Mine.");
        var (_, page) = await me.GetPageAsync("/personas");
        var token = TestClient.AntiforgeryToken(page)!;

        async Task<HttpStatusCode> PostAsync(string query, IDictionary<string, string> fields)
        {
            var content = new MultipartFormDataContent { { new StringContent(token), "__RequestVerificationToken" } };
            foreach (var (k, v) in fields) content.Add(new StringContent(v), k);
            using var request = new HttpRequestMessage(HttpMethod.Post, "/personas?handler=Save" + query) { Content = content };
            request.Headers.Add("HX-Request", "true");
            return (await me.Http.SendAsync(request)).StatusCode;
        }

        var fields = new Dictionary<string, string> { ["name"] = "Pwned", ["description"] = "x", ["version"] = "1" };
        Assert.That(await PostAsync($"&personaId={theirs}", fields), Is.EqualTo(HttpStatusCode.NotFound), "another user's persona, right version");
        foreach (var id in new[] { "99999999999999999999", "-5", "abc", "1e3" })
            Assert.That((int)await PostAsync($"&personaId={id}", fields), Is.LessThan(500), $"personaId {id}");
        Assert.That((int)await PostAsync($"&personaId={mine}", new Dictionary<string, string>
            { ["name"] = new string('n', 100_000), ["description"] = new string('d', 200_000), ["version"] = "1" }), Is.LessThan(500));
        Assert.That((int)await PostAsync($"&personaId={mine}", new Dictionary<string, string>
            { ["name"] = "Pwned", ["version"] = "5", ["makeDefault"] = "maybe", ["removeAvatar"] = "[]" }), Is.LessThan(500));
        Assert.That(await ScalarAsync<long>(Database.ConnectionString, "select count(*) from interaction.personas"), Is.EqualTo(2),
            "a malformed persona id is not a new persona");

        Assert.That(await RowAsync(theirs), Is.EqualTo(new Row("Theirs", "Keep out.", true, 1)));
        Assert.That(await RowAsync(mine), Is.EqualTo(new Row("Mine", "Mine.", true, 1)));
    }

    /// <summary>0008 adds the column to a table that already has rows: a scratch database at the schema before it,
    /// old-shaped personas, then 0008.</summary>
    [Test]
    public async Task Migration0008_GivesExistingPersonasVersion1()
    {
        var web = Assembly.Load("CharacterHub.Web");
        string Script(string resource)
        {
            using var stream = web.GetManifestResourceStream(resource)!;
            return new StreamReader(stream).ReadToEnd();
        }
        var scripts = web.GetManifestResourceNames()
            .Where(n => n.StartsWith("migrations/interaction/", StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).ToList();
        var target = scripts.Single(n => n.EndsWith("/0008_persona_versions.sql", StringComparison.Ordinal));

        var server = IntegrationFixture.Database.Server;
        var name = "mig_personas_" + Guid.NewGuid().ToString("N")[..8];
        var admin = new NpgsqlConnectionStringBuilder(server) { Database = "postgres", Pooling = false }.ConnectionString;
        await using (var c = new NpgsqlConnection(admin)) await c.ExecuteAsync($"create database {name}");
        try
        {
            await using var db = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(server) { Database = name, Pooling = false }.ConnectionString);
            await db.OpenAsync();
            foreach (var script in scripts.TakeWhile(s => s != target)) await db.ExecuteAsync(Script(script));
            await db.ExecuteAsync("""
                insert into interaction.personas (user_id, name, description, is_default) values
                    (7, 'Old default', 'd', true), (7, 'Old other', '', false), (8, 'Someone else', 'x', true)
                """);

            await db.ExecuteAsync(Script(target));

            var rows = (await db.QueryAsync<(string Name, int Version)>("select name, version from interaction.personas order by id")).ToList();
            Assert.That(rows, Is.EqualTo(new[] { ("Old default", 1), ("Old other", 1), ("Someone else", 1) }));
            var fresh = await db.ExecuteScalarAsync<int>("insert into interaction.personas (user_id, name) values (9, 'New') returning version");
            Assert.That(fresh, Is.EqualTo(1));
            Assert.ThrowsAsync<PostgresException>(() => db.ExecuteAsync("update interaction.personas set version = 0"), "versions start at 1");
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await using var c = new NpgsqlConnection(admin);
            await c.ExecuteAsync($"drop database if exists {name} with (force)");
        }
    }
}
