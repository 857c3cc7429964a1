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

    private static async Task<TurnContext> LoadAsync(long chatId, long userId, int contextTokens)
    {
        await using var db = new NpgsqlConnection(Database.ConnectionString);
        await db.OpenAsync();
        return await TurnContextStore.LoadAsync(db, chatId, userId, long.MaxValue, "Reader", _ => contextTokens, CancellationToken.None);
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
}
