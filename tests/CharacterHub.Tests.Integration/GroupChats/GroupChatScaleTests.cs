using System.Diagnostics;
using System.Net;
using CharacterHub.Tests.Support;
using Dapper;
using Npgsql;
using static CharacterHub.Tests.Integration.Chats.ChatKit;

namespace CharacterHub.Tests.Integration.GroupChats;

/// <summary>A long group chat opens as fast as a long single chat: speakers come with the page, not per message.</summary>
public sealed class GroupChatScaleTests : IntegrationTest
{
    [Test]
    public async Task GroupChatWithTenThousandMessages_OpensWithin200Ms_ShowingEachSpeaker()
    {
        var client = await SignedInClient("longtalker");
        var ids = new List<long>();
        foreach (var name in new[] { "Ada", "Bob", "Cy" })
            ids.Add(await CreateCharacterAsync(client, "longtalker", new { name, first_message = $"{name} is here." }));
        var (_, html) = await client.GetPageAsync("/chats/new-group");
        var form = new List<KeyValuePair<string, string>> { new("__RequestVerificationToken", TestClient.AntiforgeryToken(html)!) };
        form.AddRange(ids.Select(id => new KeyValuePair<string, string>("ids", id.ToString())));
        var created = await client.Http.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/chats/new-group") { Content = new FormUrlEncodedContent(form) });
        var chatId = long.Parse(created.Headers.Location!.ToString().Split('/').Last());

        await using (var db = new NpgsqlConnection(Database.ConnectionString))
        {
            await db.ExecuteAsync(
                """
                insert into interaction.messages (chat_id, role, content, character_id)
                select @chatId, case when i % 2 = 0 then 'user' else 'assistant' end, 'message ' || i,
                       case when i % 2 = 0 then null else (@ids::bigint[])[1 + (i / 2) % 3] end
                from generate_series(1, 10000) i;
                insert into interaction.message_swipes (message_id, content, status, kind, finished_at)
                select id, content, 'complete', case role when 'user' then 'user' else 'reply' end, now()
                from interaction.messages where chat_id = @chatId and chosen_swipe_id is null;
                update interaction.messages m set chosen_swipe_id = s.id from interaction.message_swipes s
                where s.message_id = m.id and m.chat_id = @chatId and m.chosen_swipe_id is null;
                analyze interaction.messages; analyze interaction.message_swipes;
                """, new { chatId, ids = ids.ToArray() });
        }

        var best = double.MaxValue;
        string body = "";
        for (var i = 0; i < 6; i++)
        {
            var start = Stopwatch.GetTimestamp();
            var (response, page) = await client.GetPageAsync($"/chats/{chatId}");
            var ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            if (i > 0) best = Math.Min(best, ms); // the first request warms the caches
            body = page;
        }
        Assert.That(best, Is.LessThan(200), "a 10,000-message group chat opens within 200 ms");
        var speakers = TestClient.Parse(body).QuerySelectorAll("article.chat-message.assistant .chat-speaker strong").Select(s => s.TextContent).Distinct();
        Assert.That(speakers, Is.EquivalentTo(new[] { "Ada", "Bob", "Cy" }));
    }
}
