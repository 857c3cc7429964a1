using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using CharacterHub.FakeLlm;
using CharacterHub.Modules.Interaction.Connections;
using CharacterHub.Modules.Interaction.Llm;
using CharacterHub.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using static CharacterHub.Tests.Integration.Chats.ChatKit;
using static CharacterHub.Tests.Integration.Connections.ConnectionApiKit;

namespace CharacterHub.Tests.Integration.Connections;

/// <summary>
/// The API against a real (fake) model server: a host that allows private endpoints, so a connection can point at the
/// fake server on 127.0.0.1. Asserts what actually goes out on the wire, as the fake server recorded it.
/// </summary>
public sealed class ConnectionApiModelTests : IntegrationTest
{
    private const string UserKey = "sk-user-0a9b8c7d";
    private FakeLlmServer mine = null!;
    private TestApp host = null!;
    private readonly List<IDisposable> owned = [];

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        mine = await FakeLlmServer.StartAsync();
        host = await TestApp.StartAsync(Database.ConnectionString, settings: new Dictionary<string, string?>
        {
            ["Llm:AllowPrivateEndpoints"] = "true", ["Llm:TimeoutSeconds"] = "5",
        });
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await host.DisposeAsync();
        await mine.DisposeAsync();
    }

    [SetUp]
    public void ResetModel()
    {
        mine.ClearRequests();
        mine.ApiKey = UserKey;
        mine.Models = ["alpha", "beta-7b"];
        mine.Script(FakeLlmBehavior.Reply("From my own server."));
    }

    [TearDown]
    public void DisposeOwned()
    {
        foreach (var d in owned) d.Dispose();
        owned.Clear();
    }

    [Test]
    public async Task Test_ListsTheModels_OfASavedConnection_WithItsSavedKey()
    {
        var (_, api) = await UserAsync(host, "tess", owned);
        var id = (await CreateAsync(api, Body("Mine", mine.BaseUrl + "/v1", "alpha", UserKey)))["id"]!.GetValue<long>();

        var result = await JsonAsync(await api.PostAsync($"{Api}/{id}/test", null), HttpStatusCode.OK);

        Assert.That(result["ok"]!.GetValue<bool>(), Is.True, result.ToJsonString());
        Assert.That(result["models"]!.AsArray().Select(m => m!.GetValue<string>()), Is.EqualTo(new[] { "alpha", "beta-7b" }));
        Assert.That(mine.Requests.Single(r => r.Path == "/v1/models").HadAuthorization, Is.True,
            "the fake server demands the key: a listing means the saved key was sent");
    }

    [Test]
    public async Task Test_BeforeSaving_ReportsARefusedKey_WithoutEchoingIt()
    {
        var (_, api) = await UserAsync(host, "uri", owned);
        var body = new JsonObject { ["base_url"] = mine.BaseUrl, ["api_key"] = "sk-wrong-key-123456" };

        var response = await PostAsync(api, $"{Api}/test", body);
        var text = await response.Content.ReadAsStringAsync();
        var result = JsonNode.Parse(text)!;

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), text);
        Assert.That(result["ok"]!.GetValue<bool>(), Is.False);
        Assert.That(result["problem"]!.GetValue<string>(), Does.Contain("401"));
        Assert.That(text, Does.Not.Contain("sk-wrong-key-123456"));
        Assert.That(await CountAsync(Database.ConnectionString), Is.Zero, "a test saves nothing");

        body["api_key"] = UserKey;
        result = await JsonAsync(await PostAsync(api, $"{Api}/test", body), HttpStatusCode.OK);
        Assert.That(result["ok"]!.GetValue<bool>(), Is.True);
    }

    [Test]
    public async Task ReplyLimit_GoesOutAsTheFieldTheConnectionNames_InEveryTurn()
    {
        var (page, api) = await UserAsync(host, "rhea", owned);
        var body = Body("Reasoning", mine.BaseUrl, "o3-mini", UserKey);
        body["max_tokens"] = 77;
        body["max_tokens_field"] = "max_completion_tokens";
        body["is_default"] = true;
        var created = await CreateAsync(api, body);
        var characterId = await CreateCharacterAsync(page, "rhea", new { name = "Vex", description = "A smuggler.", first_message = "You again." });
        var chatId = await StartChatAsync(page, characterId);

        var sent = await TurnAsync(page, chatId);
        Assert.That(sent.GetProperty("max_completion_tokens").GetInt32(), Is.EqualTo(77), sent.ToString());
        Assert.That(sent.TryGetProperty("max_tokens", out _), Is.False, sent.ToString());

        var update = Body("Reasoning", mine.BaseUrl, "llama3");
        update.Remove("api_key");
        update["max_tokens"] = 77;
        update["max_tokens_field"] = "max_tokens";
        update["version"] = created["version"]!.GetValue<int>();
        await JsonAsync(await PutAsync(api, created["id"]!.GetValue<long>(), update), HttpStatusCode.OK);

        sent = await TurnAsync(page, chatId);
        Assert.That(sent.GetProperty("max_tokens").GetInt32(), Is.EqualTo(77), sent.ToString());
        Assert.That(sent.TryGetProperty("max_completion_tokens", out _), Is.False, sent.ToString());
    }

    [TestCase("max_tokens", "max_completion_tokens")]
    [TestCase("max_completion_tokens", "max_tokens")]
    public async Task ReplyLimit_IsHonoured_ByStreamAndByCompleteAlike(string field, string absent)
    {
        // A stored connection as the resolver turns it into a client, for both kinds of call the client makes.
        var row = new ConnectionSecretRow(1, mine.BaseUrl, null, "fake-model", 8192, null, null, 42, null, null, [], field);
        var connection = host.Services.GetRequiredService<ChatConnectionResolver>().ToLlm(row);
        var client = host.Services.GetRequiredService<LlmClientFactory>().Create(connection with { ApiKey = UserKey });

        var completion = await client.CompleteAsync([LlmMessage.User("Hi")]);
        await foreach (var _ in client.StreamAsync([LlmMessage.User("Hi")])) { }

        Assert.That(completion.Error, Is.Null, completion.Error?.Message);
        var bodies = mine.ChatRequests.Select(r => r.Body!.Value).ToArray();
        Assert.That(bodies, Has.Length.EqualTo(2));
        Assert.That(bodies.Select(b => b.TryGetProperty("stream", out var s) && s.GetBoolean()), Is.EqualTo(new[] { false, true }));
        foreach (var body in bodies)
        {
            Assert.That(body.GetProperty(field).GetInt32(), Is.EqualTo(42), body.ToString());
            Assert.That(body.TryGetProperty(absent, out _), Is.False, body.ToString());
        }
    }

    /// <summary>One chat turn; the JSON body the model server received for it.</summary>
    private async Task<JsonElement> TurnAsync(TestClient page, long chatId)
    {
        var (_, replyId) = await SendAsync(page, chatId, "Where to?");
        var events = await StreamAsync(page, chatId, replyId);
        Assert.That(events[^1].Name, Is.EqualTo("done"));
        Assert.That((await SwipesAsync(Database.ConnectionString, replyId)).Single().Content, Is.EqualTo("From my own server."));
        return mine.ChatRequests[^1].Body!.Value;
    }
}
