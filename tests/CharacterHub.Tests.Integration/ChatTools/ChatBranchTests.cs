using System.Diagnostics;
using System.Net;
using CharacterHub.Tests.Support;
using Dapper;
using Npgsql;
using static CharacterHub.Tests.Integration.ChatTools.ChatToolsKit;
using static CharacterHub.Tests.Integration.Chats.ChatKit;

namespace CharacterHub.Tests.Integration.ChatTools;

/// <summary>Branch from a message: a new chat with copies up to it, swipes kept, the source untouched.</summary>
public sealed class ChatBranchTests : IntegrationTest
{
    [Test]
    public async Task Branch_CopiesVisibleMessagesUpToTheOne_WithSwipes_AndLeavesTheSourceAlone()
    {
        var client = await SignedInClient("brancher");
        var characterId = await CreateCharacterAsync(client, "brancher", Card());
        var chatId = await StartChatAsync(client, characterId);
        var greetingId = await ScalarAsync<long>(Database.ConnectionString, "select min(id) from interaction.messages where chat_id = @chatId", new { chatId });
        await PostAsync(client, chatId, "Swipe", greetingId, new Dictionary<string, string> { ["direction"] = "1" });

        var (one, oneReply) = await TurnAsync(client, chatId, "one");
        await RegenerateAsync(client, chatId, oneReply);
        await PostAsync(client, chatId, "Swipe", oneReply, new Dictionary<string, string> { ["direction"] = "-1" });
        await PostAsync(client, chatId, "Edit", one, new Dictionary<string, string> { ["text"] = "one, edited" });
        var (two, _) = await TurnAsync(client, chatId, "two");
        await PostAsync(client, chatId, "Delete", two);
        var (three, threeReply) = await TurnAsync(client, chatId, "three");
        var (four, _) = await TurnAsync(client, chatId, "four, after the branch point");

        var before = await FingerprintAsync(Database.ConnectionString, chatId);
        var (_, sourceExport) = await ExportAsync(client, chatId, "jsonl");
        var branchId = await BranchOkAsync(client, chatId, threeReply);
        Assert.That(branchId, Is.Not.EqualTo(chatId));

        // The source chat is exactly as it was; only new rows were added.
        Assert.That(await FingerprintAsync(Database.ConnectionString, chatId), Is.EqualTo(before), "the source's rows are unchanged");
        Assert.That(await ScalarAsync<long>(Database.ConnectionString, "select count(*) from interaction.messages where chat_id = @chatId", new { chatId }), Is.EqualTo(9));
        Assert.That((await ExportAsync(client, chatId, "jsonl")).Body.Split('\n').Skip(1), Is.EqualTo(sourceExport.Split('\n').Skip(1)));

        // The branch shows what the source showed up to the branch point: same texts, same alternatives, same choices.
        var (_, branchExport) = await ExportAsync(client, branchId, "jsonl");
        var sourceLines = MessageLines(sourceExport);
        var branchLines = MessageLines(branchExport);
        Assert.That(branchLines.Select(l => l.ToJsonString()), Is.EqualTo(sourceLines.Take(6).Select(l => l.ToJsonString())),
            "greeting, one, its reply, two's reply, three, its reply: two was deleted and four comes after the branch point");
        Assert.That(branchLines.Select(l => (string)l["mes"]!), Does.Not.Contain("two").And.Not.Contain("four, after the branch point"));
        Assert.That(branchLines[0]["swipes"]!.AsArray(), Has.Count.EqualTo(3));
        Assert.That((int)branchLines[0]["swipe_id"]!, Is.EqualTo(1), "the chosen greeting stays chosen");
        Assert.That((string)branchLines[1]["mes"]!, Is.EqualTo("one, edited"), "the latest revision is the copy's text");
        Assert.That(branchLines[2]["swipes"]!.AsArray(), Has.Count.EqualTo(2));
        Assert.That((int)branchLines[2]["swipe_id"]!, Is.EqualTo(0));

        // Stored as rows the chat can keep using: chosen swipes in the copy, new ids in order, the source linked.
        await using (var db = new NpgsqlConnection(Database.ConnectionString))
        {
            var link = await db.QuerySingleAsync<(long? Chat, long? Message, string Title, long Character)>(
                "select branched_from_chat_id, branched_from_message_id, title, character_id from interaction.chats where id = @branchId", new { branchId });
            Assert.That(link, Is.EqualTo(((long?)chatId, (long?)threeReply, "Chat with Mira (branch)", characterId)));
            Assert.That(await db.ExecuteScalarAsync<long>("""
                select count(*) from interaction.messages m join interaction.message_swipes s on s.id = m.chosen_swipe_id
                where m.chat_id = @branchId and s.message_id = m.id
                """, new { branchId }), Is.EqualTo(6), "every copied message shows one of its own copied swipes");
            Assert.That(await db.ExecuteScalarAsync<long>(
                "select count(*) from interaction.messages m where m.chat_id = @branchId and m.id < (select max(id) from interaction.messages where chat_id = @chatId)",
                new { branchId, chatId }), Is.Zero, "copies get new ids after the source's");
        }

        // The page: "Branched from" links back, and a swipe still works on a copied message.
        var page = TestClient.Parse((await client.GetPageAsync($"/chats/{branchId}")).Body);
        var origin = page.QuerySelector(".chat-origin a")!;
        Assert.That(origin.GetAttribute("href"), Is.EqualTo($"/chats/{chatId}"));
        Assert.That(origin.TextContent, Is.EqualTo("Chat with Mira"));
        var copiedReply = page.QuerySelectorAll("article.chat-message.assistant").ElementAt(1);
        Assert.That(copiedReply.QuerySelector(".chat-swipe-count")!.TextContent, Is.EqualTo("1/2"));
        var swiped = await PostAsync(client, branchId, "Swipe", long.Parse(copiedReply.GetAttribute("data-message-id")!),
            new Dictionary<string, string> { ["direction"] = "1" });
        Assert.That(TestClient.Parse(await swiped.Content.ReadAsStringAsync()).QuerySelector(".chat-swipe-count")!.TextContent, Is.EqualTo("2/2"));
        Assert.That((await ExportAsync(client, chatId, "jsonl")).Body.Split('\n').Skip(1), Is.EqualTo(sourceExport.Split('\n').Skip(1)),
            "swiping in the branch does not touch the source");
        Assert.That(await ScalarAsync<long>(Database.ConnectionString, "select count(*) from interaction.message_swipes where message_id = @four", new { four }), Is.EqualTo(1));

        // Without the source the link disappears; the branch stays.
        await client.PostFormAsync($"/chats/{chatId}", new Dictionary<string, string>(), $"/chats/{chatId}?handler=DeleteChat");
        var orphan = TestClient.Parse((await client.GetPageAsync($"/chats/{branchId}")).Body);
        Assert.That(orphan.QuerySelector(".chat-origin"), Is.Null);
        Assert.That(orphan.QuerySelectorAll("article.chat-message"), Has.Length.EqualTo(6));
    }

    [Test]
    public async Task Branch_FromAUserMessage_LeavesAnOpenReplyBehind_AndAnOpenReplyCannotBeTheBranchPoint()
    {
        var client = await SignedInClient("opener");
        var chatId = await StartChatAsync(client, await CreateCharacterAsync(client, "opener", Card()));
        var (html, pendingReply) = await SendAsync(client, chatId, "are you there?");
        var userMessage = long.Parse(TestClient.Parse(html).QuerySelector("article.chat-message.user")!.GetAttribute("data-message-id")!);

        Assert.That((await BranchAsync(client, chatId, pendingReply)).StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "an open reply has no text to branch from");
        var branchId = await BranchOkAsync(client, chatId, userMessage);
        var lines = MessageLines((await ExportAsync(client, branchId, "jsonl")).Body);
        Assert.That(lines.Select(l => (string)l["mes"]!).Last(), Is.EqualTo("are you there?"));
        Assert.That(await ScalarAsync<long>(Database.ConnectionString, """
            select count(*) from interaction.message_swipes s join interaction.messages m on m.id = s.message_id
            where m.chat_id = @branchId and s.status in ('pending', 'streaming')
            """, new { branchId }), Is.Zero);
        // The source's reply can still be written.
        var events = await StreamAsync(client, chatId, pendingReply);
        Assert.That(events[^1].Name, Is.EqualTo("done"));
    }

    [Test]
    public async Task Branch_WithoutHtmx_Redirects_AndLongTitlesStayWithinTheLimit()
    {
        var client = await SignedInClient("plainform");
        var chatId = await StartChatAsync(client, await CreateCharacterAsync(client, "plainform", Card()));
        var longTitle = new string('t', 200);
        await client.PostFormAsync($"/chats/{chatId}", new Dictionary<string, string> { ["title"] = longTitle }, $"/chats/{chatId}?handler=Rename");
        var greeting = await ScalarAsync<long>(Database.ConnectionString, "select min(id) from interaction.messages where chat_id = @chatId", new { chatId });
        var response = await BranchAsync(client, chatId, greeting, htmx: false);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
        var branchId = long.Parse(response.Headers.Location!.ToString().Split('/').Last());
        var title = await ScalarAsync<string>(Database.ConnectionString, "select title from interaction.chats where id = @branchId", new { branchId });
        Assert.That(title, Has.Length.EqualTo(200).And.EndWith(" (branch)"));
    }

    [Test]
    public async Task Branch_OfAnotherUsersChat_OrAMessageOfAnotherChat_OrADeletedMessage_IsNotFound()
    {
        var owner = await SignedInClient("owner");
        var chatId = await StartChatAsync(owner, await CreateCharacterAsync(owner, "owner", Card()));
        var (userMessage, reply) = await TurnAsync(owner, chatId, "hello");
        var otherChat = await StartChatAsync(owner, await CreateCharacterAsync(owner, "owner", Card("Other")));
        await PostAsync(owner, chatId, "Delete", userMessage);
        var eve = await SignedInClient("eve");
        await StartChatAsync(eve, await CreateCharacterAsync(eve, "eve", Card("Eve's")));
        var before = await FingerprintAsync(Database.ConnectionString);

        Assert.That((await BranchAsync(eve, chatId, reply)).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((await BranchAsync(owner, otherChat, reply)).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((await BranchAsync(owner, chatId, userMessage)).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((await BranchAsync(owner, chatId, long.MaxValue)).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(await FingerprintAsync(Database.ConnectionString), Is.EqualTo(before), "nothing was created");
        Assert.That((await eve.GetAsync($"/chats/{chatId}/export?format=jsonl")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task Branch_OfA2000MessageChat_IsOneSetBasedCopy()
    {
        var client = await SignedInClient("longchat");
        var chatId = await StartChatAsync(client, await CreateCharacterAsync(client, "longchat", Card()));
        // 2,000 messages with two swipes each (the second shown), a revision on every tenth and a tombstone on every 50th.
        await using (var db = new NpgsqlConnection(Database.ConnectionString))
        {
            await db.ExecuteAsync("""
                with m as (
                    insert into interaction.messages (chat_id, role, content)
                    select @chatId, case when g % 2 = 0 then 'user' else 'assistant' end, 'm' || g from generate_series(1, 2000) g
                    returning id, content),
                s as (
                    insert into interaction.message_swipes (message_id, content, status, kind)
                    select m.id, m.content || '/' || k, 'complete', 'reply' from m cross join generate_series(1, 2) k
                    returning id)
                select count(*) from s
                """, new { chatId });
            await db.ExecuteAsync("""
                update interaction.messages x set chosen_swipe_id = (select max(s.id) from interaction.message_swipes s where s.message_id = x.id)
                where x.chat_id = @chatId and x.content ~ '^m\d+$'
                """, new { chatId });
            await db.ExecuteAsync("""
                insert into interaction.message_revisions (swipe_id, content)
                select m.chosen_swipe_id, m.content || ' revised' from interaction.messages m
                where m.chat_id = @chatId and (case when m.content ~ '^m\d+$' then substr(m.content, 2)::int else 1 end) % 10 = 0
                """, new { chatId });
            await db.ExecuteAsync("""
                insert into interaction.message_tombstones (message_id)
                select id from interaction.messages where chat_id = @chatId and (case when content ~ '^m\d+$' then substr(content, 2)::int else 1 end) % 50 = 0
                """, new { chatId });
        }
        // m2000 is deleted: the last visible message is m1999.
        var last = await ScalarAsync<long>(Database.ConnectionString, """
            select max(id) from interaction.messages m where chat_id = @chatId
              and not exists (select 1 from interaction.message_tombstones t where t.message_id = m.id)
            """, new { chatId });

        var clock = Stopwatch.StartNew();
        var branchId = await BranchOkAsync(client, chatId, last);
        clock.Stop();
        TestContext.Out.WriteLine($"Branching 2,001 messages (4,003 swipes) took {clock.ElapsedMilliseconds} ms over HTTP.");

        var source = MessageLines((await ExportAsync(client, chatId, "jsonl")).Body);
        var branch = MessageLines((await ExportAsync(client, branchId, "jsonl")).Body);
        Assert.That(source, Has.Count.EqualTo(2001 - 40));
        Assert.That(branch.Select(l => l.ToJsonString()), Is.EqualTo(source.Select(l => l.ToJsonString())));
        Assert.That((string)branch[10]["mes"]!, Is.EqualTo("m10 revised"));
        Assert.That((int)branch[10]["swipe_id"]!, Is.EqualTo(1));
        Assert.That(branch[10]["swipes"]!.AsArray().Select(s => (string)s!), Is.EqualTo(new[] { "m10/1", "m10 revised" }));
        Assert.That(await ScalarAsync<long>(Database.ConnectionString, """
            select count(*) from interaction.message_swipes s join interaction.messages m on m.id = s.message_id where m.chat_id = @branchId
            """, new { branchId }), Is.EqualTo(3 + 1960 * 2));
    }
}
