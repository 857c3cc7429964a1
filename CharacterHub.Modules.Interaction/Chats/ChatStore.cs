using System.Data;
using Dapper;
using Npgsql;

namespace CharacterHub.Modules.Interaction.Chats;

internal static class SwipeStatus
{
    public const string Pending = "pending", Streaming = "streaming", Complete = "complete", Partial = "partial", Offline = "offline";

    public static bool IsOpen(string status) => status is Pending or Streaming;
}

/// <summary>A chat the signed-in user owns. <see cref="PersonaId"/> null: the user's default persona speaks.</summary>
internal sealed record ChatHeader(long Id, long UserId, long CharacterId, string Title, DateTimeOffset CreatedAt, DateTimeOffset LastMessageAt,
    long? PersonaId);

/// <summary>One shown message: its chosen swipe with the latest revision applied.</summary>
internal sealed record ChatMessageView(
    long Id, string Role, DateTimeOffset CreatedAt, long SwipeId, string Content, string Status, string Kind,
    string? Reason, string? Detail, string? Model, bool Edited, long SwipeNumber, long SwipeCount, long? CharacterId = null)
{
    public bool IsOpen => SwipeStatus.IsOpen(Status);
}

/// <summary>A claimed generation: the swipe this request now writes, and what it is written for.</summary>
/// <remarks><see cref="Members"/> and <see cref="Queued"/> let a one-character chat skip the group work: a group prompt
/// needs two members, and only a reply the chat's speaker queue waits on starts the next speaker.</remarks>
internal sealed record GenerationClaim(long SwipeId, long MessageId, long ChatId, long CharacterId, string Kind, long? ContinuesSwipeId,
    long Members = 1, bool Queued = false);

/// <summary>The SQL of the chat slice, in one place because pages, the stream, the API and the benchmark share it.
/// Every statement that takes a chat id also takes the user id: a chat that is not yours does not exist.</summary>
internal static class ChatStore
{
    public const int PageSize = 30;

    /// <summary>History window handed to the prompt builder, which then trims to the model's context by tokens.</summary>
    public const int HistoryWindow = 200;

    public const int MaxMessageLength = 20_000;

    private const string Visible = """
        select m.id, m.role, m.created_at, s.id as swipe_id, coalesce(r.content, s.content) as content, s.status, s.kind,
               s.reason, s.detail, s.model, r.id is not null as edited,
               (select count(*) from interaction.message_swipes x where x.message_id = m.id and x.id <= s.id) as swipe_number,
               (select count(*) from interaction.message_swipes x where x.message_id = m.id) as swipe_count,
               m.character_id
        from interaction.messages m
        join interaction.message_swipes s on s.id = m.chosen_swipe_id
        left join lateral (select r.id, r.content from interaction.message_revisions r
                           where r.swipe_id = s.id order by r.id desc limit 1) r on true
        """;

    /// <summary>
    /// The prompt's history window: the shown text of each message from <paramref name="after"/> (an SQL expression)
    /// up to a cursor, newest first (parameters @chatId, @before, @limit). Unlike the page's view it skips the swipe
    /// counts (two subqueries per row, which a prompt never shows); their fields read 0. The chat's deleted ids are
    /// collected once rather than looked up per message, so the plan is the backward walk of (chat_id, id) whatever
    /// the planner guesses about the chat's size or the tombstones'.
    /// </summary>
    public static string HistorySql(string after) => $"""
        select m.id, m.role, m.created_at, s.id as swipe_id, coalesce(r.content, s.content) as content, s.status, s.kind,
               s.reason, s.detail, s.model, r.id is not null as edited, 0::bigint as swipe_number, 0::bigint as swipe_count,
               m.character_id
        from interaction.messages m
        join interaction.message_swipes s on s.id = m.chosen_swipe_id
        left join lateral (select r.id, r.content from interaction.message_revisions r
                           where r.swipe_id = s.id order by r.id desc limit 1) r on true
        where m.chat_id = @chatId and m.id < @before and m.id >= {after}
          and m.id <> all (array(select t.message_id from interaction.message_tombstones t where t.chat_id = @chatId))
        order by m.id desc limit @limit
        """;

    private const string NotDeleted = "not exists (select 1 from interaction.message_tombstones t where t.message_id = m.id)";

    public static Task<ChatHeader?> GetChatAsync(NpgsqlConnection c, long chatId, long userId, IDbTransaction? tx = null, CancellationToken ct = default) =>
        c.QuerySingleOrDefaultAsync<ChatHeader>(new CommandDefinition(
            "select id, user_id, character_id, title, created_at, last_message_at, persona_id from interaction.chats where id = @chatId and user_id = @userId",
            new { chatId, userId }, tx, cancellationToken: ct));

    /// <summary>Visible messages older than <paramref name="before"/>, newest first (callers reverse for display).</summary>
    public static async Task<List<ChatMessageView>> PageAsync(NpgsqlConnection c, long chatId, long before, int limit,
        IDbTransaction? tx = null, CancellationToken ct = default) =>
        (await c.QueryAsync<ChatMessageView>(new CommandDefinition(
            $"{Visible} where m.chat_id = @chatId and m.id < @before and {NotDeleted} order by m.id desc limit @limit",
            new { chatId, before, limit }, tx, cancellationToken: ct))).AsList();

    public static Task<ChatMessageView?> MessageAsync(NpgsqlConnection c, long chatId, long messageId, IDbTransaction? tx = null, CancellationToken ct = default) =>
        c.QuerySingleOrDefaultAsync<ChatMessageView>(new CommandDefinition(
            $"{Visible} where m.chat_id = @chatId and m.id = @messageId and {NotDeleted}", new { chatId, messageId }, tx, cancellationToken: ct));

    public static async Task<long> InsertMessageAsync(NpgsqlConnection c, IDbTransaction tx, long chatId, string role,
        IReadOnlyList<string> swipes, string status, string kind, CancellationToken ct, long? characterId = null)
    {
        // character_id: which character speaks an assistant message (in a group chat, one of several).
        var messageId = await c.ExecuteScalarAsync<long>(new CommandDefinition(
            "insert into interaction.messages (chat_id, role, content, character_id) values (@chatId, @role, @content, @characterId) returning id",
            new { chatId, role, content = swipes[0], characterId }, tx, cancellationToken: ct));
        long? first = null;
        foreach (var text in swipes)
        {
            var id = await InsertSwipeAsync(c, tx, messageId, text, status, kind, null, ct);
            first ??= id;
        }
        await c.ExecuteAsync(new CommandDefinition(
            "update interaction.messages set chosen_swipe_id = @first where id = @messageId", new { first, messageId }, tx, cancellationToken: ct));
        return messageId;
    }

    public static Task<long> InsertSwipeAsync(NpgsqlConnection c, IDbTransaction tx, long messageId, string content, string status, string kind,
        long? continuesSwipeId, CancellationToken ct) =>
        c.ExecuteScalarAsync<long>(new CommandDefinition(
            """
            insert into interaction.message_swipes (message_id, content, status, kind, continues_swipe_id, finished_at)
            values (@messageId, @content, @status, @kind, @continuesSwipeId, case when @status in ('pending', 'streaming') then null else now() end)
            returning id
            """, new { messageId, content, status, kind, continuesSwipeId }, tx, cancellationToken: ct));

    public static Task ChooseSwipeAsync(NpgsqlConnection c, IDbTransaction? tx, long messageId, long swipeId, CancellationToken ct) =>
        c.ExecuteAsync(new CommandDefinition(
            "update interaction.messages set chosen_swipe_id = @swipeId where id = @messageId", new { messageId, swipeId }, tx, cancellationToken: ct));

    public static Task TouchChatAsync(NpgsqlConnection c, IDbTransaction? tx, long chatId, CancellationToken ct) =>
        c.ExecuteAsync(new CommandDefinition(
            "update interaction.chats set last_message_at = now() where id = @chatId", new { chatId }, tx, cancellationToken: ct));

    public static Task RecordInteractionAsync(NpgsqlConnection c, IDbTransaction? tx, long characterId, long userId, long chatId, string type,
        CancellationToken ct) =>
        c.ExecuteAsync(new CommandDefinition(
            """
            insert into interaction.character_interactions (character_id, user_id, conversation_id, interaction_type)
            values (@characterId, @userId, @chatId, @type)
            """, new { characterId, userId, chatId, type }, tx, cancellationToken: ct));

    /// <summary>
    /// Takes the message's pending swipe for this request. The conditional update is the lock: of two requests (a
    /// reconnecting EventSource, a second node) only one gets the row, so a reply is never generated twice. Parameters <c>@chatId</c>, <c>@messageId</c>, <c>@userId</c>; no row when someone else claimed it, it was
    /// stopped, or the chat is not the user's. A turn runs it with its reads (<see cref="TurnContextStore"/>).
    /// </summary>
    public const string ClaimSql =
        """
            update interaction.message_swipes s set status = 'streaming', started_at = now()
            from interaction.messages m join interaction.chats ch on ch.id = m.chat_id
                 -- This commit need not wait for its WAL flush: a claim lost in a crash leaves the swipe pending (or, if it
                 -- was flushed, streaming until the abandoned-reply job closes it), and no stream survives a crash anyway.
                 cross join (select set_config('synchronous_commit', 'off', true)) as no_flush_wait
            where s.message_id = m.id and m.id = @messageId and ch.id = @chatId and ch.user_id = @userId and s.status = 'pending'
              and s.stop_requested = false
            returning s.id as swipe_id, m.id as message_id, ch.id as chat_id, coalesce(m.character_id, ch.character_id) as character_id,
                      s.kind, s.continues_swipe_id,
                      (select count(*) from interaction.chat_members cm where cm.chat_id = ch.id) as members,
                      coalesce(ch.reply_queue_after = m.id and cardinality(ch.reply_queue) > 0, false) as queued
            """;

    /// <summary>Writes the swipe's text once, when its generation ends (the only write of a swipe's content), and
    /// moves the chat up the list, in one statement: one commit (one WAL flush) instead of two. True when this call
    /// finished the swipe (false: it was already finished, or its chat is gone). The prompt inspector's record is
    /// saved apart from it, by <see cref="PromptRecords"/>.</summary>
    public static async Task<bool> FinishAsync(NpgsqlConnection c, long chatId, long swipeId, string content, string status, string? reason, string? detail,
        string? model, string? finishReason, int? promptTokens, int? completionTokens) =>
        await c.ExecuteAsync(new CommandDefinition(
            """
            with finished as (
                update interaction.message_swipes
                set content = @content, status = @status, reason = @reason, detail = @detail, model = @model,
                    finish_reason = @finishReason, prompt_tokens = @promptTokens, completion_tokens = @completionTokens, finished_at = now()
                where id = @swipeId and status in ('pending', 'streaming')
                returning id)
            update interaction.chats set last_message_at = now() where id = @chatId and exists (select 1 from finished)
            """, new { chatId, swipeId, content, status, reason, detail, model, finishReason, promptTokens, completionTokens })) > 0;

    /// <summary>The text a continuation starts from: the base swipe with its latest revision.</summary>
    public static Task<string?> SwipeTextAsync(NpgsqlConnection c, long swipeId, CancellationToken ct) =>
        c.ExecuteScalarAsync<string>(new CommandDefinition(
            """
            select coalesce((select r.content from interaction.message_revisions r where r.swipe_id = s.id order by r.id desc limit 1), s.content)
            from interaction.message_swipes s where s.id = @swipeId
            """, new { swipeId }, cancellationToken: ct));
}
