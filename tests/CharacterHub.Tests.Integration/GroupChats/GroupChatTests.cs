using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using CharacterHub.FakeLlm;
using CharacterHub.Tests.Support;
using static CharacterHub.Tests.Integration.Chats.ChatKit;

namespace CharacterHub.Tests.Integration.GroupChats;

/// <summary>Group chats on a host whose model is the fake server: it answers "{name} here." as whichever character
/// the prompt tells it to be, and records every prompt.</summary>
public sealed partial class GroupChatTests : IntegrationTest
{
    private FakeModelHost host = null!;
    private FakeLlmServer server => host.Model;

    [OneTimeSetUp]
    public async Task StartAsync() => host = await FakeModelHost.StartAsync(Database.ConnectionString);

    [OneTimeTearDown]
    public async Task StopAsync() => await host.DisposeAsync();

    [SetUp]
    public void ScriptModel() => server.Script(r =>
        Speaker().Match(r.Body?.ToString() ?? "") is { Success: true } m ? FakeLlmBehavior.Reply($"{m.Groups[1].Value} here.") : FakeLlmBehavior.Reply("solo here."));

    [TearDown]
    public void ResetHost() => host.Reset();

    [GeneratedRegex(@"Write the next reply only as ([A-Za-z]+)\.")]
    private static partial Regex Speaker();

    private string LastPrompt => server.ChatRequests[^1].Body!.Value.GetProperty("messages").ToString();

    private sealed record Cast(TestClient Sam, TestClient Other, long Ada, long Bob, long Cy, long Secret);

    /// <summary>The cast's cards say talkativeness 0 (SillyTavern's card extension): in natural order only the
    /// mentioned speak, or one member when nobody is, so these tests know who replies.</summary>
    private static readonly object Quiet = new { talkativeness = 0 };

    /// <summary>Sam owns Ada and Bob; another user owns the public Cy and the private Secret.</summary>
    private async Task<Cast> CastAsync()
    {
        var sam = host.CreateClient();
        await sam.RegisterAsync("sam");
        var other = host.CreateClient();
        await other.RegisterAsync("olga");
        var ada = await CreateCharacterAsync(sam, "sam", new { name = "Ada", description = "Ada builds engines.", first_message = "Ada greets {{user}}.", extensions = Quiet });
        var bob = await CreateCharacterAsync(sam, "sam", new { name = "Robert", nickname = "Bob", description = "{{char}} sells lamps.", first_message = "Bob waves.", extensions = Quiet });
        var cy = await CreateCharacterAsync(other, "olga", new { name = "Cy", description = "Cy is a cat.", first_message = "Mrow.", extensions = Quiet, visibility = "public" });
        var secret = await CreateCharacterAsync(other, "olga", new { name = "Secret", first_message = "Hush.", visibility = "private" });
        return new Cast(sam, other, ada, bob, cy, secret);
    }

    private static async Task<HttpResponseMessage> PostNewGroupAsync(TestClient client, params long[] ids)
    {
        var (_, html) = await client.GetPageAsync("/chats/new-group");
        var form = new List<KeyValuePair<string, string>> { new("__RequestVerificationToken", TestClient.AntiforgeryToken(html)!) };
        form.AddRange(ids.Select(id => new KeyValuePair<string, string>("ids", id.ToString())));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/chats/new-group") { Content = new FormUrlEncodedContent(form) };
        return await client.Http.SendAsync(request);
    }

    private static async Task<long> NewGroupAsync(TestClient client, params long[] ids)
    {
        var response = await PostNewGroupAsync(client, ids);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), await response.Content.ReadAsStringAsync());
        return long.Parse(response.Headers.Location!.ToString().Split('/').Last());
    }

    private static async Task<HttpResponseMessage> MembersAsync(TestClient client, long chatId, string handler, IDictionary<string, string> fields) =>
        await client.PostFormAsync($"/chats/{chatId}", fields, $"/chats/{chatId}/members?handler={handler}", htmx: true);

    private static Task<HttpResponseMessage> OrderAsync(TestClient client, long chatId, string order) =>
        MembersAsync(client, chatId, "Order", new Dictionary<string, string> { ["order"] = order });

    private static Task<long?> SpeakerOfAsync(long messageId) =>
        ScalarAsync<long?>(Database.ConnectionString, "select character_id from interaction.messages where id = @messageId", new { messageId });

    /// <summary>The pending replies after a message, as the page fetches them when a stream ends.</summary>
    private static async Task<List<(long Id, string Speaker, string Status)>> AfterAsync(TestClient client, long chatId, long after)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/chats/{chatId}/members?handler=After&after={after}");
        request.Headers.Add("HX-Request", "true");
        var response = await client.Http.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        return TestClient.Parse(await response.Content.ReadAsStringAsync()).QuerySelectorAll("article.chat-message")
            .Select(a => (long.Parse(a.GetAttribute("data-message-id")!), a.QuerySelector(".chat-speaker strong")!.TextContent, a.GetAttribute("data-status")!))
            .ToList();
    }

    /// <summary>Streams the reply and every queued reply after it, as the page does; returns who spoke, in order.</summary>
    private async Task<List<long>> RunTurnAsync(TestClient client, long chatId, long firstReply)
    {
        var speakers = new List<long>();
        var next = (long?)firstReply;
        while (next is { } id)
        {
            await StreamAsync(client, chatId, id);
            speakers.Add((await SpeakerOfAsync(id))!.Value);
            next = (await AfterAsync(client, chatId, id)).Where(m => m.Status == "pending").Select(m => (long?)m.Id).FirstOrDefault();
        }
        return speakers;
    }

    private static Task<long> CountAsync(string sql, object? args = null) => ScalarAsync<long>(Database.ConnectionString, sql, args);

    [Test]
    public async Task NewGroup_WithOwnAndPublicCharacters_EveryMemberGreetsInOrder_PrivateOfAnotherIsRefused()
    {
        var c = await CastAsync();
        var picker = TestClient.Parse((await c.Sam.GetPageAsync("/chats/new-group")).Body);
        var offered = picker.QuerySelectorAll("input[name=ids]").Select(i => long.Parse(i.GetAttribute("value")!)).ToList();
        Assert.That(offered, Is.SupersetOf(new[] { c.Ada, c.Bob, c.Cy }).And.Not.Contains(c.Secret));
        Assert.That(TestClient.Parse((await c.Sam.GetPageAsync("/chats")).Body).QuerySelector("a[href='/chats/new-group']"), Is.Not.Null);

        var refused = await PostNewGroupAsync(c.Sam, c.Ada, c.Secret);
        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(TestClient.Parse(await refused.Content.ReadAsStringAsync()).QuerySelector("[role=alert]")!.TextContent, Does.Contain("not available to you"));
        var alone = await PostNewGroupAsync(c.Sam, c.Ada);
        Assert.That(TestClient.Parse(await alone.Content.ReadAsStringAsync()).QuerySelector("[role=alert]")!.TextContent, Does.Contain("at least two"));
        Assert.That(await CountAsync("select count(*) from interaction.chats"), Is.Zero);

        var chatId = await NewGroupAsync(c.Sam, c.Ada, c.Bob, c.Cy);
        var page = TestClient.Parse((await c.Sam.GetPageAsync($"/chats/{chatId}")).Body);
        var greetings = page.QuerySelectorAll("article.chat-message.assistant").ToList();
        Assert.That(greetings.Select(g => g.QuerySelector(".chat-speaker strong")!.TextContent), Is.EqualTo(new[] { "Ada", "Bob", "Cy" }));
        Assert.That(greetings[0].QuerySelector(".chat-text")!.TextContent, Does.Contain("Ada greets sam."));
        Assert.That(page.QuerySelectorAll("#group-panel .group-member-name").Select(n => n.TextContent), Is.EqualTo(new[] { "Ada", "Bob", "Cy" }));
        Assert.That(page.QuerySelectorAll("#group-speak button").Select(b => b.TextContent), Is.EqualTo(new[] { "Ada", "Bob", "Cy" }));
        Assert.That(await CountAsync("select character_id from interaction.chats where id = @chatId", new { chatId }), Is.EqualTo(c.Ada));

        // Another user's eyes: the chat and its members page do not exist.
        Assert.That((await c.Other.GetPageAsync($"/chats/{chatId}")).Response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((await c.Other.GetPageAsync($"/chats/{chatId}/members")).Response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task Natural_MentionedCharacterRepliesFirst_PromptNamesTheSpeakerAndTheGroup_ThenTheNextMentioned()
    {
        var c = await CastAsync();
        var chatId = await NewGroupAsync(c.Sam, c.Ada, c.Bob, c.Cy);

        var (html, replyId) = await SendAsync(c.Sam, chatId, "bob, what do you sell?");
        Assert.That(TestClient.Parse(html).QuerySelector("article[data-status=pending] .chat-speaker strong")!.TextContent, Is.EqualTo("Bob"));
        Assert.That(await RunTurnAsync(c.Sam, chatId, replyId), Is.EqualTo(new[] { c.Bob }), "only the mentioned character replies");
        var prompt = LastPrompt;
        Assert.That(prompt, Does.Contain("[Group chat with Ada, Bob and Cy. You are Bob.]"));
        Assert.That(prompt, Does.Contain("Write the next reply only as Bob."));
        Assert.That(prompt, Does.Contain("Bob sells lamps.").And.Contain("[Ada: Ada builds engines.]").And.Contain("[Cy: Cy is a cat.]"));
        Assert.That(prompt, Does.Contain("Ada: Ada greets sam."), "other characters' lines carry their names");

        // Two mentions: Cy first (mentioned first), then Ada, each seeing the reply before it.
        (_, replyId) = await SendAsync(c.Sam, chatId, "Cy, then Ada: your turn.");
        Assert.That(await RunTurnAsync(c.Sam, chatId, replyId), Is.EqualTo(new[] { c.Cy, c.Ada }));
        Assert.That(LastPrompt, Does.Contain("You are Ada.").And.Contain("Cy: Cy here."));
        Assert.That(await CountAsync("select count(*) from interaction.message_swipes where status in ('pending', 'streaming')"), Is.Zero);

        // Nobody mentioned: one member replies, not the one who spoke last (Ada).
        (_, replyId) = await SendAsync(c.Sam, chatId, "Anyone?");
        var speakers = await RunTurnAsync(c.Sam, chatId, replyId);
        Assert.That(speakers, Has.Count.EqualTo(1));
        Assert.That(speakers[0], Is.Not.EqualTo(c.Ada));
    }

    [Test]
    public async Task ListOrder_EveryUnmutedMemberRepliesInListOrder_AndAStreamIsNeverRunTwice()
    {
        var c = await CastAsync();
        var chatId = await NewGroupAsync(c.Sam, c.Ada, c.Bob, c.Cy);
        Assert.That((await OrderAsync(c.Sam, chatId, "list")).StatusCode, Is.EqualTo(HttpStatusCode.OK));

        var (_, replyId) = await SendAsync(c.Sam, chatId, "Hello, Cy.");
        await StreamAsync(c.Sam, chatId, replyId);
        // A second tab (or a reconnect) on the finished reply generates nothing and does not advance the turn again.
        var again = await StreamAsync(c.Sam, chatId, replyId);
        Assert.That(again.Where(e => e.Name == "token"), Is.Empty);
        var pending = await AfterAsync(c.Sam, chatId, replyId);
        Assert.That(pending.Select(p => (p.Speaker, p.Status)), Is.EqualTo(new[] { ("Bob", "pending") }));
        Assert.That(await RunTurnAsync(c.Sam, chatId, pending[0].Id), Is.EqualTo(new[] { c.Bob, c.Cy }));
        Assert.That(await CountAsync("select count(*) from interaction.messages where role = 'assistant' and chat_id = @chatId", new { chatId }), Is.EqualTo(6));

        // Reordered (Cy up twice) and Ada muted: Cy, then Bob.
        for (var i = 0; i < 2; i++)
            await MembersAsync(c.Sam, chatId, "Move", new Dictionary<string, string> { ["characterId"] = c.Cy.ToString(), ["direction"] = "-1" });
        var muted = await MembersAsync(c.Sam, chatId, "Mute", new Dictionary<string, string> { ["characterId"] = c.Ada.ToString(), ["muted"] = "true" });
        var panel = TestClient.Parse(await muted.Content.ReadAsStringAsync());
        Assert.That(panel.QuerySelectorAll(".group-member-name").Select(n => n.TextContent), Is.EqualTo(new[] { "Cy", "Ada", "Bob" }));
        Assert.That(panel.QuerySelector($"[data-member-id='{c.Ada}'] .badge")!.TextContent, Is.EqualTo("muted"));
        Assert.That(panel.QuerySelector("#group-speak[hx-swap-oob]"), Is.Not.Null, "the let-speak bar follows the members");
        Assert.That(await CountAsync("select character_id from interaction.chats where id = @chatId", new { chatId }), Is.EqualTo(c.Cy), "the first member is the primary");
        (_, replyId) = await SendAsync(c.Sam, chatId, "Ada?");
        Assert.That(await RunTurnAsync(c.Sam, chatId, replyId), Is.EqualTo(new[] { c.Cy, c.Bob }));
    }

    [Test]
    public async Task ListOrder_AFailedReply_EndsTheRound()
    {
        var c = await CastAsync();
        var chatId = await NewGroupAsync(c.Sam, c.Ada, c.Bob);
        await OrderAsync(c.Sam, chatId, "list");
        server.Script(FakeLlmBehavior.Error(500, "boom"));
        var (_, replyId) = await SendAsync(c.Sam, chatId, "Hi both");
        Assert.That(await RunTurnAsync(c.Sam, chatId, replyId), Is.EqualTo(new[] { c.Ada }));
        Assert.That(await CountAsync("select cardinality(reply_queue) from interaction.chats where id = @chatId", new { chatId }), Is.Zero);
    }

    [Test]
    public async Task RandomOrder_OneUnmutedMemberReplies()
    {
        var c = await CastAsync();
        var chatId = await NewGroupAsync(c.Sam, c.Ada, c.Bob, c.Cy);
        await OrderAsync(c.Sam, chatId, "random");
        await MembersAsync(c.Sam, chatId, "Mute", new Dictionary<string, string> { ["characterId"] = c.Bob.ToString(), ["muted"] = "true" });
        for (var i = 0; i < 4; i++)
        {
            var (_, replyId) = await SendAsync(c.Sam, chatId, "Bob, say something.");
            var speakers = await RunTurnAsync(c.Sam, chatId, replyId);
            Assert.That(speakers, Has.Count.EqualTo(1));
            Assert.That(speakers[0], Is.AnyOf(c.Ada, c.Cy));
        }
    }

    [Test]
    public async Task AllMuted_TheUserMessageIsKept_AndNobodyReplies()
    {
        var c = await CastAsync();
        var chatId = await NewGroupAsync(c.Sam, c.Ada, c.Bob);
        foreach (var id in new[] { c.Ada, c.Bob })
            await MembersAsync(c.Sam, chatId, "Mute", new Dictionary<string, string> { ["characterId"] = id.ToString(), ["muted"] = "true" });
        var response = await PostAsync(c.Sam, chatId, "Send", fields: new Dictionary<string, string> { ["text"] = "Hello?" });
        var doc = TestClient.Parse(await response.Content.ReadAsStringAsync());
        Assert.That(doc.QuerySelectorAll("article.chat-message.user"), Has.Length.EqualTo(1));
        Assert.That(doc.QuerySelectorAll("article.chat-message.assistant"), Is.Empty);
    }

    [Test]
    public async Task LetSpeak_StreamsThatCharacter_EvenMuted_AndRegenerateKeepsTheSpeaker()
    {
        var c = await CastAsync();
        var chatId = await NewGroupAsync(c.Sam, c.Ada, c.Bob, c.Cy);
        await MembersAsync(c.Sam, chatId, "Mute", new Dictionary<string, string> { ["characterId"] = c.Cy.ToString(), ["muted"] = "true" });

        var spoke = await MembersAsync(c.Sam, chatId, "Speak", new Dictionary<string, string> { ["characterId"] = c.Cy.ToString() });
        Assert.That(spoke.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var article = TestClient.Parse(await spoke.Content.ReadAsStringAsync()).QuerySelector("article.chat-message.assistant[data-status=pending]")!;
        Assert.That(article.QuerySelector(".chat-speaker strong")!.TextContent, Is.EqualTo("Cy"));
        var messageId = long.Parse(article.GetAttribute("data-message-id")!);
        await StreamAsync(c.Sam, chatId, messageId);
        Assert.That(LastPrompt, Does.Contain("You are Cy."));
        var shown = await MessageAsync(c.Sam, chatId, messageId);
        Assert.That(shown.QuerySelector(".chat-text")!.TextContent, Does.Contain("Cy here."));

        // Regenerate and continue: the same character writes the new alternative, and no queued turn starts.
        var regenerated = await PostAsync(c.Sam, chatId, "Regenerate", messageId);
        Assert.That(TestClient.Parse(await regenerated.Content.ReadAsStringAsync()).QuerySelector(".chat-speaker strong")!.TextContent, Is.EqualTo("Cy"));
        await StreamAsync(c.Sam, chatId, messageId);
        Assert.That(LastPrompt, Does.Contain("You are Cy.").And.Not.Contain("You are Ada."));
        Assert.That(await SpeakerOfAsync(messageId), Is.EqualTo(c.Cy));
        Assert.That((await SwipesAsync(Database.ConnectionString, messageId)).Select(s => s.Content), Is.EqualTo(new[] { "Cy here.", "Cy here." }));
        await PostAsync(c.Sam, chatId, "Continue", messageId);
        await StreamAsync(c.Sam, chatId, messageId);
        Assert.That(LastPrompt, Does.Contain("You are Cy."));

        // Edit and delete work on a group message as on any.
        var edited = await PostAsync(c.Sam, chatId, "Edit", messageId, new Dictionary<string, string> { ["text"] = "Purr." });
        Assert.That(TestClient.Parse(await edited.Content.ReadAsStringAsync()).QuerySelector(".chat-text")!.TextContent, Does.Contain("Purr."));
        Assert.That((await PostAsync(c.Sam, chatId, "Delete", messageId)).StatusCode, Is.EqualTo(HttpStatusCode.OK));

        // Not a member, not a character at all, or not your chat: 404 and nothing created.
        var before = await CountAsync("select count(*) from interaction.messages");
        Assert.That((await MembersAsync(c.Sam, chatId, "Speak", new Dictionary<string, string> { ["characterId"] = c.Secret.ToString() })).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((await MembersAsync(c.Sam, chatId, "Speak", new Dictionary<string, string> { ["characterId"] = "0" })).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        var olgaChat = await NewGroupAsync(c.Other, c.Cy, c.Secret);
        Assert.That((await MembersAsync(c.Sam, olgaChat, "Speak", new Dictionary<string, string> { ["characterId"] = c.Cy.ToString() })).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(await CountAsync("select count(*) from interaction.messages"), Is.EqualTo(before + 2), "only olga's two greetings were added");
    }

    [Test]
    public async Task AddAndRemoveMembers_FormerMembersMessagesKeepTheirName_AndThePrimaryMovesOn()
    {
        var c = await CastAsync();
        var chatId = await NewGroupAsync(c.Sam, c.Ada, c.Bob);

        // Adding: search finds the public Cy, never the private Secret; adding Secret by id is refused.
        using (var request = new HttpRequestMessage(HttpMethod.Get, $"/chats/{chatId}/members?q=cy"))
        {
            request.Headers.Add("HX-Request", "true");
            var found = TestClient.Parse(await (await c.Sam.Http.SendAsync(request)).Content.ReadAsStringAsync());
            Assert.That(found.QuerySelectorAll(".group-results input[name=characterId]").Select(i => i.GetAttribute("value")), Is.EqualTo(new[] { c.Cy.ToString() }));
        }
        var refused = await MembersAsync(c.Sam, chatId, "Add", new Dictionary<string, string> { ["characterId"] = c.Secret.ToString() });
        Assert.That(TestClient.Parse(await refused.Content.ReadAsStringAsync()).QuerySelector("[role=alert]")!.TextContent, Does.Contain("not available"));
        Assert.That((await MembersAsync(c.Sam, chatId, "Add", new Dictionary<string, string> { ["characterId"] = c.Cy.ToString() })).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var spoke = await MembersAsync(c.Sam, chatId, "Speak", new Dictionary<string, string> { ["characterId"] = c.Cy.ToString() });
        var cyMessage = long.Parse(TestClient.Parse(await spoke.Content.ReadAsStringAsync()).QuerySelector("article")!.GetAttribute("data-message-id")!);
        await StreamAsync(c.Sam, chatId, cyMessage);

        // Removing Cy: the message stays under Cy's name; Cy can no longer be asked to speak.
        await MembersAsync(c.Sam, chatId, "Remove", new Dictionary<string, string> { ["characterId"] = c.Cy.ToString() });
        var page = TestClient.Parse((await c.Sam.GetPageAsync($"/chats/{chatId}")).Body);
        Assert.That(page.QuerySelector($"#message-{cyMessage} .chat-speaker strong")!.TextContent, Is.EqualTo("Cy"));
        Assert.That(page.QuerySelectorAll("#group-panel .group-member-name").Select(n => n.TextContent), Is.EqualTo(new[] { "Ada", "Bob" }));
        Assert.That((await MembersAsync(c.Sam, chatId, "Speak", new Dictionary<string, string> { ["characterId"] = c.Cy.ToString() })).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));

        // Removing the primary: Bob becomes the chat's character; the last member cannot be removed.
        await MembersAsync(c.Sam, chatId, "Remove", new Dictionary<string, string> { ["characterId"] = c.Ada.ToString() });
        Assert.That(await CountAsync("select character_id from interaction.chats where id = @chatId", new { chatId }), Is.EqualTo(c.Bob));
        var last = await MembersAsync(c.Sam, chatId, "Remove", new Dictionary<string, string> { ["characterId"] = c.Bob.ToString() });
        Assert.That(TestClient.Parse(await last.Content.ReadAsStringAsync()).QuerySelector("[role=alert]")!.TextContent, Does.Contain("at least one"));

        // Down to one member, the chat behaves as a single-character chat again: Bob answers, no group prompt.
        var (_, replyId) = await SendAsync(c.Sam, chatId, "Just us now.");
        Assert.That(await RunTurnAsync(c.Sam, chatId, replyId), Is.EqualTo(new[] { c.Bob }));
        Assert.That(LastPrompt, Does.Not.Contain("Group chat with"));
    }

    [Test]
    public async Task SingleCharacterChat_IsUnchanged_AndTheApiRefusesGroupConversations()
    {
        var c = await CastAsync();
        var single = await StartChatAsync(c.Sam, c.Ada);
        Assert.That(await CountAsync("select count(*) from interaction.chat_members where chat_id = @single", new { single }), Is.EqualTo(1));
        var (_, replyId) = await SendAsync(c.Sam, single, "Hello Bob and Cy");
        Assert.That(await RunTurnAsync(c.Sam, single, replyId), Is.EqualTo(new[] { c.Ada }));
        Assert.That(LastPrompt, Does.Not.Contain("Group chat with").And.Not.Contain("Write the next reply only as"));
        var page = TestClient.Parse((await c.Sam.GetPageAsync($"/chats/{single}")).Body);
        Assert.That(page.QuerySelectorAll("#group-speak button"), Is.Empty);
        Assert.That(page.QuerySelectorAll(".chat-speaker-avatar"), Is.Empty);

        var group = await NewGroupAsync(c.Sam, c.Ada, c.Bob);
        using var api = await ApiAsync(c.Sam, "sam");
        var refused = await api.PostAsJsonAsync($"/api/characters/{c.Ada}/interact", new { message = "hi", conversation_id = group });
        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        var fine = await api.PostAsJsonAsync($"/api/characters/{c.Ada}/interact", new { message = "hi", conversation_id = single });
        Assert.That(fine.StatusCode, Is.EqualTo(HttpStatusCode.OK), await fine.Content.ReadAsStringAsync());
    }

    [Test]
    public async Task AnotherUsersGroup_EveryMemberChangeIs404_AndChangesNothing()
    {
        var c = await CastAsync();
        var chatId = await NewGroupAsync(c.Sam, c.Ada, c.Bob);
        var before = await CountAsync("select count(*) from interaction.chat_members where chat_id = @chatId and not muted", new { chatId });
        foreach (var (handler, fields) in new (string, Dictionary<string, string>)[]
                 {
                     ("Add", new() { ["characterId"] = c.Cy.ToString() }),
                     ("Remove", new() { ["characterId"] = c.Bob.ToString() }),
                     ("Mute", new() { ["characterId"] = c.Bob.ToString(), ["muted"] = "true" }),
                     ("Move", new() { ["characterId"] = c.Bob.ToString(), ["direction"] = "-1" }),
                     ("Order", new() { ["order"] = "list" }),
                     ("Speak", new() { ["characterId"] = c.Bob.ToString() }),
                 })
        {
            // Olga posts with her own antiforgery token to Sam's chat.
            var response = await c.Other.PostFormAsync("/chats/new-group", fields, $"/chats/{chatId}/members?handler={handler}", htmx: true);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), handler);
        }
        using var after = new HttpRequestMessage(HttpMethod.Get, $"/chats/{chatId}/members?handler=After&after=0");
        Assert.That((await c.Other.Http.SendAsync(after)).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(await CountAsync("select count(*) from interaction.chat_members where chat_id = @chatId and not muted", new { chatId }), Is.EqualTo(before));
        Assert.That(await ScalarAsync<string>(Database.ConnectionString, "select reply_order from interaction.chats where id = @chatId", new { chatId }), Is.EqualTo("natural"));
        Assert.That(await CountAsync("select count(*) from interaction.messages where chat_id = @chatId", new { chatId }), Is.EqualTo(2));
    }
}
