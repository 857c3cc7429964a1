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
    // context size, else the site's, passed as @siteContext). One statement instead of a short read and a second one.
    private static readonly string HistorySql = $"""
        select id, role, created_at, swipe_id, content, status, kind, reason, detail, model, edited, swipe_number, swipe_count, character_id
        from (select h.*, sum(length(h.content)) over (order by h.id desc rows unbounded preceding) as read_chars
              from ({ChatStore.HistorySql}) h) w
        where w.read_chars - length(w.content) < {CharsPerToken} * coalesce((select k.context_size from ({ConnectionStore.ForChatSql}) k), @siteContext)
        order by w.id desc
        """;

    // Four statements in one command: one round trip to PostgreSQL instead of four (each is auto-prepared on its own).
    private static readonly string Sql = string.Join(";\n",
        PersonaStore.ForChatSql, ChatPromptStore.ForTurnSql, ConnectionStore.ForChatSql, HistorySql);

    // A reply's turn claims its swipe in the same round trip (one implicit transaction: the reads see the claim's chat).
    private static readonly string ClaimAndReadSql = ChatStore.ClaimSql + ";\n" + Sql;

    /// <summary>
    /// Reads a turn's context for the reply <paramref name="before"/> (the history is what precedes it), in one round
    /// trip: the history newest first, at most <see cref="ChatStore.HistoryWindow"/> messages and no further back than
    /// <see cref="CharsPerToken"/> characters a token of the model's context. <paramref name="contextTokens"/> gives the
    /// context of a connection row (null: the site's). The prompt builder trims to the real token count.
    /// </summary>
    public static async Task<TurnContext> LoadAsync(NpgsqlConnection c, long chatId, long userId, long before, string userName,
        Func<ConnectionSecretRow?, int> contextTokens, CancellationToken ct)
    {
        await using var grid = await c.QueryMultipleAsync(new CommandDefinition(Sql,
            new { chatId, userId, before, limit = ChatStore.HistoryWindow, siteContext = contextTokens(null) }, cancellationToken: ct));
        return await ReadAsync(grid, userName);
    }

    /// <summary>
    /// Claims the reply <paramref name="messageId"/> (see <see cref="ChatStore.ClaimSql"/>) and reads its turn's
    /// context in one round trip. No claim (someone else has it, or it was stopped): (null, null), and the reads are
    /// thrown away.
    /// </summary>
    public static async Task<(GenerationClaim? Claim, TurnContext? Turn)> ClaimAndLoadAsync(NpgsqlConnection c, long chatId, long messageId,
        long userId, string userName, Func<ConnectionSecretRow?, int> contextTokens, CancellationToken ct)
    {
        await using var grid = await c.QueryMultipleAsync(new CommandDefinition(ClaimAndReadSql,
            new { chatId, userId, messageId, before = messageId, limit = ChatStore.HistoryWindow, siteContext = contextTokens(null) }, cancellationToken: ct));
        var claim = await grid.ReadSingleOrDefaultAsync<GenerationClaim>();
        var turn = await ReadAsync(grid, userName);
        return claim is null ? (null, null) : (claim, turn);
    }

    private static async Task<TurnContext> ReadAsync(SqlMapper.GridReader grid, string userName)
    {
        var persona = await grid.ReadSingleOrDefaultAsync<ChatPersona>() ?? new ChatPersona(null, userName, "", null);
        var options = await grid.ReadSingleOrDefaultAsync<ChatPromptOptions>() ?? ChatPromptOptions.Default;
        var connection = await grid.ReadSingleOrDefaultAsync<ConnectionSecretRow>();
        var history = (await grid.ReadAsync<ChatMessageView>()).AsList();
        return new TurnContext(persona, options, connection, history);
    }
}
