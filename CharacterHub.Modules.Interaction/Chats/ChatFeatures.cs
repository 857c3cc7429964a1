using CharacterHub.Kernel.Contracts.Characters;
using CharacterHub.Modules.Interaction.Personas;
using Dapper;
using Mediator;
using Npgsql;

namespace CharacterHub.Modules.Interaction.Chats;

// The chat slice's requests. Each takes the user id: a chat that is not the caller's answers null / false (404).

internal sealed record CreateChat(long UserId, long CharacterId, string UserName) : ICommand<long?>;

internal sealed class CreateChatHandler(NpgsqlDataSource db, IMediator mediator) : ICommandHandler<CreateChat, long?>
{
    public async ValueTask<long?> Handle(CreateChat command, CancellationToken ct)
    {
        var character = await mediator.Send(new GetCharacterForChat(command.CharacterId, command.UserId), ct);
        if (character is null) return null;
        var title = $"Chat with {character.Name}";
        if (title.Length > 200) title = title[..200];
        var name = GroupChats.DisplayName(character);

        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        // A new chat starts with the default persona and keeps it, so changing the default later leaves this chat's
        // voice alone; the greeting already names it.
        var persona = await connection.QuerySingleOrDefaultAsync<ChatPersona>(new CommandDefinition(
            PersonaStore.DefaultSql, new { command.UserId }, tx, cancellationToken: ct));
        var userName = persona?.Name ?? command.UserName;
        // SillyTavern fills {{char}} / {{user}} in greetings when the chat starts; the stored greeting is what was shown.
        var greetings = character.AlternateGreetings.Prepend(character.FirstMessage)
            .Select(g => g.Replace("{{char}}", name, StringComparison.OrdinalIgnoreCase).Replace("{{user}}", userName, StringComparison.OrdinalIgnoreCase))
            .Where(g => !string.IsNullOrWhiteSpace(g))
            .ToList();
        var chatId = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "insert into interaction.chats (user_id, character_id, title, persona_id) values (@UserId, @CharacterId, @title, @personaId) returning id",
            new { command.UserId, command.CharacterId, title, personaId = persona?.Id }, tx, cancellationToken: ct));
        await GroupChats.AddMemberRowAsync(connection, tx, chatId, command.CharacterId, ct);
        if (greetings.Count > 0)
            await ChatStore.InsertMessageAsync(connection, tx, chatId, "assistant", greetings, SwipeStatus.Complete, "greeting", ct, command.CharacterId);
        await ChatStore.RecordInteractionAsync(connection, tx, command.CharacterId, command.UserId, chatId, "chat_started", ct);
        await tx.CommitAsync(ct);
        return chatId;
    }
}

/// <summary>The chat page: the header, the character (null when it is no longer readable), the latest page in chat
/// order, who the user speaks as, and the personas the selector offers.</summary>
internal sealed record ChatPage(ChatHeader Chat, ChatCharacter? Character, IReadOnlyList<ChatMessageView> Messages, bool HasOlder,
    ChatPersona Persona, IReadOnlyList<PersonaView> Personas, GroupInfo Group)
{
    public string CharacterName => Character is null ? "(unavailable character)"
        : GroupChats.DisplayName(Character);
}

/// <summary><see cref="UserName"/> is who the user is when they have no persona (the account name).</summary>
internal sealed record GetChatPage(long ChatId, long UserId, long? Before = null, string UserName = "User") : IQuery<ChatPage?>;

internal sealed class GetChatPageHandler(NpgsqlDataSource db, IMediator mediator, GroupChats groups) : IQueryHandler<GetChatPage, ChatPage?>
{
    public async ValueTask<ChatPage?> Handle(GetChatPage query, CancellationToken ct)
    {
        ChatHeader? chat;
        List<ChatMessageView> page;
        ChatPersona persona;
        IReadOnlyList<PersonaView> personas;
        GroupInfo group;
        await using (var connection = await db.OpenConnectionAsync(ct))
        {
            chat = await ChatStore.GetChatAsync(connection, query.ChatId, query.UserId, ct: ct);
            if (chat is null) return null;
            // One more than a page tells whether "load older" has anything to load.
            // Before = 0 asks for no messages (a fragment wants only the names): nothing to read.
            page = query.Before == 0 ? [] : await ChatStore.PageAsync(connection, chat.Id, query.Before ?? long.MaxValue, ChatStore.PageSize + 1, ct: ct);
            persona = await PersonaStore.ResolveAsync(connection, chat.Id, query.UserId, query.UserName, ct);
            personas = query.Before == 0 ? [] : await PersonaStore.ListAsync(connection, query.UserId, ct);
            group = await groups.InfoAsync(connection, chat.Id, query.UserId, page, ct);
        }
        var hasOlder = page.Count > ChatStore.PageSize;
        if (hasOlder) page.RemoveAt(page.Count - 1);
        page.Reverse();
        // The members were just read through the version-checked cache; the primary is one of them.
        var character = group.Members.FirstOrDefault(m => m.CharacterId == chat.CharacterId)?.Character
                        ?? await mediator.Send(new GetCharacterForChat(chat.CharacterId, query.UserId), ct);
        return new ChatPage(chat, character, page, hasOlder, persona, personas, group);
    }
}

internal sealed record GetChatMessage(long ChatId, long UserId, long MessageId) : IQuery<ChatMessageView?>;

internal sealed class GetChatMessageHandler(NpgsqlDataSource db) : IQueryHandler<GetChatMessage, ChatMessageView?>
{
    public async ValueTask<ChatMessageView?> Handle(GetChatMessage query, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await ChatStore.GetChatAsync(connection, query.ChatId, query.UserId, ct: ct) is null
            ? null
            : await ChatStore.MessageAsync(connection, query.ChatId, query.MessageId, ct: ct);
    }
}

/// <summary><see cref="Reply"/> is null when nobody replies (a group chat whose members are all muted).</summary>
/// <summary>A sent message and the reply it started. <see cref="PersonaName"/> is who the user speaks as in this chat
/// (null: no persona, the account name); <see cref="Group"/> tells a group chat.</summary>
internal sealed record SentMessage(long ChatId, long CharacterId, ChatMessageView UserMessage, ChatMessageView? Reply,
    string? PersonaName = null, bool Group = false);

internal abstract record SendOutcome
{
    public sealed record Sent(SentMessage Message) : SendOutcome;
    public sealed record Invalid(string Problem) : SendOutcome;
    public sealed record NotFound : SendOutcome;
}

internal sealed record SendMessage(long ChatId, long UserId, string Text) : ICommand<SendOutcome>;

internal sealed class SendMessageHandler(NpgsqlDataSource db, GroupChats groups) : ICommandHandler<SendMessage, SendOutcome>
{
    /// <summary>
    /// The whole send in one statement (one round trip, one commit): the ownership check, the user's message, and for a
    /// chat with one character its pending reply slot, the chat moved up the list and the turn recorded. The user's
    /// words and the slot commit together, before any generation starts. Ids come from the sequences up front so the
    /// message rows can name their chosen swipe; the reply's are drawn after the user's (reply_ids reads ids), so the
    /// reply sorts after the message it answers. A group chat gets only the user's message here; who answers is
    /// decided by the reply order afterwards.
    /// </summary>
    private static readonly string Sql = $$"""
        with chat as (
            select c.id, c.character_id,
                   -- Who the user speaks as (the chat's persona, else the default), for the fragment the page shows.
                   (select p.name from ({{PersonaStore.ForChatSql}}) p) as persona_name,
                   (select count(*) from interaction.chat_members cm where cm.chat_id = c.id) as members,
                   coalesce((select cm.character_id from interaction.chat_members cm where cm.chat_id = c.id order by cm.position limit 1),
                            c.character_id) as speaker
            from interaction.chats c where c.id = @ChatId and c.user_id = @UserId),
        ids as materialized (
            select chat.id as chat_id, chat.character_id, chat.members, chat.speaker, chat.persona_name,
                   nextval(pg_get_serial_sequence('interaction.messages', 'id')) as user_message,
                   nextval(pg_get_serial_sequence('interaction.message_swipes', 'id')) as user_swipe
            from chat),
        reply_ids as materialized (
            select nextval(pg_get_serial_sequence('interaction.messages', 'id')) as reply_message,
                   nextval(pg_get_serial_sequence('interaction.message_swipes', 'id')) as reply_swipe
            from ids where ids.members <= 1),
        user_message as (
            insert into interaction.messages (id, chat_id, role, content, chosen_swipe_id) overriding system value
            select user_message, chat_id, 'user', @Text, user_swipe from ids),
        user_swipe as (
            insert into interaction.message_swipes (id, message_id, content, status, kind, finished_at) overriding system value
            select user_swipe, user_message, @Text, 'complete', 'user', now() from ids),
        reply_message as (
            insert into interaction.messages (id, chat_id, role, content, chosen_swipe_id, character_id) overriding system value
            select r.reply_message, i.chat_id, 'assistant', '', r.reply_swipe, i.speaker from ids i cross join reply_ids r),
        reply_swipe as (
            insert into interaction.message_swipes (id, message_id, content, status, kind) overriding system value
            select reply_swipe, reply_message, '', 'pending', 'reply' from reply_ids),
        touched as (
            -- A one-character chat has no queue; a group's is replaced by the reply order right after.
            update interaction.chats c set last_message_at = now(),
                reply_queue = case when i.members <= 1 then '{}' else c.reply_queue end,
                reply_queue_after = case when i.members <= 1 then null else c.reply_queue_after end
            from ids i where c.id = i.chat_id),
        recorded as (
            insert into interaction.character_interactions (character_id, user_id, conversation_id, interaction_type)
            select character_id, @UserId, chat_id, 'message' from ids)
        select i.chat_id, i.character_id, i.members, i.speaker, i.persona_name, i.user_message, i.user_swipe, r.reply_message, r.reply_swipe,
               now() as created_at
        from ids i left join reply_ids r on true
        """;

    private sealed record Sent(long ChatId, long CharacterId, long Members, long Speaker, string? PersonaName, long UserMessage, long UserSwipe,
        long? ReplyMessage, long? ReplySwipe, DateTimeOffset CreatedAt);

    public async ValueTask<SendOutcome> Handle(SendMessage command, CancellationToken ct)
    {
        var text = command.Text.Trim();
        if (text.Length == 0) return new SendOutcome.Invalid("Write a message first.");
        if (text.Length > ChatStore.MaxMessageLength) return new SendOutcome.Invalid($"A message can be at most {ChatStore.MaxMessageLength:N0} characters.");

        await using var connection = await db.OpenConnectionAsync(ct);
        var sent = await connection.QuerySingleOrDefaultAsync<Sent>(new CommandDefinition(Sql,
            new { command.ChatId, command.UserId, Text = text }, cancellationToken: ct));
        if (sent is null) return new SendOutcome.NotFound();
        var user = new ChatMessageView(sent.UserMessage, "user", sent.CreatedAt, sent.UserSwipe, text, SwipeStatus.Complete, "user",
            null, null, null, false, 1, 1);
        ChatMessageView? reply = null;
        if (sent.ReplyMessage is { } replyId && sent.ReplySwipe is { } replySwipe)
        {
            reply = new ChatMessageView(replyId, "assistant", sent.CreatedAt, replySwipe, "", SwipeStatus.Pending, "reply",
                null, null, null, false, 1, 1, sent.Speaker);
        }
        else
        {
            // A group: the reply order picks the first speaker (the rest are queued), in a transaction of its own.
            var chat = await ChatStore.GetChatAsync(connection, sent.ChatId, command.UserId, ct: ct);
            if (chat is null) return new SendOutcome.NotFound();
            long? groupReply;
            await using (var tx = await connection.BeginTransactionAsync(ct))
            {
                groupReply = await groups.StartTurnAsync(connection, tx, chat, text, ct);
                await tx.CommitAsync(ct);
            }
            reply = groupReply is { } r ? await ChatStore.MessageAsync(connection, chat.Id, r, ct: ct) : null;
        }
        return new SendOutcome.Sent(new SentMessage(sent.ChatId, reply?.CharacterId ?? sent.CharacterId, user, reply, sent.PersonaName, sent.Members > 1));
    }
}

/// <summary>Regenerate (a new swipe) or continue (a new swipe that extends the shown one) an assistant message.</summary>
internal sealed record StartReply(long ChatId, long UserId, long MessageId, bool Continue) : ICommand<ChatMessageView?>;

internal sealed class StartReplyHandler(NpgsqlDataSource db) : ICommandHandler<StartReply, ChatMessageView?>
{
    public async ValueTask<ChatMessageView?> Handle(StartReply command, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var chat = await ChatStore.GetChatAsync(connection, command.ChatId, command.UserId, tx, ct);
        if (chat is null) return null;
        var current = await ChatStore.MessageAsync(connection, chat.Id, command.MessageId, tx, ct);
        if (current is null || current.Role != "assistant") return null;
        // A reply still being written is left alone; the page keeps showing it.
        if (current.IsOpen) return current;
        var swipeId = await ChatStore.InsertSwipeAsync(connection, tx, current.Id, "", SwipeStatus.Pending,
            command.Continue ? "continue" : "regenerate", command.Continue ? current.SwipeId : null, ct);
        await ChatStore.ChooseSwipeAsync(connection, tx, current.Id, swipeId, ct);
        // The message keeps its speaker (the claim reads it), so a group reply is regenerated by the same character.
        await ChatStore.RecordInteractionAsync(connection, tx, current.CharacterId ?? chat.CharacterId, command.UserId, chat.Id, command.Continue ? "continue" : "regenerate", ct);
        await tx.CommitAsync(ct);
        return await ChatStore.MessageAsync(connection, chat.Id, current.Id, ct: ct);
    }
}

/// <summary>Asks whichever request streams the message's reply to stop. A reply that never started, or whose stream
/// began longer ago than any generation can run (its process died), is closed here, as nobody else will close it.</summary>
internal sealed record StopReply(long ChatId, long UserId, long MessageId) : ICommand<bool>;

internal sealed class StopReplyHandler(NpgsqlDataSource db) : ICommandHandler<StopReply, bool>
{
    private const string Sql = """
        with target as (
            select s.id from interaction.message_swipes s
            join interaction.messages m on m.id = s.message_id
            join interaction.chats c on c.id = m.chat_id
            where m.id = @MessageId and c.id = @ChatId and c.user_id = @UserId and s.status in ('pending', 'streaming'))
        update interaction.message_swipes s
        set stop_requested = true,
            status = case when s.status = 'pending' or s.started_at < now() - interval '10 minutes' then 'partial' else s.status end,
            reason = case when s.status = 'pending' then 'stopped'
                          when s.started_at < now() - interval '10 minutes' then 'failed' else s.reason end,
            detail = case when s.status = 'pending' then 'You stopped the reply before it started.'
                          when s.started_at < now() - interval '10 minutes' then 'The server writing this reply went away before finishing it.'
                          else s.detail end,
            finished_at = case when s.status = 'pending' or s.started_at < now() - interval '10 minutes' then now() else s.finished_at end
        from target where s.id = target.id
        """;

    public async ValueTask<bool> Handle(StopReply command, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(Sql, command, cancellationToken: ct)) > 0;
    }
}

internal abstract record EditOutcome
{
    public sealed record Edited(ChatMessageView Message) : EditOutcome;
    public sealed record Invalid(string Problem) : EditOutcome;
    public sealed record NotFound : EditOutcome;
}

/// <summary>An edit adds a revision of the shown swipe; the earlier text stays in the table.</summary>
internal sealed record EditMessage(long ChatId, long UserId, long MessageId, string Text) : ICommand<EditOutcome>;

internal sealed class EditMessageHandler(NpgsqlDataSource db) : ICommandHandler<EditMessage, EditOutcome>
{
    public async ValueTask<EditOutcome> Handle(EditMessage command, CancellationToken ct)
    {
        var text = command.Text.Trim();
        if (text.Length == 0) return new EditOutcome.Invalid("A message cannot be empty; delete it instead.");
        if (text.Length > ChatStore.MaxMessageLength) return new EditOutcome.Invalid($"A message can be at most {ChatStore.MaxMessageLength:N0} characters.");
        await using var connection = await db.OpenConnectionAsync(ct);
        if (await ChatStore.GetChatAsync(connection, command.ChatId, command.UserId, ct: ct) is null) return new EditOutcome.NotFound();
        var current = await ChatStore.MessageAsync(connection, command.ChatId, command.MessageId, ct: ct);
        if (current is null) return new EditOutcome.NotFound();
        if (current.IsOpen) return new EditOutcome.Invalid("Wait for the reply to finish (or stop it) before editing.");
        if (current.Content != text)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "insert into interaction.message_revisions (swipe_id, content) values (@SwipeId, @text)",
                new { current.SwipeId, text }, cancellationToken: ct));
        }
        return new EditOutcome.Edited((await ChatStore.MessageAsync(connection, command.ChatId, command.MessageId, ct: ct))!);
    }
}

/// <summary>A delete adds a tombstone: the message leaves the chat and the prompt, its rows stay.</summary>
internal sealed record DeleteMessage(long ChatId, long UserId, long MessageId) : ICommand<bool>;

internal sealed class DeleteMessageHandler(NpgsqlDataSource db) : ICommandHandler<DeleteMessage, bool>
{
    private const string Sql = """
        insert into interaction.message_tombstones (message_id)
        select m.id from interaction.messages m join interaction.chats c on c.id = m.chat_id
        where m.id = @MessageId and c.id = @ChatId and c.user_id = @UserId
        on conflict (message_id) do nothing
        """;

    public async ValueTask<bool> Handle(DeleteMessage command, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        if (await ChatStore.GetChatAsync(connection, command.ChatId, command.UserId, ct: ct) is null) return false;
        await connection.ExecuteAsync(new CommandDefinition(Sql, command, cancellationToken: ct));
        return true;
    }
}

/// <summary>Shows the previous (-1) or next (+1) swipe of a message.</summary>
internal sealed record BrowseSwipe(long ChatId, long UserId, long MessageId, int Direction) : ICommand<ChatMessageView?>;

internal sealed class BrowseSwipeHandler(NpgsqlDataSource db) : ICommandHandler<BrowseSwipe, ChatMessageView?>
{
    public async ValueTask<ChatMessageView?> Handle(BrowseSwipe command, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        if (await ChatStore.GetChatAsync(connection, command.ChatId, command.UserId, ct: ct) is null) return null;
        var current = await ChatStore.MessageAsync(connection, command.ChatId, command.MessageId, ct: ct);
        if (current is null) return null;
        var next = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            command.Direction < 0
                ? "select id from interaction.message_swipes where message_id = @Id and id < @SwipeId order by id desc limit 1"
                : "select id from interaction.message_swipes where message_id = @Id and id > @SwipeId order by id limit 1",
            new { current.Id, current.SwipeId }, cancellationToken: ct));
        if (next is null) return current;
        await ChatStore.ChooseSwipeAsync(connection, null, current.Id, next.Value, ct);
        return await ChatStore.MessageAsync(connection, command.ChatId, command.MessageId, ct: ct);
    }
}

internal sealed record RenameChat(long ChatId, long UserId, string Title) : ICommand<bool>;

internal sealed class RenameChatHandler(NpgsqlDataSource db) : ICommandHandler<RenameChat, bool>
{
    public async ValueTask<bool> Handle(RenameChat command, CancellationToken ct)
    {
        var title = command.Title.Trim();
        if (title.Length is 0 or > 200) return false;
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(
            "update interaction.chats set title = @title where id = @ChatId and user_id = @UserId",
            new { title, command.ChatId, command.UserId }, cancellationToken: ct)) == 1;
    }
}

/// <summary>Deleting a whole chat is the user discarding it: its messages and interaction records go with it (the
/// foreign keys cascade). Append-only applies to what happens inside a chat, not to keeping chats a user threw away.</summary>
internal sealed record DeleteChat(long ChatId, long UserId) : ICommand<bool>;

internal sealed class DeleteChatHandler(NpgsqlDataSource db) : ICommandHandler<DeleteChat, bool>
{
    // Every other write inside a chat takes a message or swipe row before the chat's own row: a reply's final save
    // (the swipe, then the chat moved up), a swipe browse, an edit or a message delete (the row, then the chat's
    // history_rev by trigger). Deleting the chat row and letting the delete cascade down takes them the other way
    // round, so such a write at the same moment could deadlock with it (PostgreSQL would abort one of the two). The
    // chat's messages and swipes are locked first, in id order, so a delete waits for those writes instead.
    private const string LockSql = """
        select 1 from interaction.messages m join interaction.chats c on c.id = m.chat_id
        where c.id = @ChatId and c.user_id = @UserId
        order by m.id for update of m;
        select 1 from interaction.message_swipes s join interaction.messages m on m.id = s.message_id join interaction.chats c on c.id = m.chat_id
        where c.id = @ChatId and c.user_id = @UserId
        order by s.id for update of s
        """;

    public async ValueTask<bool> Handle(DeleteChat command, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(LockSql, command, tx, cancellationToken: ct));
        var deleted = await connection.ExecuteAsync(new CommandDefinition(
            "delete from interaction.chats where id = @ChatId and user_id = @UserId", command, tx, cancellationToken: ct)) == 1;
        await tx.CommitAsync(ct);
        return deleted;
    }
}

/// <summary>Chooses who the user speaks as in this chat; a null persona follows the user's default. Only the caller's own
/// chat and persona: anything else changes nothing and answers false (404).</summary>
internal sealed record SetChatPersona(long ChatId, long UserId, long? PersonaId) : ICommand<bool>;

internal sealed class SetChatPersonaHandler(NpgsqlDataSource db) : ICommandHandler<SetChatPersona, bool>
{
    private const string Sql = """
        update interaction.chats set persona_id = @PersonaId
        where id = @ChatId and user_id = @UserId
          and (@PersonaId is null or exists (select 1 from interaction.personas p where p.id = @PersonaId and p.user_id = @UserId))
        """;

    public async ValueTask<bool> Handle(SetChatPersona command, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(Sql, command, cancellationToken: ct)) == 1;
    }
}
