using System.Net;
using System.Text.RegularExpressions;
using CharacterHub.FakeLlm;
using CharacterHub.Tests.Support;
using Dapper;
using Npgsql;
using static CharacterHub.Tests.Integration.ChatTools.ChatToolsKit;
using static CharacterHub.Tests.Integration.Chats.ChatKit;

namespace CharacterHub.Tests.Integration.ChatTools;

/// <summary>Chat tools (branch, export, import) meeting group chats, on a host whose model is the fake server: it
/// answers "{name} here." as whichever character the prompt tells it to be (else "solo here.") and records prompts.</summary>
public sealed partial class GroupChatToolsTests : IntegrationTest
{
    private FakeModelHost host = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => host = await FakeModelHost.StartAsync(Database.ConnectionString);

    [OneTimeTearDown]
    public async Task StopAsync() => await host.DisposeAsync();

    [SetUp]
    public void ScriptModel() => host.Model.Script(r =>
        Speaker().Match(r.Body?.ToString() ?? "") is { Success: true } m ? FakeLlmBehavior.Reply($"{m.Groups[1].Value} here.") : FakeLlmBehavior.Reply("solo here."));

    [TearDown]
    public void ResetHost() => host.Reset();

    [GeneratedRegex(@"Write the next reply only as ([A-Za-z]+)\.")]
    private static partial Regex Speaker();

    private sealed record Cast(TestClient Sam, long Ada, long Bob, long Cy);

    /// <summary>The cast's cards say talkativeness 0 (SillyTavern's card extension): in natural order only the
    /// mentioned speak, or one member when nobody is, so these tests know who replies.</summary>
    private static readonly object Quiet = new { talkativeness = 0 };

    private async Task<Cast> CastAsync(string username)
    {
        var sam = host.CreateClient();
        await sam.RegisterAsync(username);
        var ada = await CreateCharacterAsync(sam, username, new { name = "Ada", description = "Ada builds engines.", first_message = "Ada greets {{user}}.", extensions = Quiet });
        var bob = await CreateCharacterAsync(sam, username, new { name = "Robert", nickname = "Bob", description = "{{char}} sells lamps.", first_message = "Bob waves.", extensions = Quiet });
        var cy = await CreateCharacterAsync(sam, username, new { name = "Cy", description = "Cy is a cat.", first_message = "Mrow.", extensions = Quiet });
        return new Cast(sam, ada, bob, cy);
    }

    private static async Task<long> NewGroupAsync(TestClient client, params long[] ids)
    {
        var (_, html) = await client.GetPageAsync("/chats/new-group");
        var form = new List<KeyValuePair<string, string>> { new("__RequestVerificationToken", TestClient.AntiforgeryToken(html)!) };
        form.AddRange(ids.Select(id => new KeyValuePair<string, string>("ids", id.ToString())));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/chats/new-group") { Content = new FormUrlEncodedContent(form) };
        var response = await client.Http.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), await response.Content.ReadAsStringAsync());
        return long.Parse(response.Headers.Location!.ToString().Split('/').Last());
    }

    private static async Task MembersAsync(TestClient client, long chatId, string handler, IDictionary<string, string> fields)
    {
        var response = await client.PostFormAsync($"/chats/{chatId}", fields, $"/chats/{chatId}/members?handler={handler}", htmx: true);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), $"{handler}: {await response.Content.ReadAsStringAsync()}");
    }

    private static async Task<List<(long Id, string Status)>> AfterAsync(TestClient client, long chatId, long after)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/chats/{chatId}/members?handler=After&after={after}");
        request.Headers.Add("HX-Request", "true");
        var response = await client.Http.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        return TestClient.Parse(await response.Content.ReadAsStringAsync()).QuerySelectorAll("article.chat-message")
            .Select(a => (long.Parse(a.GetAttribute("data-message-id")!), a.GetAttribute("data-status")!)).ToList();
    }

    /// <summary>Streams the reply and every queued reply after it, as the page does; returns (reply id, speaker) in order.</summary>
    private static async Task<List<(long Id, long Speaker)>> RunTurnAsync(TestClient client, long chatId, long firstReply)
    {
        var replies = new List<(long, long)>();
        var next = (long?)firstReply;
        while (next is { } id)
        {
            await StreamAsync(client, chatId, id);
            replies.Add((id, await ScalarAsync<long>(Database.ConnectionString, "select character_id from interaction.messages where id = @id", new { id })));
            next = (await AfterAsync(client, chatId, id)).Where(m => m.Status == "pending").Select(m => (long?)m.Id).FirstOrDefault();
        }
        return replies;
    }

    private static async Task<List<(long ChatId, long CharacterId, int Position, bool Muted)>> MembersOfAsync(long chatId)
    {
        await using var db = new NpgsqlConnection(Database.ConnectionString);
        return (await db.QueryAsync<(long, long, int, bool)>(
            "select chat_id, character_id, position, muted from interaction.chat_members where chat_id = @chatId order by position", new { chatId })).ToList();
    }

    /// <summary>The chat's messages in order: role, speaker and shown text.</summary>
    private static async Task<List<(string Role, long? Speaker, string Text)>> LinesOfAsync(long chatId)
    {
        await using var db = new NpgsqlConnection(Database.ConnectionString);
        return (await db.QueryAsync<(string, long?, string)>("""
            select m.role, m.character_id, s.content
            from interaction.messages m join interaction.message_swipes s on s.id = m.chosen_swipe_id
            where m.chat_id = @chatId order by m.id
            """, new { chatId })).ToList();
    }

    [Test]
    public async Task BranchOfAGroupChat_KeepsMembersOrderMutedReplyOrderAndEverySpeaker_AndTheBranchRepliesInTurn()
    {
        var c = await CastAsync("brancher8");
        var chatId = await NewGroupAsync(c.Sam, c.Ada, c.Bob, c.Cy);
        await MembersAsync(c.Sam, chatId, "Order", new Dictionary<string, string> { ["order"] = "list" });
        for (var i = 0; i < 2; i++) // Cy to the top: Cy, Ada, Bob
            await MembersAsync(c.Sam, chatId, "Move", new Dictionary<string, string> { ["characterId"] = c.Cy.ToString(), ["direction"] = "-1" });
        await MembersAsync(c.Sam, chatId, "Mute", new Dictionary<string, string> { ["characterId"] = c.Ada.ToString(), ["muted"] = "true" });
        await using (var db = new NpgsqlConnection(Database.ConnectionString))
            await db.ExecuteAsync("update interaction.chats set authors_note = 'Keep it short.', authors_note_depth = 2, authors_note_role = 'user' where id = @chatId", new { chatId });

        var (_, reply) = await SendAsync(c.Sam, chatId, "Hello, everyone.");
        var turn = await RunTurnAsync(c.Sam, chatId, reply);
        Assert.That(turn.Select(t => t.Speaker), Is.EqualTo(new[] { c.Cy, c.Bob }), "list order, Ada muted");
        var (_, later) = await SendAsync(c.Sam, chatId, "After the branch point.");
        await RunTurnAsync(c.Sam, chatId, later);

        var branchId = await BranchOkAsync(c.Sam, chatId, turn[^1].Id);

        // Members (order and muted), reply order, connection and author's note are the source's.
        Assert.That((await MembersOfAsync(branchId)).Select(m => (m.CharacterId, m.Position, m.Muted)),
            Is.EqualTo((await MembersOfAsync(chatId)).Select(m => (m.CharacterId, m.Position, m.Muted))));
        Assert.That((await MembersOfAsync(branchId)).Select(m => (m.CharacterId, m.Muted)),
            Is.EqualTo(new[] { (c.Cy, false), (c.Ada, true), (c.Bob, false) }));
        await using (var db = new NpgsqlConnection(Database.ConnectionString))
        {
            const string settings = "select concat_ws('|', character_id, reply_order, coalesce(connection_id::text, '-'), authors_note, authors_note_depth, authors_note_role, cardinality(reply_queue)) from interaction.chats where id = @id";
            var source = await db.ExecuteScalarAsync<string>(settings, new { id = chatId });
            Assert.That(await db.ExecuteScalarAsync<string>(settings, new { id = branchId }), Is.EqualTo(source));
            Assert.That(source, Is.EqualTo($"{c.Cy}|list|-|Keep it short.|2|user|0"));
        }

        // Every copied message keeps its speaker: the three greetings, the user's line, Cy's and Bob's replies.
        var copied = await LinesOfAsync(branchId);
        Assert.That(copied, Is.EqualTo((await LinesOfAsync(chatId)).Take(6)));
        Assert.That(copied.Select(l => (l.Role, l.Speaker)), Is.EqualTo(new (string, long?)[]
        {
            ("assistant", c.Ada), ("assistant", c.Bob), ("assistant", c.Cy), ("user", null), ("assistant", c.Cy), ("assistant", c.Bob),
        }));
        Assert.That(copied[4].Text, Is.EqualTo("Cy here."));

        // The branch's page: the group panel, the let-speak bar and each line under its own speaker.
        var page = TestClient.Parse((await c.Sam.GetPageAsync($"/chats/{branchId}")).Body);
        Assert.That(page.QuerySelectorAll("#group-panel .group-member-name").Select(n => n.TextContent), Is.EqualTo(new[] { "Cy", "Ada", "Bob" }));
        Assert.That(page.QuerySelector($"#group-panel [data-member-id='{c.Ada}'] .badge")!.TextContent, Is.EqualTo("muted"));
        Assert.That(page.QuerySelectorAll("#group-speak button").Select(b => b.TextContent), Is.EqualTo(new[] { "Cy", "Ada", "Bob" }));
        Assert.That(page.QuerySelectorAll("article.chat-message.assistant .chat-speaker strong").Select(s => s.TextContent),
            Is.EqualTo(new[] { "Ada", "Bob", "Cy", "Cy", "Bob" }));

        // The next turn in the branch follows the copied order, as a group, with the author's note.
        var (_, next) = await SendAsync(c.Sam, branchId, "Hello again.");
        var branchTurn = await RunTurnAsync(c.Sam, branchId, next);
        Assert.That(branchTurn.Select(t => t.Speaker), Is.EqualTo(new[] { c.Cy, c.Bob }));
        var prompt = host.Model.ChatRequests[^1].Body!.Value.GetProperty("messages").ToString();
        Assert.That(prompt, Does.Contain("You are Bob.").And.Contain("Keep it short.").And.Contain("Cy: Cy here."));
        Assert.That((await LinesOfAsync(branchId)).Skip(7).Select(l => l.Text), Is.EqualTo(new[] { "Cy here.", "Bob here." }));
        // "Let Ada speak" works in the branch although she is muted.
        var speak = await c.Sam.PostFormAsync($"/chats/{branchId}", new Dictionary<string, string> { ["characterId"] = c.Ada.ToString() },
            $"/chats/{branchId}/members?handler=Speak", htmx: true);
        Assert.That(speak.StatusCode, Is.EqualTo(HttpStatusCode.OK), await speak.Content.ReadAsStringAsync());
        var asked = long.Parse(TestClient.Parse(await speak.Content.ReadAsStringAsync()).QuerySelector("article.chat-message[data-status=pending]")!.GetAttribute("data-message-id")!);
        Assert.That((await RunTurnAsync(c.Sam, branchId, asked)).Select(t => t.Speaker), Is.EqualTo(new[] { c.Ada }));

        // The source did not change while the branch was used.
        Assert.That((await LinesOfAsync(chatId)).Count, Is.EqualTo(9));
    }

    [Test]
    public async Task ExportOfAGroupChat_NamesEveryAssistantLineAfterItsOwnCharacter_InJsonlAndMarkdown()
    {
        var c = await CastAsync("exporter8");
        var chatId = await NewGroupAsync(c.Sam, c.Ada, c.Bob, c.Cy);
        var (_, reply) = await SendAsync(c.Sam, chatId, "bob, what do you sell?");
        Assert.That((await RunTurnAsync(c.Sam, chatId, reply)).Select(t => t.Speaker), Is.EqualTo(new[] { c.Bob }));
        (_, reply) = await SendAsync(c.Sam, chatId, "Cy, then Ada: your turn.");
        Assert.That((await RunTurnAsync(c.Sam, chatId, reply)).Select(t => t.Speaker), Is.EqualTo(new[] { c.Cy, c.Ada }));
        // Cy leaves the group: her lines stay, and stay hers.
        await MembersAsync(c.Sam, chatId, "Remove", new Dictionary<string, string> { ["characterId"] = c.Cy.ToString() });

        var expected = new[]
        {
            ("Ada", "Ada greets exporter8."), ("Bob", "Bob waves."), ("Cy", "Mrow."), ("exporter8", "bob, what do you sell?"), ("Bob", "Bob here."),
            ("exporter8", "Cy, then Ada: your turn."), ("Cy", "Cy here."), ("Ada", "Ada here."),
        };

        var (jsonlResponse, jsonl) = await ExportAsync(c.Sam, chatId, "jsonl");
        Assert.That(jsonlResponse.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var lines = MessageLines(jsonl);
        Assert.That(lines.Select(l => ((string)l["name"]!, (string)l["mes"]!)), Is.EqualTo(expected));
        Assert.That(lines.Select(l => (bool)l["is_user"]!), Is.EqualTo(new[] { false, false, false, true, false, true, false, false }));

        var (mdResponse, markdown) = await ExportAsync(c.Sam, chatId, "md");
        Assert.That(mdResponse.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var transcript = Regex.Matches(markdown, @"^\*\*(.+?):\*\* (.*)$", RegexOptions.Multiline).Select(m => (m.Groups[1].Value, m.Groups[2].Value));
        Assert.That(transcript, Is.EqualTo(expected));

        // A single-character chat is still named after its one character.
        var solo = await StartChatAsync(c.Sam, c.Bob);
        Assert.That(MessageLines((await ExportAsync(c.Sam, solo, "jsonl")).Body).Select(l => (string)l["name"]!), Is.EqualTo(new[] { "Bob" }));
    }

    [Test]
    public async Task ImportedChat_HasExactlyOneMember_ItsAssistantLinesAreTheCharacters_AndTheCharacterReplies()
    {
        var c = await CastAsync("importer8");
        var file = Jsonl("""{"user_name":"Ann","character_name":"Somebody","create_date":"2026-11-24@01h23m45s","chat_metadata":{}}""",
            """{"name":"Somebody","is_user":false,"is_system":false,"mes":"Hello there","swipes":["Hi","Hello there"],"swipe_id":1}""",
            """{"name":"Ann","is_user":true,"is_system":false,"mes":"Hi!"}""",
            """{"name":"System","is_user":false,"is_system":true,"mes":"A note."}""",
            """{"name":"Somebody else","is_user":false,"mes":"Still the character."}""");
        var chatId = await ImportOkAsync(c.Sam, c.Bob, file);

        Assert.That(await MembersOfAsync(chatId), Is.EqualTo(new[] { (chatId, c.Bob, 0, false) }), "exactly one member: the chosen character");
        Assert.That((await LinesOfAsync(chatId)).Select(l => (l.Role, l.Speaker)), Is.EqualTo(new (string, long?)[]
        {
            ("assistant", c.Bob), ("user", null), ("system", null), ("assistant", c.Bob),
        }));
        var page = TestClient.Parse((await c.Sam.GetPageAsync($"/chats/{chatId}")).Body);
        Assert.That(page.QuerySelectorAll("article.chat-message.assistant .chat-speaker strong").Select(s => s.TextContent), Is.EqualTo(new[] { "Bob", "Bob" }));
        Assert.That(page.QuerySelector("#group-panel")!.GetAttribute("data-group-chat"), Is.EqualTo("false"), "one member: not a group chat");
        Assert.That(page.QuerySelectorAll("#group-panel .group-member-name").Select(n => n.TextContent), Is.EqualTo(new[] { "Bob" }));

        var (html, reply) = await SendAsync(c.Sam, chatId, "What do you sell?");
        Assert.That(TestClient.Parse(html).QuerySelector($"article[data-message-id='{reply}'] .chat-speaker strong")!.TextContent, Is.EqualTo("Bob"));
        var turn = await RunTurnAsync(c.Sam, chatId, reply);
        Assert.That(turn, Is.EqualTo(new[] { (reply, c.Bob) }), "one reply, from the chat's character");
        Assert.That((await LinesOfAsync(chatId))[^1], Is.EqualTo(("assistant", (long?)c.Bob, "solo here.")));
        var prompt = host.Model.ChatRequests[^1].Body!.Value.GetProperty("messages").ToString();
        Assert.That(prompt, Does.Contain("sells lamps.").And.Contain("Still the character.").And.Contain("What do you sell?"));
        Assert.That(prompt, Does.Not.Contain("Group chat"));
        Assert.That(await MembersOfAsync(chatId), Has.Count.EqualTo(1));

        // And its export names the imported lines after the character.
        Assert.That(MessageLines((await ExportAsync(c.Sam, chatId, "jsonl")).Body).Where(l => !(bool)l["is_user"]! && !(bool)l["is_system"]!)
            .Select(l => (string)l["name"]!).Distinct(), Is.EqualTo(new[] { "Bob" }));
    }
}
