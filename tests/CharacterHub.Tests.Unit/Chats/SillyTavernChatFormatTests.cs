using System.Buffers;
using System.Text;
using System.Text.Json;
using CharacterHub.Modules.Interaction.Chats;

namespace CharacterHub.Tests.Unit.Chats;

public sealed class SillyTavernChatFormatTests
{
    private const string Header = """{"user_name":"Ann","character_name":"Mira","create_date":"2026-11-24@01h23m45s","chat_metadata":{"note_prompt":""}}""";

    private static (StChatFile? File, StChatProblem? Problem) Parse(string text) => SillyTavernChatFormat.Parse(Encoding.UTF8.GetBytes(text));

    private static StChatFile ParseOk(string text)
    {
        var (file, problem) = Parse(text);
        Assert.That(problem, Is.Null, problem?.ToString());
        return file!;
    }

    [Test]
    public void Parse_SillyTavernFile_ReadsHeaderMessagesSwipesAndDates()
    {
        var file = ParseOk(Header + "\n" +
            """{"name":"Mira","is_user":false,"is_system":false,"send_date":"November 24, 2026 1:23am","mes":"Hello","swipes":["Hi","Hello","Hey"],"swipe_id":1,"extra":{}}""" + "\n" +
            """{"name":"Ann","is_user":true,"send_date":"November 24, 2026 1:24pm","mes":"Hi there","extra":{"bias":null}}""" + "\n");

        Assert.That(file.Header, Is.EqualTo(new StChatHeader("Ann", "Mira", new DateTimeOffset(2026, 11, 24, 1, 23, 45, TimeSpan.Zero))));
        Assert.That(file.Messages, Has.Count.EqualTo(2));
        var first = file.Messages[0];
        Assert.That(first.IsUser, Is.False);
        Assert.That(first.Swipes, Is.EqualTo(new[] { "Hi", "Hello", "Hey" }));
        Assert.That(first.SwipeId, Is.EqualTo(1));
        Assert.That(first.Text, Is.EqualTo("Hello"));
        Assert.That(first.SendDate, Is.EqualTo(new DateTimeOffset(2026, 11, 24, 1, 23, 0, TimeSpan.Zero)));
        var second = file.Messages[1];
        Assert.That(second.IsUser, Is.True);
        Assert.That(second.Swipes, Is.EqualTo(new[] { "Hi there" }), "a message without swipes is its own single alternative");
        Assert.That(second.SendDate, Is.EqualTo(new DateTimeOffset(2026, 11, 24, 13, 24, 0, TimeSpan.Zero)));
    }

    [Test]
    public void Parse_MesWinsOverTheChosenSwipe_WhenTheyDiffer()
    {
        var file = ParseOk("""{"is_user":false,"mes":"edited","swipes":["a","b"],"swipe_id":1}""");
        Assert.That(file.Header, Is.Null, "the metadata line is optional");
        Assert.That(file.Messages[0].Swipes, Is.EqualTo(new[] { "a", "edited" }));
    }

    [Test]
    public void Parse_AcceptsBom_Crlf_AndBlankLines()
    {
        var text = "\uFEFF" + Header + "\r\n\r\n" + """{"name":"Ann","is_user":true,"mes":"line one\nline two"}""" + "\r\n   \r\n";
        var file = ParseOk(text);
        Assert.That(file.Header!.UserName, Is.EqualTo("Ann"));
        Assert.That(file.Messages.Single().Text, Is.EqualTo("line one\nline two"));
    }

    [TestCase("November 24, 2026 1:23am", "2026-11-24T01:23:00Z")]
    [TestCase("November 24, 2026 12:05pm", "2026-11-24T12:05:00Z")]
    [TestCase("November 24, 2026 12:05am", "2026-11-24T00:05:00Z")]
    [TestCase("May 3, 2024 9:07 PM", "2024-05-03T21:07:00Z")]
    [TestCase("2026-11-24@01h23m45s", "2026-11-24T01:23:45Z")]
    [TestCase("2023-7-4 @14h 3m 12s 145ms", "2023-07-04T14:03:12.145Z")]
    [TestCase("2026-11-24T01:23:45.000Z", "2026-11-24T01:23:45Z")]
    [TestCase("2026-11-24T03:23:45+02:00", "2026-11-24T01:23:45Z")]
    [TestCase("1795483425000", "2026-11-24T01:23:45Z")]
    public void ParseDate_KnowsSillyTavernsFormats(string text, string expected) =>
        Assert.That(SillyTavernChatFormat.ParseDate(text), Is.EqualTo(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture)));

    [TestCase("")]
    [TestCase("yesterday")]
    [TestCase("2026-13-45@99h99m99s")]
    [TestCase("February 30, 2026 1:00am")]
    public void ParseDate_Unreadable_IsNull(string text) => Assert.That(SillyTavernChatFormat.ParseDate(text), Is.Null);

    [Test]
    public void Parse_EpochNumberSendDate_IsRead()
    {
        var file = ParseOk("""{"is_user":true,"mes":"x","send_date":1795483425000}""");
        Assert.That(file.Messages[0].SendDate, Is.EqualTo(DateTimeOffset.FromUnixTimeMilliseconds(1795483425000)));
        Assert.That(ParseOk("""{"is_user":true,"mes":"x","send_date":"soon"}""").Messages[0].SendDate, Is.Null, "unreadable: the importer decides");
    }

    [TestCase("{\"is_user\":true,\"mes\":\"ok\"}\n{\"is_user\":true,\"mes\":\"broken\"\n", 2, "not a JSON object")]
    [TestCase("{\"is_user\":true,\"mes\":\"ok\"}\n[1,2]\n", 2, "not a JSON object")]
    [TestCase("{\"is_user\":true,\"mes\":\"ok\"}\n{\"is_user\":true}\n", 2, "no \"mes\"")]
    [TestCase("{\"is_user\":true,\"mes\":\"ok\"}\n\n{\"mes\":\"who?\"}\n", 3, "no \"is_user\"")]
    [TestCase("{\"is_user\":\"yes\",\"mes\":\"ok\"}", 1, "\"is_user\" must be true or false")]
    [TestCase("{\"is_user\":true,\"mes\":5}", 1, "\"mes\" must be text")]
    [TestCase("{\"is_user\":true,\"mes\":\"a\",\"swipes\":\"a\"}", 1, "\"swipes\" must be a list")]
    [TestCase("{\"is_user\":true,\"mes\":\"a\",\"swipes\":[\"a\",3]}", 1, "\"swipes\" must be a list")]
    [TestCase("{\"is_user\":true,\"mes\":\"a\",\"swipes\":[\"a\"],\"swipe_id\":1}", 1, "\"swipe_id\" is 1")]
    [TestCase("{\"is_user\":true,\"mes\":\"a\",\"swipes\":[\"a\"],\"swipe_id\":-1}", 1, "\"swipe_id\" is -1")]
    [TestCase("{\"is_user\":true,\"mes\":\"a\",\"swipe_id\":1.5}", 1, "\"swipe_id\" must be a whole number")]
    [TestCase("{\"is_user\":true,\"mes\":\"a\",\"name\":{}}", 1, "\"name\" must be text")]
    [TestCase("{\"something\":\"else\"}", 1, "neither a message nor the chat's metadata")]
    [TestCase("{\"is_user\":true}", 1, "no \"mes\"")]
    [TestCase("{\"is_user\":true,\"mes\":\"a\\ud800b\"}", 1, "lone \\u surrogate")]
    [TestCase("{\"is_user\":true,\"mes\":\"a\\udc00\"}", 1, "lone \\u surrogate")]
    [TestCase("{\"is_user\":true,\"mes\":\"a\",\"swipes\":[\"a\",\"b\\u0000\"]}", 1, "NUL character")]
    [TestCase("{\"is_user\":true,\"mes\":\"a\",\"name\":\"\\ud800\"}", 1, "\"name\" contains")]
    public void Parse_BadLine_NamesTheLine(string text, int line, string words)
    {
        var (file, problem) = Parse(text);
        Assert.That(file, Is.Null);
        Assert.That(problem!.Line, Is.EqualTo(line));
        Assert.That(problem.ToString(), Does.StartWith($"Line {line}:").And.Contain(words));
    }

    [Test]
    public void Parse_SurrogatePairEscapes_AreText() =>
        Assert.That(ParseOk("{\"is_user\":true,\"mes\":\"\\ud83d\\udcac\"}").Messages[0].Text, Is.EqualTo("💬"));

    [Test]
    public void Parse_InvalidUtf8_NamesTheLine()
    {
        var bytes = Encoding.UTF8.GetBytes(Header + "\n{\"is_user\":true,\"mes\":\"ok\"}\n{\"is_user\":true,\"mes\":\"").Concat(new byte[] { 0xC3, 0x28 })
            .Concat(Encoding.UTF8.GetBytes("\"}\n")).ToArray();
        var (_, problem) = SillyTavernChatFormat.Parse(bytes);
        Assert.That(problem!.Line, Is.EqualTo(3));
        Assert.That(problem.Message, Does.Contain("UTF-8"));
    }

    [Test]
    public void Parse_Limits_AreEnforced()
    {
        var tooLong = new string('x', SillyTavernChatFormat.MaxMessageChars + 1);
        Assert.That(Parse($"{{\"is_user\":true,\"mes\":\"{tooLong}\"}}").Problem!.Message, Does.Contain("longer than 100,000"));
        Assert.That(Parse($"{{\"is_user\":true,\"mes\":\"a\",\"swipes\":[\"a\",\"{tooLong}\"]}}").Problem!.Message, Does.Contain("longer than 100,000"));
        var manyLines = string.Concat(Enumerable.Repeat("{\"is_user\":true,\"mes\":\"a\"}\n", SillyTavernChatFormat.MaxLines + 1));
        Assert.That(Parse(manyLines).Problem!.Message, Does.Contain("more than 50,000 lines"));
        Assert.That(SillyTavernChatFormat.Parse(new byte[SillyTavernChatFormat.MaxFileBytes + 1]).Problem!.Message, Does.Contain("larger than 20 MB"));
        Assert.That(Parse(Header + "\n").Problem!.Message, Does.Contain("no messages"));
        Assert.That(Parse("").Problem!.Message, Does.Contain("no messages"));
    }

    [Test]
    public void Write_ThenParse_RoundTrips()
    {
        var at = new DateTimeOffset(2026, 11, 24, 13, 5, 0, TimeSpan.Zero);
        var messages = new[]
        {
            new StChatMessage("Mira", false, false, at, ["Hi", "Hello \"you\" ✨\nsecond line"], 1),
            new StChatMessage("Ann", true, false, at.AddMinutes(1), ["Fine, thanks"], 0),
            new StChatMessage("System", false, true, at.AddMinutes(2), ["(a note)"], 0),
        };
        var buffer = new ArrayBufferWriter<byte>();
        buffer.Write(SillyTavernChatFormat.HeaderLine("Ann", "Mira", at));
        foreach (var m in messages) SillyTavernChatFormat.WriteMessageLine(buffer, m);
        var text = Encoding.UTF8.GetString(buffer.WrittenSpan);

        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(4));
        using (var header = JsonDocument.Parse(lines[0]))
        {
            Assert.That(header.RootElement.GetProperty("create_date").GetString(), Is.EqualTo("2026-11-24@13h05m00s"));
            Assert.That(header.RootElement.GetProperty("chat_metadata").ValueKind, Is.EqualTo(JsonValueKind.Object));
        }
        using (var first = JsonDocument.Parse(lines[1]))
        {
            var o = first.RootElement;
            Assert.That(o.GetProperty("send_date").GetString(), Is.EqualTo("November 24, 2026 1:05pm"));
            Assert.That(o.GetProperty("mes").GetString(), Is.EqualTo("Hello \"you\" ✨\nsecond line"));
            Assert.That(o.GetProperty("swipe_id").GetInt32(), Is.EqualTo(1));
            Assert.That(o.GetProperty("is_system").GetBoolean(), Is.False);
            Assert.That(o.GetProperty("extra").ValueKind, Is.EqualTo(JsonValueKind.Object));
        }
        Assert.That(text, Does.Contain("✨"), "non-ASCII is written as text, as SillyTavern does");

        var parsed = ParseOk(text);
        Assert.That(parsed.Messages.Select(m => (m.Name, m.IsUser, m.IsSystem, m.SendDate, string.Join("|", m.Swipes), m.SwipeId)),
            Is.EqualTo(messages.Select(m => (m.Name, m.IsUser, m.IsSystem, m.SendDate, string.Join("|", m.Swipes), m.SwipeId))));
    }

    [Test]
    public void Write_EscapesWhatJsonMust()
    {
        var buffer = new ArrayBufferWriter<byte>();
        SillyTavernChatFormat.WriteMessageLine(buffer, new StChatMessage("A", true, false, null, ["quote \" backslash \\ nul \0 line\u2028sep </script>"], 0));
        var line = Encoding.UTF8.GetString(buffer.WrittenSpan);
        Assert.That(line.TrimEnd('\n'), Does.Not.Contain("\n"), "one message, one line");
        using var doc = JsonDocument.Parse(line);
        Assert.That(doc.RootElement.GetProperty("mes").GetString(), Is.EqualTo("quote \" backslash \\ nul \0 line\u2028sep </script>"));
    }

    [TestCase("Night watch", ".jsonl", "Night watch.jsonl")]
    [TestCase("../../etc/passwd", ".md", "etc passwd.md")]
    [TestCase("  \"quoted\"; x=1\r\n", ".md", "quoted x 1.md")]
    [TestCase("Über 💬 Café", ".jsonl", "Über Café.jsonl")]
    [TestCase("!!!", ".jsonl", "chat.jsonl")]
    public void FileName_IsSafe(string title, string ext, string expected) =>
        Assert.That(ChatExport.FileName(title, ext), Is.EqualTo(expected));

    [TestCase("chat.jsonl", "Imported: chat.jsonl")]
    [TestCase("C:\\Users\\me\\Mira - 2026-11-24@01h23m45s.jsonl", "Imported: Mira - 2026-11-24@01h23m45s.jsonl")]
    [TestCase("a\u0000b\r\nc\u202Ed.jsonl", "Imported: a b c d.jsonl")]
    [TestCase("", "Imported: chat.jsonl")]
    public void ImportTitle_IsSanitized(string fileName, string expected) =>
        Assert.That(ImportChatHandler.Title(fileName), Is.EqualTo(expected));

    [Test]
    public void ImportTitle_IsAtMost200Characters() =>
        Assert.That(ImportChatHandler.Title(new string('é', 500) + ".jsonl"), Has.Length.EqualTo(200));
}
