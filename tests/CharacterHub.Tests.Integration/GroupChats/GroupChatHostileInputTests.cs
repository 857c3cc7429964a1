using System.Net;
using System.Text;
using CharacterHub.Tests.Support;
using static CharacterHub.Tests.Integration.Chats.ChatKit;

namespace CharacterHub.Tests.Integration.GroupChats;

/// <summary>The group chat routes sent what they should not be sent: never a 5xx, and nothing about the chat changes.</summary>
public sealed class GroupChatHostileInputTests : IntegrationTest
{
    private const string Overflow = "99999999999999999999";
    private static readonly string[] BadNumbers = ["abc", "1e309", "-1", "0", "99999999999", Overflow, "NaN", "", "%00"];
    private static readonly string[] BadText = ["a%00b", "%ED%A0%80x%FF", new string('x', 100_000), ""];

    private static async Task<HttpResponseMessage> RawPostAsync(TestClient client, string page, string action, string body)
    {
        var (_, html) = await client.GetPageAsync(page);
        var content = new StringContent($"__RequestVerificationToken={Uri.EscapeDataString(TestClient.AntiforgeryToken(html)!)}&{body}",
            Encoding.ASCII, "application/x-www-form-urlencoded");
        using var request = new HttpRequestMessage(HttpMethod.Post, action) { Content = content };
        request.Headers.Add("HX-Request", "true");
        return await client.Http.SendAsync(request);
    }

    private static async Task<string> SnapshotAsync(long chatId) => string.Join("|",
        await ScalarAsync<string>(Database.ConnectionString,
            """
            select coalesce(string_agg(character_id || ':' || position || ':' || muted, ',' order by position), '') ||
                   (select ';' || reply_order || ';' || character_id || ';' || title from interaction.chats where id = @chatId) ||
                   (select ';' || count(*) from interaction.messages where chat_id = @chatId)
            from interaction.chat_members where chat_id = @chatId
            """, new { chatId }));

    [Test]
    public async Task GroupRoutes_WithHostileInput_NeverFail_AndChangeNothing()
    {
        var me = await SignedInClient("mallory");
        var eve = await SignedInClient("eve");
        var a = await CreateCharacterAsync(me, "mallory", new { name = "Ada", first_message = "Hi." });
        var b = await CreateCharacterAsync(me, "mallory", new { name = "Bob", first_message = "Yo." });
        var theirs = await CreateCharacterAsync(eve, "eve", new { name = "Private", first_message = "Hush." });
        var created = await RawPostAsync(me, "/chats/new-group", "/chats/new-group", $"ids={a}&ids={b}");
        Assert.That(created.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
        var chatId = long.Parse(created.Headers.Location!.ToString().Split('/').Last());
        var theirChat = await StartChatAsync(eve, theirs);
        var before = await SnapshotAsync(chatId);
        var theirsBefore = await SnapshotAsync(theirChat);
        var chats = await ScalarAsync<long>(Database.ConnectionString, "select count(*) from interaction.chats");

        var failures = new List<string>();
        async Task Check(string label, Task<HttpResponseMessage> send)
        {
            var response = await send;
            if ((int)response.StatusCode >= 500) failures.Add($"{label}: {(int)response.StatusCode}");
        }

        foreach (var n in BadNumbers.Append(theirs.ToString()))
        {
            await Check($"new-group ids={n}", RawPostAsync(me, "/chats/new-group", "/chats/new-group", $"ids={n}&ids={n}&ids={a}"));
            await Check($"new-group search ids={n}", RawPostAsync(me, "/chats/new-group", "/chats/new-group?handler=Search", $"ids={n}&q=x"));
            await Check($"GET new-group ids={n}", me.Http.GetAsync($"/chats/new-group?ids={n}&q={n}"));
            foreach (var handler in new[] { "Add", "Remove", "Mute", "Move", "Speak" })
            {
                await Check($"{handler} characterId={n}", RawPostAsync(me, $"/chats/{chatId}", $"/chats/{chatId}/members?handler={handler}",
                    $"characterId={n}&muted={n}&direction={n}"));
                await Check($"{handler} on theirs", RawPostAsync(me, $"/chats/{chatId}", $"/chats/{theirChat}/members?handler={handler}",
                    $"characterId={theirs}&muted=true&direction=1"));
            }
            await Check($"Mute muted={n}", RawPostAsync(me, $"/chats/{chatId}", $"/chats/{chatId}/members?handler=Mute", $"characterId={b}&muted={n}"));
            await Check($"After after={n}", me.Http.GetAsync($"/chats/{chatId}/members?handler=After&after={n}"));
            await Check($"members id={n}", me.Http.GetAsync($"/chats/{n}/members"));
        }
        foreach (var text in BadText)
        {
            await Check($"Order order={text[..Math.Min(12, text.Length)]}", RawPostAsync(me, $"/chats/{chatId}", $"/chats/{chatId}/members?handler=Order", $"order={text}"));
            await Check($"search q={text[..Math.Min(12, text.Length)]}", me.Http.GetAsync($"/chats/{chatId}/members?q={(text.Length > 5000 ? text[..5000] : text)}"));
            await Check($"new-group q={text[..Math.Min(12, text.Length)]}", RawPostAsync(me, "/chats/new-group", "/chats/new-group?handler=Search", $"q={text}&ids={a}"));
        }
        // A thousand ids in one post: refused as too many, nothing created.
        await Check("new-group 1000 ids", RawPostAsync(me, "/chats/new-group", "/chats/new-group",
            string.Join("&", Enumerable.Range(1, 1000).Select(i => $"ids={i}"))));
        await Check("members bogus handler", RawPostAsync(me, $"/chats/{chatId}", $"/chats/{chatId}/members?handler=Bogus", "x=1"));

        Assert.That(failures, Is.Empty);
        // Muting b with a bad value is "false" at worst, and "Move" by "-1" can move b up; everything else stays.
        Assert.That(await ScalarAsync<long>(Database.ConnectionString, "select count(*) from interaction.chats"), Is.EqualTo(chats), "no chat was created");
        Assert.That(await SnapshotAsync(theirChat), Is.EqualTo(theirsBefore), "the other user's chat is untouched");
        Assert.That(await ScalarAsync<long>(Database.ConnectionString, "select count(*) from interaction.chat_members where chat_id = @chatId", new { chatId }),
            Is.EqualTo(2), $"members unchanged in number (was {before})");
        Assert.That(await ScalarAsync<string>(Database.ConnectionString, "select reply_order from interaction.chats where id = @chatId", new { chatId }), Is.EqualTo("natural"));
        Assert.That(await ScalarAsync<long>(Database.ConnectionString, "select count(*) from interaction.messages where chat_id = @chatId", new { chatId }), Is.EqualTo(2));
    }
}
