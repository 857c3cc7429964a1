using CharacterHub.FakeLlm;
using CharacterHub.Modules.Interaction.Chats;
using CharacterHub.Modules.Interaction.Connections;
using CharacterHub.Tests.Support;
using Dapper;
using Mediator;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using static CharacterHub.Tests.Integration.Chats.ChatKit;

namespace CharacterHub.Tests.Integration.Chats;

/// <summary>
/// Long replies survive the abandoned-reply job: the streaming node beats a heartbeat on the swipe, the job closes
/// only replies with no sign of life for the abandon age, and a final save that finds its swipe closed anyway keeps
/// its text. The host runs with second-sized thresholds so a "long" reply takes a few seconds.
/// </summary>
public sealed class ReplyHeartbeatTests : IntegrationTest
{
    private const double HeartbeatSeconds = 0.5, AbandonSeconds = 2;
    private FakeLlmServer model = null!;
    private TestApp host = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        model = await FakeLlmServer.StartAsync();
        host = await TestApp.StartAsync(Database.ConnectionString, settings: new Dictionary<string, string?>
        {
            ["Llm:BaseUrl"] = model.BaseUrl, ["Llm:Model"] = "fake-model", ["Llm:TimeoutSeconds"] = "10",
            ["Chats:HeartbeatSeconds"] = HeartbeatSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Chats:AbandonAfterSeconds"] = AbandonSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await host.DisposeAsync();
        await model.DisposeAsync();
    }

    [TearDown]
    public void ClearModel() => model.ClearRequests();

    private async Task<(TestClient Client, long ChatId)> ChatAsync(string username)
    {
        var client = host.CreateClient();
        await client.RegisterAsync(username);
        var characterId = await CreateCharacterAsync(client, username, new { name = "Slow", description = "Takes its time.", first_message = "Hm." });
        return (client, await StartChatAsync(client, characterId));
    }

    private async Task CloseAbandonedAsync()
    {
        await using var scope = host.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<IMediator>().Send(new CloseAbandonedReplies());
    }

    private static async Task<(string Status, string? Reason, DateTime? HeartbeatAt)> StateAsync(long swipeId)
    {
        await using var db = new NpgsqlConnection(Database.ConnectionString);
        return await db.QuerySingleAsync<(string, string?, DateTime?)>(
            "select status, reason, heartbeat_at from interaction.message_swipes where id = @swipeId", new { swipeId });
    }

    private static readonly string[] LongReply = Enumerable.Range(1, 24).Select(i => $"word{i} ").ToArray();

    [Test]
    public void Settings_AreReadFromConfiguration()
    {
        var liveness = host.Services.GetRequiredService<ReplyLiveness>();
        Assert.That(liveness.HeartbeatInterval, Is.EqualTo(TimeSpan.FromSeconds(HeartbeatSeconds)));
        Assert.That(liveness.AbandonAfter, Is.EqualTo(TimeSpan.FromSeconds(AbandonSeconds)));
        // The shared host runs the defaults: a heartbeat every 30 s, abandoned after 2 minutes.
        Assert.That(App.Services.GetRequiredService<ReplyLiveness>(), Is.EqualTo(ReplyLiveness.Default));
    }

    [Test]
    public async Task ReplyStreamingLongerThanTheAbandonAge_IsNotClosed_AndCompletes()
    {
        var (client, chatId) = await ChatAsync("patient");
        // 24 tokens at 4 a second: about 6 s, three times the abandon age.
        model.Script(new FakeLlmBehavior { Tokens = LongReply, TokensPerSecond = 4 });
        var (_, replyId) = await SendAsync(client, chatId, "Tell me everything.");
        var swipeId = (await SwipesAsync(Database.ConnectionString, replyId)).Single().Id;

        var started = DateTime.UtcNow;
        var stream = StreamAsync(client, chatId, replyId);
        var runs = 0;
        DateTime? lastBeat = null;
        while (!stream.IsCompleted)
        {
            await Task.WhenAny(stream, Task.Delay(700));
            // The job runs again and again while the reply streams, long past the abandon age.
            await CloseAbandonedAsync();
            runs++;
            var state = await StateAsync(swipeId);
            if (stream.IsCompleted) break;
            Assert.That(state.Status, Is.EqualTo("streaming"), $"closed after {(DateTime.UtcNow - started).TotalSeconds:0.0} s while still streaming");
            lastBeat = state.HeartbeatAt ?? lastBeat;
        }
        var events = await stream;

        Assert.That(DateTime.UtcNow - started, Is.GreaterThan(TimeSpan.FromSeconds(AbandonSeconds * 2)), "the reply outlived the abandon age");
        Assert.That(runs, Is.GreaterThanOrEqualTo(5));
        Assert.That(lastBeat, Is.Not.Null, "the streaming node beat a heartbeat");
        Assert.That(events[^1], Is.EqualTo(new SseEvent("done", "complete")));
        var swipe = (await SwipesAsync(Database.ConnectionString, replyId)).Single();
        Assert.That((swipe.Status, swipe.Reason, swipe.Content), Is.EqualTo(("complete", (string?)null, string.Concat(LongReply))));
    }

    [Test]
    public async Task ReplyWhoseNodeDied_NoHeartbeat_IsClosed_ALiveOneIsNot()
    {
        var (client, chatId) = await ChatAsync("orphan");
        var dead = (await SwipesAsync(Database.ConnectionString, (await SendAsync(client, chatId, "one")).ReplyId)).Single().Id;
        var beatingLongAgo = (await SwipesAsync(Database.ConnectionString, (await SendAsync(client, chatId, "two")).ReplyId)).Single().Id;
        var alive = (await SwipesAsync(Database.ConnectionString, (await SendAsync(client, chatId, "three")).ReplyId)).Single().Id;
        var neverOpened = (await SwipesAsync(Database.ConnectionString, (await SendAsync(client, chatId, "four")).ReplyId)).Single().Id;
        await using (var db = new NpgsqlConnection(Database.ConnectionString))
        {
            // Claimed 10 s ago by a node that then died: no heartbeat ever came.
            await db.ExecuteAsync("update interaction.message_swipes set status = 'streaming', started_at = now() - interval '10 seconds' where id = @dead", new { dead });
            // Beat for a while, then its node died: the last beat is older than the abandon age.
            await db.ExecuteAsync("""
                update interaction.message_swipes set status = 'streaming', started_at = now() - interval '1 hour', heartbeat_at = now() - interval '5 seconds'
                where id = @beatingLongAgo
                """, new { beatingLongAgo });
            // Claimed an hour ago, but beating: a long generation on a live node.
            await db.ExecuteAsync("""
                update interaction.message_swipes set status = 'streaming', created_at = now() - interval '1 hour', started_at = now() - interval '1 hour', heartbeat_at = now()
                where id = @alive
                """, new { alive });
            // Pending since 10 s: its page never opened the stream.
            await db.ExecuteAsync("update interaction.message_swipes set created_at = now() - interval '10 seconds' where id = @neverOpened", new { neverOpened });
        }

        await CloseAbandonedAsync();

        Assert.That((await StateAsync(dead)).Status, Is.EqualTo("partial"));
        Assert.That((await StateAsync(dead)).Reason, Is.EqualTo("failed"));
        Assert.That((await StateAsync(beatingLongAgo)).Status, Is.EqualTo("partial"));
        Assert.That((await StateAsync(neverOpened)).Status, Is.EqualTo("partial"));
        Assert.That((await StateAsync(alive)).Status, Is.EqualTo("streaming"));
    }

    [Test]
    public async Task FinalSave_OfAReplyClosedUnderIt_KeepsTheTextAsANewSwipe_AndNeverRewritesTheClosedOne()
    {
        var (client, chatId) = await ChatAsync("survivor");
        model.Script(new FakeLlmBehavior { Tokens = LongReply, TokensPerSecond = 8 });
        var (_, replyId) = await SendAsync(client, chatId, "Go on.");
        var swipeId = (await SwipesAsync(Database.ConnectionString, replyId)).Single().Id;

        // The job judges the stream dead while it is still writing (as after a database outage that stopped the
        // heartbeat): run it with an abandon age of zero once the first token has arrived.
        var closedOnce = false;
        var events = await StreamAsync(client, chatId, replyId, async e =>
        {
            if (closedOnce || e.Name != "token") return;
            closedOnce = true;
            var handler = new CloseAbandonedRepliesHandler(host.Services.GetRequiredService<NpgsqlDataSource>(),
                new ReplyLiveness(TimeSpan.FromSeconds(1), TimeSpan.Zero), NullLogger<CloseAbandonedRepliesHandler>.Instance);
            await handler.Handle(new CloseAbandonedReplies(), CancellationToken.None);
            Assert.That((await StateAsync(swipeId)).Status, Is.EqualTo("partial"), "the job closed the live swipe");
        });
        Assert.That(closedOnce, Is.True);
        Assert.That(events[^1].Name, Is.EqualTo("done"));

        var swipes = await SwipesAsync(Database.ConnectionString, replyId);
        Assert.That(swipes, Has.Count.EqualTo(2));
        // The closed swipe is exactly as the job left it.
        Assert.That((swipes[0].Id, swipes[0].Status, swipes[0].Reason, swipes[0].Content), Is.EqualTo((swipeId, "partial", (string?)"failed", "")));
        Assert.That(swipes[0].Detail, Is.EqualTo(CloseAbandonedRepliesHandler.Detail));
        // The words the model wrote are kept, complete, as the shown alternative of the same message.
        Assert.That((swipes[1].Status, swipes[1].Kind, swipes[1].Content), Is.EqualTo(("complete", "reply", string.Concat(LongReply))));
        Assert.That(await ScalarAsync<long>(Database.ConnectionString, "select chosen_swipe_id from interaction.messages where id = @replyId", new { replyId }),
            Is.EqualTo(swipes[1].Id));
        Assert.That(await ScalarAsync<long>(Database.ConnectionString, "select count(*) from interaction.swipe_prompts where swipe_id = @id", new { id = swipes[1].Id }),
            Is.EqualTo(1), "the prompt inspector still has what was sent");
        var fragment = await MessageAsync(client, chatId, replyId);
        Assert.That(fragment.QuerySelector(".chat-text")!.TextContent.Trim(), Is.EqualTo(string.Concat(LongReply).Trim()));
        Assert.That(fragment.QuerySelector(".chat-swipe-count")!.TextContent, Is.EqualTo("2/2"));
    }

    [Test]
    public async Task FinalSave_WithNothingNew_AddsNoSwipe()
    {
        var (client, chatId) = await ChatAsync("empty");
        // The model fails after a pause, so the swipe can be closed while its generation waits.
        model.Script(FakeLlmBehavior.Error(500, "nothing to say") with { HeaderDelay = TimeSpan.FromSeconds(1.5) });
        var (_, replyId) = await SendAsync(client, chatId, "Hello?");
        var swipeId = (await SwipesAsync(Database.ConnectionString, replyId)).Single().Id;
        var stream = StreamAsync(client, chatId, replyId);
        while ((await StateAsync(swipeId)).Status != "streaming") await Task.Delay(50);
        await using (var db = new NpgsqlConnection(Database.ConnectionString))
        {
            await db.ExecuteAsync("""
                update interaction.message_swipes set status = 'partial', reason = 'failed', detail = 'closed', finished_at = now() where id = @swipeId
                """, new { swipeId });
        }
        await stream;
        Assert.That(model.ChatRequests, Has.Count.EqualTo(1), "the generation ran");
        var swipes = await SwipesAsync(Database.ConnectionString, replyId);
        Assert.That(swipes.Select(s => (s.Id, s.Status, s.Detail)), Is.EqualTo(new[] { (swipeId, "partial", (string?)"closed") }));
    }
}
