using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CharacterHub.Tests.Support;
using Dapper;
using Npgsql;
using static CharacterHub.Tests.Integration.ChatTools.ChatToolsKit;
using static CharacterHub.Tests.Integration.Chats.ChatKit;

namespace CharacterHub.Tests.Integration.ChatTools;

/// <summary>Export (SillyTavern JSONL, Markdown) and SillyTavern JSONL import.</summary>
public sealed class ChatExportImportTests : IntegrationTest
{
    private const string Header = """{"user_name":"Ann","character_name":"Mira","create_date":"2026-11-24@01h23m45s","chat_metadata":{}}""";

    [Test]
    public async Task ExportJsonl_IsASillyTavernChatFile_ForDownload()
    {
        var client = await SignedInClient("exporter");
        var chatId = await StartChatAsync(client, await CreateCharacterAsync(client, "exporter", Card()));
        await client.PostFormAsync($"/chats/{chatId}", new Dictionary<string, string> { ["title"] = "Nuit à \"Phare\"/2" }, $"/chats/{chatId}?handler=Rename");
        var (one, reply) = await TurnAsync(client, chatId, "Hello, *lamp*");
        await RegenerateAsync(client, chatId, reply);
        await PostAsync(client, chatId, "Edit", one, new Dictionary<string, string> { ["text"] = "Hello again" });
        var (gone, _) = await TurnAsync(client, chatId, "to be deleted");
        await PostAsync(client, chatId, "Delete", gone);
        await SendAsync(client, chatId, "still waiting"); // its reply stays open: not exported

        var (response, body) = await ExportAsync(client, chatId, "jsonl");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/jsonl"));
        Assert.That(response.Content.Headers.ContentType.CharSet, Is.EqualTo("utf-8"));
        var disposition = response.Content.Headers.ContentDisposition!;
        Assert.That(disposition.DispositionType, Is.EqualTo("attachment"));
        Assert.That(disposition.FileName!.Trim('"'), Is.EqualTo("Nuit _ Phare 2.jsonl"), "ASCII fallback");
        Assert.That(disposition.FileNameStar, Is.EqualTo("Nuit à Phare 2.jsonl"));

        var lines = body.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var header = JsonNode.Parse(lines[0])!.AsObject();
        Assert.That((string)header["user_name"]!, Is.EqualTo("exporter"));
        Assert.That((string)header["character_name"]!, Is.EqualTo("Mira"));
        Assert.That((string)header["create_date"]!, Does.Match(@"^\d{4}-\d{2}-\d{2}@\d{2}h\d{2}m\d{2}s$"));
        Assert.That(header["chat_metadata"], Is.InstanceOf<JsonObject>());

        var messages = MessageLines(body);
        Assert.That(messages.Select(m => (string)m["mes"]!).ToList(), Has.Count.EqualTo(5));
        Assert.That(messages.Select(m => (string)m["name"]!), Is.EqualTo(new[] { "Mira", "exporter", "Mira", "Mira", "exporter" }));
        Assert.That(messages.Select(m => (bool)m["is_user"]!), Is.EqualTo(new[] { false, true, false, false, true }));
        Assert.That(messages.All(m => (bool)m["is_system"]! == false && m["extra"] is JsonObject));
        Assert.That((string)messages[0]["mes"]!, Is.EqualTo("Welcome to the lighthouse, exporter."));
        Assert.That(messages[0]["swipes"]!.AsArray(), Has.Count.EqualTo(3));
        Assert.That((int)messages[0]["swipe_id"]!, Is.EqualTo(0));
        Assert.That((string)messages[1]["mes"]!, Is.EqualTo("Hello again"), "the latest revision");
        Assert.That(messages[2]["swipes"]!.AsArray(), Has.Count.EqualTo(2));
        Assert.That((int)messages[2]["swipe_id"]!, Is.EqualTo(1), "the regenerated reply is the shown one");
        Assert.That((string)messages[2]["mes"]!, Is.EqualTo((string)messages[2]["swipes"]![1]!));
        Assert.That((string)messages[4]["mes"]!, Is.EqualTo("still waiting"));
        Assert.That(body, Does.Not.Contain("to be deleted"));
        Assert.That((string)messages[1]["send_date"]!, Does.Match(@"^[A-Z][a-z]+ \d{1,2}, \d{4} \d{1,2}:\d{2}(am|pm)$"));

        // The links the pages offer.
        var chatPage = TestClient.Parse((await client.GetPageAsync($"/chats/{chatId}")).Body);
        Assert.That(chatPage.QuerySelector($".chat-settings a[href='/chats/{chatId}/export?format=jsonl']"), Is.Not.Null);
        Assert.That(chatPage.QuerySelector($".chat-settings a[href='/chats/{chatId}/export?format=md']"), Is.Not.Null);
        var list = TestClient.Parse((await client.GetPageAsync("/chats")).Body);
        Assert.That(list.QuerySelector($"a[href='/chats/{chatId}/export?format=jsonl']"), Is.Not.Null);
        Assert.That(list.QuerySelector("a[href='/chats/import']"), Is.Not.Null);
    }

    [Test]
    public async Task ExportMarkdown_IsAReadableTranscript()
    {
        var client = await SignedInClient("reader_md");
        var chatId = await StartChatAsync(client, await CreateCharacterAsync(client, "reader_md", Card("Mira_*bold*")));
        await TurnAsync(client, chatId, "Line one\nline two");

        var (response, body) = await ExportAsync(client, chatId, "md");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("text/markdown"));
        Assert.That(response.Content.Headers.ContentDisposition!.FileNameStar, Is.EqualTo("Chat with Mira_ bold.md"));
        Assert.That(body, Does.StartWith("# Chat with Mira\\_\\*bold\\*\n"));
        Assert.That(body, Does.Contain("Character: Mira\\_\\*bold\\*"));
        Assert.That(body, Does.Contain("**Mira\\_\\*bold\\*:** Welcome to the lighthouse, reader_md."));
        Assert.That(body, Does.Contain("**reader\\_md:** Line one\nline two\n\n"));
        Assert.That(body.IndexOf("Welcome", StringComparison.Ordinal), Is.LessThan(body.IndexOf("Line one", StringComparison.Ordinal)));
    }

    [Test]
    public async Task Export_OfAnotherUsersChat_IsNotFound_AndAnUnknownFormatIsABadRequest()
    {
        var owner = await SignedInClient("owner_x");
        var chatId = await StartChatAsync(owner, await CreateCharacterAsync(owner, "owner_x", Card()));
        var eve = await SignedInClient("eve_x");
        foreach (var format in new[] { "jsonl", "md" })
        {
            var (response, body) = await ExportAsync(eve, chatId, format);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(body, Does.Not.Contain("lighthouse"));
        }
        Assert.That((await ExportAsync(owner, chatId, "docx")).Response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((await ExportAsync(owner, long.MaxValue, "jsonl")).Response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        var anonymous = Client();
        var anon = await anonymous.GetAsync($"/chats/{chatId}/export?format=jsonl");
        Assert.That((int)anon.StatusCode, Is.AnyOf(302, 401));
    }

    [Test]
    public async Task Import_SillyTavernFile_CreatesAChatWithSwipesAndDates()
    {
        var client = await SignedInClient("importer");
        var characterId = await CreateCharacterAsync(client, "importer", Card());
        var form = TestClient.Parse((await client.GetPageAsync($"/chats/import?characterId={characterId}")).Body);
        Assert.That(form.QuerySelector($"#chat-import-character option[value='{characterId}']")!.HasAttribute("selected"), Is.True);

        var file = Jsonl("\uFEFF" + Header,
            """{"name":"Mira","is_user":false,"is_system":false,"send_date":"November 24, 2026 1:23am","mes":"Hello there","swipes":["Hi","Hello there"],"swipe_id":1,"extra":{}}""",
            """{"name":"Ann","is_user":true,"is_system":false,"send_date":"2026-11-24T01:24:10Z","mes":"Hi! <script>alert(1)</script>","extra":{}}""",
            """{"name":"System","is_user":false,"is_system":true,"send_date":"garbage","mes":"A note.","extra":{}}""",
            """{"name":"Mira","is_user":false,"send_date":1795483500000,"mes":"Third","swipes":["First","Second","Third"],"swipe_id":2}""");
        var chatId = await ImportOkAsync(client, characterId, file, "Mira - 2026-11-24@01h23m45s.jsonl");

        await using (var db = new NpgsqlConnection(Database.ConnectionString))
        {
            var chat = await db.QuerySingleAsync<(string Title, long CharacterId, long UserId)>(
                "select title, character_id, user_id from interaction.chats where id = @chatId", new { chatId });
            Assert.That(chat.Title, Is.EqualTo("Imported: Mira - 2026-11-24@01h23m45s.jsonl"));
            Assert.That(chat.CharacterId, Is.EqualTo(characterId));
            var rows = (await db.QueryAsync<(string Role, DateTime CreatedAt, string Kinds)>("""
                select m.role, m.created_at, (select string_agg(s.kind || ':' || s.status, ',' order by s.id) from interaction.message_swipes s where s.message_id = m.id)
                from interaction.messages m where m.chat_id = @chatId order by m.id
                """, new { chatId })).ToList();
            Assert.That(rows.Select(r => r.Role), Is.EqualTo(new[] { "assistant", "user", "system", "assistant" }));
            Assert.That(rows[0].CreatedAt, Is.EqualTo(new DateTime(2026, 11, 24, 1, 23, 0, DateTimeKind.Utc)));
            Assert.That(rows[1].CreatedAt, Is.EqualTo(new DateTime(2026, 11, 24, 1, 24, 10, DateTimeKind.Utc)));
            Assert.That(rows[2].CreatedAt, Is.EqualTo(DateTime.UtcNow).Within(TimeSpan.FromMinutes(5)), "an unreadable date becomes the import time");
            Assert.That(rows[0].Kinds, Is.EqualTo("greeting:complete,greeting:complete"));
            Assert.That(rows[3].Kinds, Is.EqualTo("reply:complete,regenerate:complete,regenerate:complete"));
        }

        var page = TestClient.Parse((await client.GetPageAsync($"/chats/{chatId}")).Body);
        var shown = page.QuerySelectorAll("article.chat-message");
        Assert.That(shown, Has.Length.EqualTo(4));
        Assert.That(shown[0].QuerySelector(".chat-text")!.TextContent.Trim(), Is.EqualTo("Hello there"));
        Assert.That(shown[0].QuerySelector(".chat-swipe-count")!.TextContent, Is.EqualTo("2/2"));
        Assert.That(shown[3].QuerySelector(".chat-swipe-count")!.TextContent, Is.EqualTo("3/3"));
        Assert.That(page.QuerySelector("article.chat-message script"), Is.Null, "imported text is rendered sanitized");
        Assert.That(shown[1].QuerySelector(".chat-text")!.TextContent, Does.Contain("Hi!"));

        // The imported chat is a chat like any other: a swipe and a turn work.
        var swiped = await PostAsync(client, chatId, "Swipe", long.Parse(shown[3].GetAttribute("data-message-id")!),
            new Dictionary<string, string> { ["direction"] = "-1" });
        Assert.That(TestClient.Parse(await swiped.Content.ReadAsStringAsync()).QuerySelector(".chat-text")!.TextContent.Trim(), Is.EqualTo("Second"));
        var (_, reply) = await TurnAsync(client, chatId, "and now?");
        Assert.That((await SwipesAsync(Database.ConnectionString, reply)).Single().Status, Is.EqualTo("offline"));
    }

    [Test]
    public async Task ExportImportExport_RoundTrips_MessagesSwipesAndChoices()
    {
        var client = await SignedInClient("roundtrip");
        var characterId = await CreateCharacterAsync(client, "roundtrip", Card());
        var chatId = await StartChatAsync(client, characterId);
        var greeting = await ScalarAsync<long>(Database.ConnectionString, "select min(id) from interaction.messages where chat_id = @chatId", new { chatId });
        await PostAsync(client, chatId, "Swipe", greeting, new Dictionary<string, string> { ["direction"] = "1" });
        var (one, reply) = await TurnAsync(client, chatId, "Ünïcødé ✨ and \"quotes\"\nand lines");
        await RegenerateAsync(client, chatId, reply);
        await RegenerateAsync(client, chatId, reply);
        await PostAsync(client, chatId, "Swipe", reply, new Dictionary<string, string> { ["direction"] = "-1" });
        await PostAsync(client, chatId, "Edit", one, new Dictionary<string, string> { ["text"] = "edited ✨" });
        await TurnAsync(client, chatId, "second turn");

        var (_, first) = await ExportAsync(client, chatId, "jsonl");
        var imported = await ImportOkAsync(client, characterId, Encoding.UTF8.GetBytes(first));
        var (_, second) = await ExportAsync(client, imported, "jsonl");

        var a = MessageLines(first);
        var b = MessageLines(second);
        Assert.That(a, Has.Count.EqualTo(5));
        Assert.That(b.Select(l => l.ToJsonString()), Is.EqualTo(a.Select(l => l.ToJsonString())),
            "names, texts, all alternatives, the chosen index and the minute of each message survive");
        Assert.That((int)b[2]["swipe_id"]!, Is.EqualTo(1));
        Assert.That(b[2]["swipes"]!.AsArray(), Has.Count.EqualTo(3));
    }

    [TestCase("broken json", 3)]
    [TestCase("missing mes", 2)]
    [TestCase("missing is_user", 3)]
    [TestCase("bad swipe_id", 2)]
    [TestCase("not utf-8", 3)]
    [TestCase("too long", 2)]
    [TestCase("not an object", 2)]
    public async Task Import_BadFile_SaysWhichLine_AndSavesNothing(string kind, int line)
    {
        var client = await SignedInClient("badfiles");
        var characterId = await CreateCharacterAsync(client, "badfiles", Card());
        await StartChatAsync(client, characterId);
        var good = """{"name":"Ann","is_user":true,"mes":"fine"}""";
        byte[] file = kind switch
        {
            "broken json" => Jsonl(Header, good, """{"name":"Ann","is_user":true,"mes":"unterminated}"""),
            "missing mes" => Jsonl(Header, """{"name":"Ann","is_user":true}""", good),
            "missing is_user" => Jsonl(Header, good, """{"name":"Ann","mes":"who said this?"}"""),
            "bad swipe_id" => Jsonl(Header, """{"is_user":false,"mes":"a","swipes":["a","b"],"swipe_id":7}"""),
            "not utf-8" => [.. Jsonl(Header, good), .. "{\"is_user\":true,\"mes\":\""u8, 0xFF, 0xFE, .. "\"}\n"u8],
            "too long" => Jsonl(Header, $$"""{"is_user":true,"mes":"{{new string('x', 100_001)}}"}"""),
            "not an object" => Jsonl(Header, "\"just a string\""),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        var before = await FingerprintAsync(Database.ConnectionString);
        var problem = await ImportProblemAsync(client, characterId.ToString(), file);
        Assert.That(problem, Does.StartWith("The chat was not imported.").And.Contain($"Line {line}:"));
        Assert.That(await FingerprintAsync(Database.ConnectionString), Is.EqualTo(before));
    }

    [Test]
    public async Task Import_RefusesWhatItCannotTake_WithAMessage()
    {
        var client = await SignedInClient("refused");
        var characterId = await CreateCharacterAsync(client, "refused", Card());
        var eve = await SignedInClient("eve_private");
        var evesPrivate = await CreateCharacterAsync(eve, "eve_private", Card("Secret"));
        var evesPublic = await CreateCharacterAsync(eve, "eve_private", Card("Open", visibility: "public"));
        var file = Jsonl(Header, """{"name":"Ann","is_user":true,"mes":"hello"}""");
        var before = await FingerprintAsync(Database.ConnectionString);

        Assert.That(await ImportProblemAsync(client, evesPrivate.ToString(), file), Does.Contain("Choose one of your characters"));
        Assert.That(await ImportProblemAsync(client, "123456789", file), Does.Contain("Choose one of your characters"));
        Assert.That(await ImportProblemAsync(client, null, file), Does.Contain("Choose the character"));
        Assert.That(await ImportProblemAsync(client, characterId.ToString(), null), Does.Contain("Choose a SillyTavern chat file"));
        Assert.That(await ImportProblemAsync(client, characterId.ToString(), []), Does.Contain("Choose a SillyTavern chat file"));
        Assert.That(await ImportProblemAsync(client, characterId.ToString(), Jsonl(Header)), Does.Contain("no messages"));
        var tooBig = new byte[20 * 1024 * 1024 + 1];
        Array.Fill(tooBig, (byte)' ');
        Assert.That(await ImportProblemAsync(client, characterId.ToString(), tooBig), Does.Contain("larger than 20 MB"));
        var tooManyLines = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("{\"is_user\":true,\"mes\":\"a\"}\n", 50_001)));
        Assert.That(await ImportProblemAsync(client, characterId.ToString(), tooManyLines), Does.Contain("more than 50,000 lines"));
        Assert.That(await FingerprintAsync(Database.ConnectionString), Is.EqualTo(before));

        // A public character is readable, so it may take an imported chat; the form offers it once the user chats with it.
        var chatId = await ImportOkAsync(client, evesPublic, file);
        Assert.That(chatId, Is.GreaterThan(0));
        var form = TestClient.Parse((await client.GetPageAsync("/chats/import")).Body);
        Assert.That(form.QuerySelectorAll("#chat-import-character option").Select(o => o.GetAttribute("value")),
            Is.EquivalentTo(new[] { characterId.ToString(), evesPublic.ToString() }), "own characters and ones already chatted with; never Eve's private one");
    }

    [Test]
    public async Task Import_10000Messages_IsQuick_AndComplete()
    {
        var client = await SignedInClient("bulk");
        var characterId = await CreateCharacterAsync(client, "bulk", Card());
        var sb = new StringBuilder(Header).Append('\n');
        for (var i = 0; i < 10_000; i++)
        {
            sb.Append(i % 2 == 0
                ? $$"""{"name":"Ann","is_user":true,"send_date":"November 24, 2026 1:23am","mes":"question {{i}}"}"""
                : $$"""{"name":"Mira","is_user":false,"send_date":"November 24, 2026 1:23am","mes":"answer {{i}} b","swipes":["answer {{i}} a","answer {{i}} b"],"swipe_id":1}""");
            sb.Append('\n');
        }
        var clock = Stopwatch.StartNew();
        var chatId = await ImportOkAsync(client, characterId, Encoding.UTF8.GetBytes(sb.ToString()));
        clock.Stop();
        TestContext.Out.WriteLine($"Importing 10,000 messages (15,000 swipes) took {clock.ElapsedMilliseconds} ms over HTTP.");

        clock.Restart();
        var (_, export) = await ExportAsync(client, chatId, "jsonl");
        clock.Stop();
        TestContext.Out.WriteLine($"Exporting them took {clock.ElapsedMilliseconds} ms over HTTP.");
        var lines = MessageLines(export);
        Assert.That(lines, Has.Count.EqualTo(10_000));
        Assert.That(lines.Select(l => (string)l["mes"]!), Is.EqualTo(Enumerable.Range(0, 10_000).Select(i => i % 2 == 0 ? $"question {i}" : $"answer {i} b")),
            "every message, in the file's order");
        Assert.That(lines.Count(l => (int)l["swipe_id"]! == 1), Is.EqualTo(5_000));
        Assert.That(await ScalarAsync<long>(Database.ConnectionString, """
            select count(*) from interaction.message_swipes s join interaction.messages m on m.id = s.message_id where m.chat_id = @chatId
            """, new { chatId }), Is.EqualTo(15_000));
        var (_, markdown) = await ExportAsync(client, chatId, "md");
        Assert.That(markdown, Does.Contain("**Mira:** answer 9999 b"));
    }
}
