using CharacterHub.Kernel.Validation;
using CharacterHub.Modules.Characters.Domain;
using Dapper;
using Mediator;
using Npgsql;

namespace CharacterHub.Modules.Characters.Features;

/// <summary>A character as its reader sees it, with what the reader may do.</summary>
internal sealed record CharacterDetails(CharacterRow Row, CharacterDraft Draft, bool IsOwner, bool CanEdit, bool IsFavorite)
{
    public long Id => Row.Id;
    public int Version => Row.Version;
}

/// <summary>Reads one character the user may see (or that the share token opens); null means 404, whatever the reason.</summary>
internal sealed record GetCharacter(long Id, long? UserId, string? ShareToken = null) : IQuery<CharacterDetails?>;

internal sealed class GetCharacterHandler(NpgsqlDataSource db) : IQueryHandler<GetCharacter, CharacterDetails?>
{
    public async ValueTask<CharacterDetails?> Handle(GetCharacter q, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<CharacterRow>(new CommandDefinition(
            $"""
            select {CharacterSql.Columns} from characters.characters c
            where c.id = @Id and ({CharacterSql.CanRead} or (c.visibility = 'unlisted' and c.share_token = @ShareToken))
            """, new { q.Id, UserId = q.UserId ?? 0, q.ShareToken }, cancellationToken: ct));
        if (row is null) return null;
        var flags = q.UserId is { } uid
            ? await connection.QuerySingleAsync<(bool CanEdit, bool Favorite)>(new CommandDefinition(
                $"""
                select {CharacterSql.CanEdit} as can_edit,
                       exists (select 1 from characters.favorites f where f.user_id = @UserId and f.character_id = c.id) as favorite
                from characters.characters c where c.id = @Id
                """, new { q.Id, UserId = uid }, cancellationToken: ct))
            : (CanEdit: false, Favorite: false);
        var isOwner = q.UserId == row.CreatorId;
        // The share token is the owner's to hand out; nobody else learns it from the page or the API.
        if (!isOwner) row = row with { ShareToken = null };
        return new CharacterDetails(row, row.ToDraft(), isOwner, flags.CanEdit, flags.Favorite);
    }
}

internal sealed record CategoryOption(string Slug, string Name);

internal sealed record ListCategories : IQuery<IReadOnlyList<CategoryOption>>;

/// <summary>The seeded taxonomy changes only with a migration, so it is read once per process and kept.</summary>
internal sealed class ListCategoriesHandler(NpgsqlDataSource db) : IQueryHandler<ListCategories, IReadOnlyList<CategoryOption>>
{
    private static IReadOnlyList<CategoryOption>? cached;

    public async ValueTask<IReadOnlyList<CategoryOption>> Handle(ListCategories q, CancellationToken ct)
    {
        if (cached is { } hit) return hit;
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = (await connection.QueryAsync<CategoryOption>(
            "select slug, name from characters.categories order by sort_order")).AsList();
        if (rows.Count > 0) cached = rows; // an empty read (database being reset) is not worth keeping
        return rows;
    }
}

internal abstract record SaveOutcome
{
    internal sealed record Saved(long Id, int Version) : SaveOutcome;
    internal sealed record Invalid(FieldErrors Errors, CharacterDraft Normalized) : SaveOutcome;
    internal sealed record NotFound : SaveOutcome;
    /// <summary>Someone saved in between: nothing was written; both versions go back to the user.</summary>
    internal sealed record Conflict(CharacterDetails Current) : SaveOutcome;
}

internal static class SaveRules
{
    /// <summary>Normalises and validates a draft against the current category list (the one rule that needs data).</summary>
    public static async ValueTask<(CharacterDraft Draft, FieldErrors Errors)> NormalizeAsync(IMediator mediator, CharacterDraft draft, CancellationToken ct)
    {
        var categories = (await mediator.Send(new ListCategories(), ct)).Select(c => c.Slug).ToHashSet();
        return DraftRules.Normalize(draft, categories);
    }
}

internal sealed record CreateCharacter(long UserId, CharacterDraft Draft, string? Message = null) : Mediator.ICommand<SaveOutcome>;

internal sealed class CreateCharacterHandler(NpgsqlDataSource db, IMediator mediator) : Mediator.ICommandHandler<CreateCharacter, SaveOutcome>
{
    public async ValueTask<SaveOutcome> Handle(CreateCharacter command, CancellationToken ct)
    {
        var (draft, errors) = await SaveRules.NormalizeAsync(mediator, command.Draft, ct);
        if (!errors.IsEmpty) return new SaveOutcome.Invalid(errors, draft);

        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var p = new DynamicParameters(CharacterSql.DraftParameters(draft));
        p.Add("UserId", command.UserId);
        p.Add("ShareToken", draft.Visibility == Visibility.Unlisted ? CharacterSql.NewShareToken() : null);
        var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            """
            insert into characters.characters (creator_id, name, nickname, tagline, description, personality, traits, background,
                scenario, first_message, alternate_greetings, example_dialogues, system_prompt, post_history_instructions,
                creator_notes, category, tags, visibility, lorebook, voice_config, extensions, share_token)
            values (@UserId, @Name, @Nickname, @Tagline, @Description, @Personality::jsonb, @Traits::jsonb, @Background,
                @Scenario, @FirstMessage, @AlternateGreetings::jsonb, @ExampleDialogues, @SystemPrompt, @PostHistoryInstructions,
                @CreatorNotes, @Category, @Tags, @Visibility, @Lorebook::jsonb, @VoiceConfig::jsonb, @Extensions::jsonb, @ShareToken)
            returning id
            """, p, tx, cancellationToken: ct));
        await Versions.InsertAsync(connection, tx, id, 1, draft, command.UserId, command.Message ?? "Created", ct);
        await tx.CommitAsync(ct);
        return new SaveOutcome.Saved(id, 1);
    }
}

/// <summary>Saves an edit made on <paramref name="ExpectedVersion"/>; a stale version is a conflict, never an overwrite.</summary>
internal sealed record UpdateCharacter(long Id, long UserId, int ExpectedVersion, CharacterDraft Draft, string? Message = null)
    : Mediator.ICommand<SaveOutcome>;

internal sealed class UpdateCharacterHandler(NpgsqlDataSource db, IMediator mediator) : Mediator.ICommandHandler<UpdateCharacter, SaveOutcome>
{
    public async ValueTask<SaveOutcome> Handle(UpdateCharacter command, CancellationToken ct)
    {
        var (draft, errors) = await SaveRules.NormalizeAsync(mediator, command.Draft, ct);
        if (!errors.IsEmpty) return new SaveOutcome.Invalid(errors, draft);

        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var p = new DynamicParameters(CharacterSql.DraftParameters(draft));
        p.Add("Id", command.Id);
        p.Add("UserId", command.UserId);
        p.Add("Expected", command.ExpectedVersion);
        // Only the owner changes visibility; an editor's save keeps the current one.
        var version = await connection.ExecuteScalarAsync<int?>(new CommandDefinition(
            $"""
            update characters.characters c
            set {CharacterSql.SetDraftColumns.Replace("visibility = @Visibility", "visibility = case when c.creator_id = @UserId then @Visibility else c.visibility end")},
                share_token = case
                    when (case when c.creator_id = @UserId then @Visibility else c.visibility end) = 'unlisted'
                        then coalesce(c.share_token, @NewToken)
                    else null end,
                version = c.version + 1, updated_at = now()
            where c.id = @Id and c.version = @Expected and {CharacterSql.CanEdit}
            returning c.version
            """, AddToken(p), tx, cancellationToken: ct));
        if (version is null)
        {
            await tx.RollbackAsync(ct);
            var current = await mediator.Send(new GetCharacter(command.Id, command.UserId), ct);
            return current is null || !current.CanEdit ? new SaveOutcome.NotFound() : new SaveOutcome.Conflict(current);
        }
        var saved = await connection.QuerySingleAsync<CharacterRow>(new CommandDefinition(
            $"select {CharacterSql.Columns} from characters.characters c where c.id = @Id", new { command.Id }, tx, cancellationToken: ct));
        await Versions.InsertAsync(connection, tx, command.Id, version.Value, saved.ToDraft(), command.UserId, command.Message ?? "", ct);
        await tx.CommitAsync(ct);
        return new SaveOutcome.Saved(command.Id, version.Value);
    }

    private static DynamicParameters AddToken(DynamicParameters p)
    {
        p.Add("NewToken", CharacterSql.NewShareToken());
        return p;
    }
}

internal sealed record DeleteCharacter(long Id, long UserId) : Mediator.ICommand<bool>;

/// <summary>Only the creator deletes; versions, avatars and favourites go with the character (foreign keys).</summary>
internal sealed class DeleteCharacterHandler(NpgsqlDataSource db) : Mediator.ICommandHandler<DeleteCharacter, bool>
{
    public async ValueTask<bool> Handle(DeleteCharacter command, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(
            "delete from characters.characters where id = @Id and creator_id = @UserId", command, cancellationToken: ct)) == 1;
    }
}

internal sealed record SetFavorite(long Id, long UserId, bool Favorite) : Mediator.ICommand<bool>;

internal sealed class SetFavoriteHandler(NpgsqlDataSource db) : Mediator.ICommandHandler<SetFavorite, bool>
{
    public async ValueTask<bool> Handle(SetFavorite command, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var visible = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            $"select exists (select 1 from characters.characters c where c.id = @Id and {CharacterSql.CanRead})", command, cancellationToken: ct));
        if (!visible) return false;
        await connection.ExecuteAsync(new CommandDefinition(command.Favorite
            ? "insert into characters.favorites (user_id, character_id) values (@UserId, @Id) on conflict do nothing"
            : "delete from characters.favorites where user_id = @UserId and character_id = @Id", command, cancellationToken: ct));
        return true;
    }
}

internal sealed record SetArchived(long Id, long UserId, bool Archived) : Mediator.ICommand<bool>;

internal sealed class SetArchivedHandler(NpgsqlDataSource db) : Mediator.ICommandHandler<SetArchived, bool>
{
    public async ValueTask<bool> Handle(SetArchived command, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(
            "update characters.characters set archived_at = case when @Archived then now() else null end where id = @Id and creator_id = @UserId",
            command, cancellationToken: ct)) == 1;
    }
}

/// <summary>Adds a tag to many characters; each one gets a new version like any other save.</summary>
internal sealed record BulkAddTag(long UserId, IReadOnlyList<long> Ids, string Tag) : Mediator.ICommand<int>;

internal sealed class BulkAddTagHandler(IMediator mediator) : Mediator.ICommandHandler<BulkAddTag, int>
{
    public async ValueTask<int> Handle(BulkAddTag command, CancellationToken ct)
    {
        var tag = command.Tag.Trim().ToLowerInvariant().TrimStart('#');
        if (tag.Length is 0 or > Limits.Tag) return 0;
        var changed = 0;
        foreach (var id in command.Ids.Distinct().Take(200))
        {
            var c = await mediator.Send(new GetCharacter(id, command.UserId), ct);
            if (c is null || !c.CanEdit || c.Draft.Tags.Contains(tag) || c.Draft.Tags.Count >= Limits.Tags) continue;
            var outcome = await mediator.Send(new UpdateCharacter(id, command.UserId, c.Version,
                c.Draft with { Tags = [.. c.Draft.Tags, tag] }, $"Tagged #{tag}"), ct);
            if (outcome is SaveOutcome.Saved) changed++;
        }
        return changed;
    }
}

internal sealed record BulkDelete(long UserId, IReadOnlyList<long> Ids) : Mediator.ICommand<int>;

internal sealed class BulkDeleteHandler(NpgsqlDataSource db) : Mediator.ICommandHandler<BulkDelete, int>
{
    public async ValueTask<int> Handle(BulkDelete command, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(
            "delete from characters.characters where creator_id = @UserId and id = any(@Ids)",
            new { command.UserId, Ids = command.Ids.Take(200).ToArray() }, cancellationToken: ct));
    }
}
