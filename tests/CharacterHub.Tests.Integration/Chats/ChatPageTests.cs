using System.Net;
using System.Net.Http.Json;
using CharacterHub.Tests.Support;
using static CharacterHub.Tests.Integration.Chats.ChatKit;

namespace CharacterHub.Tests.Integration.Chats;

/// <summary>The chat page on the shared host, which has no model configured: replies come from the offline responder.</summary>
public sealed class ChatPageTests : IntegrationTest
{
    private static object Card(string name = "Mira") => new
    {
        name, description = "A lighthouse keeper.", first_message = "Welcome to the lighthouse, {{user}}.",
        alternate_greetings = new[] { "Storm's coming, {{user}}.", "Oh! A visitor." },
        example_dialogues = "<START>\n{{user}}: Hello?\n{{char}}: *trims the lamp* \"The light never sleeps.\"",
        visibility = "private",
    };

    [Test]
    public async Task StartChat_FromCharacterPage_ShowsGreeting_WithAlternateGreetingsAsSwipes()
    {
        var client = await SignedInClient("reader");
        var characterId = await CreateCharacterAsync(client, "reader", Card());
        var (_, profile) = await client.GetPageAsync($"/characters/{characterId}");
        Assert.That(TestClient.Parse(profile).QuerySelector($"form[action='/chats/new?characterId={characterId}'] button")?.TextContent, Is.EqualTo("Chat"));

        var chatId = await StartChatAsync(client, characterId);
        var (page, html) = await client.GetPageAsync($"/chats/{chatId}");
        Assert.That(page.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var doc = TestClient.Parse(html);
        var greeting = doc.QuerySelector("article.chat-message.assistant")!;
        Assert.That(greeting.QuerySelector(".chat-text")!.TextContent, Does.Contain("Welcome to the lighthouse, reader."));
        Assert.That(greeting.QuerySelector(".chat-swipe-count")!.TextContent, Is.EqualTo("1/3"));

        var messageId = long.Parse(greeting.GetAttribute("data-message-id")!);
        var next = await PostAsync(client, chatId, "Swipe", messageId, new Dictionary<string, string> { ["direction"] = "1" });
        var swiped = TestClient.Parse(await next.Content.ReadAsStringAsync());
        Assert.That(swiped.QuerySelector(".chat-text")!.TextContent, Does.Contain("Storm's coming, reader."));
        Assert.That(swiped.QuerySelector(".chat-swipe-count")!.TextContent, Is.EqualTo("2/3"));
        Assert.That(TestClient.Parse((await client.GetPageAsync($"/chats/{chatId}")).Body).QuerySelector(".chat-text")!.TextContent,
            Does.Contain("Storm's coming"), "the chosen greeting is what the chat shows from now on");

        // Many chats per character, listed on /chats.
        var second = await StartChatAsync(client, characterId);
        Assert.That(second, Is.Not.EqualTo(chatId));
        var list = TestClient.Parse((await client.GetPageAsync("/chats")).Body);
        Assert.That(list.QuerySelectorAll("a[href^='/chats/']").Select(a => a.GetAttribute("href")),
            Is.SupersetOf(new[] { $"/chats/{chatId}", $"/chats/{second}" }));
        Assert.That(await ScalarAsync<long>(Database.ConnectionString,
            "select count(*) from interaction.character_interactions where interaction_type = 'chat_started' and character_id = @characterId", new { characterId }), Is.EqualTo(2));
    }

    [Test]
    public async Task RenameAndDeleteChat()
    {
        var client = await SignedInClient("renamer");
        var chatId = await StartChatAsync(client, await CreateCharacterAsync(client, "renamer", Card()));
        var renamed = await client.PostFormAsync($"/chats/{chatId}", new Dictionary<string, string> { ["title"] = "Night watch" }, $"/chats/{chatId}?handler=Rename");
        Assert.That(renamed.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
        Assert.That(TestClient.Parse((await client.GetPageAsync($"/chats/{chatId}")).Body).QuerySelector("h1")!.TextContent, Is.EqualTo("Night watch"));
        var deleted = await client.PostFormAsync($"/chats/{chatId}", new Dictionary<string, string>(), $"/chats/{chatId}?handler=DeleteChat");
        Assert.That(deleted.Headers.Location!.ToString(), Is.EqualTo("/chats"));
        Assert.That((await client.GetAsync($"/chats/{chatId}")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task Turn_WithoutModel_UsesOfflineResponder_AndLabelsItOffline()
    {
        var client = await SignedInClient("lonely");
        var chatId = await StartChatAsync(client, await CreateCharacterAsync(client, "lonely", Card()));
        var (html, replyId) = await SendAsync(client, chatId, "Hello?");
        Assert.That(TestClient.Parse(html).QuerySelector("article.chat-message.user .chat-text")!.TextContent.Trim(), Is.EqualTo("Hello?"));

        var events = await StreamAsync(client, chatId, replyId);
        Assert.That(events.Count(e => e.Name == "token"), Is.GreaterThan(1), "the offline reply streams word by word");
        Assert.That(events[^1].Name, Is.EqualTo("done"));
        var swipe = (await SwipesAsync(Database.ConnectionString, replyId)).Single();
        Assert.That(swipe.Status, Is.EqualTo("offline"));
        Assert.That(swipe.Content, Does.Contain("The light never sleeps."), "the offline responder answers from the card's example lines");
        var fragment = await MessageAsync(client, chatId, replyId);
        Assert.That(fragment.QuerySelector(".chat-offline")!.TextContent, Is.EqualTo("offline"));

        // A reconnecting EventSource must not generate again: the reply is no longer pending.
        var again = await StreamAsync(client, chatId, replyId);
        Assert.That(again.Select(e => e.Name), Is.EqualTo(new[] { "done" }));
        Assert.That(await SwipesAsync(Database.ConnectionString, replyId), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task EditAndDelete_AddRevisionsAndTombstones_NeverRewrite()
    {
        var client = await SignedInClient("editor");
        var chatId = await StartChatAsync(client, await CreateCharacterAsync(client, "editor", Card()));
        var (html, replyId) = await SendAsync(client, chatId, "first words");
        await StreamAsync(client, chatId, replyId);
        var userMessageId = long.Parse(TestClient.Parse(html).QuerySelector("article.chat-message.user")!.GetAttribute("data-message-id")!);

        var edited = await PostAsync(client, chatId, "Edit", userMessageId, new Dictionary<string, string> { ["text"] = "better words" });
        var doc = TestClient.Parse(await edited.Content.ReadAsStringAsync());
        Assert.That(doc.QuerySelector(".chat-text")!.TextContent.Trim(), Is.EqualTo("better words"));
        Assert.That(doc.QuerySelector(".chat-speaker")!.TextContent, Does.Contain("edited"));
        var empty = await PostAsync(client, chatId, "Edit", userMessageId, new Dictionary<string, string> { ["text"] = "  " });
        Assert.That(await empty.Content.ReadAsStringAsync(), Does.Contain("cannot be empty"));

        Assert.That((await SwipesAsync(Database.ConnectionString, userMessageId)).Single().Content, Is.EqualTo("first words"), "the original is kept");
        Assert.That(await ScalarAsync<long>(Database.ConnectionString, "select count(*) from interaction.message_revisions"), Is.EqualTo(1));

        var deleted = await PostAsync(client, chatId, "Delete", replyId);
        Assert.That(deleted.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var page = TestClient.Parse((await client.GetPageAsync($"/chats/{chatId}")).Body);
        Assert.That(page.QuerySelector($"#message-{replyId}"), Is.Null);
        Assert.That(page.QuerySelector($"#message-{userMessageId} .chat-text")!.TextContent.Trim(), Is.EqualTo("better words"));
        Assert.That(await ScalarAsync<long>(Database.ConnectionString, "select count(*) from interaction.messages where id = @replyId", new { replyId }), Is.EqualTo(1));
        Assert.That(await ScalarAsync<long>(Database.ConnectionString, "select count(*) from interaction.message_tombstones"), Is.EqualTo(1));
    }

    [Test]
    public async Task OlderMessages_LoadByKeyset()
    {
        var client = await SignedInClient("talker");
        var chatId = await StartChatAsync(client, await CreateCharacterAsync(client, "talker", Card()));
        for (var i = 0; i < 20; i++)
        {
            var (_, replyId) = await SendAsync(client, chatId, $"line {i}");
            await StreamAsync(client, chatId, replyId);
        }
        var page = TestClient.Parse((await client.GetPageAsync($"/chats/{chatId}")).Body);
        var shown = page.QuerySelectorAll("#messages article.chat-message");
        Assert.That(shown, Has.Length.EqualTo(30));
        Assert.That(shown[^2].TextContent, Does.Contain("line 19"));
        var older = page.QuerySelector("[data-load-older]")!.GetAttribute("hx-get")!;
        using var request = new HttpRequestMessage(HttpMethod.Get, older);
        request.Headers.Add("HX-Request", "true");
        var fragment = TestClient.Parse(await (await client.Http.SendAsync(request)).Content.ReadAsStringAsync());
        var olderShown = fragment.QuerySelectorAll("article.chat-message");
        Assert.That(olderShown, Has.Length.EqualTo(11), "41 messages: the greeting and 40 turns, 30 on the first page");
        Assert.That(olderShown[0].TextContent, Does.Contain("Welcome to the lighthouse"));
        Assert.That(fragment.QuerySelector("[data-load-older]"), Is.Null, "nothing older is left");
    }

    [Test]
    public async Task HtmlInMessages_RendersInert_RolePlayIsStyled()
    {
        var client = await SignedInClient("mallory");
        var chatId = await StartChatAsync(client, await CreateCharacterAsync(client, "mallory", Card()));
        var (html, _) = await SendAsync(client, chatId,
            "<script>alert(1)</script> <img src=x onerror=alert(2)> *waves* \"Hi there\" ((brb)) [x](javascript:alert(3))");
        foreach (var doc in new[] { TestClient.Parse(html), TestClient.Parse((await client.GetPageAsync($"/chats/{chatId}")).Body) })
        {
            var text = doc.QuerySelector("article.chat-message.user .chat-text")!;
            Assert.That(text.QuerySelectorAll("script, img, [onerror]"), Is.Empty);
            Assert.That(text.QuerySelectorAll("a[href^='javascript']"), Is.Empty);
            Assert.That(text.TextContent, Does.Contain("<script>alert(1)</script>"), "shown as text");
            Assert.That(text.QuerySelector("em")!.TextContent, Is.EqualTo("waves"));
            Assert.That(text.QuerySelector(".rp-speech")!.TextContent, Is.EqualTo("\"Hi there\""));
            Assert.That(text.QuerySelector(".rp-ooc")!.TextContent, Is.EqualTo("((brb))"));
        }
    }

    [Test]
    public async Task AnotherUser_CannotReadOrPostToMyChat()
    {
        var owner = await SignedInClient("owner");
        var characterId = await CreateCharacterAsync(owner, "owner", new { name = "Public one", visibility = "public", first_message = "Hi." });
        var chatId = await StartChatAsync(owner, characterId);
        var (_, replyId) = await SendAsync(owner, chatId, "private words");

        var other = await SignedInClient("intruder");
        Assert.That((await other.GetAsync($"/chats/{chatId}")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((await other.GetAsync($"/chats/{chatId}?handler=Message&messageId={replyId}")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((await other.GetAsync(StreamUrl(chatId, replyId))).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        foreach (var handler in new[] { "Send", "Regenerate", "Edit", "Delete", "DeleteChat" })
        {
            var response = await other.PostFormAsync("/chats", new Dictionary<string, string> { ["text"] = "mine now" },
                $"/chats/{chatId}?handler={handler}&messageId={replyId}", htmx: true);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), handler);
        }
        using var api = await ApiAsync(other, "intruder");
        var interact = await api.PostAsJsonAsync($"/api/characters/{characterId}/interact", new { message = "hi", conversation_id = chatId });
        Assert.That(interact.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(await ScalarAsync<long>(Database.ConnectionString, "select count(*) from interaction.messages where chat_id = @chatId", new { chatId }), Is.EqualTo(3));
        Assert.That((await SwipesAsync(Database.ConnectionString, replyId)).Single().Status, Is.EqualTo("pending"), "the intruder's stream request claimed nothing");

        // The public character is readable, so the other user may have a chat of their own with it.
        Assert.That(await StartChatAsync(other, characterId), Is.Not.EqualTo(chatId));
        var privateId = await CreateCharacterAsync(owner, "owner", new { name = "Private one" });
        Assert.That((await other.PostFormAsync("/chats", new Dictionary<string, string>(), $"/chats/new?characterId={privateId}")).StatusCode,
            Is.EqualTo(HttpStatusCode.NotFound), "a private character cannot be chatted with by others");
    }
}
