using System.Net;
using CharacterHub.Tests.Support;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using static CharacterHub.Tests.Integration.Chats.ChatKit;
using static CharacterHub.Tests.Integration.Connections.ConnectionKit;

namespace CharacterHub.Tests.Integration.Connections;

/// <summary>/settings/connections on the shared host: no site model, private endpoints not allowed.</summary>
public sealed class ConnectionPageTests : IntegrationTest
{
    [Test]
    public async Task CreateEditDelete_WithInlineValidation()
    {
        var client = await SignedInClient("carla");
        var (page, html) = await client.GetPageAsync(Page);
        Assert.That(page.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var doc = TestClient.Parse(html);
        Assert.That(Items(doc), Is.Empty);
        Assert.That(doc.QuerySelector("#connection-site-default")!.TextContent, Does.Contain("No site model is configured"));
        Assert.That(TestClient.Parse((await client.GetPageAsync("/account")).Body).QuerySelector($"a[href='{Page}']"), Is.Not.Null,
            "the account page links here");

        // Every rule answers the panel (200) with the message beside its field, keeping what was typed (but never the key).
        var bad = new Dictionary<string, string>
        {
            ["name"] = new string('n', 65), ["baseUrl"] = "ftp://example.com", ["apiKey"] = "sk-typed-then-lost", ["model"] = new string('m', 201),
            ["contextSize"] = "100", ["temperature"] = "2.5", ["topP"] = "abc", ["maxTokens"] = "100001", ["frequencyPenalty"] = "-3",
            ["presencePenalty"] = "NaN", ["stop"] = string.Join("\n", Enumerable.Range(1, 9).Select(i => $"S{i}")),
        };
        var response = await SaveAsync(client, bad);
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body);
        doc = TestClient.Parse(body);
        string Error(string id) => doc.QuerySelector($"#connection-{id}-error")!.TextContent;
        Assert.That(Error("name"), Does.Contain("at most 64"));
        Assert.That(Error("base-url"), Does.Contain("Only http and https"));
        Assert.That(Error("model"), Does.Contain("at most 200"));
        Assert.That(Error("context"), Does.Contain("between 512 and 2,000,000"));
        Assert.That(Error("temperature"), Does.Contain("between 0 and 2"));
        Assert.That(Error("top-p"), Does.Contain("must be a number between 0 and 1"));
        Assert.That(Error("max-tokens"), Does.Contain("between 1 and 100,000"));
        Assert.That(Error("frequency"), Does.Contain("between -2 and 2"));
        Assert.That(Error("presence"), Does.Contain("must be a number"));
        Assert.That(Error("stop"), Does.Contain("At most 8 stop strings"));
        Assert.That(doc.QuerySelector("#connection-name")!.GetAttribute("value"), Is.EqualTo(new string('n', 65)), "typed values are kept");
        Assert.That(body, Does.Not.Contain("sk-typed-then-lost"));
        Assert.That(doc.QuerySelector("#connection-api-key")!.GetAttribute("value"), Is.Empty);

        var more = Fields("", "not a url", model: "");
        more["stop"] = new string('s', 51);
        doc = TestClient.Parse(await (await SaveAsync(client, more)).Content.ReadAsStringAsync());
        Assert.That(Error("name"), Is.EqualTo("Give the connection a name."));
        Assert.That(Error("base-url"), Does.Contain("not an absolute URL"));
        Assert.That(Error("model"), Does.Contain("Enter the model name"));
        Assert.That(Error("stop"), Does.Contain("at most 50 characters"));
        Assert.That(await ScalarAsync<long>(Database.ConnectionString, "select count(*) from interaction.llm_connections"), Is.Zero,
            "nothing invalid was saved");

        // Valid: saved with its sampling, shown in the list; the first connection's form offers "default" checked.
        Assert.That(TestClient.Parse((await client.GetPageAsync(Page)).Body).QuerySelector("#connection-default")!.HasAttribute("checked"), Is.True);
        var fields = Fields("Router", PublicUrl, model: "gpt-4o-mini", apiKey: "sk-first", makeDefault: true);
        fields["temperature"] = "0,7";
        fields["stop"] = "\\nUser:\nEND";
        var id = await CreateAsync(client, fields);
        var item = Items(TestClient.Parse((await client.GetPageAsync(Page)).Body)).Single();
        Assert.That(item.QuerySelector(".badge")!.TextContent, Is.EqualTo("default"));
        Assert.That(item.TextContent, Does.Contain("gpt-4o-mini").And.Contain("a key is saved").And.Contain("temperature 0.7").And.Contain("2 stop strings"));
        Assert.That(await ScalarAsync<string[]>(Database.ConnectionString, "select stop_strings from interaction.llm_connections"),
            Is.EqualTo(new[] { "\nUser:", "END" }));

        // Same name (any case) again: refused beside the name.
        doc = TestClient.Parse(await (await SaveAsync(client, Fields("router", PublicUrl))).Content.ReadAsStringAsync());
        Assert.That(Error("name"), Does.Contain("already have a connection named"));

        // Edit: the form shows the values, not the key; blank key keeps it; "Remove the saved key" clears it.
        var edit = TestClient.Parse((await client.GetPageAsync($"{Page}?edit={id}")).Body);
        Assert.That(edit.QuerySelector("#connection-model")!.GetAttribute("value"), Is.EqualTo("gpt-4o-mini"));
        Assert.That(edit.QuerySelector("#connection-stop")!.TextContent, Is.EqualTo("\\nUser:\nEND"));
        Assert.That(edit.QuerySelector("#connection-api-key-help")!.TextContent, Does.Contain("A key is saved"));
        var version = edit.QuerySelector("input[name=version]")!.GetAttribute("value")!;
        var changed = Fields("Router 2", PublicUrl, model: "gpt-4o", makeDefault: true);
        changed["version"] = version;
        var saved = TestClient.Parse(await (await SaveAsync(client, changed, id)).Content.ReadAsStringAsync());
        Assert.That(saved.QuerySelector("[role=status]")!.TextContent, Is.EqualTo("Connection saved."));
        Assert.That(Items(saved).Single().TextContent, Does.Contain("Router 2").And.Contain("gpt-4o").And.Contain("a key is saved"));

        // A second save from the same (now stale) form is a conflict that shows the saved version and writes nothing.
        changed["name"] = "Stale";
        var conflict = TestClient.Parse(await (await SaveAsync(client, changed, id)).Content.ReadAsStringAsync());
        Assert.That(conflict.QuerySelector("#connection-form .alert.error")!.TextContent, Does.Contain("changed elsewhere").And.Contain("Router 2"));
        Assert.That(conflict.QuerySelector("#connection-name")!.GetAttribute("value"), Is.EqualTo("Stale"), "the user's changes stay in the form");
        Assert.That(await ScalarAsync<string>(Database.ConnectionString, "select name from interaction.llm_connections"), Is.EqualTo("Router 2"));

        var clear = Fields("Router 2", PublicUrl, model: "gpt-4o", makeDefault: true);
        clear["version"] = conflict.QuerySelector("input[name=version]")!.GetAttribute("value")!;
        clear["clearApiKey"] = "true";
        var cleared = TestClient.Parse(await (await SaveAsync(client, clear, id)).Content.ReadAsStringAsync());
        Assert.That(Items(cleared).Single().TextContent, Does.Contain("no key"));
        Assert.That(await ScalarAsync<bool>(Database.ConnectionString, "select api_key_protected is null from interaction.llm_connections"), Is.True);

        // Without htmx the actions redirect back to the page; delete removes it.
        var deleted = await client.PostFormAsync(Page, new Dictionary<string, string>(), $"{Page}?handler=Delete&connectionId={id}");
        Assert.That(deleted.Headers.Location!.ToString(), Is.EqualTo(Page));
        Assert.That(Items(TestClient.Parse((await client.GetPageAsync(Page)).Body)), Is.Empty);
    }

    [Test]
    public async Task Default_OnlyEverOne_AndMakeDefaultMovesIt()
    {
        var client = await SignedInClient("dora");
        var first = await CreateAsync(client, Fields("First", PublicUrl, makeDefault: true));
        var second = await CreateAsync(client, Fields("Second", PublicUrl, makeDefault: true));
        Assert.That(await ScalarAsync<long>(Database.ConnectionString, "select id from interaction.llm_connections where is_default"), Is.EqualTo(second));
        var moved = TestClient.Parse(await (await ActAsync(client, "Default", first.ToString())).Content.ReadAsStringAsync());
        Assert.That(moved.QuerySelector("[role=status]")!.TextContent, Is.EqualTo("Default connection changed."));
        Assert.That(await ScalarAsync<long>(Database.ConnectionString, "select count(*) from interaction.llm_connections where is_default"), Is.EqualTo(1));
        Assert.That(await ScalarAsync<long>(Database.ConnectionString, "select id from interaction.llm_connections where is_default"), Is.EqualTo(first));
    }

    [Test]
    public async Task ApiKey_IsEncryptedAtRest_AndNeverInAnyPage()
    {
        const string key = "sk-live-Secret-4f9a1c2b7d";
        var client = await SignedInClient("erin");
        var id = await CreateAsync(client, Fields("Mine", PublicUrl, apiKey: key, makeDefault: true));

        var stored = await ScalarAsync<string>(Database.ConnectionString, "select api_key_protected from interaction.llm_connections where id = @id", new { id });
        Assert.That(stored, Does.Not.Contain(key).And.Not.Contain("Secret-4f9a"));
        var protector = App.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("CharacterHub.Interaction.LlmConnections.ApiKey");
        Assert.That(protector.Unprotect(stored), Is.EqualTo(key), "Data Protection with the documented purpose can read it back");

        var characterId = await Chats.ChatKit.CreateCharacterAsync(client, "erin", new { name = "Kit", description = "A test.", first_message = "Hi." });
        var chatId = await Chats.ChatKit.StartChatAsync(client, characterId);
        var invalid = Fields("Mine", PublicUrl, apiKey: key);
        invalid["temperature"] = "9";
        var pages = new List<string>
        {
            (await client.GetPageAsync(Page)).Body,
            (await client.GetPageAsync($"{Page}?edit={id}")).Body,
            (await client.GetPageAsync($"/chats/{chatId}")).Body,
            await (await SaveAsync(client, invalid, id)).Content.ReadAsStringAsync(),
            await (await TestAsync(client, "http://10.0.0.1/v1", connectionId: id)).Content.ReadAsStringAsync(),
        };
        foreach (var html in pages)
        {
            Assert.That(html, Does.Not.Contain(key).And.Not.Contain(stored).And.Not.Contain(stored[40..72]), "the ciphertext (its start is the key ring's header, shared with antiforgery tokens)");
        }
        Assert.That(TestClient.Parse(pages[0]).QuerySelector($"#connection-{id}")!.TextContent, Does.Contain("a key is saved"));
    }

    [TestCase("http://127.0.0.1:8080", "loopback")]
    [TestCase("http://localhost:11434/v1", "loopback")]
    [TestCase("http://10.1.2.3/v1", "private")]
    [TestCase("http://192.168.1.20:11434", "private")]
    [TestCase("http://169.254.169.254/latest", "cloud metadata")]
    [TestCase("http://[::1]:8080", "loopback")]
    public async Task PrivateAddress_IsRefusedAtSave_AndByTheTest_WithAMessage(string url, string kind)
    {
        var client = await SignedInClient("fred");
        var doc = TestClient.Parse(await (await SaveAsync(client, Fields("Local", url))).Content.ReadAsStringAsync());
        Assert.That(doc.QuerySelector("#connection-base-url-error")!.TextContent,
            Does.Contain("Refused to connect").And.Contain($"{kind} address").And.Contain("ask the administrator"));
        Assert.That(await ScalarAsync<long>(Database.ConnectionString, "select count(*) from interaction.llm_connections"), Is.Zero);

        var test = await TestAsync(client, url);
        Assert.That(test.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(TestClient.Parse(await test.Content.ReadAsStringAsync()).QuerySelector(".alert.error")!.TextContent,
            Does.Contain("The test failed").And.Contain("Refused to connect"));
    }

    [Test]
    public async Task AnotherUsersConnection_Is404_ForEditDeleteDefaultTestAndSelect()
    {
        var owner = await SignedInClient("gina");
        var theirs = await CreateAsync(owner, Fields("Hers", PublicUrl, apiKey: "sk-gina", makeDefault: true));
        var eve = await SignedInClient("eve");
        var characterId = await Chats.ChatKit.CreateCharacterAsync(eve, "eve", new { name = "Kit", description = "A test.", first_message = "Hi." });
        var eveChat = await Chats.ChatKit.StartChatAsync(eve, characterId);
        var ownerCharacter = await Chats.ChatKit.CreateCharacterAsync(owner, "gina", new { name = "Kat", description = "A test.", first_message = "Hi." });
        var ownerChat = await Chats.ChatKit.StartChatAsync(owner, ownerCharacter);

        Assert.That((await eve.GetAsync($"{Page}?edit={theirs}")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        var edit = Fields("Stolen", PublicUrl);
        edit["version"] = "1";
        Assert.That((await SaveAsync(eve, edit, theirs)).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((await ActAsync(eve, "Delete", theirs.ToString())).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((await ActAsync(eve, "Default", theirs.ToString())).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((await TestAsync(eve, PublicUrl, connectionId: theirs)).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((await SelectAsync(eve, eveChat, theirs.ToString())).StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "their connection in my chat");
        Assert.That((await SelectAsync(eve, ownerChat, "")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "my choice in their chat");

        Assert.That(await ScalarAsync<string>(Database.ConnectionString, "select name from interaction.llm_connections where id = @theirs", new { theirs }),
            Is.EqualTo("Hers"));
        Assert.That(await ScalarAsync<long?>(Database.ConnectionString, "select connection_id from interaction.chats where id = @eveChat", new { eveChat }), Is.Null);
        Assert.That((await eve.GetPageAsync(Page)).Body, Does.Not.Contain("Hers"));
        Assert.That((await eve.GetPageAsync($"/chats/{eveChat}")).Body, Does.Not.Contain("Hers"));
    }

    [Test]
    public async Task ChatModelSelector_ListsMyConnections_AndSavesTheChoice()
    {
        var client = await SignedInClient("hana");
        var characterId = await Chats.ChatKit.CreateCharacterAsync(client, "hana", new { name = "Kit", description = "A test.", first_message = "Hi." });
        var chatId = await Chats.ChatKit.StartChatAsync(client, characterId);
        var doc = TestClient.Parse((await client.GetPageAsync($"/chats/{chatId}")).Body);
        Assert.That(doc.QuerySelector("#chat-connection option")!.TextContent, Is.EqualTo("Default: offline responder"));

        var id = await CreateAsync(client, Fields("Box", PublicUrl, model: "llama3"));
        doc = TestClient.Parse((await client.GetPageAsync($"/chats/{chatId}")).Body);
        Assert.That(doc.QuerySelectorAll("#chat-connection option").Select(o => o.TextContent), Is.EqualTo(new[] { "Default: offline responder", "Box (llama3)" }));

        var chosen = await SelectAsync(client, chatId, id.ToString());
        Assert.That(chosen.Headers.GetValues("HX-Redirect"), Is.EqualTo(new[] { $"/chats/{chatId}" }));
        doc = TestClient.Parse((await client.GetPageAsync($"/chats/{chatId}")).Body);
        Assert.That(doc.QuerySelector("#chat-connection option[selected]")!.TextContent, Is.EqualTo("Box (llama3)"));

        // Deleting the connection sends the chat back to "Default".
        await ActAsync(client, "Delete", id.ToString());
        Assert.That(await ScalarAsync<long?>(Database.ConnectionString, "select connection_id from interaction.chats where id = @chatId", new { chatId }), Is.Null);
    }

    [Test]
    public async Task HostileInput_NeverA5xx_AndChangesNothing()
    {
        var client = await SignedInClient("ivan");
        var id = await CreateAsync(client, Fields("Keep", PublicUrl, model: "m1", apiKey: "sk-keep", makeDefault: true));
        var characterId = await Chats.ChatKit.CreateCharacterAsync(client, "ivan", new { name = "Kit", description = "A test.", first_message = "Hi." });
        var chatId = await Chats.ChatKit.StartChatAsync(client, characterId);
        await SelectAsync(client, chatId, id.ToString());
        var before = await SnapshotAsync();
        var longText = new string('x', 100_000);

        var responses = new List<(string Case, HttpResponseMessage Response)>();
        foreach (var badId in new[] { "abc", "99999999999999999999", "-1", "0", "1e3", " 1", "<script>" })
        {
            responses.Add(($"save id {badId}", await SaveAsyncRaw(client, Fields("Keep", PublicUrl), badId)));
            responses.Add(($"delete {badId}", await ActAsync(client, "Delete", badId)));
            responses.Add(($"default {badId}", await ActAsync(client, "Default", badId)));
            responses.Add(($"test {badId}", await client.PostFormAsync(Page, new Dictionary<string, string> { ["baseUrl"] = PublicUrl },
                $"{Page}?handler=Test&connectionId={Uri.EscapeDataString(badId)}", htmx: true)));
            responses.Add(($"select {badId}", await SelectAsync(client, chatId, badId)));
            responses.Add(($"edit {badId}", await client.GetAsync($"{Page}?edit={Uri.EscapeDataString(badId)}")));
        }
        var hostile = new Dictionary<string, string>
        {
            ["name"] = "Keep\0", ["baseUrl"] = "http://203.0.113.10/\0v1", ["apiKey"] = "sk\0x", ["model"] = "m\u0001",
            ["contextSize"] = "99999999999999999999999", ["temperature"] = "1e309", ["topP"] = "-0.0.1", ["maxTokens"] = "-99999999999999999999",
            ["frequencyPenalty"] = "Infinity", ["presencePenalty"] = "--1", ["stop"] = "a\0b", ["makeDefault"] = "maybe", ["version"] = "x",
        };
        responses.Add(("save control chars", await SaveAsync(client, hostile, id)));
        responses.Add(("save huge", await SaveAsync(client, new Dictionary<string, string>
        {
            ["name"] = longText, ["baseUrl"] = "http://" + longText, ["apiKey"] = longText, ["model"] = longText, ["contextSize"] = longText,
            ["temperature"] = longText, ["stop"] = longText, ["version"] = "1",
        }, id)));
        responses.Add(("save missing fields", await SaveAsync(client, new Dictionary<string, string>())));
        responses.Add(("test huge", await TestAsync(client, "http://" + longText, longText)));
        responses.Add(("test control", await TestAsync(client, "http://203.0.113.10/\0", "sk\nx")));
        responses.Add(("test weird host", await TestAsync(client, "http://" + new string('a', 300) + ".example/")));
        responses.Add(("select huge", await SelectAsync(client, chatId, longText)));
        responses.Add(("bogus handler", await client.PostFormAsync(Page, new Dictionary<string, string>(), $"{Page}?handler=Bogus", htmx: true)));

        foreach (var (name, response) in responses)
        {
            Assert.That((int)response.StatusCode, Is.LessThan(500), $"{name}: {await response.Content.ReadAsStringAsync()}");
        }
        Assert.That(await SnapshotAsync(), Is.EqualTo(before), "nothing saved changed");
    }

    private static Task<HttpResponseMessage> SaveAsyncRaw(TestClient client, IDictionary<string, string> fields, string connectionId) =>
        client.PostFormAsync(Page, fields, $"{Page}?handler=Save&connectionId={Uri.EscapeDataString(connectionId)}", htmx: true);

    private static async Task<string> SnapshotAsync() =>
        await ScalarAsync<string>(Database.ConnectionString,
            """
            select coalesce((select string_agg(concat_ws('|', id, name, base_url, api_key_protected, model, context_size, temperature, top_p,
                max_tokens, stop_strings::text, is_default, version), ';' order by id) from interaction.llm_connections), '')
                || '#' || coalesce((select string_agg(concat_ws('|', id, connection_id), ';' order by id) from interaction.chats), '')
            """);
}
