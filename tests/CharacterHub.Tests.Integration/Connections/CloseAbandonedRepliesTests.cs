using CharacterHub.Kernel.Jobs;
using CharacterHub.Modules.Interaction.Connections;
using CharacterHub.Tests.Support;
using Dapper;
using Hangfire;
using Hangfire.Storage;
using Mediator;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using static CharacterHub.Tests.Integration.Chats.ChatKit;

namespace CharacterHub.Tests.Integration.Connections;

/// <summary>interaction:close-abandoned-replies: replies whose streaming node went away are closed with words.</summary>
public sealed class CloseAbandonedRepliesTests : IntegrationTest
{
    [Test]
    public void Job_IsRegisteredAtStartUp_EveryFewMinutes()
    {
        using var connection = App.Services.GetRequiredService<JobStorage>().GetConnection();
        var job = connection.GetRecurringJobs().SingleOrDefault(j => j.Id == "interaction:close-abandoned-replies");
        Assert.That(job, Is.Not.Null);
        Assert.That(job!.Job.Type, Is.EqualTo(typeof(MediatorJob)));
        Assert.That(job.Job.Args[0], Is.TypeOf<CloseAbandonedReplies>());
        Assert.That(job.Cron, Is.EqualTo("*/5 * * * *"));
    }

    [Test]
    public async Task OldOpenReplies_BecomePartialWithAReason_RecentOnesAreLeftAlone()
    {
        var client = await SignedInClient("olga");
        var characterId = await CreateCharacterAsync(client, "olga", new { name = "Kit", description = "A test.", first_message = "Hi." });
        var chatId = await StartChatAsync(client, characterId);
        // Four replies left open (no stream was read): the page shows each as pending.
        var ids = new List<long>();
        for (var i = 0; i < 5; i++) ids.Add((await SendAsync(client, chatId, $"message {i}")).ReplyId);
        long Swipe(long messageId) => ScalarAsync<long>(Database.ConnectionString,
            "select id from interaction.message_swipes where message_id = @messageId", new { messageId }).Result;
        var (pendingOld, streamingOld, pendingNew, streamingNew, claimedLate) = (Swipe(ids[0]), Swipe(ids[1]), Swipe(ids[2]), Swipe(ids[3]), Swipe(ids[4]));

        await using (var db = new NpgsqlConnection(Database.ConnectionString))
        {
            await db.ExecuteAsync("update interaction.message_swipes set created_at = now() - interval '1 hour' where id = @pendingOld", new { pendingOld });
            await db.ExecuteAsync(
                "update interaction.message_swipes set status = 'streaming', created_at = now() - interval '1 hour', started_at = now() - interval '30 minutes' where id = @streamingOld",
                new { streamingOld });
            await db.ExecuteAsync("update interaction.message_swipes set status = 'streaming', started_at = now() where id = @streamingNew", new { streamingNew });
            // Created long ago, claimed a minute ago: its generation is young.
            await db.ExecuteAsync(
                "update interaction.message_swipes set status = 'streaming', created_at = now() - interval '1 hour', started_at = now() - interval '1 minute' where id = @claimedLate",
                new { claimedLate });
        }

        await RunAsync();

        async Task<(string Status, string? Reason, string? Detail)> StateAsync(long id)
        {
            await using var db = new NpgsqlConnection(Database.ConnectionString);
            return await db.QuerySingleAsync<(string, string?, string?)>(
                "select status, reason, detail from interaction.message_swipes where id = @id", new { id });
        }
        const string detail = "The server writing this reply went away before finishing it.";
        Assert.That(await StateAsync(pendingOld), Is.EqualTo(("partial", (string?)"failed", (string?)detail)));
        Assert.That(await StateAsync(streamingOld), Is.EqualTo(("partial", (string?)"failed", (string?)detail)));
        Assert.That((await StateAsync(pendingNew)).Status, Is.EqualTo("pending"));
        Assert.That((await StateAsync(streamingNew)).Status, Is.EqualTo("streaming"));
        Assert.That((await StateAsync(claimedLate)).Status, Is.EqualTo("streaming"));

        // The page says so in words, and a late save from the vanished node would change nothing (the swipe is closed).
        var fragment = await MessageAsync(client, chatId, ids[1]);
        Assert.That(fragment.QuerySelector(".chat-note.problem")!.TextContent, Does.Contain(detail));

        // Idempotent: a second run changes nothing.
        var before = await ScalarAsync<string>(Database.ConnectionString,
            "select string_agg(concat_ws('|', id, status, finished_at), ';' order by id) from interaction.message_swipes");
        await RunAsync();
        Assert.That(await ScalarAsync<string>(Database.ConnectionString,
            "select string_agg(concat_ws('|', id, status, finished_at), ';' order by id) from interaction.message_swipes"), Is.EqualTo(before));
    }

    [Test]
    public async Task AbandonedContinuation_KeepsTheTextItContinued()
    {
        var client = await SignedInClient("pia");
        var characterId = await CreateCharacterAsync(client, "pia", new { name = "Kit", description = "A test.", first_message = "Hi." });
        var chatId = await StartChatAsync(client, characterId);
        var (_, replyId) = await SendAsync(client, chatId, "Tell me a story.");
        await StreamAsync(client, chatId, replyId); // the offline responder finishes it
        var continued = await PostAsync(client, chatId, "Continue", replyId);
        Assert.That((int)continued.StatusCode, Is.EqualTo(200), await continued.Content.ReadAsStringAsync());
        var swipes = await SwipesAsync(Database.ConnectionString, replyId);
        var (baseSwipe, open) = (swipes[0], swipes[^1]);
        Assert.That((open.Kind, open.Status), Is.EqualTo(("continue", "pending")));
        await using (var db = new NpgsqlConnection(Database.ConnectionString))
        {
            await db.ExecuteAsync("update interaction.message_swipes set created_at = now() - interval '1 hour' where id = @id", new { id = open.Id });
        }

        await RunAsync();

        var closed = (await SwipesAsync(Database.ConnectionString, replyId))[^1];
        Assert.That((closed.Status, closed.Reason, closed.Content), Is.EqualTo(("partial", (string?)"failed", baseSwipe.Content)));
        Assert.That(closed.Content, Is.Not.Empty);
    }

    private static async Task RunAsync()
    {
        await using var scope = App.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<IMediator>().Send(new CloseAbandonedReplies());
    }
}
