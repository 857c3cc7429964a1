using System.IO.Compression;
using System.Text;
using CharacterHub.Kernel.Imaging;
using CharacterHub.Kernel.Jobs;
using CharacterHub.Modules.Characters.Avatars;
using CharacterHub.Modules.Characters.Cards;
using CharacterHub.Modules.Characters.Domain;
using CharacterHub.Modules.Characters.Features;
using Dapper;
using Hangfire;
using Mediator;
using Npgsql;

namespace CharacterHub.Modules.Characters.Interop;

/// <summary>Imports files now, in the request: each card in its own transaction, the others unaffected by a failure.</summary>
internal sealed record ImportCards(long UserId, IReadOnlyList<ImportFile> Files, DuplicateMode Mode) : Mediator.ICommand<IReadOnlyList<ImportResult>>;

internal sealed class ImportCardsHandler(NpgsqlDataSource db, IMediator mediator) : Mediator.ICommandHandler<ImportCards, IReadOnlyList<ImportResult>>
{
    public async ValueTask<IReadOnlyList<ImportResult>> Handle(ImportCards command, CancellationToken ct)
    {
        var categories = await ImportJobs.CategoriesAsync(mediator, ct);
        var results = new List<ImportResult>();
        foreach (var (file, failure) in CardImporter.Expand(command.Files))
        {
            if (failure is not null) results.Add(failure);
            else results.Add(await ImportJobs.ImportSafelyAsync(db, command.UserId, file!, command.Mode, categories, null, ct));
        }
        return results;
    }
}

/// <summary>Queues a bulk import: the files (zips expanded) go to PostgreSQL, a Hangfire job imports them.</summary>
internal sealed record StartImportJob(long UserId, IReadOnlyList<ImportFile> Files, DuplicateMode Mode) : Mediator.ICommand<long>;

internal sealed class StartImportJobHandler(NpgsqlDataSource db, IBackgroundJobClient jobs) : Mediator.ICommandHandler<StartImportJob, long>
{
    public async ValueTask<long> Handle(StartImportJob command, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "insert into characters.import_jobs (user_id, duplicate_mode) values (@UserId, @Mode) returning id",
            new { command.UserId, Mode = command.Mode == DuplicateMode.NewVersion ? "new_version" : "skip" }, tx, cancellationToken: ct));
        var seq = 0;
        foreach (var (file, failure) in CardImporter.Expand(command.Files))
        {
            await connection.ExecuteAsync(new CommandDefinition(
                """
                insert into characters.import_job_files (job_id, seq, file_name, data, status, reason)
                values (@id, @seq, @Name, @Data, @Status, @Reason)
                """, new
                {
                    id, seq = seq++, Name = file?.Name ?? failure!.File, Data = file?.Data,
                    Status = failure is null ? "pending" : failure.Status, failure?.Reason,
                }, tx, cancellationToken: ct));
        }
        await tx.CommitAsync(ct);
        // Enqueued after the commit, so the job never starts on rows it cannot see yet.
        jobs.Enqueue<MediatorJob>(j => j.Run(new RunImportJob(id), CancellationToken.None));
        return id;
    }
}

/// <summary>The job's command. Idempotent: only files still pending are imported, each one's result is written in
/// the transaction that stores its character, so a retry after a crash never imports a file twice.</summary>
internal sealed record RunImportJob(long JobId) : Mediator.ICommand;

internal sealed class RunImportJobHandler(NpgsqlDataSource db, IMediator mediator) : Mediator.ICommandHandler<RunImportJob>
{
    public async ValueTask<Unit> Handle(RunImportJob command, CancellationToken ct)
    {
        var categories = await ImportJobs.CategoriesAsync(mediator, ct);
        await using (var connection = await db.OpenConnectionAsync(ct))
        {
            var job = await connection.QuerySingleOrDefaultAsync<(long UserId, string DuplicateMode)?>(new CommandDefinition(
                "update characters.import_jobs set status = 'running' where id = @JobId and status <> 'done' returning user_id, duplicate_mode",
                command, cancellationToken: ct));
            if (job is null) return Unit.Value;
            var mode = job.Value.DuplicateMode == "new_version" ? DuplicateMode.NewVersion : DuplicateMode.Skip;
            while (true)
            {
                var next = await connection.QuerySingleOrDefaultAsync<(int Seq, string FileName, byte[] Data)?>(new CommandDefinition(
                    "select seq, file_name, data from characters.import_job_files where job_id = @JobId and status = 'pending' order by seq limit 1",
                    command, cancellationToken: ct));
                if (next is not { } file) break;
                await ImportJobs.ImportSafelyAsync(db, job.Value.UserId, new ImportFile(file.FileName, file.Data), mode, categories,
                    (c, tx, result) => c.ExecuteAsync(new CommandDefinition(
                        """
                        update characters.import_job_files set status = @Status, character_id = @CharacterId, reason = @Reason, data = null
                        where job_id = @JobId and seq = @Seq
                        """, new { command.JobId, file.Seq, result.Status, result.CharacterId, result.Reason }, tx, cancellationToken: ct)), ct);
            }
            await connection.ExecuteAsync(new CommandDefinition(
                "update characters.import_jobs set status = 'done', finished_at = now() where id = @JobId", command, cancellationToken: ct));
        }
        return Unit.Value;
    }
}

internal sealed record ImportJobView(long Id, string Status, int Total, int Done, IReadOnlyList<ImportResult> Results)
{
    public int Percent => Total == 0 ? 100 : Done * 100 / Total;
}

/// <summary>A job's progress and report, for its owner only (anyone else gets null, i.e. 404).</summary>
internal sealed record GetImportJob(long JobId, long UserId) : IQuery<ImportJobView?>;

internal sealed class GetImportJobHandler(NpgsqlDataSource db) : IQueryHandler<GetImportJob, ImportJobView?>
{
    public async ValueTask<ImportJobView?> Handle(GetImportJob q, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var status = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            "select status from characters.import_jobs where id = @JobId and user_id = @UserId", q, cancellationToken: ct));
        if (status is null) return null;
        var files = (await connection.QueryAsync<(string FileName, string Status, long? CharacterId, string? Reason)>(new CommandDefinition(
            "select file_name, status, character_id, reason from characters.import_job_files where job_id = @JobId order by seq",
            q, cancellationToken: ct))).AsList();
        var done = files.Where(f => f.Status != "pending").Select(f => new ImportResult(f.FileName, f.Status, f.CharacterId, f.Reason)).ToList();
        return new ImportJobView(q.JobId, status, files.Count, done.Count, done);
    }
}

internal static class ImportJobs
{
    /// <summary>Above this many files (or for any zip) an import runs as a background job.</summary>
    public const int InlineFileLimit = 20;

    public static bool IsBulk(IReadOnlyList<ImportFile> files) =>
        files.Count > InlineFileLimit || files.Any(CardImporter.IsBundle);

    /// <summary>A database error on one card (a constraint we did not foresee) fails that card, not the batch.</summary>
    public static async Task<IReadOnlySet<string>> CategoriesAsync(IMediator mediator, CancellationToken ct) =>
        (await mediator.Send(new ListCategories(), ct)).Select(c => c.Slug).ToHashSet(StringComparer.Ordinal);

    public static async Task<ImportResult> ImportSafelyAsync(NpgsqlDataSource db, long userId, ImportFile file, DuplicateMode mode,
        IReadOnlySet<string> categories, Func<NpgsqlConnection, System.Data.Common.DbTransaction, ImportResult, Task>? record, CancellationToken ct)
    {
        try
        {
            return await CardImporter.ImportOneAsync(db, userId, file, mode, categories, record, ct);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.CheckViolation or PostgresErrorCodes.StringDataRightTruncation
                                              or PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.NotNullViolation)
        {
            var failed = ImportResult.Failed(file.Name, $"The card could not be stored ({e.ConstraintName ?? e.SqlState}); nothing of it was kept.");
            if (record is not null)
            {
                await using var connection = await db.OpenConnectionAsync(ct);
                await using var tx = await connection.BeginTransactionAsync(ct);
                await record(connection, tx, failed);
                await tx.CommitAsync(ct);
            }
            return failed;
        }
    }
}

/// <summary>Merges a standalone lorebook (lorebook_v3, SillyTavern World Info, V2 book) into a character's lorebook as a new version.</summary>
internal sealed record AttachLorebook(long CharacterId, long UserId, string FileName, byte[] Data) : Mediator.ICommand<string?>;

internal sealed class AttachLorebookHandler(IMediator mediator) : Mediator.ICommandHandler<AttachLorebook, string?>
{
    public async ValueTask<string?> Handle(AttachLorebook command, CancellationToken ct)
    {
        var character = await mediator.Send(new GetCharacter(command.CharacterId, command.UserId), ct);
        if (character is null || !character.CanEdit) return "You may not change this character.";
        var read = LorebookReader.Read(command.Data, command.FileName);
        if (!read.Success) return read.Error;
        var incoming = CardMapping.BookToData(read.Lorebook);
        var current = character.Draft.Lorebook;
        var merged = current with
        {
            Name = current.Name.Length > 0 ? current.Name : incoming.Name,
            Entries = [.. current.Entries, .. incoming.Entries],
        };
        var outcome = await mediator.Send(new UpdateCharacter(command.CharacterId, command.UserId, character.Version,
            character.Draft with { Lorebook = merged }, $"Lorebook attached from {Path.GetFileName(command.FileName)}"), ct);
        return outcome switch
        {
            SaveOutcome.Saved => null,
            SaveOutcome.Invalid invalid => "The merged lorebook breaks a rule: " + string.Join(" ", invalid.Errors.All.SelectMany(e => e.Value).Distinct().Take(5)),
            SaveOutcome.Conflict => "The character was changed meanwhile; try again.",
            _ => "You may not change this character.",
        };
    }
}

internal enum ExportFormat { Png, Json, Charx }

internal sealed record ExportedCard(byte[] Data, string ContentType, string FileName);

/// <summary>A character as a card file, for whoever may read it (null: not found or not theirs to read).</summary>
internal sealed record ExportCharacter(long Id, long? UserId, ExportFormat Format, CardSpec Spec) : IQuery<ExportedCard?>;

internal sealed class ExportCharacterHandler(NpgsqlDataSource db, IMediator mediator) : IQueryHandler<ExportCharacter, ExportedCard?>
{
    public async ValueTask<ExportedCard?> Handle(ExportCharacter q, CancellationToken ct)
    {
        var character = await mediator.Send(new GetCharacter(q.Id, q.UserId), ct);
        if (character is null) return null;
        var card = CardMapping.ToCard(character.Draft);
        var stem = SafeFileName(character.Draft.Name);
        switch (q.Format)
        {
            case ExportFormat.Json:
                return new ExportedCard(CardWriter.WriteJson(card, q.Spec), "application/json", stem + ".json");
            case ExportFormat.Png:
                return new ExportedCard(CardWriter.WritePng(card, await AvatarPngAsync(q, character.Id, ct)), "image/png", stem + ".png");
            default:
                await using (var connection = await db.OpenConnectionAsync(ct))
                {
                    var files = (await connection.QueryAsync<(string Path, byte[] Data)>(new CommandDefinition(
                        "select path, data from characters.assets where character_id = @Id order by path", new { character.Id }, cancellationToken: ct)))
                        .Select(r => new CardFile(r.Path, r.Data)).ToList();
                    var expressions = (await connection.QueryAsync<(string Expression, byte[] Image, string ContentType)>(new CommandDefinition(
                        "select expression, image, content_type from characters.expressions where character_id = @Id order by expression",
                        new { character.Id }, cancellationToken: ct))).AsList();
                    var avatar = await AvatarPngAsync(q, character.Id, ct);
                    if (CardAssets.MainIcon(card) is { } icon && CardAssets.EmbeddedPath(icon.Uri) is { } iconPath)
                        files.Add(new CardFile(iconPath, avatar)); // the current avatar, not the one the card came with
                    var kept = (card.Assets ?? []).Where(a => a.Type == "emotion").Select(a => CardImporter.ExpressionName(a.Name)).ToHashSet();
                    foreach (var e in expressions.Where(e => !kept.Contains(e.Expression)))
                    {
                        var ext = e.ContentType.Contains("png", StringComparison.Ordinal) ? "png" : "webp";
                        var path = $"characterhub/expressions/{e.Expression}.{ext}";
                        card.Assets ??= [CardAsset.DefaultIcon()];
                        card.Assets.Add(new CardAsset { Type = "emotion", Uri = "embeded://" + path, Name = e.Expression, Ext = ext });
                        files.Add(new CardFile(path, e.Image));
                    }
                    return new ExportedCard(CardWriter.WriteCharx(card, files, avatar), "application/zip", stem + ".charx");
                }
        }
    }

    private async Task<byte[]> AvatarPngAsync(ExportCharacter q, long id, CancellationToken ct)
    {
        var avatar = await mediator.Send(new GetCharacterAvatar(id, q.UserId, null, Small: false), ct);
        if (avatar is not null)
        {
            try
            {
                return ImageProcessor.ToSquares(avatar.Data, [512], format: SkiaSharp.SKEncodedImageFormat.Png)[0].Data;
            }
            catch (ImageRejectedException)
            {
                // A stored avatar that no longer decodes should not block the export: fall through to a generated one.
            }
        }
        return AvatarRenderer.ToPng(AvatarParameters.Random(unchecked((int)id)), Expression.Neutral, 512);
    }

    /// <summary>A name safe in a Content-Disposition header and on any file system.</summary>
    public static string SafeFileName(string name)
    {
        var chars = name.Normalize(NormalizationForm.FormKC).Where(c => char.IsLetterOrDigit(c) || c is ' ' or '-' or '_')
            .Take(80).ToArray();
        var clean = new string(chars).Trim();
        return clean.Length == 0 ? "character" : clean;
    }
}

/// <summary>The library's "Export selected": a zip of PNG cards of the characters the user may read.</summary>
internal sealed record ExportSelected(long UserId, IReadOnlyList<long> Ids) : IQuery<byte[]>;

internal sealed class ExportSelectedHandler(IMediator mediator) : IQueryHandler<ExportSelected, byte[]>
{
    public async ValueTask<byte[]> Handle(ExportSelected q, CancellationToken ct)
    {
        var output = new MemoryStream();
        using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            var used = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var id in q.Ids.Distinct().Take(200))
            {
                if (await mediator.Send(new ExportCharacter(id, q.UserId, ExportFormat.Png, CardSpec.V3), ct) is not { } file) continue;
                var name = file.FileName;
                for (var i = 2; !used.Add(name); i++) name = $"{Path.GetFileNameWithoutExtension(file.FileName)} ({i}).png";
                // PNG is already compressed; storing it avoids spending CPU for nothing.
                var entry = zip.CreateEntry(name, CompressionLevel.NoCompression);
                await using var stream = entry.Open();
                await stream.WriteAsync(file.Data, ct);
            }
        }
        return output.ToArray();
    }
}
