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
    // Four statements in one command: one round trip to PostgreSQL instead of four (each is auto-prepared on its own).
    private static readonly string Sql = string.Join(";\n",
        PersonaStore.ForChatSql, ChatPromptStore.ForTurnSql, ConnectionStore.ForChatSql, ChatStore.HistorySql);

    // A reply's turn claims its swipe in the same round trip (one implicit transaction: the reads see the claim's chat).
    private static readonly string ClaimAndReadSql = ChatStore.ClaimSql + ";\n" + Sql;

    /// <summary>The first read takes this many messages; most chats' context is full long before that.</summary>
    public const int FirstWindow = 60;

    /// <summary>
    /// Reads a turn's context for the reply <paramref name="before"/> (the history is what precedes it). The history
    /// comes in two steps: <see cref="FirstWindow"/> messages with the rest of the context, and only when those are
    /// too short to fill <paramref name="contextTokens"/> (counted at 5 characters a token: English prose runs about 4,
    /// so the whole context, of which history gets only a part, is covered; denser scripts simply take the second read), the rest of
    /// <see cref="ChatStore.HistoryWindow"/>. The prompt builder trims to the real token count either way.
    /// </summary>
    public static async Task<TurnContext> LoadAsync(NpgsqlConnection c, long chatId, long userId, long before, string userName,
        Func<ConnectionSecretRow?, int> contextTokens, CancellationToken ct)
    {
        await using var grid = await c.QueryMultipleAsync(new CommandDefinition(Sql,
            new { chatId, userId, before, limit = FirstWindow }, cancellationToken: ct));
        return await ReadAsync(grid, c, chatId, userId, userName, contextTokens, ct);
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
            new { chatId, userId, messageId, before = messageId, limit = FirstWindow }, cancellationToken: ct));
        var claim = await grid.ReadSingleOrDefaultAsync<GenerationClaim>();
        var turn = await ReadAsync(grid, c, chatId, userId, userName, contextTokens, ct);
        return claim is null ? (null, null) : (claim, turn);
    }

    private static async Task<TurnContext> ReadAsync(SqlMapper.GridReader grid, NpgsqlConnection c, long chatId, long userId, string userName,
        Func<ConnectionSecretRow?, int> contextTokens, CancellationToken ct)
    {
        var persona = await grid.ReadSingleOrDefaultAsync<ChatPersona>() ?? new ChatPersona(null, userName, "", null);
        var options = await grid.ReadSingleOrDefaultAsync<ChatPromptOptions>() ?? ChatPromptOptions.Default;
        var connection = await grid.ReadSingleOrDefaultAsync<ConnectionSecretRow>();
        var history = (await grid.ReadAsync<ChatMessageView>()).AsList();
        await grid.DisposeAsync();
        if (history.Count == FirstWindow && history.Sum(m => (long)m.Content.Length) < contextTokens(connection) * 5L)
        {
            history.AddRange(await c.QueryAsync<ChatMessageView>(new CommandDefinition(ChatStore.HistorySql,
                new { chatId, before = history[^1].Id, limit = ChatStore.HistoryWindow - FirstWindow }, cancellationToken: ct)));
        }
        return new TurnContext(persona, options, connection, history);
    }
}
