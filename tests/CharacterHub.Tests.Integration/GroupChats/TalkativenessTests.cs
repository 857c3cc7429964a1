using System.Net;
using System.Text;
using CharacterHub.Tests.Support;
using static CharacterHub.Tests.Integration.Chats.ChatKit;

namespace CharacterHub.Tests.Integration.GroupChats;

/// <summary>
/// Talkativeness in natural reply order: the card's extensions.talkativeness is the default, each member's own value
/// is set in the members panel, and who is picked shows in the pending reply and the chat's queue (no stream needed:
/// the picks are made when the user's message is saved).
/// </summary>
public sealed class TalkativenessTests : IntegrationTest
{
    private sealed record Cast(TestClient Sam, long ChatId, long Ada, long Bob, long Cy);

    /// <summary>Ada's card has no talkativeness (0.5), Bob's says "1" as SillyTavern writes it (a string), Cy's 0.</summary>
    private async Task<Cast> CastAsync(string username)
    {
        var sam = await SignedInClient(username);
        var ada = await CreateCharacterAsync(sam, username, new { name = "Ada", first_message = "Ada nods." });
        var bob = await CreateCharacterAsync(sam, username, new { name = "Bob", first_message = "Bob waves.", extensions = new { talkativeness = "1" } });
        var cy = await CreateCharacterAsync(sam, username, new { name = "Cy", first_message = "Mrow.", extensions = new { talkativeness = 0 } });
        var (_, html) = await sam.GetPageAsync("/chats/new-group");
        var form = new List<KeyValuePair<string, string>> { new("__RequestVerificationToken", TestClient.AntiforgeryToken(html)!) };
        form.AddRange(new[] { ada, bob, cy }.Select(id => new KeyValuePair<string, string>("ids", id.ToString())));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/chats/new-group") { Content = new FormUrlEncodedContent(form) };
        var response = await sam.Http.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), await response.Content.ReadAsStringAsync());
        return new Cast(sam, long.Parse(response.Headers.Location!.ToString().Split('/').Last()), ada, bob, cy);
    }

    private static Task<HttpResponseMessage> SetAsync(TestClient client, long chatId, long characterId, string value, bool htmx = true) =>
        client.PostFormAsync($"/chats/{chatId}", new Dictionary<string, string> { ["characterId"] = characterId.ToString(), ["talkativeness"] = value },
            $"/chats/{chatId}/members?handler=Talkativeness", htmx);

    /// <summary>Who replies to <paramref name="text"/>: the pending reply's speaker, then the queue.</summary>
    private static async Task<long[]> SpeakersAsync(TestClient client, long chatId, string text)
    {
        var (_, replyId) = await SendAsync(client, chatId, text);
        var first = await ScalarAsync<long>(Database.ConnectionString, "select character_id from interaction.messages where id = @replyId", new { replyId });
        var queue = await ScalarAsync<long[]>(Database.ConnectionString,
            "select reply_queue from interaction.chats where id = @chatId and (reply_queue_after = @replyId or reply_queue_after is null)", new { chatId, replyId });
        return [first, .. queue];
    }

    private static async Task<string> MembersSnapshotAsync(long chatId) => await ScalarAsync<string>(Database.ConnectionString,
        "select string_agg(character_id || ':' || coalesce(talkativeness::text, 'card'), ',' order by position) from interaction.chat_members where chat_id = @chatId",
        new { chatId });

    [Test]
    public async Task Natural_MentionedFirst_ThenTalkativeMembers_CardDefaultsAndOwnValues()
    {
        var c = await CastAsync("talky");

        // The panel shows each member's talkativeness: empty (the card's) with the card's value as the placeholder.
        var panel = TestClient.Parse((await c.Sam.GetPageAsync($"/chats/{c.ChatId}/members")).Body);
        string Placeholder(long id) => panel.QuerySelector($"#talk-{id}")!.GetAttribute("placeholder")!;
        Assert.That((Placeholder(c.Ada), Placeholder(c.Bob), Placeholder(c.Cy)), Is.EqualTo(("0.5", "1", "0")));
        Assert.That(panel.QuerySelector($"#talk-{c.Bob}")!.GetAttribute("value"), Is.Empty);

        // Ada is mentioned and speaks first; Bob (card: 1) always speaks up; Cy (card: 0) never does.
        Assert.That(await SpeakersAsync(c.Sam, c.ChatId, "Ada, what do you think?"), Is.EqualTo(new[] { c.Ada, c.Bob }));

        // Bob turned silent, Cy made talkative, in this chat only: now Ada (asked) and Cy.
        var set = await SetAsync(c.Sam, c.ChatId, c.Bob, "0");
        Assert.That(set.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var fragment = TestClient.Parse(await set.Content.ReadAsStringAsync());
        Assert.That(fragment.QuerySelector($"#talk-{c.Bob}")!.GetAttribute("value"), Is.EqualTo("0"));
        Assert.That((await SetAsync(c.Sam, c.ChatId, c.Cy, "1,0")).StatusCode, Is.EqualTo(HttpStatusCode.OK), "a decimal comma is fine");
        Assert.That(await MembersSnapshotAsync(c.ChatId), Is.EqualTo($"{c.Ada}:card,{c.Bob}:0,{c.Cy}:1"));
        Assert.That(await SpeakersAsync(c.Sam, c.ChatId, "ada?"), Is.EqualTo(new[] { c.Ada, c.Cy }));

        // Nobody mentioned: Cy (1) speaks; Ada spoke last and sits the roll out; Bob (0) stays quiet.
        Assert.That(await SpeakersAsync(c.Sam, c.ChatId, "and now?"), Is.EqualTo(new[] { c.Cy }));

        // Empty goes back to the card's value; without script a good post goes back to the chat.
        var reset = await SetAsync(c.Sam, c.ChatId, c.Bob, "", htmx: false);
        Assert.That(reset.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
        Assert.That(reset.Headers.Location!.ToString(), Does.EndWith($"/chats/{c.ChatId}"));
        Assert.That(await MembersSnapshotAsync(c.ChatId), Is.EqualTo($"{c.Ada}:card,{c.Bob}:card,{c.Cy}:1"));
    }

    [Test]
    public async Task Talkativeness_BadValues_SayWhy_OthersChatsAndStrangersAreNotFound_NothingChanges()
    {
        var c = await CastAsync("careful");
        await SetAsync(c.Sam, c.ChatId, c.Ada, "0.25");
        var before = await MembersSnapshotAsync(c.ChatId);

        foreach (var bad in new[] { "abc", "1.5", "-0.1", "NaN", "Infinity", "1e309", "0x1", "½", new string('9', 5_000) })
        {
            var response = await SetAsync(c.Sam, c.ChatId, c.Ada, bad);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), bad);
            var problem = TestClient.Parse(await response.Content.ReadAsStringAsync()).QuerySelector("#group-panel .error")?.TextContent;
            Assert.That(problem, Does.Contain("number from 0"), bad.Length > 20 ? "long" : bad);
        }
        // Without script the members page says it too.
        var plain = await SetAsync(c.Sam, c.ChatId, c.Ada, "lots", htmx: false);
        Assert.That(plain.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(TestClient.Parse(await plain.Content.ReadAsStringAsync()).QuerySelector(".error")!.TextContent, Does.Contain("number from 0"));

        // Another user: the chat does not exist for them; a character that is not a member is not found either.
        var eve = await SignedInClient("eve_talk");
        var evesCharacter = await CreateCharacterAsync(eve, "eve_talk", new { name = "Eve", first_message = "Hi." });
        var evesChat = await StartChatAsync(eve, evesCharacter);
        Assert.That((await eve.PostFormAsync($"/chats/{evesChat}", new Dictionary<string, string> { ["characterId"] = c.Ada.ToString(), ["talkativeness"] = "1" },
            $"/chats/{c.ChatId}/members?handler=Talkativeness", htmx: true)).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((await SetAsync(c.Sam, c.ChatId, evesCharacter, "1")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));

        // Wrong types and overflowing ids: never a 5xx.
        var (_, html) = await c.Sam.GetPageAsync($"/chats/{c.ChatId}/members");
        var token = Uri.EscapeDataString(TestClient.AntiforgeryToken(html)!);
        foreach (var (chat, body) in new[]
                 {
                     (c.ChatId.ToString(), "characterId=abc&talkativeness=1"),
                     (c.ChatId.ToString(), "characterId=99999999999999999999&talkativeness=1"),
                     (c.ChatId.ToString(), $"characterId={c.Ada}&talkativeness=%ED%A0%80%FF"),
                     (c.ChatId.ToString(), $"characterId={c.Ada}&talkativeness=0.5%00"),
                     ("99999999999999999999", $"characterId={c.Ada}&talkativeness=1"),
                 })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/chats/{chat}/members?handler=Talkativeness")
            {
                Content = new StringContent($"__RequestVerificationToken={token}&{body}", Encoding.ASCII, "application/x-www-form-urlencoded"),
            };
            request.Headers.Add("HX-Request", "true");
            var response = await c.Sam.Http.SendAsync(request);
            Assert.That((int)response.StatusCode, Is.LessThan(500), body);
            Assert.That(await MembersSnapshotAsync(c.ChatId), Is.EqualTo(before), body);
        }
        Assert.That(await MembersSnapshotAsync(c.ChatId), Is.EqualTo(before));
        Assert.That(before, Does.Contain($"{c.Ada}:0.25"));
    }
}
