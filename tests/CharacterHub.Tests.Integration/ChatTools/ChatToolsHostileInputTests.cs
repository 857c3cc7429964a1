using System.Net;
using System.Text;
using CharacterHub.Tests.Support;
using static CharacterHub.Tests.Integration.ChatTools.ChatToolsKit;
using static CharacterHub.Tests.Integration.Chats.ChatKit;

namespace CharacterHub.Tests.Integration.ChatTools;

/// <summary>Branch, export and import sent what they should not be sent: never a 5xx, nothing saved.</summary>
public sealed class ChatToolsHostileInputTests : IntegrationTest
{
    private const string Overflow = "99999999999999999999";
    private static readonly string[] BadIds = ["abc", "1e309", "-1", "0", Overflow, "NaN", "", "1;drop table x", "%00"];

    [Test]
    public async Task Branch_AndExport_WithHostileIds_AreNeverServerErrors_AndChangeNothing()
    {
        var client = await SignedInClient("hostile");
        var chatId = await StartChatAsync(client, await CreateCharacterAsync(client, "hostile", Card()));
        var before = await FingerprintAsync(Database.ConnectionString);
        var (_, page) = await client.GetPageAsync($"/chats/{chatId}");
        var token = TestClient.AntiforgeryToken(page)!;

        foreach (var bad in BadIds)
        {
            using var branch = new HttpRequestMessage(HttpMethod.Post, $"/chats/{chatId}?handler=Branch&messageId={bad}")
            {
                Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = token }),
            };
            branch.Headers.Add("HX-Request", "true");
            var response = await client.Http.SendAsync(branch);
            Assert.That((int)response.StatusCode, Is.LessThan(500), $"branch messageId={bad}");
            Assert.That(response.StatusCode, Is.Not.EqualTo(HttpStatusCode.NoContent), $"branch messageId={bad}");

            Assert.That((int)(await client.GetAsync($"/chats/{bad}/export?format=jsonl")).StatusCode, Is.LessThan(500), $"export chat {bad}");
            Assert.That((int)(await client.GetAsync($"/chats/{chatId}/export?format={bad}")).StatusCode, Is.LessThan(500), $"export format {bad}");
        }
        var longFormat = await client.GetAsync($"/chats/{chatId}/export?format={new string('x', 5000)}");
        Assert.That(longFormat.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        var twice = await client.GetAsync($"/chats/{chatId}/export?format=jsonl&format=md");
        Assert.That((int)twice.StatusCode, Is.LessThan(500));

        // A branch without the antiforgery token is refused.
        using var forged = new HttpRequestMessage(HttpMethod.Post, $"/chats/{chatId}?handler=Branch&messageId=1") { Content = new FormUrlEncodedContent([]) };
        Assert.That((await client.Http.SendAsync(forged)).StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await FingerprintAsync(Database.ConnectionString), Is.EqualTo(before));
    }

    [Test]
    public async Task Import_WithHostileFieldsAndFiles_IsNeverAServerError_AndSavesNothing()
    {
        var client = await SignedInClient("hostile_import");
        var characterId = (await CreateCharacterAsync(client, "hostile_import", Card())).ToString();
        var good = Jsonl("""{"is_user":true,"mes":"hello"}""");
        var before = await FingerprintAsync(Database.ConnectionString);

        foreach (var bad in BadIds)
        {
            var response = await ImportAsync(client, bad, good);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), $"characterId={bad}");
        }

        var files = new (string Label, byte[] Data)[]
        {
            ("nul bytes", [0, 0, 0, (byte)'\n', 0]),
            ("deep nesting", Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("{\"a\":", 5_000)) + "1" + new string('}', 5_000))),
            ("deep array", Encoding.UTF8.GetBytes(new string('[', 20_000) + new string(']', 20_000))),
            ("huge number", Jsonl("""{"is_user":true,"mes":"a","swipes":["a"],"swipe_id":1e309}""")),
            ("nested mes", Jsonl("""{"is_user":true,"mes":{"text":"a"}}""")),
            ("lone surrogate escape", Jsonl("""{"is_user":true,"mes":"\ud800"}""")),
            ("nul escape", Jsonl("""{"is_user":true,"mes":"a\u0000b"}""")),
            ("png", [0x89, (byte)'P', (byte)'N', (byte)'G', 13, 10, 26, 10, 0, 0, 0, 13]),
            ("one huge line", Encoding.UTF8.GetBytes("{\"is_user\":true,\"mes\":\"" + new string('x', 5_000_000) + "\"}")),
            ("only newlines", Encoding.UTF8.GetBytes(new string('\n', 10_000))),
            ("too many swipes", Jsonl($$"""{"is_user":false,"mes":"a","swipes":[{{string.Join(",", Enumerable.Repeat("\"a\"", 1_001))}}],"swipe_id":0}""")),
        };
        foreach (var (label, data) in files)
        {
            var response = await ImportAsync(client, characterId, data);
            var body = await response.Content.ReadAsStringAsync();
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), label);
            Assert.That(TestClient.Parse(body).QuerySelector("#chat-import-error")!.TextContent, Does.StartWith("The chat was not imported."), label);
        }
        Assert.That(await FingerprintAsync(Database.ConnectionString), Is.EqualTo(before));

        // A hostile file name is only ever a title, cleaned.
        var chatId = await ImportOkAsync(client, long.Parse(characterId), good, "../../<b>x</b>\u0000\u202E" + new string('n', 1_000) + ".jsonl");
        var title = await ScalarAsync<string>(Database.ConnectionString, "select title from interaction.chats where id = @chatId", new { chatId });
        Assert.That(title, Has.Length.EqualTo(200).And.StartWith("Imported: b> nnn"));
        var page = TestClient.Parse((await client.GetPageAsync($"/chats/{chatId}")).Body);
        Assert.That(page.QuerySelector("h1 b"), Is.Null, "the title is text, not markup");
    }
}
