using System.Net;
using CharacterHub.FakeLlm;
using CharacterHub.Tests.Support;
using static CharacterHub.Tests.Integration.Chats.ChatKit;
using static CharacterHub.Tests.Integration.Connections.ConnectionKit;

namespace CharacterHub.Tests.Integration.Connections;

/// <summary>
/// Connections against real (fake) model servers: a host whose site model is one fake server and which allows private
/// endpoints, so a user's connection can point at a second fake server on 127.0.0.1.
/// </summary>
public sealed class ConnectionModelTests : IntegrationTest
{
    private const string UserKey = "sk-user-7c1e55aa";
    private FakeLlmServer site = null!;
    private FakeLlmServer mine = null!;
    private TestApp host = null!;
    private readonly List<TestClient> clients = [];

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        site = await FakeLlmServer.StartAsync();
        mine = await FakeLlmServer.StartAsync();
        host = await TestApp.StartAsync(Database.ConnectionString, settings: new Dictionary<string, string?>
        {
            ["Llm:BaseUrl"] = site.BaseUrl, ["Llm:Model"] = "site-model", ["Llm:ApiKey"] = "sk-site-secret", ["Llm:TimeoutSeconds"] = "5",
            ["Llm:AllowPrivateEndpoints"] = "true",
        });
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await host.DisposeAsync();
        await site.DisposeAsync();
        await mine.DisposeAsync();
    }

    [SetUp]
    public void ResetModels()
    {
        site.ClearRequests();
        mine.ClearRequests();
        mine.ApiKey = UserKey;
        mine.Models = ["alpha", "beta-7b"];
        site.Script(FakeLlmBehavior.Reply("From the site."));
        mine.Script(FakeLlmBehavior.Reply("From my own server."));
    }

    [TearDown]
    public void DropClients()
    {
        foreach (var c in clients) c.Dispose();
        clients.Clear();
    }

    private async Task<TestClient> UserAsync(string name)
    {
        var client = host.CreateClient();
        clients.Add(client);
        await client.RegisterAsync(name);
        return client;
    }

    private static async Task<long> ChatAsync(TestClient client, string username)
    {
        var characterId = await CreateCharacterAsync(client, username, new { name = "Vex", description = "A smuggler.", first_message = "You again." });
        return await StartChatAsync(client, characterId);
    }

    private async Task<(string Status, string? Model, string Content)> TurnAsync(TestClient client, long chatId)
    {
        var (_, replyId) = await SendAsync(client, chatId, "Where to?");
        var events = await StreamAsync(client, chatId, replyId);
        Assert.That(events[^1].Name, Is.EqualTo("done"));
        var row = (await SwipesAsync(Database.ConnectionString, replyId)).Single();
        var model = await ScalarAsync<string?>(Database.ConnectionString, "select model from interaction.message_swipes where id = @id", new { id = row.Id });
        return (row.Status, model, row.Content);
    }

    [Test]
    public async Task TestConnection_ListsTheServersModels_AndSaysWhatFailed()
    {
        var client = await UserAsync("tess");
        var response = await TestAsync(client, mine.BaseUrl + "/v1", UserKey);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var doc = TestClient.Parse(await response.Content.ReadAsStringAsync());
        Assert.That(doc.QuerySelectorAll("[data-pick-model]").Select(b => b.GetAttribute("data-pick-model")), Is.EqualTo(new[] { "alpha", "beta-7b" }));
        Assert.That(doc.QuerySelectorAll("datalist#connection-model-options option").Select(o => o.GetAttribute("value")), Is.EqualTo(new[] { "alpha", "beta-7b" }));
        Assert.That(mine.Requests.Single().Path, Is.EqualTo("/v1/models"));

        // Wrong key: the server's 401 in words, and the key typed is not shown back.
        var wrong = await (await TestAsync(client, mine.BaseUrl, "sk-wrong-key-123")).Content.ReadAsStringAsync();
        Assert.That(TestClient.Parse(wrong).QuerySelector(".alert.error")!.TextContent,
            Does.Contain("rejected the API key").And.Contain("401"));
        Assert.That(wrong, Does.Not.Contain("sk-wrong-key-123"));

        // Nobody listening: unreachable, in words.
        var closed = await (await TestAsync(client, "http://127.0.0.1:9/v1", UserKey)).Content.ReadAsStringAsync();
        Assert.That(TestClient.Parse(closed).QuerySelector(".alert.error")!.TextContent, Does.Contain("Could not connect"));

        // A saved connection tested with the key field blank uses its saved key.
        var id = await CreateAsync(client, Fields("Mine", mine.BaseUrl, model: "alpha", apiKey: UserKey));
        var saved = TestClient.Parse(await (await TestAsync(client, mine.BaseUrl, connectionId: id)).Content.ReadAsStringAsync());
        Assert.That(saved.QuerySelectorAll("[data-pick-model]"), Has.Length.EqualTo(2));

        // Without JS the page comes back with the result and the form as it was.
        var page = await client.PostFormAsync(Page, new Dictionary<string, string> { ["name"] = "Typed", ["baseUrl"] = mine.BaseUrl, ["apiKey"] = UserKey },
            $"{Page}?handler=Test");
        var pageDoc = TestClient.Parse(await page.Content.ReadAsStringAsync());
        Assert.That(pageDoc.QuerySelector("#connection-name")!.GetAttribute("value"), Is.EqualTo("Typed"));
        Assert.That(pageDoc.QuerySelectorAll("#connection-test [data-pick-model]"), Has.Length.EqualTo(2));
    }

    [Test]
    public async Task TestConnection_ToAServerThatNeverAnswers_SaysItTimedOut()
    {
        // Accepts the connection and never answers: the test gives up after the site's configured timeout (5 s here).
        using var silent = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        var client = await UserAsync("tim");
        var html = await (await TestAsync(client, $"http://127.0.0.1:{port}/v1")).Content.ReadAsStringAsync();
        Assert.That(TestClient.Parse(html).QuerySelector(".alert.error")!.TextContent, Does.Contain("did not list its models within 5 s"));
    }

    [Test]
    public async Task PrivateAddress_IsAllowed_WhenTheSiteAllowsPrivateEndpoints()
    {
        var client = await UserAsync("uma");
        var id = await CreateAsync(client, Fields("Local", "http://127.0.0.1:11434", model: "llama3"));
        Assert.That(id, Is.GreaterThan(0));
    }

    [Test]
    public async Task ChatsConnection_SendsItsModelKeyAndSampling()
    {
        var client = await UserAsync("vera");
        var fields = Fields("Mine", mine.BaseUrl + "/v1", model: "beta-7b", apiKey: UserKey);
        (fields["temperature"], fields["topP"], fields["maxTokens"], fields["frequencyPenalty"], fields["presencePenalty"], fields["stop"]) =
            ("0.3", "0.85", "77", "0.5", "-0.25", "END\n\\nUser:");
        var id = await CreateAsync(client, fields);
        // Another default exists: the chat's own choice must win over it.
        await CreateAsync(client, Fields("Other", mine.BaseUrl, model: "alpha", makeDefault: true));
        var chatId = await ChatAsync(client, "vera");
        Assert.That((await SelectAsync(client, chatId, id.ToString())).StatusCode, Is.EqualTo(HttpStatusCode.NoContent));

        var (status, model, content) = await TurnAsync(client, chatId);
        Assert.That((status, model, content), Is.EqualTo(("complete", (string?)"beta-7b", "From my own server.")),
            "the fake server demands the user's key: a complete reply means it was sent");
        var request = mine.ChatRequests.Single();
        Assert.That(request.HadAuthorization, Is.True);
        var body = request.Body!.Value;
        Assert.That(body.GetProperty("model").GetString(), Is.EqualTo("beta-7b"));
        Assert.That(body.GetProperty("temperature").GetDouble(), Is.EqualTo(0.3).Within(1e-6));
        Assert.That(body.GetProperty("top_p").GetDouble(), Is.EqualTo(0.85).Within(1e-6));
        Assert.That(body.GetProperty("frequency_penalty").GetDouble(), Is.EqualTo(0.5).Within(1e-6));
        Assert.That(body.GetProperty("presence_penalty").GetDouble(), Is.EqualTo(-0.25).Within(1e-6));
        Assert.That(body.GetProperty("max_tokens").GetInt32(), Is.EqualTo(77));
        Assert.That(body.GetProperty("stop").EnumerateArray().Select(s => s.GetString()), Is.EqualTo(new[] { "END", "\nUser:" }));
        Assert.That(site.ChatRequests, Is.Empty);

        // A wrong key now reaches the page as the server's 401, not as a silent fallback to the site model.
        mine.ApiKey = "sk-rotated";
        var (failed, _, _) = await TurnAsync(client, chatId);
        Assert.That(failed, Is.EqualTo("partial"));
        Assert.That(await ScalarAsync<string>(Database.ConnectionString,
            "select detail from interaction.message_swipes order by id desc limit 1"), Does.Contain("401"));
        Assert.That(site.ChatRequests, Is.Empty);
    }

    [Test]
    public async Task ConnectionsContextSize_BudgetsThePrompt()
    {
        var client = await UserAsync("yves");
        var fields = Fields("Small", mine.BaseUrl, model: "alpha", apiKey: UserKey, makeDefault: true);
        (fields["contextSize"], fields["maxTokens"]) = ("512", "100");
        var id = await CreateAsync(client, fields);
        var chatId = await ChatAsync(client, "yves");
        var (_, first) = await SendAsync(client, chatId, "ZEBRA " + string.Concat(Enumerable.Repeat("lorem ipsum dolor ", 800)));
        await StreamAsync(client, chatId, first);
        var (_, second) = await SendAsync(client, chatId, "And now?");
        await StreamAsync(client, chatId, second);
        Assert.That(mine.ChatRequests[^1].Body!.Value.GetProperty("messages").ToString(), Does.Not.Contain("ZEBRA").And.Contain("And now?"),
            "512 tokens leave no room for the long message");

        var edit = TestClient.Parse((await client.GetPageAsync($"{Page}?edit={id}")).Body);
        fields["contextSize"] = "200000";
        fields["version"] = edit.QuerySelector("input[name=version]")!.GetAttribute("value")!;
        fields["apiKey"] = "";
        Assert.That((await SaveAsync(client, fields, id)).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var (_, third) = await SendAsync(client, chatId, "Once more?");
        await StreamAsync(client, chatId, third);
        Assert.That(mine.ChatRequests[^1].Body!.Value.GetProperty("messages").ToString(), Does.Contain("ZEBRA"));
    }

    [Test]
    public async Task ChatWithoutAChoice_UsesTheDefaultConnection()
    {
        var client = await UserAsync("wanda");
        var chatId = await ChatAsync(client, "wanda");
        await CreateAsync(client, Fields("Not default", mine.BaseUrl, model: "alpha", apiKey: UserKey));
        await CreateAsync(client, Fields("Default one", mine.BaseUrl, model: "beta-7b", apiKey: UserKey, makeDefault: true));
        var label = TestClient.Parse((await client.GetPageAsync($"/chats/{chatId}")).Body).QuerySelector("#chat-connection option")!.TextContent;
        Assert.That(label, Is.EqualTo("Default: Default one (beta-7b)"));

        var (status, model, _) = await TurnAsync(client, chatId);
        Assert.That((status, model), Is.EqualTo(("complete", (string?)"beta-7b")));
        Assert.That(mine.ChatRequests.Single().Body!.Value.GetProperty("model").GetString(), Is.EqualTo("beta-7b"));
        Assert.That(site.ChatRequests, Is.Empty);
    }

    [Test]
    public async Task UserWithoutConnections_UsesTheSiteDefault_WhichThePageDescribesWithoutItsKey()
    {
        var client = await UserAsync("xena");
        var chatId = await ChatAsync(client, "xena");
        var (status, model, content) = await TurnAsync(client, chatId);
        Assert.That((status, model, content), Is.EqualTo(("complete", (string?)"site-model", "From the site.")));
        Assert.That(site.ChatRequests.Single().Body!.Value.GetProperty("model").GetString(), Is.EqualTo("site-model"));
        Assert.That(mine.ChatRequests, Is.Empty);

        var html = (await client.GetPageAsync(Page)).Body;
        var row = TestClient.Parse(html).QuerySelector("#connection-site-default")!;
        Assert.That(row.QuerySelector(".connection-model")!.TextContent, Is.EqualTo("site-model"));
        Assert.That(row.QuerySelector(".connection-url")!.TextContent, Is.EqualTo("127.0.0.1"));
        Assert.That(row.TextContent, Does.Contain("in use"));
        Assert.That(html, Does.Not.Contain("sk-site-secret").And.Not.Contain(site.BaseUrl));
        Assert.That(TestClient.Parse((await client.GetPageAsync($"/chats/{chatId}")).Body).QuerySelector("#chat-connection option")!.TextContent,
            Is.EqualTo("Default: site model (site-model)"));
    }
}
