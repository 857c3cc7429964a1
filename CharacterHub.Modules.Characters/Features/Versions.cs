using System.Data.Common;
using CharacterHub.Modules.Characters.Domain;
using Dapper;
using DiffPlex.DiffBuilder;
using DiffPlex.DiffBuilder.Model;
using Mediator;
using Npgsql;

namespace CharacterHub.Modules.Characters.Features;

internal sealed record VersionInfo(int Version, long AuthorId, string Message, DateTimeOffset CreatedAt);

internal static class Versions
{
    public static Task InsertAsync(DbConnection connection, DbTransaction tx, long characterId, int version, CharacterDraft snapshot,
        long authorId, string message, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition(
            """
            insert into characters.character_versions (character_id, version, snapshot, author_id, message)
            values (@characterId, @version, @snapshot::jsonb, @authorId, @message)
            """,
            new { characterId, version, snapshot = snapshot.ToJson(), authorId, message = Truncate(message, 500) }, tx, cancellationToken: ct));

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max];
}

internal sealed record ListVersions(long CharacterId, long? UserId) : IQuery<IReadOnlyList<VersionInfo>?>;

internal sealed class ListVersionsHandler(NpgsqlDataSource db, IMediator mediator) : IQueryHandler<ListVersions, IReadOnlyList<VersionInfo>?>
{
    public async ValueTask<IReadOnlyList<VersionInfo>?> Handle(ListVersions q, CancellationToken ct)
    {
        if (await mediator.Send(new GetCharacter(q.CharacterId, q.UserId), ct) is null) return null;
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<VersionInfo>(new CommandDefinition(
            """
            select version, author_id, message, created_at from characters.character_versions
            where character_id = @CharacterId order by version desc
            """, q, cancellationToken: ct))).AsList();
    }
}

internal sealed record GetVersionSnapshot(long CharacterId, long? UserId, int Version) : IQuery<CharacterDraft?>;

internal sealed class GetVersionSnapshotHandler(NpgsqlDataSource db, IMediator mediator) : IQueryHandler<GetVersionSnapshot, CharacterDraft?>
{
    public async ValueTask<CharacterDraft?> Handle(GetVersionSnapshot q, CancellationToken ct)
    {
        if (await mediator.Send(new GetCharacter(q.CharacterId, q.UserId), ct) is null) return null;
        await using var connection = await db.OpenConnectionAsync(ct);
        var json = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            "select snapshot::text from characters.character_versions where character_id = @CharacterId and version = @Version",
            q, cancellationToken: ct));
        return json is null ? null : CharacterDraft.FromJson(json);
    }
}

/// <summary>One field of a side-by-side diff: the left and right lines, each marked unchanged, deleted, inserted or modified.</summary>
internal sealed record FieldDiff(string Field, SideBySideDiffModel Model)
{
    public bool HasChanges => Model.OldText.HasDifferences || Model.NewText.HasDifferences;
}

internal static class Differ
{
    public static IReadOnlyList<FieldDiff> Compare(CharacterDraft left, CharacterDraft right)
    {
        var builder = new SideBySideDiffBuilder();
        return DraftField.All
            .Select(f => new FieldDiff(f.Label, builder.BuildDiffModel(f.Text(left), f.Text(right), ignoreWhitespace: false)))
            .ToList();
    }

    public static bool IsChanged(DiffPiece piece) => piece.Type is not (ChangeType.Unchanged or ChangeType.Imaginary);
}

/// <summary>Restoring version N saves N's snapshot as a new version; history is never rewritten.</summary>
internal sealed record RestoreVersion(long CharacterId, long UserId, int Version) : Mediator.ICommand<SaveOutcome>;

internal sealed class RestoreVersionHandler(IMediator mediator) : Mediator.ICommandHandler<RestoreVersion, SaveOutcome>
{
    public async ValueTask<SaveOutcome> Handle(RestoreVersion command, CancellationToken ct)
    {
        var current = await mediator.Send(new GetCharacter(command.CharacterId, command.UserId), ct);
        if (current is null || !current.CanEdit) return new SaveOutcome.NotFound();
        var snapshot = await mediator.Send(new GetVersionSnapshot(command.CharacterId, command.UserId, command.Version), ct);
        if (snapshot is null) return new SaveOutcome.NotFound();
        return await mediator.Send(new UpdateCharacter(command.CharacterId, command.UserId, current.Version, snapshot,
            $"Restored version {command.Version}"), ct);
    }
}
