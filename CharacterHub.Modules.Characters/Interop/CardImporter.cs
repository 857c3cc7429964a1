using System.Data.Common;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using CharacterHub.Kernel.Imaging;
using CharacterHub.Modules.Characters.Cards;
using CharacterHub.Modules.Characters.Domain;
using CharacterHub.Modules.Characters.Features;
using Dapper;
using Npgsql;

namespace CharacterHub.Modules.Characters.Interop;

internal sealed record ImportFile(string Name, byte[] Data);

internal enum DuplicateMode { Skip, NewVersion }

internal static class ImportStatus
{
    public const string Imported = "imported", Skipped = "skipped", Failed = "failed";
}

internal sealed record ImportResult(string File, string Status, long? CharacterId = null, string? Reason = null)
{
    public static ImportResult Failed(string file, string reason) => new(file, ImportStatus.Failed, null, reason);
}

/// <summary>A card read, mapped and with its images processed: everything expensive is done before a transaction opens.</summary>
internal sealed record PreparedCard(string FileName, CharacterDraft Draft, byte[] Hash, ProcessedImage[]? Avatar,
    IReadOnlyList<(string Expression, ProcessedImage Image)> Expressions, IReadOnlyList<CardFile> Assets);

/// <summary>Reads uploaded files into characters: one transaction per card, so a card is either whole or absent.</summary>
internal static class CardImporter
{
    public const int MaxFileBytes = 20 * 1024 * 1024;
    public const int MaxZipEntries = 1_000;
    public const long MaxZipUncompressedBytes = 100L * 1024 * 1024;

    /// <summary>Zips are opened here (not CHARX, which is one card): their entries become files of the batch.</summary>
    public static IEnumerable<(ImportFile? File, ImportResult? Failure)> Expand(IEnumerable<ImportFile> files)
    {
        foreach (var file in files)
        {
            if (!IsBundle(file))
            {
                yield return (file, null);
                continue;
            }
            List<ImportFile> entries;
            string? error = null;
            try
            {
                entries = ExpandZip(file);
            }
            catch (InvalidDataException e)
            {
                entries = [];
                error = e.Message;
            }
            if (error is not null) yield return (null, ImportResult.Failed(file.Name, error));
            foreach (var entry in entries) yield return (entry, null);
        }
    }

    /// <summary>A zip of cards, as opposed to a CHARX (a zip with card.json at its root, which is one card).</summary>
    public static bool IsBundle(ImportFile file)
    {
        if (!file.Data.AsSpan().StartsWith(CharxCodec.LocalHeader)) return false;
        if (!file.Name.EndsWith(".zip", StringComparison.OrdinalIgnoreCase)) return false;
        try
        {
            using var zip = new ZipArchive(new MemoryStream(file.Data, writable: false), ZipArchiveMode.Read);
            return zip.GetEntry(CharxCodec.CardEntry) is null;
        }
        catch (InvalidDataException)
        {
            return true; // reported by ExpandZip with its reason
        }
    }

    private static List<ImportFile> ExpandZip(ImportFile file)
    {
        var result = new List<ImportFile>();
        try
        {
            using var zip = new ZipArchive(new MemoryStream(file.Data, writable: false), ZipArchiveMode.Read);
            if (zip.Entries.Count > MaxZipEntries)
                throw new InvalidDataException($"The archive holds {zip.Entries.Count} files; at most {MaxZipEntries:N0} are accepted.");
            long budget = MaxZipUncompressedBytes;
            foreach (var entry in zip.Entries)
            {
                if (entry.FullName.EndsWith('/')) continue;
                if (!CharxCodec.IsSafePath(entry.FullName))
                    throw new InvalidDataException("The archive contains an unsafe file name (a path that leaves the archive); it was refused.");
                // macOS archive metadata is not a card and not the user's mistake.
                if (entry.FullName.StartsWith("__MACOSX/", StringComparison.Ordinal) || entry.Name.StartsWith("._", StringComparison.Ordinal)) continue;
                var cap = Math.Min(budget, MaxFileBytes + 1L);
                if (entry.Length > budget)
                    throw new InvalidDataException($"The archive expands to more than {MaxZipUncompressedBytes / (1024 * 1024)} MB; it was refused.");
                using var stream = entry.Open();
                var output = new MemoryStream();
                var buffer = new byte[81920];
                int read;
                // The sizes in the headers can lie: the bytes actually inflated are what is counted.
                while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
                {
                    output.Write(buffer, 0, read);
                    if (output.Length > cap) break;
                }
                budget -= output.Length;
                // An entry whose headers understate its size comes out cut short without an error: refuse it whole.
                if (output.Length <= cap && (output.Length != entry.Length
                                             || System.IO.Hashing.Crc32.HashToUInt32(output.GetBuffer().AsSpan(0, (int)output.Length)) != entry.Crc32))
                    throw new InvalidDataException($"The archive is damaged: \"{entry.FullName}\" is not whole (its size or checksum does not match what the archive says); nothing in it was imported.");
                if (budget < 0)
                    throw new InvalidDataException($"The archive expands to more than {MaxZipUncompressedBytes / (1024 * 1024)} MB; it was refused.");
                // An entry cut off at the cap is only kept to be refused by Prepare with the size rule's message.
                result.Add(new ImportFile($"{file.Name}/{entry.FullName}", output.ToArray()));
            }
        }
        catch (InvalidDataException e) when (e.Message.StartsWith("The archive", StringComparison.Ordinal))
        {
            throw;
        }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException or IOException)
        {
            throw new InvalidDataException($"The zip archive is damaged or uses an unsupported method ({e.GetType().Name}).");
        }
        return result;
    }

    /// <summary>Reads and maps one file; a failure is a result the user can act on, never an exception.</summary>
    public static (PreparedCard? Card, ImportResult? Failure) Prepare(ImportFile file, IReadOnlySet<string> categories)
    {
        if (file.Data.Length > MaxFileBytes)
            return (null, ImportResult.Failed(file.Name, "The file is larger than 20 MB, the most accepted for one card."));
        if (IsBundle(file))
            return (null, ImportResult.Failed(file.Name, "Archives inside archives are not opened; upload the inner zip on its own."));
        if (CardReader.LooksLikeJson(file.Data) && LooksLikeLorebook(file.Data))
            return (null, new ImportResult(file.Name, ImportStatus.Skipped, null,
                "This is a lorebook, not a character: attach it to a character from that character's page."));
        var read = CardReader.Read(file.Data, Path.GetFileName(file.Name));
        if (!read.Success) return (null, ImportResult.Failed(file.Name, read.Error));
        var blocking = CardValidator.Validate(read.Card, read.Files).Where(p => p.Blocking).ToList();
        if (blocking.Count > 0) return (null, ImportResult.Failed(file.Name, string.Join(" ", blocking.Select(p => p.Message))));
        var (draft, errors) = CardMapping.ToDraft(read.Card, categories);
        if (!errors.IsEmpty)
            return (null, ImportResult.Failed(file.Name, "The card exceeds this site's limits, so it was not imported (nothing is cut off silently): " +
                string.Join(" ", errors.All.Select(e => $"{e.Key.Replace("Draft.", "", StringComparison.Ordinal)}: {string.Join(" ", e.Value)}"))));

        // Same card data, whatever the container (PNG, JSON, CHARX) or the picture: the canonical V3 JSON.
        var hash = SHA256.HashData(CardWriter.WriteJson(read.Card, CardSpec.V3));

        ProcessedImage[]? avatar = null;
        if (read.Avatar is { } image)
        {
            try
            {
                avatar = [.. ImageProcessor.ToSquares(image.ToArray(), [512, 128])];
            }
            catch (ImageRejectedException)
            {
                // The card is readable but its picture is not: the character comes in without an avatar.
                avatar = null;
            }
        }

        var mainIcon = CardAssets.MainIcon(read.Card);
        var expressions = new List<(string, ProcessedImage)>();
        var assets = new List<CardFile>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var asset in read.Card.Assets ?? [])
        {
            if (asset == mainIcon || read.FindFile(asset.Uri) is not { } bytes) continue;
            if (asset.Type == "emotion" && ExpressionName(asset.Name) is { } expression && seen.Add(expression))
            {
                try
                {
                    expressions.Add((expression, ImageProcessor.ToSquares(bytes.ToArray(), [512])[0]));
                }
                catch (ImageRejectedException)
                {
                    // Not an image we can show; it still travels with the card as a kept asset.
                }
            }
        }
        var mainPath = mainIcon is null ? null : CardAssets.EmbeddedPath(mainIcon.Uri);
        foreach (var f in read.Files)
            if (f.Path != mainPath) assets.Add(f);
        return (new PreparedCard(file.Name, draft, hash, avatar, expressions, assets), null);
    }

    private static bool LooksLikeLorebook(byte[] data)
    {
        try
        {
            var root = CardJson.ParseObject(data, CardLimits.Default.MaxCardJsonBytes, "JSON");
            if (CardJson.Text(root["spec"]) == CardJson.SpecLorebookV3) return true;
            string[] cardKeys = ["data", "first_mes", "char_name", "char_persona", "personality", "mes_example", "scenario"];
            return root["entries"] is JsonObject or JsonArray && !cardKeys.Any(root.ContainsKey);
        }
        catch (CardReadException)
        {
            return false;
        }
    }

    public static string? ExpressionName(string name)
    {
        var clean = new string(name.ToLowerInvariant().Where(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' or '-').Take(40).ToArray());
        return clean.Length == 0 ? null : clean;
    }

    /// <summary>
    /// Stores a prepared card for a user inside the caller's transaction: a new private character (version 1), or a
    /// new version of the character the same card created before when <paramref name="mode"/> says so.
    /// </summary>
    public static async Task<ImportResult> StoreAsync(NpgsqlConnection connection, DbTransaction tx, long userId, PreparedCard card,
        DuplicateMode mode, CancellationToken ct)
    {
        var existing = await FindImportedAsync(connection, tx, userId, card.Hash, ct);
        var message = Truncate($"Imported from {Path.GetFileName(card.FileName)}", 500);
        long id = 0;
        if (existing is null)
        {
            // A hash left pointing at a character that is no longer this user's (given away) would block the claim below.
            await connection.ExecuteAsync(new CommandDefinition(
                """
                delete from characters.import_hashes h
                where h.user_id = @userId and h.sha256 = @Hash
                  and not exists (select 1 from characters.characters c where c.id = h.character_id and c.creator_id = @userId)
                """, new { userId, card.Hash }, tx, cancellationToken: ct));
            // Two imports of the same card at once both find no hash above. The hash row (primary key user + hash) is
            // the claim: the second insert waits for the first transaction, then claims nothing, and this card's
            // character is rolled back to the savepoint; the card is then the duplicate of the one that won.
            // (Plain DO NOTHING on purpose: a DO UPDATE ... WHERE would judge with this statement's older snapshot, in
            // which the winner's character does not exist yet, and take the hash over.)
            await tx.SaveAsync(ClaimSavepoint, ct);
            var p = new DynamicParameters(CharacterSql.DraftParameters(card.Draft));
            p.Add("UserId", userId);
            id = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                """
                insert into characters.characters (creator_id, name, nickname, tagline, description, personality, traits, background,
                    scenario, first_message, alternate_greetings, example_dialogues, system_prompt, post_history_instructions,
                    creator_notes, category, tags, visibility, lorebook, voice_config, extensions)
                values (@UserId, @Name, @Nickname, @Tagline, @Description, @Personality::jsonb, @Traits::jsonb, @Background,
                    @Scenario, @FirstMessage, @AlternateGreetings::jsonb, @ExampleDialogues, @SystemPrompt, @PostHistoryInstructions,
                    @CreatorNotes, @Category, @Tags, @Visibility, @Lorebook::jsonb, @VoiceConfig::jsonb, @Extensions::jsonb)
                returning id
                """, p, tx, cancellationToken: ct));
            await Versions.InsertAsync(connection, tx, id, 1, card.Draft, userId, message, ct);
            var claimed = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
                """
                insert into characters.import_hashes (user_id, sha256, character_id) values (@userId, @Hash, @id)
                on conflict (user_id, sha256) do nothing
                returning character_id
                """, new { userId, card.Hash, id }, tx, cancellationToken: ct));
            if (claimed is null)
            {
                await tx.RollbackAsync(ClaimSavepoint, ct);
                existing = await FindImportedAsync(connection, tx, userId, card.Hash, ct);
                if (existing is null)
                    return ImportResult.Failed(card.FileName, "The same card was being imported at the same moment and was removed again; import it once more.");
            }
            else
            {
                await tx.ReleaseAsync(ClaimSavepoint, ct);
            }
        }
        if (existing is { } found)
        {
            if (mode == DuplicateMode.Skip)
                return new ImportResult(card.FileName, ImportStatus.Skipped, found.Id,
                    $"Already imported: it is character {found.Id}. Choose \"import as a new version\" to update it.");
            id = found.Id;
            // The owner's visibility choice stays; an import never publishes or hides a character.
            var draft = card.Draft with { Visibility = Enum.Parse<Visibility>(found.Visibility, ignoreCase: true) };
            var p = new DynamicParameters(CharacterSql.DraftParameters(draft));
            p.Add("Id", id);
            var version = await connection.ExecuteScalarAsync<int>(new CommandDefinition(
                $"update characters.characters set {CharacterSql.SetDraftColumns}, version = version + 1, updated_at = now() where id = @Id returning version",
                p, tx, cancellationToken: ct));
            await Versions.InsertAsync(connection, tx, id, version, draft, userId, message, ct);
            await connection.ExecuteAsync(new CommandDefinition(
                "delete from characters.expressions where character_id = @id; delete from characters.assets where character_id = @id;",
                new { id }, tx, cancellationToken: ct));
        }

        if (card.Avatar is { } avatar)
        {
            var etag = Convert.ToHexStringLower(SHA256.HashData(avatar[0].Data))[..16];
            await connection.ExecuteAsync(new CommandDefinition(
                """
                insert into characters.avatars (character_id, large, small, content_type, etag, source)
                values (@id, @Large, @Small, @ContentType, @etag, 'card')
                on conflict (character_id) do update set large = excluded.large, small = excluded.small,
                    content_type = excluded.content_type, etag = excluded.etag, source = excluded.source,
                    builder_params = null, updated_at = now();
                update characters.characters set avatar_path = '/characters/' || @id || '/avatar/large?v=' || @etag where id = @id;
                """, new { id, Large = avatar[0].Data, Small = avatar[1].Data, avatar[0].ContentType, etag }, tx, cancellationToken: ct));
        }
        foreach (var (expression, image) in card.Expressions)
            await connection.ExecuteAsync(new CommandDefinition(
                """
                insert into characters.expressions (character_id, expression, image, content_type) values (@id, @expression, @Data, @ContentType)
                on conflict (character_id, expression) do update set image = excluded.image, content_type = excluded.content_type
                """, new { id, expression, image.Data, image.ContentType }, tx, cancellationToken: ct));
        foreach (var asset in card.Assets)
            await connection.ExecuteAsync(new CommandDefinition(
                "insert into characters.assets (character_id, path, data) values (@id, @Path, @Data) on conflict do nothing",
                new { id, asset.Path, Data = asset.Data.ToArray() }, tx, cancellationToken: ct));
        return new ImportResult(card.FileName, ImportStatus.Imported, id);
    }

    /// <summary>Prepares and stores one file in its own transaction; <paramref name="record"/> runs inside it (job bookkeeping).</summary>
    public static async Task<ImportResult> ImportOneAsync(NpgsqlDataSource db, long userId, ImportFile file, DuplicateMode mode,
        IReadOnlySet<string> categories, Func<NpgsqlConnection, DbTransaction, ImportResult, Task>? record, CancellationToken ct)
    {
        var (card, failure) = Prepare(file, categories);
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var result = failure ?? await StoreAsync(connection, tx, userId, card!, mode, ct);
        if (record is not null) await record(connection, tx, result);
        await tx.CommitAsync(ct);
        return result;
    }

    private const string ClaimSavepoint = "import_claim";

    /// <summary>The user's character that this card (by content hash) was imported as before, locked for an update.</summary>
    private static Task<(long Id, int Version, string Visibility)?> FindImportedAsync(NpgsqlConnection connection, DbTransaction tx,
        long userId, byte[] hash, CancellationToken ct) =>
        connection.QuerySingleOrDefaultAsync<(long Id, int Version, string Visibility)?>(new CommandDefinition(
            """
            select c.id, c.version, c.visibility from characters.import_hashes h
            join characters.characters c on c.id = h.character_id
            where h.user_id = @userId and h.sha256 = @hash and c.creator_id = @userId
            for update of c
            """, new { userId, hash }, tx, cancellationToken: ct));

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max];
}
