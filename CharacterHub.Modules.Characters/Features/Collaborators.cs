using CharacterHub.Kernel.Contracts.Accounts;
using CharacterHub.Kernel.Validation;
using Dapper;
using Mediator;
using Npgsql;

namespace CharacterHub.Modules.Characters.Features;

internal sealed record Collaborator(long UserId, string Username, string Role);

/// <summary>Who a character is shared with; visible to its creator and its collaborators.</summary>
internal sealed record ListCollaborators(long CharacterId, long UserId) : IQuery<IReadOnlyList<Collaborator>>;

internal sealed class ListCollaboratorsHandler(NpgsqlDataSource db, IMediator mediator) : IQueryHandler<ListCollaborators, IReadOnlyList<Collaborator>>
{
    public async ValueTask<IReadOnlyList<Collaborator>> Handle(ListCollaborators q, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = (await connection.QueryAsync<(long UserId, string Role)>(new CommandDefinition(
            """
            select k.user_id, k.role from characters.collaborators k join characters.characters c on c.id = k.character_id
            where k.character_id = @CharacterId
              and (c.creator_id = @UserId or exists (select 1 from characters.collaborators m where m.character_id = c.id and m.user_id = @UserId))
            order by k.added_at
            """, q, cancellationToken: ct))).ToList();
        var names = await mediator.Send(new GetUserSummaries(rows.Select(r => r.UserId).ToList()), ct);
        return rows.Select(r => new Collaborator(r.UserId, names.TryGetValue(r.UserId, out var u) ? u.Username : $"user {r.UserId}", r.Role)).ToList();
    }
}

/// <summary>The creator shares the character with another user as an editor (may save) or a viewer (may read).</summary>
internal sealed record AddCollaborator(long CharacterId, long OwnerId, string? Username, string? Role) : Mediator.ICommand<FieldErrors>;

internal sealed class AddCollaboratorHandler(NpgsqlDataSource db, IMediator mediator) : Mediator.ICommandHandler<AddCollaborator, FieldErrors>
{
    public const int MaxCollaborators = 50;

    public async ValueTask<FieldErrors> Handle(AddCollaborator command, CancellationToken ct)
    {
        if (command.Role is not ("editor" or "viewer")) return FieldErrors.One("CollaboratorRole", "Choose editor or viewer.");
        var user = string.IsNullOrWhiteSpace(command.Username) ? null : await mediator.Send(new FindUserByUsername(command.Username), ct);
        if (user is null) return FieldErrors.One("CollaboratorName", "There is no user with that name.");
        if (user.Id == command.OwnerId) return FieldErrors.One("CollaboratorName", "You already own this character.");
        await using var connection = await db.OpenConnectionAsync(ct);
        var count = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            """
            select (select count(*) from characters.collaborators k where k.character_id = c.id)
            from characters.characters c where c.id = @CharacterId and c.creator_id = @OwnerId
            """, command, cancellationToken: ct));
        if (count is null) return FieldErrors.One("CollaboratorName", "Only the creator can share this character.");
        if (count >= MaxCollaborators) return FieldErrors.One("CollaboratorName", $"A character can be shared with at most {MaxCollaborators} people.");
        await connection.ExecuteAsync(new CommandDefinition(
            """
            insert into characters.collaborators (character_id, user_id, role) values (@CharacterId, @userId, @Role)
            on conflict (character_id, user_id) do update set role = excluded.role
            """, new { command.CharacterId, userId = user.Id, command.Role }, cancellationToken: ct));
        return new FieldErrors();
    }
}

internal sealed record RemoveCollaborator(long CharacterId, long OwnerId, long UserId) : Mediator.ICommand<bool>;

internal sealed class RemoveCollaboratorHandler(NpgsqlDataSource db) : Mediator.ICommandHandler<RemoveCollaborator, bool>
{
    public async ValueTask<bool> Handle(RemoveCollaborator command, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        // The creator removes anyone; a collaborator may remove themselves (leave).
        return await connection.ExecuteAsync(new CommandDefinition(
            """
            delete from characters.collaborators k using characters.characters c
            where k.character_id = c.id and k.character_id = @CharacterId and k.user_id = @UserId
              and (c.creator_id = @OwnerId or k.user_id = @OwnerId)
            """, command, cancellationToken: ct)) == 1;
    }
}
