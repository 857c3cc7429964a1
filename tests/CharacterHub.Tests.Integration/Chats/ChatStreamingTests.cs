using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CharacterHub.FakeLlm;
using CharacterHub.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using static CharacterHub.Tests.Integration.Chats.ChatKit;

namespace CharacterHub.Tests.Integration.Chats;

/// <summary>Turns against the fake OpenAI-compatible server, through a host configured with it as the site model.</summary>
public sealed class ChatStreamingTests : IntegrationTest
{
    private FakeModelHost host = null!;
    private FakeLlmServer server => host.Model;

    [OneTimeSetUp]
    public async Task StartAsync() => host = await FakeModelHost.StartAsync(Database.ConnectionString, stallTimeoutSeconds: 1);

    [OneTimeTearDown]
    public async Task StopAsync() => await host.DisposeAsync();

    [TearDown]
    public void ResetHost() => host.Reset();

    private async Task<(TestClient Client, long ChatId)> ChatAsync(string username)
    {
        var client = host.CreateClient();
        await client.RegisterAsync(username);
        var characterId = await CreateCharacterAsync(client, username, new
        {
            name = "Vex", description = "A smuggler with a silver tongue.", first_message = "You again.",
            lorebook = new { entries = new[] { new { keys = new[] { "harbor" }, content = "The harbor is closed at night." } } },
        });
        return (client, await StartChatAsync(client, characterId));
    }

    [Test]
    public async Task Turn_StreamsTokensInOrder_AndSavesTheReply()
    {
        var (client, chatId) = await ChatAsync("streamer");
        server.Script(FakeLlmBehavior.ReplyTokens("Fine", ", ", "<b>", "meet me", " at the harbor."));
        var (_, replyId) = await SendAsync(client, chatId, "What about the harbor?");

        var events = await StreamAsync(client, chatId, replyId);
        Assert.That(events.Where(e => e.Name == "token").Select(e => e.Data), Is.EqualTo(new[] { "Fine", ", ", "&lt;b&gt;", "meet me", " at the harbor." }));
        Assert.That(events[^1].Name, Is.EqualTo("done"));
        var swipe = (await SwipesAsync(Database.ConnectionString, replyId)).Single();
        Assert.That((swipe.Content, swipe.Status, swipe.Reason), Is.EqualTo(("Fine, <b>meet me at the harbor.", "complete", (string?)null)));

        // The prompt had the card, the lorebook entry the user's words activated, the greeting and the user's message.
        var sent = server.ChatRequests.Single().Body!.Value.GetProperty("messages").ToString();
        Assert.That(sent, Does.Contain("A smuggler with a silver tongue.").And.Contain("The harbor is closed at night.")
            .And.Contain("You again.").And.Contain("What about the harbor?"));
        Assert.That(await ScalarAsync<long>(Database.ConnectionString,
            "select count(*) from interaction.character_interactions where interaction_type = 'message' and conversation_id = @chatId", new { chatId }), Is.EqualTo(1));
        var fragment = await MessageAsync(client, chatId, replyId);
        Assert.That(fragment.QuerySelector(".chat-text")!.TextContent.Trim(), Is.EqualTo("Fine, <b>meet me at the harbor."));
        Assert.That(fragment.QuerySelector(".chat-offline"), Is.Null);
    }

    public static IEnumerable<TestCaseData> Failures()
    {
        yield return new TestCaseData(FakeLlmBehavior.Error(500, "model exploded"), "upstream_error", "The model server answered with an error", false).SetName("Upstream500");
        yield return new TestCaseData(FakeLlmBehavior.StallAfter(2) with { Tokens = ["one ", "two ", "three"] }, "stalled", "stopped sending text", true).SetName("Stall");
        yield return new TestCaseData(FakeLlmBehavior.MalformedAfter(2) with { Tokens = ["one ", "two ", "three"] }, "malformed", "not a valid reply", true).SetName("Malformed");
        yield return new TestCaseData(FakeLlmBehavior.DropAfter(2) with { Tokens = ["one ", "two ", "three"] }, "connection_lost", "connection to the model server broke", true).SetName("Drop");
    }

    [TestCaseSource(nameof(Failures))]
    public async Task UpstreamFailure_KeepsUserMessage_SavesPartialWithReason_AndSendsDone(FakeLlmBehavior behavior, string reason, string words, bool hasText)
    {
        var (client, chatId) = await ChatAsync("unlucky");
        server.Script(behavior);
        var (html, replyId) = await SendAsync(client, chatId, "Are you there?");
        var userId = long.Parse(TestClient.Parse(html).QuerySelector("article.chat-message.user")!.GetAttribute("data-message-id")!);

        var events = await StreamAsync(client, chatId, replyId);
        Assert.That(events[^1].Name, Is.EqualTo("done"), "a closing event always ends the stream");
        Assert.That(events[^1].Data, Does.Contain(words));
        Assert.That((await SwipesAsync(Database.ConnectionString, userId)).Single().Content, Is.EqualTo("Are you there?"));
        var swipe = (await SwipesAsync(Database.ConnectionString, replyId)).Single();
        Assert.That((swipe.Status, swipe.Reason), Is.EqualTo(("partial", reason)));
        Assert.That(swipe.Content, hasText ? Is.EqualTo("one two ") : Is.Empty);

        var fragment = await MessageAsync(client, chatId, replyId);
        Assert.That(fragment.QuerySelector(".chat-note.problem")!.TextContent, Does.Contain(hasText ? "The reply was cut off." : "No reply.").And.Contain(words));
        Assert.That(fragment.QuerySelectorAll(".chat-actions button").Select(b => b.TextContent), Does.Contain("Retry"));

        server.Script(FakeLlmBehavior.Reply("Here now."));
        var retry = await PostAsync(client, chatId, "Regenerate", replyId);
        Assert.That(TestClient.Parse(await retry.Content.ReadAsStringAsync()).QuerySelector("[sse-connect]"), Is.Not.Null);
        await StreamAsync(client, chatId, replyId);
        Assert.That((await SwipesAsync(Database.ConnectionString, replyId)).Select(s => s.Status), Is.EqualTo(new[] { "partial", "complete" }));
    }

    [Test]
    public async Task Stop_EndsTheStream_AndKeepsThePartialReply()
    {
        var (client, chatId) = await ChatAsync("stopper");
        var tokens = Enumerable.Range(0, 200).Select(i => $"w{i} ").ToArray();
        server.Script(new FakeLlmBehavior { Tokens = tokens, TokensPerSecond = 40 });
        var (_, replyId) = await SendAsync(client, chatId, "Talk forever.");

        var stopped = false;
        var events = await StreamAsync(client, chatId, replyId, async e =>
        {
            if (e.Name == "token" && e.Data == "w3 " && !stopped)
            {
                stopped = true;
                // Stop arrives as its own request, as it would from the page (possibly served by another node).
                var response = await PostAsync(client, chatId, "Stop", replyId);
                Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
            }
        });
        Assert.That(events[^1].Name, Is.EqualTo("done"));
        Assert.That(events[^1].Data, Does.Contain("You stopped the reply"));
        var swipe = (await SwipesAsync(Database.ConnectionString, replyId)).Single();
        Assert.That((swipe.Status, swipe.Reason), Is.EqualTo(("partial", "stopped")));
        Assert.That(swipe.Content, Does.StartWith("w0 w1 w2 w3 "));
        Assert.That(swipe.Content.Length, Is.LessThan(string.Concat(tokens).Length));
        Assert.That(swipe.Content, Is.EqualTo(string.Concat(events.Where(e => e.Name == "token").Select(e => e.Data))), "what was shown is what was saved");
    }

    [Test]
    public async Task Regenerate_AddsASwipe_ContinueExtendsIt_SwipesBrowse()
    {
        var (client, chatId) = await ChatAsync("swiper");
        server.Enqueue(FakeLlmBehavior.Reply("First answer."), FakeLlmBehavior.Reply("Second answer."), FakeLlmBehavior.Reply(" And more."));
        var (_, replyId) = await SendAsync(client, chatId, "Hm?");
        await StreamAsync(client, chatId, replyId);

        await PostAsync(client, chatId, "Regenerate", replyId);
        await StreamAsync(client, chatId, replyId);
        var shown = await MessageAsync(client, chatId, replyId);
        Assert.That(shown.QuerySelector(".chat-text")!.TextContent.Trim(), Is.EqualTo("Second answer."));
        Assert.That(shown.QuerySelector(".chat-swipe-count")!.TextContent, Is.EqualTo("2/2"));
        var regenerated = server.ChatRequests[1].Body!.Value.GetProperty("messages").ToString();
        Assert.That(regenerated, Does.Not.Contain("First answer."), "a regenerated reply is not shown its own earlier swipe");

        await PostAsync(client, chatId, "Continue", replyId);
        var continued = await StreamAsync(client, chatId, replyId);
        Assert.That(continued.Where(e => e.Name == "token").Select(e => e.Data), Is.EqualTo(FakeLlmServer.Tokenize(" And more.")));
        Assert.That(server.ChatRequests[2].Body!.Value.GetProperty("messages").ToString(), Does.Contain("Second answer."));
        var swipes = await SwipesAsync(Database.ConnectionString, replyId);
        Assert.That(swipes.Select(s => (s.Kind, s.Content)), Is.EqualTo(new[]
        {
            ("reply", "First answer."), ("regenerate", "Second answer."), ("continue", "Second answer. And more."),
        }));

        var back = await PostAsync(client, chatId, "Swipe", replyId, new Dictionary<string, string> { ["direction"] = "-1" });
        back = await PostAsync(client, chatId, "Swipe", replyId, new Dictionary<string, string> { ["direction"] = "-1" });
        var first = TestClient.Parse(await back.Content.ReadAsStringAsync());
        Assert.That(first.QuerySelector(".chat-text")!.TextContent.Trim(), Is.EqualTo("First answer."));
        Assert.That(first.QuerySelector(".chat-swipe-count")!.TextContent, Is.EqualTo("1/3"));
    }

    [Test]
    public async Task EditedAndDeletedMessages_ShapeTheNextPrompt()
    {
        var (client, chatId) = await ChatAsync("reviser");
        server.Script(FakeLlmBehavior.EchoLastUserMessage());
        var (html, replyId) = await SendAsync(client, chatId, "typo mesage");
        await StreamAsync(client, chatId, replyId);
        var userId = long.Parse(TestClient.Parse(html).QuerySelector("article.chat-message.user")!.GetAttribute("data-message-id")!);
        await PostAsync(client, chatId, "Edit", userId, new Dictionary<string, string> { ["text"] = "fixed message" });
        await PostAsync(client, chatId, "Delete", replyId);

        var (_, next) = await SendAsync(client, chatId, "again");
        await StreamAsync(client, chatId, next);
        var prompt = server.ChatRequests[^1].Body!.Value.GetProperty("messages").ToString();
        Assert.That(prompt, Does.Contain("fixed message").And.Not.Contain("typo mesage").And.Not.Contain("Echo: typo"));
    }

    [Test]
    public async Task EditingTheCharacter_ReachesTheNextTurn()
    {
        var (client, chatId) = await ChatAsync("author");
        server.Script(FakeLlmBehavior.Reply("Noted."));
        var (_, first) = await SendAsync(client, chatId, "one");
        await StreamAsync(client, chatId, first);

        // The generator keeps the card between turns; the edit's new version must replace it.
        using var api = await ApiAsync(client, "author");
        var characterId = await ScalarAsync<long>(Database.ConnectionString, "select character_id from interaction.chats where id = @chatId", new { chatId });
        var card = (await api.GetFromJsonAsync<JsonObject>($"/api/characters/{characterId}"))!;
        card["description"] = "A retired smuggler who now keeps bees.";
        Assert.That((await api.PutAsJsonAsync($"/api/characters/{characterId}", card)).StatusCode, Is.EqualTo(HttpStatusCode.OK));

        var (_, second) = await SendAsync(client, chatId, "two");
        await StreamAsync(client, chatId, second);
        var prompt = server.ChatRequests[^1].Body!.Value.GetProperty("messages").ToString();
        Assert.That(prompt, Does.Contain("keeps bees").And.Not.Contain("silver tongue"));
    }

    [Test]
    public async Task InteractApi_AnswersJson_AndStreamsSse()
    {
        var client = host.CreateClient();
        await client.RegisterAsync("apiuser");
        var characterId = await CreateCharacterAsync(client, "apiuser", new { name = "Bot", first_message = "Ready." });
        using var api = await ApiAsync(client, "apiuser");

        server.Script(FakeLlmBehavior.Reply("Hello from the model."));
        var response = await api.PostAsJsonAsync($"/api/characters/{characterId}/interact", new { message = "hi" });
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        var json = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        var conversation = json["conversation_id"]!.GetValue<long>();
        Assert.That(json["content"]!.GetValue<string>(), Is.EqualTo("Hello from the model."));
        Assert.That(json["message_id"]!.GetValue<long>(), Is.GreaterThan(0));

        server.Script(FakeLlmBehavior.ReplyTokens("Still ", "here."));
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/characters/{characterId}/interact")
        {
            Content = JsonContent.Create(new { message = "again", conversation_id = conversation }),
        };
        request.Headers.Accept.ParseAdd("text/event-stream");
        using var streamed = await api.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.That(streamed.Content.Headers.ContentType!.MediaType, Is.EqualTo("text/event-stream"));
        var events = await ReadEventsAsync(streamed);
        Assert.That(events.Where(e => e.Name == "token").Select(e => JsonNode.Parse(e.Data)!["text"]!.GetValue<string>()), Is.EqualTo(new[] { "Still ", "here." }));
        var done = JsonNode.Parse(events[^1].Data)!;
        Assert.That(events[^1].Name, Is.EqualTo("done"));
        Assert.That(done["conversation_id"]!.GetValue<long>(), Is.EqualTo(conversation));
        Assert.That(done["content"]!.GetValue<string>(), Is.EqualTo("Still here."));
        Assert.That(await ScalarAsync<long>(Database.ConnectionString,
            "select count(*) from interaction.character_interactions where interaction_type = 'message' and conversation_id = @conversation", new { conversation }), Is.EqualTo(2));

        var bad = await api.PostAsJsonAsync($"/api/characters/{characterId}/interact", new { message = "" });
        Assert.That(bad.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        var missing = await api.PostAsJsonAsync("/api/characters/999999/interact", new { message = "hi" });
        Assert.That(missing.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }
}
