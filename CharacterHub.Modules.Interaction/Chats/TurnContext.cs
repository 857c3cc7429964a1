using CharacterHub.Modules.Interaction.Connections;
using CharacterHub.Modules.Interaction.Personas;
using Dapper;
using Npgsql;

namespace CharacterHub.Modules.Interaction.Chats;

/// <summary>What a turn reads from its chat before it builds the prompt: who the user speaks as, the chat's prompt
/// options, the model connection row (null: the site default) and the history window, newest first.</summary>
internal sealed record TurnContext(ChatPersona Persona, ChatPromptOptions Options, ConnectionSecretRow? Connection, List<ChatMessageView> History);

internal static class TurnContextStore
{
    /// <summary>Characters of history a turn reads per token of the model's context: English prose runs about 4 a
    /// token, so the whole context (of which history gets only a part) is covered; denser scripts are covered sooner.</summary>
    public const int CharsPerToken = 5;

    // The history reads back from the reply only as far as the context can use: a running sum of the messages' lengths
    // over the newest HistoryWindow messages, cut once it covers the context of the chat's model (its connection's
    // context size, else the site's, passed as @siteContext). With a cached window (HistoryCache) only the messages
    // from @after (the window's cursor) on are read, and the first row, the chat's own, says whether the window still
    // holds: the same chat (ids start again after a database reset), no message changed since (history_rev), and no
    // message below the cursor that was not there then (messages_added). Row and messages come from one statement, so
    // from one snapshot; the chat row also says the budget the messages were cut at and each message its length, so the
    // code extending a cached window cuts in the same units by the same budget. Not the chat's owner: no chat row, and
    // the caller shows no history.
    private static readonly string Budget =
        $"{CharsPerToken} * coalesce((select k.context_size from ({ConnectionStore.ForChatSql}) k), @siteContext)";

    // The chat's creation time in microseconds: which chat an id names (ids start again after a database reset).
    private const string ChatStamp = "(extract(epoch from c.created_at) * 1000000)::bigint";

    private static readonly string HistorySql = $"""
        select {ChatStamp} as chat_stamp, c.history_rev,
               c.messages_added - (select count(*) from interaction.messages n where n.chat_id = c.id and n.id >= @before) as added_below,
               c.history_rev = @cachedRev and {ChatStamp} = @cachedStamp
                   and c.messages_added - (select count(*) from interaction.messages n where n.chat_id = c.id and n.id >= @after) = @cachedAddedBelow as cached,
               ({Budget})::bigint as budget, null::bigint as chars,
               null::bigint as id, null::text as role, null::timestamptz as created_at, null::bigint as swipe_id, null::text as content,
               null::text as status, null::text as kind, null::text as reason, null::text as detail, null::text as model,
               null::boolean as edited, null::bigint as character_id
        from interaction.chats c where c.id = @chatId and c.user_id = @userId
        union all
        (select null, null, null, null, null, length(w.content),
                w.id, w.role, w.created_at, w.swipe_id, w.content, w.status, w.kind, w.reason, w.detail, w.model, w.edited, w.character_id
         from (select h.*, sum(length(h.content)) over (order by h.id desc rows unbounded preceding) as read_chars
               from ({ChatStore.HistorySql("@after")}) h) w
         where w.read_chars - length(w.content) < {Budget})
        """;

    // These statements' plans do not depend on the values bound (every lookup is by key, the history a backward walk of
    // (chat_id, id)), but PostgreSQL kept re-planning the history for each execution (0.8 ms of planning for 0.1 ms of
    // work) because its custom plans looked cheaper than the generic one. For this transaction only: the generic plans.
    private const string GenericPlans = "select set_config('plan_cache_mode', 'force_generic_plan', true)";

    // Five statements in one command: one round trip to PostgreSQL instead of five (each is auto-prepared on its own).
    private static readonly string Sql = string.Join(";\n",
        GenericPlans, PersonaStore.ForChatSql, ChatPromptStore.ForTurnSql, ConnectionStore.ForChatSql, HistorySql);

    // A reply's turn claims its swipe in the same round trip (one implicit transaction: the reads see the claim's chat).
    private static readonly string ClaimAndReadSql = ChatStore.ClaimSql + ";\n" + Sql;

    /// <summary>
    /// Reads a turn's context for the reply <paramref name="before"/> (the history is what precedes it), in one round
    /// trip: the history newest first, at most <see cref="ChatStore.HistoryWindow"/> messages and no further back than
    /// <see cref="CharsPerToken"/> characters a token of the model's context. <paramref name="siteContextTokens"/> is the
    /// site model's context, for a chat with no connection of its own. The prompt builder trims to the real token count. With a
    /// <paramref name="cache"/>, only the messages added since the chat's cached window are read when it still holds.
    /// </summary>
    public static async Task<TurnContext> LoadAsync(NpgsqlConnection c, long chatId, long userId, long before, string userName,
        int siteContextTokens, CancellationToken ct, HistoryCache? cache = null)
    {
        var cached = Usable(cache, chatId, before);
        TurnContext turn;
        List<HistoryRow> rows;
        await using (var grid = await c.QueryMultipleAsync(new CommandDefinition(Sql,
            Parameters(chatId, userId, before, siteContextTokens, cached), cancellationToken: ct)))
        {
            turn = await ReadAsync(grid, userName);
            rows = (await grid.ReadAsync<HistoryRow>()).AsList();
        }
        return await WithHistoryAsync(c, turn, rows, chatId, userId, before, siteContextTokens, cache, cached, ct);
    }

    /// <summary>
    /// Claims the reply <paramref name="messageId"/> (see <see cref="ChatStore.ClaimSql"/>) and reads its turn's
    /// context in one round trip. No claim (someone else has it, or it was stopped): no claim and no turn, and the
    /// reads are thrown away. A claim whose context could not be read after all (a whole history read, needed when the
    /// cached window no longer held, failed) comes back with the error instead of the turn: the claim is committed,
    /// so the caller must still finish the reply.
    /// </summary>
    public static async Task<(GenerationClaim? Claim, TurnContext? Turn, Exception? Error)> ClaimAndLoadAsync(NpgsqlConnection c, long chatId,
        long messageId, long userId, string userName, int siteContextTokens, CancellationToken ct, HistoryCache? cache = null)
    {
        var cached = Usable(cache, chatId, messageId);
        GenerationClaim? claim;
        TurnContext turn;
        List<HistoryRow> rows;
        await using (var grid = await c.QueryMultipleAsync(new CommandDefinition(ClaimAndReadSql,
            Parameters(chatId, userId, messageId, siteContextTokens, cached, messageId), cancellationToken: ct)))
        {
            claim = await grid.ReadSingleOrDefaultAsync<GenerationClaim>();
            turn = await ReadAsync(grid, userName);
            rows = (await grid.ReadAsync<HistoryRow>()).AsList();
        }
        if (claim is null) return (null, null, null);
        try
        {
            return (claim, await WithHistoryAsync(c, turn, rows, chatId, userId, messageId, siteContextTokens, cache, cached, ct), null);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return (claim, null, ex);
        }
    }

    private static HistoryWindow? Usable(HistoryCache? cache, long chatId, long before) =>
        cache?.Get(chatId) is { } window && window.Before <= before ? window : null;

    private static object Parameters(long chatId, long userId, long before, int siteContextTokens,
        HistoryWindow? cached, long? messageId = null) => new
    {
        chatId, userId, messageId, before, limit = ChatStore.HistoryWindow, siteContext = siteContextTokens,
        // No usable copy: values the chat's counters never take, so the statement reads the whole window.
        after = cached?.Before ?? 0L, cachedRev = cached?.Rev ?? -1L, cachedStamp = cached?.ChatStamp ?? -1L,
        cachedAddedBelow = cached?.AddedBelow ?? -1L,
    };

    private static async Task<TurnContext> WithHistoryAsync(NpgsqlConnection c, TurnContext turn, List<HistoryRow> rows,
        long chatId, long userId, long before, int siteContextTokens, HistoryCache? cache,
        HistoryWindow? cached, CancellationToken ct)
    {
        // No chat row: the chat is not this user's (or is gone); nothing is read and nothing cached is shown.
        if (rows.Find(r => r.Id is null) is not { } state) return turn;
        var window = cached is not null && state.Cached
            ? cached.Extend(before, state.HistoryRev, state.AddedBelow, Messages(rows), ChatStore.HistoryWindow, state.Budget)
            : null;
        if (cached is not null && window is null)
        {
            // The copy no longer holds (a message changed or arrived late), or it ran out before the budget did (a
            // model with a larger context since): the window read whole, a second round trip.
            cache!.Forget(chatId);
            rows = await ReadWholeAsync(c, chatId, userId, before, siteContextTokens, ct);
            if (rows.Find(r => r.Id is null) is not { } again) return turn;
            state = again;
        }
        // A whole read is already cut by the database; it reaches the chat's start when the cut left nothing out.
        window ??= HistoryWindow.Cut(state.ChatStamp, before, state.HistoryRev, state.AddedBelow, Messages(rows), throughStart: true,
            ChatStore.HistoryWindow, state.Budget)!;

        if (cache is not null)
        {
            // Only finished text is kept: an open swipe's text is still to come.
            if (window.Messages.Any(m => m.View.IsOpen)) cache.Forget(chatId);
            else cache.Put(chatId, window);
        }
        return turn with { History = window.Views() };
    }

    private static List<WindowMessage> Messages(List<HistoryRow> rows)
    {
        var messages = new List<WindowMessage>(rows.Count);
        foreach (var row in rows)
            if (row.ToView() is { } view) messages.Add(new WindowMessage(view, row.Chars ?? 0));
        messages.Sort(static (a, b) => b.View.Id.CompareTo(a.View.Id));
        return messages;
    }

    /// <summary>The history statement alone, with no cached window: every message of the window from the database.</summary>
    private static async Task<List<HistoryRow>> ReadWholeAsync(NpgsqlConnection c, long chatId, long userId, long before,
        int siteContextTokens, CancellationToken ct)
    {
        await using var grid = await c.QueryMultipleAsync(new CommandDefinition(GenericPlans + ";\n" + HistorySql,
            Parameters(chatId, userId, before, siteContextTokens, cached: null), cancellationToken: ct));
        await grid.ReadSingleAsync<string>();
        return (await grid.ReadAsync<HistoryRow>()).AsList();
    }

    private static async Task<TurnContext> ReadAsync(SqlMapper.GridReader grid, string userName)
    {
        await grid.ReadSingleAsync<string>(); // GenericPlans
        var persona = await grid.ReadSingleOrDefaultAsync<ChatPersona>() ?? new ChatPersona(null, userName, "", null);
        var options = await grid.ReadSingleOrDefaultAsync<ChatPromptOptions>() ?? ChatPromptOptions.Default;
        var connection = await grid.ReadSingleOrDefaultAsync<ConnectionSecretRow>();
        return new TurnContext(persona, options, connection, []);
    }

    /// <summary>A row of the history statement: the chat's counters, and a message unless none was read.</summary>
    private sealed class HistoryRow
    {
        public long ChatStamp { get; set; }
        public long HistoryRev { get; set; }
        public long AddedBelow { get; set; }
        public bool Cached { get; set; }
        public long Budget { get; set; }
        public long? Chars { get; set; }
        public long? Id { get; set; }
        public string? Role { get; set; }
        public DateTimeOffset CreatedAt { get; set; }
        public long SwipeId { get; set; }
        public string? Content { get; set; }
        public string? Status { get; set; }
        public string? Kind { get; set; }
        public string? Reason { get; set; }
        public string? Detail { get; set; }
        public string? Model { get; set; }
        public bool Edited { get; set; }
        public long? CharacterId { get; set; }

        public ChatMessageView? ToView() => Id is { } id
            ? new ChatMessageView(id, Role!, CreatedAt, SwipeId, Content!, Status!, Kind!, Reason, Detail, Model, Edited, 0, 0, CharacterId)
            : null;
    }
}
