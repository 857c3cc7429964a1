using Dapper;
using Mediator;
using Npgsql;

namespace CharacterHub.Modules.Interaction.Chats;

/// <summary>
/// Branch from a message: a new chat (same character and persona) holding copies of every visible message of the
/// source up to and including that one. The source chat is only read. Returns the new chat's id, or null when the
/// chat is not the caller's or the message is not a visible, finished message of it (404).
/// </summary>
internal sealed record BranchChat(long ChatId, long UserId, long MessageId) : Mediator.ICommand<long?>;

internal sealed class BranchChatHandler(NpgsqlDataSource db) : Mediator.ICommandHandler<BranchChat, long?>
{

    // The branch point must be a message the user sees and whose reply is finished: an open reply has no text yet.
    // The chat's settings come along (reply order, connection, author's note); a turn in progress (reply_queue) does not.
    private const string CreateChatSql = """
        insert into interaction.chats (user_id, character_id, title, persona_id, branched_from_chat_id, branched_from_message_id,
                                       reply_order, connection_id, authors_note, authors_note_depth, authors_note_role)
        select c.user_id, c.character_id, left(c.title, 191) || ' (branch)', c.persona_id, c.id, m.id, c.reply_order, c.connection_id,
               c.authors_note, c.authors_note_depth, c.authors_note_role
        from interaction.chats c
        join interaction.messages m on m.chat_id = c.id and m.id = @MessageId
        join interaction.message_swipes s on s.id = m.chosen_swipe_id
        where c.id = @ChatId and c.user_id = @UserId and s.status not in ('pending', 'streaming')
          and not exists (select 1 from interaction.message_tombstones t where t.message_id = m.id)
        returning id
        """;

    /// <summary>
    /// The copy, in one statement. Ids are drawn from the sequences up front so the old→new maps are explicit rows
    /// (no reliance on insertion order), and drawn in ascending order then paired by rank, so the copies keep the
    /// source's order. Every swipe of a copied message comes along with its latest revision as its text (the copy
    /// starts without edit history); open swipes and tombstoned messages stay behind. Foreign keys between the sibling
    /// inserts are checked at the end of the statement.
    /// Each copied message keeps its speaker (character_id), and the branch gets the source's members.
    /// </summary>
    private const string CopySql = """
        with src as materialized (
            select m.id as old_id, m.role, m.created_at, m.chosen_swipe_id, m.character_id, row_number() over (order by m.id) as rn
            from interaction.messages m
            join interaction.message_swipes c on c.id = m.chosen_swipe_id
            where m.chat_id = @ChatId and m.id <= @MessageId and c.status not in ('pending', 'streaming')
              and not exists (select 1 from interaction.message_tombstones t where t.message_id = m.id)
        ),
        message_ids as materialized (
            select v as new_id, row_number() over (order by v) as rn
            from (select nextval(pg_get_serial_sequence('interaction.messages', 'id')) as v
                  from generate_series(1, (select count(*) from src))) g
        ),
        message_map as materialized (
            select src.*, message_ids.new_id from src join message_ids using (rn)
        ),
        swipe_src as materialized (
            select s.id as old_id, mm.new_id as message_id, coalesce(r.content, s.content) as content, s.status, s.kind,
                   s.reason, s.detail, s.model, s.finish_reason, s.prompt_tokens, s.completion_tokens, s.created_at,
                   s.started_at, s.finished_at, row_number() over (order by s.id) as rn
            from message_map mm
            join interaction.message_swipes s on s.message_id = mm.old_id
            left join lateral (select r.content from interaction.message_revisions r
                               where r.swipe_id = s.id order by r.id desc limit 1) r on true
            where s.status not in ('pending', 'streaming')
        ),
        swipe_ids as materialized (
            select v as new_id, row_number() over (order by v) as rn
            from (select nextval(pg_get_serial_sequence('interaction.message_swipes', 'id')) as v
                  from generate_series(1, (select count(*) from swipe_src))) g
        ),
        swipe_map as materialized (
            select swipe_src.*, swipe_ids.new_id from swipe_src join swipe_ids using (rn)
        ),
        copied_messages as (
            insert into interaction.messages (id, chat_id, role, content, created_at, chosen_swipe_id, character_id)
            overriding system value
            select mm.new_id, @NewChatId, mm.role, sm.content, mm.created_at, sm.new_id, mm.character_id
            from message_map mm join swipe_map sm on sm.old_id = mm.chosen_swipe_id
            returning 1
        ),
        copied_swipes as (
            insert into interaction.message_swipes (id, message_id, content, status, kind, reason, detail, model, finish_reason,
                                                   prompt_tokens, completion_tokens, created_at, started_at, finished_at)
            overriding system value
            select new_id, message_id, content, status, kind, reason, detail, model, finish_reason,
                   prompt_tokens, completion_tokens, created_at, started_at, finished_at
            from swipe_map
            returning 1
        ),
        copied_members as (
            insert into interaction.chat_members (chat_id, character_id, position, muted)
            select @NewChatId, character_id, position, muted from interaction.chat_members where chat_id = @ChatId
            returning 1
        )
        select (select count(*) from copied_messages) as messages, (select count(*) from copied_swipes) as swipes
        """;

    public async ValueTask<long?> Handle(BranchChat command, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var newChatId = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(CreateChatSql, command, tx, cancellationToken: ct));
        if (newChatId is null) return null;
        await connection.ExecuteAsync(new CommandDefinition(CopySql,
            new { command.ChatId, command.MessageId, NewChatId = newChatId.Value }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        return newChatId;
    }
}

/// <summary>Where a branch came from, when the source chat still exists (it is always the same user's).</summary>
internal sealed record ChatOrigin(long ChatId, string Title, long? MessageId);

internal sealed record GetChatOrigin(long ChatId, long UserId) : IQuery<ChatOrigin?>;

internal sealed class GetChatOriginHandler(NpgsqlDataSource db) : IQueryHandler<GetChatOrigin, ChatOrigin?>
{
    private const string Sql = """
        select s.id as chat_id, s.title, c.branched_from_message_id as message_id
        from interaction.chats c join interaction.chats s on s.id = c.branched_from_chat_id and s.user_id = c.user_id
        where c.id = @ChatId and c.user_id = @UserId
        """;

    public async ValueTask<ChatOrigin?> Handle(GetChatOrigin query, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<ChatOrigin>(new CommandDefinition(Sql, query, cancellationToken: ct));
    }
}
