using Mediator;
using Npgsql;

namespace CharacterHub.Modules.Interaction.Chats;

/// <summary>What the interact API checks of a conversation in one query: its character and how many characters take
/// part (a group chat has two or more). Null when the chat is not the caller's.</summary>
internal sealed record ConversationInfo(long CharacterId, int Members);

internal sealed record GetConversationInfo(long ChatId, long UserId) : IQuery<ConversationInfo?>;

internal sealed class GetConversationInfoHandler(NpgsqlDataSource db) : IQueryHandler<GetConversationInfo, ConversationInfo?>
{
    public async ValueTask<ConversationInfo?> Handle(GetConversationInfo query, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await Dapper.SqlMapper.QuerySingleOrDefaultAsync<ConversationInfo>(connection, new Dapper.CommandDefinition(
            """
            select c.character_id, (select count(*)::int from interaction.chat_members cm where cm.chat_id = c.id) as members
            from interaction.chats c where c.id = @ChatId and c.user_id = @UserId
            """, query, cancellationToken: ct));
    }
}

/// <summary>Whether the message is in the caller's chat (deleted or not): the reply stream's one check before it opens.</summary>
internal sealed record ChatMessageExists(long ChatId, long UserId, long MessageId) : IQuery<bool>;

internal sealed class ChatMessageExistsHandler(NpgsqlDataSource db) : IQueryHandler<ChatMessageExists, bool>
{
    public async ValueTask<bool> Handle(ChatMessageExists query, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await Dapper.SqlMapper.ExecuteScalarAsync<bool>(connection, new Dapper.CommandDefinition(
            """
            select exists (select 1 from interaction.messages m join interaction.chats c on c.id = m.chat_id
                           where m.id = @MessageId and c.id = @ChatId and c.user_id = @UserId)
            """, query, cancellationToken: ct));
    }
}
