using CharacterHub.Kernel.Contracts.Characters;
using CharacterHub.Modules.Interaction.Personas;
using Dapper;
using Mediator;
using Npgsql;

namespace CharacterHub.Modules.Interaction.Chats;

// Group chat requests. Each takes the user id: a chat that is not the caller's is NotFound (404) and changes nothing.

/// <summary>What a group change did: done, refused with a sentence for the page, or no such chat / member.</summary>
internal abstract record GroupOutcome
{
    public sealed record Done(long ChatId) : GroupOutcome;
    public sealed record Invalid(string Problem) : GroupOutcome;
    public sealed record NotFound : GroupOutcome;
}

/// <summary>
/// Starts a chat with two or more characters the user may read (own, shared or public). As in SillyTavern, every
/// member greets in list order: each member's first message is its own message, its alternate greetings are swipes.
/// The first character is the chat's primary character.
/// </summary>
internal sealed record CreateGroupChat(long UserId, IReadOnlyList<long> CharacterIds, string UserName) : ICommand<GroupOutcome>;

internal sealed class CreateGroupChatHandler(NpgsqlDataSource db, IMediator mediator) : ICommandHandler<CreateGroupChat, GroupOutcome>
{
    public async ValueTask<GroupOutcome> Handle(CreateGroupChat command, CancellationToken ct)
    {
        var ids = command.CharacterIds.Where(id => id > 0).Distinct().ToList();
        if (ids.Count < 2) return new GroupOutcome.Invalid("Pick at least two characters for a group chat.");
        if (ids.Count > GroupChats.MaxMembers) return new GroupOutcome.Invalid($"A group chat can have at most {GroupChats.MaxMembers} characters.");
        var members = new List<ChatCharacter>(ids.Count);
        foreach (var id in ids)
        {
            // A character the user may not read is refused the same way as one that does not exist.
            if (await mediator.Send(new GetCharacterForChat(id, command.UserId), ct) is not { } character)
                return new GroupOutcome.Invalid("One of the chosen characters does not exist or is not available to you.");
            members.Add(character);
        }
        var title = "Group: " + string.Join(", ", members.Select(GroupChats.DisplayName));
        if (title.Length > 200) title = title[..199] + "…";

        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var persona = await connection.QuerySingleOrDefaultAsync<ChatPersona>(new CommandDefinition(
            PersonaStore.DefaultSql, new { command.UserId }, tx, cancellationToken: ct));
        var userName = persona?.Name ?? command.UserName;
        var chatId = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "insert into interaction.chats (user_id, character_id, title, persona_id) values (@UserId, @first, @title, @personaId) returning id",
            new { command.UserId, first = members[0].Id, title, personaId = persona?.Id }, tx, cancellationToken: ct));
        foreach (var member in members)
        {
            await GroupChats.AddMemberRowAsync(connection, tx, chatId, member.Id, ct);
            var name = GroupChats.DisplayName(member);
            var greetings = member.AlternateGreetings.Prepend(member.FirstMessage)
                .Select(g => g.Replace("{{char}}", name, StringComparison.OrdinalIgnoreCase).Replace("{{user}}", userName, StringComparison.OrdinalIgnoreCase))
                .Where(g => !string.IsNullOrWhiteSpace(g))
                .ToList();
            if (greetings.Count > 0)
                await ChatStore.InsertMessageAsync(connection, tx, chatId, "assistant", greetings, SwipeStatus.Complete, "greeting", ct, member.Id);
            await ChatStore.RecordInteractionAsync(connection, tx, member.Id, command.UserId, chatId, "chat_started", ct);
        }
        await tx.CommitAsync(ct);
        return new GroupOutcome.Done(chatId);
    }
}

/// <summary>Adds a character the user may read to the end of the member list (muted members stay where they are).</summary>
internal sealed record AddGroupMember(long ChatId, long UserId, long CharacterId) : ICommand<GroupOutcome>;

internal sealed class AddGroupMemberHandler(NpgsqlDataSource db, IMediator mediator) : ICommandHandler<AddGroupMember, GroupOutcome>
{
    public async ValueTask<GroupOutcome> Handle(AddGroupMember command, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (!await GroupChats.LockOwnedChatAsync(connection, tx, command.ChatId, command.UserId, ct)) return new GroupOutcome.NotFound();
        var members = await GroupChats.MembersAsync(connection, command.ChatId, tx, ct);
        if (members.Any(m => m.CharacterId == command.CharacterId)) return new GroupOutcome.Invalid("That character is already in this chat.");
        if (members.Count >= GroupChats.MaxMembers) return new GroupOutcome.Invalid($"A group chat can have at most {GroupChats.MaxMembers} characters.");
        if (await mediator.Send(new GetCharacterForChat(command.CharacterId, command.UserId), ct) is null)
            return new GroupOutcome.Invalid("That character does not exist or is not available to you.");
        await GroupChats.AddMemberRowAsync(connection, tx, command.ChatId, command.CharacterId, ct);
        await tx.CommitAsync(ct);
        return new GroupOutcome.Done(command.ChatId);
    }
}

/// <summary>
/// Removes a member; its messages stay in the chat under its name. The last member cannot be removed. When the
/// primary character leaves, the next member in list order becomes the chat's character.
/// </summary>
internal sealed record RemoveGroupMember(long ChatId, long UserId, long CharacterId) : ICommand<GroupOutcome>;

internal sealed class RemoveGroupMemberHandler(NpgsqlDataSource db) : ICommandHandler<RemoveGroupMember, GroupOutcome>
{
    public async ValueTask<GroupOutcome> Handle(RemoveGroupMember command, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (!await GroupChats.LockOwnedChatAsync(connection, tx, command.ChatId, command.UserId, ct)) return new GroupOutcome.NotFound();
        var members = await GroupChats.MembersAsync(connection, command.ChatId, tx, ct);
        if (members.All(m => m.CharacterId != command.CharacterId)) return new GroupOutcome.NotFound();
        if (members.Count <= 1) return new GroupOutcome.Invalid("A chat needs at least one character; delete the chat instead.");
        await connection.ExecuteAsync(new CommandDefinition(
            """
            delete from interaction.chat_members where chat_id = @ChatId and character_id = @CharacterId;
            update interaction.chats c set character_id = (select m.character_id from interaction.chat_members m where m.chat_id = c.id
                                                           order by m.position, m.added_at, m.character_id limit 1),
                   reply_queue = array_remove(reply_queue, @CharacterId)
            where c.id = @ChatId;
            """, command, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        return new GroupOutcome.Done(command.ChatId);
    }
}

/// <summary>Mutes or unmutes a member: a muted member is never picked to reply, but "let X speak" still works.</summary>
internal sealed record SetGroupMemberMuted(long ChatId, long UserId, long CharacterId, bool Muted) : ICommand<GroupOutcome>;

internal sealed class SetGroupMemberMutedHandler(NpgsqlDataSource db) : ICommandHandler<SetGroupMemberMuted, GroupOutcome>
{
    private const string Sql = """
        update interaction.chat_members m set muted = @Muted
        from interaction.chats c
        where c.id = m.chat_id and c.id = @ChatId and c.user_id = @UserId and m.character_id = @CharacterId
        """;

    public async ValueTask<GroupOutcome> Handle(SetGroupMemberMuted command, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(Sql, command, cancellationToken: ct)) == 1
            ? new GroupOutcome.Done(command.ChatId)
            : new GroupOutcome.NotFound();
    }
}

/// <summary>Moves a member one place up (-1) or down (+1) in the list, which is the list reply order. The first
/// member is the chat's primary character, so moving someone to the top makes them the primary.</summary>
internal sealed record MoveGroupMember(long ChatId, long UserId, long CharacterId, int Direction) : ICommand<GroupOutcome>;

internal sealed class MoveGroupMemberHandler(NpgsqlDataSource db) : ICommandHandler<MoveGroupMember, GroupOutcome>
{
    public async ValueTask<GroupOutcome> Handle(MoveGroupMember command, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (!await GroupChats.LockOwnedChatAsync(connection, tx, command.ChatId, command.UserId, ct)) return new GroupOutcome.NotFound();
        var members = (await GroupChats.MembersAsync(connection, command.ChatId, tx, ct)).Select(m => m.CharacterId).ToList();
        var at = members.IndexOf(command.CharacterId);
        if (at < 0) return new GroupOutcome.NotFound();
        var to = at + Math.Sign(command.Direction);
        if (to >= 0 && to < members.Count && to != at)
        {
            (members[at], members[to]) = (members[to], members[at]);
            // Positions are rewritten densely, so the order is whatever the list shows, whatever the rows held before.
            await connection.ExecuteAsync(new CommandDefinition(
                """
                update interaction.chat_members m set position = o.ord::int - 1
                from unnest(@ids) with ordinality as o(id, ord)
                where m.chat_id = @chatId and m.character_id = o.id;
                update interaction.chats set character_id = @first where id = @chatId;
                """, new { chatId = command.ChatId, ids = members.ToArray(), first = members[0] }, tx, cancellationToken: ct));
        }
        await tx.CommitAsync(ct);
        return new GroupOutcome.Done(command.ChatId);
    }
}

internal sealed record SetReplyOrder(long ChatId, long UserId, string Order) : ICommand<GroupOutcome>;

internal sealed class SetReplyOrderHandler(NpgsqlDataSource db) : ICommandHandler<SetReplyOrder, GroupOutcome>
{
    public async ValueTask<GroupOutcome> Handle(SetReplyOrder command, CancellationToken ct)
    {
        if (!ReplyOrders.IsValid(command.Order)) return new GroupOutcome.Invalid("Choose natural, list or random order.");
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(
            "update interaction.chats set reply_order = @Order where id = @ChatId and user_id = @UserId", command, cancellationToken: ct)) == 1
            ? new GroupOutcome.Done(command.ChatId)
            : new GroupOutcome.NotFound();
    }
}

/// <summary>"Let X speak": a pending reply from that member, streamed by the page like any reply.</summary>
internal sealed record LetMemberSpeak(long ChatId, long UserId, long CharacterId) : ICommand<ChatMessageView?>;

internal sealed class LetMemberSpeakHandler(GroupChats groups) : ICommandHandler<LetMemberSpeak, ChatMessageView?>
{
    public async ValueTask<ChatMessageView?> Handle(LetMemberSpeak command, CancellationToken ct) =>
        await groups.SpeakAsync(command.ChatId, command.UserId, command.CharacterId, ct);
}

/// <summary>Visible messages after <see cref="After"/> in chat order (at most a page): the group page fetches the
/// next speaker's pending reply with it when a reply's stream ends.</summary>
internal sealed record GetMessagesAfter(long ChatId, long UserId, long After) : IQuery<IReadOnlyList<ChatMessageView>?>;

internal sealed class GetMessagesAfterHandler(NpgsqlDataSource db) : IQueryHandler<GetMessagesAfter, IReadOnlyList<ChatMessageView>?>
{
    public async ValueTask<IReadOnlyList<ChatMessageView>?> Handle(GetMessagesAfter query, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        if (await ChatStore.GetChatAsync(connection, query.ChatId, query.UserId, ct: ct) is null) return null;
        var newest = await ChatStore.PageAsync(connection, query.ChatId, long.MaxValue, ChatStore.PageSize, ct: ct);
        newest.Reverse();
        return newest.Where(m => m.Id > query.After).ToList();
    }
}
