using System.Security.Cryptography;
using CharacterHub.Kernel.Imaging;
using CharacterHub.Kernel.Validation;
using Dapper;
using Mediator;
using Npgsql;

namespace CharacterHub.Modules.Interaction.Personas;

// The persona slice's requests. Each takes the user id: a persona that is not the caller's does not exist (404).

/// <summary>A persona as its owner sees it in lists and forms (no image bytes).</summary>
internal sealed record PersonaView(long Id, string Name, string Description, bool IsDefault, string? AvatarEtag,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, int Version)
{
    public string? AvatarUrl(bool small = false) =>
        AvatarEtag is null ? null : $"/personas/{Id}/avatar?v={AvatarEtag}{(small ? "&size=small" : "")}";
}

internal sealed record ListPersonas(long UserId) : IQuery<IReadOnlyList<PersonaView>>;

internal sealed class ListPersonasHandler(NpgsqlDataSource db) : IQueryHandler<ListPersonas, IReadOnlyList<PersonaView>>
{
    public async ValueTask<IReadOnlyList<PersonaView>> Handle(ListPersonas query, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await PersonaStore.ListAsync(connection, query.UserId, ct);
    }
}

internal sealed record GetPersona(long PersonaId, long UserId) : IQuery<PersonaView?>;

internal sealed class GetPersonaHandler(NpgsqlDataSource db) : IQueryHandler<GetPersona, PersonaView?>
{
    public async ValueTask<PersonaView?> Handle(GetPersona query, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<PersonaView>(new CommandDefinition(
            $"{PersonaStore.Columns} where id = @PersonaId and user_id = @UserId", query, cancellationToken: ct));
    }
}

internal abstract record SavePersonaOutcome
{
    public sealed record Saved(long PersonaId) : SavePersonaOutcome;
    public sealed record Invalid(FieldErrors Errors) : SavePersonaOutcome;
    public sealed record NotFound : SavePersonaOutcome;
    /// <summary>The persona was saved elsewhere since the form was opened (or the form named no version): nothing was
    /// written; <see cref="Current"/> is what is saved now.</summary>
    public sealed record Conflict(PersonaView Current) : SavePersonaOutcome;
}

/// <summary>Creates (no id) or edits a persona. A new avatar replaces the old one; <see cref="RemoveAvatar"/> drops it;
/// neither keeps it. The user's first persona becomes the default, so "a default persona" needs no extra step.
/// An edit names the <paramref name="Version"/> its form was opened at; any other (or none) is a conflict.</summary>
internal sealed record SavePersona(long UserId, long? PersonaId, string Name, string Description, byte[]? Avatar, bool RemoveAvatar,
    bool MakeDefault, int? Version = null) : ICommand<SavePersonaOutcome>;

internal sealed class SavePersonaHandler(NpgsqlDataSource db) : ICommandHandler<SavePersona, SavePersonaOutcome>
{
    public const int MaxNameLength = 64;
    public const int MaxDescriptionLength = 5000;
    public const int MaxAvatarBytes = 5 * 1024 * 1024;

    private const string InsertSql = """
        insert into interaction.personas (user_id, name, description, is_default)
        values (@UserId, @name, @description,
                @MakeDefault or not exists (select 1 from interaction.personas where user_id = @UserId))
        returning id
        """;

    private const string UpdateSql = """
        update interaction.personas
        set name = @name, description = @description, is_default = @MakeDefault, version = version + 1, updated_at = now()
        where id = @PersonaId and user_id = @UserId and version = @Version
        """;

    private const string AvatarSql = """
        update interaction.personas
        set avatar = @large, avatar_small = @small, avatar_content_type = @contentType, avatar_etag = @etag, updated_at = now()
        where id = @id
        """;

    public async ValueTask<SavePersonaOutcome> Handle(SavePersona command, CancellationToken ct)
    {
        var name = command.Name.Trim();
        var description = command.Description.Trim().ReplaceLineEndings("\n");
        var errors = new FieldErrors();
        if (name.Length == 0) errors.Add("Name", "Give the persona a name.");
        else if (name.Length > MaxNameLength) errors.Add("Name", $"A name can be at most {MaxNameLength} characters.");
        if (description.Length > MaxDescriptionLength) errors.Add("Description", $"A description can be at most {MaxDescriptionLength:N0} characters.");

        IReadOnlyList<ProcessedImage>? images = null;
        if (command.Avatar is { Length: > 0 } upload)
        {
            if (upload.Length > MaxAvatarBytes) errors.Add("Avatar", $"The image is larger than {MaxAvatarBytes / 1024 / 1024} MB.");
            else
            {
                try
                {
                    images = ImageProcessor.ToSquares(upload, [256, 64]);
                }
                catch (ImageRejectedException e)
                {
                    errors.Add("Avatar", e.Message);
                }
            }
        }
        if (!errors.IsEmpty) return new SavePersonaOutcome.Invalid(errors);

        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await PersonaStore.LockDefaultAsync(connection, tx, command.UserId, ct);
        long id;
        if (command.PersonaId is { } existing)
        {
            // The row lock holds the version still until the update; a stale (or missing) version writes nothing.
            var current = await connection.QuerySingleOrDefaultAsync<PersonaView>(new CommandDefinition(
                $"{PersonaStore.Columns} where id = @PersonaId and user_id = @UserId for update", command, tx, cancellationToken: ct));
            if (current is null) return new SavePersonaOutcome.NotFound();
            if (command.Version != current.Version) return new SavePersonaOutcome.Conflict(current);
            // Clearing the old default skips this persona: it is about to be written with its checked version.
            if (command.MakeDefault) await PersonaStore.ClearDefaultAsync(connection, tx, command.UserId, ct, exceptId: existing);
            var updated = await connection.ExecuteAsync(new CommandDefinition(UpdateSql,
                new { command.PersonaId, command.UserId, command.Version, name, description, command.MakeDefault }, tx, cancellationToken: ct));
            if (updated == 0) return new SavePersonaOutcome.Conflict(current); // unreachable under the row lock
            id = existing;
        }
        else
        {
            if (command.MakeDefault) await PersonaStore.ClearDefaultAsync(connection, tx, command.UserId, ct);
            id = await connection.ExecuteScalarAsync<long>(new CommandDefinition(InsertSql,
                new { command.UserId, name, description, command.MakeDefault }, tx, cancellationToken: ct));
        }
        if (images is not null)
        {
            var etag = Convert.ToHexStringLower(SHA256.HashData(images[0].Data))[..16];
            await connection.ExecuteAsync(new CommandDefinition(AvatarSql,
                new { id, large = images[0].Data, small = images[1].Data, contentType = images[0].ContentType, etag }, tx, cancellationToken: ct));
        }
        else if (command.RemoveAvatar)
        {
            await connection.ExecuteAsync(new CommandDefinition(AvatarSql,
                new { id, large = (byte[]?)null, small = (byte[]?)null, contentType = (string?)null, etag = (string?)null }, tx, cancellationToken: ct));
        }
        await tx.CommitAsync(ct);
        return new SavePersonaOutcome.Saved(id);
    }
}

internal sealed record DeletePersona(long PersonaId, long UserId) : ICommand<bool>;

internal sealed class DeletePersonaHandler(NpgsqlDataSource db) : ICommandHandler<DeletePersona, bool>
{
    public async ValueTask<bool> Handle(DeletePersona command, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        // Chats that used it fall back to the default persona (on delete set null).
        return await connection.ExecuteAsync(new CommandDefinition(
            "delete from interaction.personas where id = @PersonaId and user_id = @UserId", command, cancellationToken: ct)) > 0;
    }
}

internal sealed record MakeDefaultPersona(long PersonaId, long UserId) : ICommand<bool>;

internal sealed class MakeDefaultPersonaHandler(NpgsqlDataSource db) : ICommandHandler<MakeDefaultPersona, bool>
{
    public async ValueTask<bool> Handle(MakeDefaultPersona command, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await PersonaStore.LockDefaultAsync(connection, tx, command.UserId, ct);
        await PersonaStore.ClearDefaultAsync(connection, tx, command.UserId, ct);
        var changed = await connection.ExecuteAsync(new CommandDefinition(
            "update interaction.personas set is_default = true, version = version + 1, updated_at = now() where id = @PersonaId and user_id = @UserId",
            command, tx, cancellationToken: ct));
        // Not the caller's persona: roll back, so the old default stays.
        if (changed == 0) return false;
        await tx.CommitAsync(ct);
        return true;
    }
}

internal sealed record PersonaAvatar(byte[] Data, string ContentType, string ETag);

internal sealed record GetPersonaAvatar(long PersonaId, long UserId, bool Small) : IQuery<PersonaAvatar?>;

internal sealed class GetPersonaAvatarHandler(NpgsqlDataSource db) : IQueryHandler<GetPersonaAvatar, PersonaAvatar?>
{
    public async ValueTask<PersonaAvatar?> Handle(GetPersonaAvatar query, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<PersonaAvatar>(new CommandDefinition(
            """
            select case when @Small then avatar_small else avatar end as data, avatar_content_type as content_type, avatar_etag as etag
            from interaction.personas where id = @PersonaId and user_id = @UserId and avatar is not null
            """, query, cancellationToken: ct));
    }
}

/// <summary>Who the user is in a chat: the chat's persona, else the default persona, else the account name.</summary>
internal sealed record ChatPersona(long? Id, string Name, string Description, string? AvatarEtag)
{
    public string? AvatarUrl => Id is { } id && AvatarEtag is not null ? $"/personas/{id}/avatar?v={AvatarEtag}&size=small" : null;

    public Prompting.PromptPersona ToPrompt() => new(Name, Description);
}

/// <summary>The persona SQL the chat slice shares with the persona pages.</summary>
internal static class PersonaStore
{
    public const string Columns = """
        select id, name, description, is_default, avatar_etag, created_at, updated_at, version from interaction.personas
        """;

    public static async Task<IReadOnlyList<PersonaView>> ListAsync(NpgsqlConnection c, long userId, CancellationToken ct) =>
        (await c.QueryAsync<PersonaView>(new CommandDefinition(
            $"{Columns} where user_id = @userId order by is_default desc, lower(name), id", new { userId }, cancellationToken: ct))).AsList();

    /// <summary>
    /// Serialises the user's default-changing writes. The partial unique index would refuse a second default anyway,
    /// but two concurrent "make default" (or two first personas) would then fail one request instead of letting the
    /// later one win; the lock is per user, so other users never wait.
    /// </summary>
    public static Task LockDefaultAsync(NpgsqlConnection c, NpgsqlTransaction tx, long userId, CancellationToken ct) =>
        c.ExecuteAsync(new CommandDefinition(
            "select pg_advisory_xact_lock(hashtext('interaction.personas'), hashtext(@userId::text))", new { userId }, tx, cancellationToken: ct));

    /// <summary>Un-defaults the user's default persona (but <paramref name="exceptId"/>). That changes the persona: its
    /// edit form's "default" box is now stale, so its version moves on too.</summary>
    public static Task ClearDefaultAsync(NpgsqlConnection c, NpgsqlTransaction tx, long userId, CancellationToken ct, long? exceptId = null) =>
        c.ExecuteAsync(new CommandDefinition(
            """
            update interaction.personas set is_default = false, version = version + 1, updated_at = now()
            where user_id = @userId and is_default and (@exceptId::bigint is null or id <> @exceptId)
            """,
            new { userId, exceptId }, tx, cancellationToken: ct));

    /// <summary>The default persona, which a new chat starts with (no row: the chat follows the username).</summary>
    public const string DefaultSql = "select id, name, description, avatar_etag from interaction.personas where user_id = @UserId and is_default";

    /// <summary>The persona a chat speaks as, or null when the user has neither chosen one nor set a default.</summary>
    public static Task<ChatPersona?> ForChatAsync(NpgsqlConnection c, long chatId, long userId, CancellationToken ct) =>
        c.QuerySingleOrDefaultAsync<ChatPersona>(new CommandDefinition(ForChatSql, new { chatId, userId }, cancellationToken: ct));

    /// <summary><see cref="ForChatAsync"/>'s statement (parameters @chatId, @userId), also run in a turn's one batch of reads.</summary>
    public const string ForChatSql = """
        select p.id, p.name, p.description, p.avatar_etag
        from interaction.chats ch
        join interaction.personas p on p.user_id = ch.user_id
            and p.id = coalesce(ch.persona_id, (select d.id from interaction.personas d where d.user_id = ch.user_id and d.is_default))
        where ch.id = @chatId and ch.user_id = @userId
        """;

    public static async Task<ChatPersona> ResolveAsync(NpgsqlConnection c, long chatId, long userId, string userName, CancellationToken ct) =>
        await ForChatAsync(c, chatId, userId, ct) ?? new ChatPersona(null, userName, "", null);
}
