using Mediator;
using Npgsql;

namespace CharacterHub.Modules.Interaction.Chats;

/// <summary>Just the chat's row (null when it is not the caller's): for callers that only need to know the chat and
/// its character, without the page, the personas and the card that <see cref="GetChatPage"/> reads.</summary>
internal sealed record GetChatHeader(long ChatId, long UserId) : IQuery<ChatHeader?>;

internal sealed class GetChatHeaderHandler(NpgsqlDataSource db) : IQueryHandler<GetChatHeader, ChatHeader?>
{
    public async ValueTask<ChatHeader?> Handle(GetChatHeader query, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await ChatStore.GetChatAsync(connection, query.ChatId, query.UserId, ct: ct);
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

/// <summary>How many characters take part in a chat (a group chat has two or more).</summary>
internal sealed record GetChatGroupSize(long ChatId) : IQuery<int>;

internal sealed class GetChatGroupSizeHandler(NpgsqlDataSource db) : IQueryHandler<GetChatGroupSize, int>
{
    public async ValueTask<int> Handle(GetChatGroupSize query, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await Dapper.SqlMapper.ExecuteScalarAsync<int>(connection, new Dapper.CommandDefinition(
            "select count(*)::int from interaction.chat_members where chat_id = @ChatId", query, cancellationToken: ct));
    }
}
