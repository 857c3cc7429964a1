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

    /// <summary>Reads a turn's context for the reply <paramref name="before"/> (the history is what precedes it).</summary>
    public static async Task<TurnContext> LoadAsync(NpgsqlConnection c, long chatId, long userId, long before, string userName, CancellationToken ct)
    {
        await using var grid = await c.QueryMultipleAsync(new CommandDefinition(Sql,
            new { chatId, userId, before, limit = ChatStore.HistoryWindow }, cancellationToken: ct));
        var persona = await grid.ReadSingleOrDefaultAsync<ChatPersona>() ?? new ChatPersona(null, userName, "", null);
        var options = await grid.ReadSingleOrDefaultAsync<ChatPromptOptions>() ?? ChatPromptOptions.Default;
        var connection = await grid.ReadSingleOrDefaultAsync<ConnectionSecretRow>();
        var history = (await grid.ReadAsync<ChatMessageView>()).AsList();
        return new TurnContext(persona, options, connection, history);
    }
}
