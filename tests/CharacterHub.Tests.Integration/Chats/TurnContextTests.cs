using CharacterHub.Modules.Interaction.Chats;
using Dapper;
using Npgsql;

namespace CharacterHub.Tests.Integration.Chats;

/// <summary>A turn reads its history in one statement, back only as far as the model's context can use.</summary>
public sealed class TurnContextTests : IntegrationTest
{
    private async Task<(long ChatId, long UserId)> ChatWithAsync(string username, int messages, int length)
    {
        using var client = await SignedInClient(username);
        var characterId = await ChatKit.CreateCharacterAsync(client, username, new { name = "Lena", first_message = "Hi." });
        var chatId = await ChatKit.StartChatAsync(client, characterId);
        await using var db = new NpgsqlConnection(Database.ConnectionString);
        var userId = await db.ExecuteScalarAsync<long>("select id from accounts.users where username = @username", new { username });
        await db.ExecuteAsync("""
            with m as (
                insert into interaction.messages (chat_id, role, content)
                select @chatId, case when n % 2 = 0 then 'user' else 'assistant' end, 'message ' || n || ' ' || repeat('x', @length)
                from generate_series(1, @messages) n order by n
                returning id, role, content)
            insert into interaction.message_swipes (message_id, content, status, kind, finished_at)
            select id, content, 'complete', case role when 'user' then 'user' else 'reply' end, now() from m
            """, new { chatId, messages, length });
        await db.ExecuteAsync("""
            update interaction.messages m set chosen_swipe_id = s.id from interaction.message_swipes s
            where s.message_id = m.id and m.chat_id = @chatId and m.chosen_swipe_id is null
            """, new { chatId });
        return (chatId, userId);
    }

    private static async Task<TurnContext> LoadAsync(long chatId, long userId, int contextTokens, long before = long.MaxValue,
        HistoryCache? cache = null)
    {
        await using var db = new NpgsqlConnection(Database.ConnectionString);
        await db.OpenAsync();
        return await TurnContextStore.LoadAsync(db, chatId, userId, before, "Reader", contextTokens, CancellationToken.None, cache);
    }

    private static async Task<long> AppendAsync(long chatId, string content, string status = "complete", long? id = null)
    {
        await using var db = new NpgsqlConnection(Database.ConnectionString);
        // The message with its id chosen up front and its swipe in one statement, as a send writes them.
        return await db.ExecuteScalarAsync<long>("""
            with ids as (select coalesce(@id, nextval(pg_get_serial_sequence('interaction.messages', 'id'))) as message_id,
                                nextval(pg_get_serial_sequence('interaction.message_swipes', 'id')) as swipe_id),
                 m as (insert into interaction.messages (id, chat_id, role, content, chosen_swipe_id) overriding system value
                       select message_id, @chatId, 'user', @content, swipe_id from ids returning id),
                 s as (insert into interaction.message_swipes (id, message_id, content, status, kind, finished_at) overriding system value
                       select swipe_id, message_id, @content, @status, 'user', case when @status = 'complete' then now() end from ids)
            select id from m
            """, new { chatId, content, status, id });
    }

    private static async Task<long> NextIdAsync()
    {
        await using var db = new NpgsqlConnection(Database.ConnectionString);
        return await db.ExecuteScalarAsync<long>("select max(id) + 1 from interaction.messages");
    }

    /// <summary>The same read with no cache: what the cached read must equal.</summary>
    private static async Task AssertSameAsWholeReadAsync(TurnContext cached, long chatId, long userId, int contextTokens, long before)
    {
        var whole = await LoadAsync(chatId, userId, contextTokens, before);
        Assert.That(cached.History, Is.EqualTo(whole.History), "the cached window equals a whole read");
    }

    /// <summary>Changes a message's shown text (keeping its length, so the window is cut the same) behind the triggers'
    /// back: only a read that uses the cache misses it.</summary>
    private static async Task RewriteBehindTheCacheAsync(long messageId, string content)
    {
        await using var db = new NpgsqlConnection(Database.ConnectionString);
        await db.OpenAsync();
        await using var tx = await db.BeginTransactionAsync();
        await db.ExecuteAsync("set local session_replication_role = replica", transaction: tx);
        await db.ExecuteAsync("""
            update interaction.message_swipes s set content = rpad(@content, length(s.content), 'y') from interaction.messages m
            where m.id = @messageId and s.id = m.chosen_swipe_id
            """, new { messageId, content }, tx);
        await tx.CommitAsync();
    }

    [Test]
    public async Task Long_messages_fill_the_context_from_the_first_read()
    {
        var (chatId, userId) = await ChatWithAsync("ctx_long", 300, 2_000);
        var turn = await LoadAsync(chatId, userId, 8192);
        // ~2,010 characters a message: 8,192 tokens × 5 characters are covered by 21 messages, and no more are read.
        var budget = 8192L * TurnContextStore.CharsPerToken;
        Assert.That(turn.History.Sum(m => (long)m.Content.Length), Is.GreaterThanOrEqualTo(budget), "the context is covered");
        Assert.That(turn.History.Take(turn.History.Count - 1).Sum(m => (long)m.Content.Length), Is.LessThan(budget), "nothing beyond it was read");
        Assert.That(turn.History, Has.Count.EqualTo(21));
        Assert.That(turn.History[0].Content, Does.StartWith("message 300 "), "newest first");
        Assert.That(turn.Persona.Name, Is.EqualTo("Reader"));
    }

    [Test]
    public async Task Short_messages_are_read_further_back_up_to_the_window()
    {
        var (chatId, userId) = await ChatWithAsync("ctx_short", 300, 10);
        var turn = await LoadAsync(chatId, userId, 8192);
        Assert.That(turn.History, Has.Count.EqualTo(ChatStore.HistoryWindow));
        Assert.That(turn.History.Select(m => m.Id), Is.Ordered.Descending, "one newest-first list across both reads");
        Assert.That(turn.History.Select(m => m.Id).Distinct().Count(), Is.EqualTo(ChatStore.HistoryWindow), "no message read twice");
    }

    [Test]
    public async Task A_connection_with_a_bigger_context_reads_further_back()
    {
        var (chatId, userId) = await ChatWithAsync("ctx_conn", 300, 2_000);
        await using var db = new NpgsqlConnection(Database.ConnectionString);
        var connectionId = await db.ExecuteScalarAsync<long>("""
            insert into interaction.llm_connections (user_id, name, base_url, model, context_size, is_default)
            values (@userId, 'Big', 'https://models.example/v1', 'big', 32768, true) returning id
            """, new { userId });
        Assert.That(connectionId, Is.GreaterThan(0));
        var turn = await LoadAsync(chatId, userId, 8192);
        Assert.That(turn.Connection?.ContextSize, Is.EqualTo(32768));
        Assert.That(turn.History, Has.Count.EqualTo(82), "32,768 tokens × 5 characters of ~2,010-character messages");
    }

    [Test]
    public async Task A_short_chat_is_read_whole_once()
    {
        var (chatId, userId) = await ChatWithAsync("ctx_small", 20, 10);
        var turn = await LoadAsync(chatId, userId, 8192);
        Assert.That(turn.History, Has.Count.EqualTo(21), "20 seeded messages and the greeting");
    }

    [Test]
    public async Task A_cached_window_reads_only_what_was_added_and_equals_a_whole_read()
    {
        var (chatId, userId) = await ChatWithAsync("ctx_cache", 300, 400);
        var cache = new HistoryCache();
        var before = await NextIdAsync();
        var first = await LoadAsync(chatId, userId, 8192, before, cache);
        Assert.That(cache.Get(chatId), Is.Not.Null, "a finished window is kept");

        var oldest = first.History[^1].Id;
        await RewriteBehindTheCacheAsync(oldest, "rewritten without the triggers");
        var added = await AppendAsync(chatId, "a new message");
        var next = await LoadAsync(chatId, userId, 8192, before + 1, cache);
        Assert.That(next.History[0].Id, Is.EqualTo(added), "the new message is read");
        Assert.That(next.History.Single(m => m.Id == oldest).Content, Does.Not.Contain("rewritten"),
            "the older messages came from the cache, not the database");
        var whole = await LoadAsync(chatId, userId, 8192, before + 1);
        Assert.That(whole.History.Single(m => m.Id == oldest).Content, Does.Contain("rewritten"), "an uncached read sees the change");
        Assert.That(next.History.Select(m => m.Id), Is.EqualTo(whole.History.Select(m => m.Id)), "the same messages, cut the same way");
    }

    [Test]
    public async Task An_edit_a_delete_or_another_swipe_of_an_older_message_is_seen_by_the_next_cached_read()
    {
        var (chatId, userId) = await ChatWithAsync("ctx_cache_change", 40, 50);
        var cache = new HistoryCache();
        var before = await NextIdAsync();
        var turn = await LoadAsync(chatId, userId, 8192, before, cache);
        var (edited, deleted, swiped) = (turn.History[5].Id, turn.History[9].Id, turn.History[12].Id);
        await using var db = new NpgsqlConnection(Database.ConnectionString);

        await db.ExecuteAsync("""
            insert into interaction.message_revisions (swipe_id, content)
            select chosen_swipe_id, 'an edited line' from interaction.messages where id = @edited
            """, new { edited });
        turn = await LoadAsync(chatId, userId, 8192, before, cache);
        Assert.That(turn.History.Single(m => m.Id == edited).Content, Is.EqualTo("an edited line"));
        Assert.That(turn.History.Single(m => m.Id == edited).Edited, Is.True);

        await db.ExecuteAsync("insert into interaction.message_tombstones (message_id) values (@deleted)", new { deleted });
        turn = await LoadAsync(chatId, userId, 8192, before, cache);
        Assert.That(turn.History.Select(m => m.Id), Does.Not.Contain(deleted));

        await db.ExecuteAsync("""
            with s as (insert into interaction.message_swipes (message_id, content, status, kind, finished_at)
                       values (@swiped, 'the other swipe', 'complete', 'regenerate', now()) returning id, message_id)
            update interaction.messages m set chosen_swipe_id = s.id from s where m.id = s.message_id
            """, new { swiped });
        turn = await LoadAsync(chatId, userId, 8192, before, cache);
        Assert.That(turn.History.Single(m => m.Id == swiped).Content, Is.EqualTo("the other swipe"));

        await db.ExecuteAsync("delete from interaction.message_tombstones where message_id = @deleted", new { deleted });
        turn = await LoadAsync(chatId, userId, 8192, before, cache);
        Assert.That(turn.History.Select(m => m.Id), Does.Contain(deleted), "an undone delete shows again");
        await AssertSameAsWholeReadAsync(turn, chatId, userId, 8192, before);
    }

    [Test]
    public async Task A_message_committed_after_a_newer_one_is_not_lost_by_the_cache()
    {
        var (chatId, userId) = await ChatWithAsync("ctx_cache_late", 10, 20);
        var cache = new HistoryCache();
        // A slow writer takes its id first but commits after a later message is written and read.
        await using var db = new NpgsqlConnection(Database.ConnectionString);
        var late = await db.ExecuteScalarAsync<long>("select nextval(pg_get_serial_sequence('interaction.messages', 'id'))");
        var early = await AppendAsync(chatId, "early");
        Assert.That(early, Is.GreaterThan(late));
        var before = early + 1;
        var turn = await LoadAsync(chatId, userId, 8192, before, cache);
        Assert.That(turn.History[0].Id, Is.EqualTo(early));
        Assert.That(cache.Get(chatId), Is.Not.Null);

        await AppendAsync(chatId, "late", id: late);
        turn = await LoadAsync(chatId, userId, 8192, before, cache);
        Assert.That(turn.History.Select(m => m.Id), Does.Contain(late), "seen once it is committed");
        await AssertSameAsWholeReadAsync(turn, chatId, userId, 8192, before);
    }

    [Test]
    public async Task A_larger_context_than_the_cached_window_covers_reads_the_window_whole()
    {
        var (chatId, userId) = await ChatWithAsync("ctx_cache_grow", 300, 2_000);
        var cache = new HistoryCache();
        var before = await NextIdAsync();
        var small = await LoadAsync(chatId, userId, 8192, before, cache);
        Assert.That(small.History, Has.Count.EqualTo(21));
        var large = await LoadAsync(chatId, userId, 32768, before, cache);
        Assert.That(large.History, Has.Count.EqualTo(82));
        await AssertSameAsWholeReadAsync(large, chatId, userId, 32768, before);
    }

    [Test]
    public async Task A_window_with_an_open_reply_is_not_kept_and_another_users_chat_reads_nothing()
    {
        var (chatId, userId) = await ChatWithAsync("ctx_cache_open", 10, 20);
        await AppendAsync(chatId, "", status: "streaming");
        var cache = new HistoryCache();
        var turn = await LoadAsync(chatId, userId, 8192, await NextIdAsync(), cache);
        Assert.That(turn.History[0].IsOpen, Is.True);
        Assert.That(cache.Get(chatId), Is.Null, "an open swipe's text is still to come");

        var (_, otherUser) = await ChatWithAsync("ctx_cache_other", 3, 20);
        await LoadAsync(chatId, userId, 8192, long.MaxValue - 1, cache);
        var foreign = await LoadAsync(chatId, otherUser, 8192, long.MaxValue - 1, cache);
        Assert.That(foreign.History, Is.Empty, "a chat that is not yours has no history, cached or not");
    }

    [Test]
    public async Task A_cached_window_is_cut_by_the_chats_own_model_context()
    {
        // The caller's idea of the context (8,192 here) is not what cuts: the chat's connection (32,768) is.
        var (chatId, userId) = await ChatWithAsync("ctx_cache_conn", 300, 2_000);
        await using var db = new NpgsqlConnection(Database.ConnectionString);
        await db.ExecuteAsync("""
            insert into interaction.llm_connections (user_id, name, base_url, model, context_size, is_default)
            values (@userId, 'Big', 'https://models.example/v1', 'big', 32768, true)
            """, new { userId });
        var cache = new HistoryCache();
        var before = await NextIdAsync();
        var first = await LoadAsync(chatId, userId, 8192, before, cache);
        Assert.That(first.History, Has.Count.EqualTo(82));
        await AppendAsync(chatId, "one more " + new string('y', 2_000));
        var next = await LoadAsync(chatId, userId, 8192, before + 1, cache);
        await AssertSameAsWholeReadAsync(next, chatId, userId, 8192, before + 1);
        Assert.That(next.History, Has.Count.EqualTo(82));
    }
}
