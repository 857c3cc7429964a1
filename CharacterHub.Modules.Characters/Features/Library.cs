using System.Globalization;
using System.Text;
using System.Text.Json;
using Dapper;
using Mediator;
using Npgsql;

namespace CharacterHub.Modules.Characters.Features;

internal enum LibrarySort { Updated, Name, Created, Chats }

/// <summary>Which characters a listing draws from: the user's own and shared ones (the library), or also every
/// public one (the API's listing).</summary>
internal enum LibraryScope { Library, Visible }

internal sealed record LibraryQuery(
    long UserId, LibraryScope Scope = LibraryScope.Library, string? Q = null, string? Category = null, string? Tag = null,
    string? Visibility = null, bool FavoritesOnly = false, bool Archived = false, long? CreatorId = null,
    LibrarySort Sort = LibrarySort.Updated, string? Cursor = null, int PageSize = 24) : IQuery<LibraryPage>;

/// <summary>One row of a listing; parameters in the order of the query's columns (Dapper matches them by position).</summary>
internal sealed record LibraryItem(
    long Id, long CreatorId, string Name, string Tagline, string Snippet, string? Category, string[] Tags, string Visibility,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, int ChatCount, DateTimeOffset? ArchivedAt, string SortName, int Version,
    string? AvatarEtag, bool IsFavorite);

internal sealed record LibraryPage(IReadOnlyList<LibraryItem> Items, string? NextCursor, string? Problem = null);

/// <summary>
/// Search, filter, sort and keyset-paginate characters. Each scope (own, shared, public) is a separate branch that
/// an index can serve in sort order with its own LIMIT; the union is then cut to one page. That keeps a page cheap
/// with a million characters in the table, where one OR across the scopes would make PostgreSQL read them all.
/// </summary>
internal sealed class LibraryQueryHandler(NpgsqlDataSource db) : IQueryHandler<LibraryQuery, LibraryPage>
{
    private const string PublicScope = "c.visibility = 'public'";

    public async ValueTask<LibraryPage> Handle(LibraryQuery q, CancellationToken ct)
    {
        var size = Math.Clamp(q.PageSize, 1, 100);
        var p = new DynamicParameters();
        p.Add("UserId", q.UserId);
        p.Add("Limit", size + 1);

        var where = new StringBuilder();
        var tsQuery = SearchQuery(q.Q);
        if (tsQuery is not null) { where.Append(" and c.search @@ to_tsquery('simple', @Ts)"); p.Add("Ts", tsQuery); }
        // PostgreSQL text cannot hold NUL (it fails the query); no category or tag has one, so it is dropped from the filter.
        if (!string.IsNullOrWhiteSpace(q.Category)) { where.Append(" and c.category = @Category"); p.Add("Category", q.Category.Replace("\0", "", StringComparison.Ordinal).Trim().ToLowerInvariant()); }
        if (!string.IsNullOrWhiteSpace(q.Tag)) { where.Append(" and c.tags @> array[@Tag]::text[]"); p.Add("Tag", q.Tag.Replace("\0", "", StringComparison.Ordinal).Trim().ToLowerInvariant().TrimStart('#')); }
        if (q.Visibility is "private" or "unlisted" or "public") { where.Append(" and c.visibility = @Visibility"); p.Add("Visibility", q.Visibility); }
        if (q.FavoritesOnly) where.Append(" and exists (select 1 from characters.favorites f where f.user_id = @UserId and f.character_id = c.id)");
        where.Append(q.Archived ? " and c.archived_at is not null" : " and c.archived_at is null");
        if (q.CreatorId is { } creator) { where.Append(" and c.creator_id = @CreatorId"); p.Add("CreatorId", creator); }

        var (orderBy, keyExpr, comparison) = q.Sort switch
        {
            LibrarySort.Name => ("lower(c.name), c.id", "lower(c.name)", ">"),
            LibrarySort.Created => ("c.created_at desc, c.id desc", "c.created_at", "<"),
            LibrarySort.Chats => ("c.chat_count desc, c.id desc", "c.chat_count", "<"),
            _ => ("c.updated_at desc, c.id desc", "c.updated_at", "<"),
        };
        if (q.Cursor is not null)
        {
            const string stale = "That page link is no longer valid; start from the first page.";
            if (Cursor.Decode(q.Cursor) is not { } cursor) return new LibraryPage([], null, stale);
            where.Append($" and ({keyExpr}, c.id) {comparison} (@CursorKey, @CursorId)");
            p.Add("CursorId", cursor.Id);
            // A cursor carries the key of the sort it was made for: one kept while the sort changed (or edited by hand)
            // holds a key of another kind, which is a stale link, not a server error.
            switch (q.Sort)
            {
                case LibrarySort.Name when !cursor.Key.Contains('\0', StringComparison.Ordinal):
                    p.Add("CursorKey", cursor.Key); break;
                case LibrarySort.Chats when int.TryParse(cursor.Key, NumberStyles.Integer, CultureInfo.InvariantCulture, out var chats):
                    p.Add("CursorKey", chats); break;
                case LibrarySort.Created or LibrarySort.Updated
                    when DateTimeOffset.TryParse(cursor.Key, CultureInfo.InvariantCulture, DateTimeStyles.None, out var at):
                    p.Add("CursorKey", at.UtcDateTime); break;
                default:
                    return new LibraryPage([], null, stale);
            }
        }

        var branches = new List<string>
        {
            "c.creator_id = @UserId",
            "c.id in (select k.character_id from characters.collaborators k where k.user_id = @UserId)",
        };
        if (q.Scope == LibraryScope.Visible) branches.Add(PublicScope);
        var select = $"""
            select c.id, c.creator_id, c.name, c.tagline, left(c.description, 240) as snippet, c.category, c.tags, c.visibility,
                   c.created_at, c.updated_at, c.chat_count, c.archived_at, lower(c.name) as sort_name, c.version
            from characters.characters c
            """;
        // The public branch with a search term: PostgreSQL cannot estimate how many rows a prefix tsquery matches (it
        // guesses one) and would walk a third of the table in sort order testing each row; the OFFSET 0 fence makes
        // it collect the matches through the public GIN index first and sort only those. A user's own rows are few
        // enough to test in sort order, which also stops as soon as a page is full.
        string Branch(string scope) => tsQuery is not null && scope == PublicScope
            ? $"(select * from ({select}\n    where {scope}{where} offset 0) c\n    order by {orderBy} limit @Limit)"
            : $"(  {select}\n    where {scope}{where}\n    order by {orderBy} limit @Limit)";
        var sql = $"""
            with page as (
                {string.Join("\n    union\n", branches.Select(Branch))}
            )
            select c.*, (select a.etag from characters.avatars a where a.character_id = c.id) as avatar_etag,
                   exists (select 1 from characters.favorites f where f.user_id = @UserId and f.character_id = c.id) as is_favorite
            from page c
            order by {orderBy}
            limit @Limit
            """;

        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = (await connection.QueryAsync<LibraryItem>(new CommandDefinition(sql, p, cancellationToken: ct))).AsList();
        string? next = null;
        if (rows.Count > size)
        {
            rows.RemoveAt(size);
            var last = rows[^1];
            var key = q.Sort switch
            {
                LibrarySort.Name => last.SortName,
                LibrarySort.Chats => last.ChatCount.ToString(CultureInfo.InvariantCulture),
                LibrarySort.Created => last.CreatedAt.ToString("O", CultureInfo.InvariantCulture),
                _ => last.UpdatedAt.ToString("O", CultureInfo.InvariantCulture),
            };
            next = Cursor.Encode(new Cursor(key, last.Id));
        }
        return new LibraryPage(rows, next);
    }

    /// <summary>Turns what a person types into a prefix tsquery ("sera knig" finds "Seraphina the knight"): words only,
    /// so no tsquery syntax from the user ever reaches PostgreSQL.</summary>
    public static string? SearchQuery(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var words = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)
            .Select(w => new string(w.Where(char.IsLetterOrDigit).ToArray()).ToLowerInvariant())
            .Where(w => w.Length > 0).Take(8).ToList();
        return words.Count == 0 ? null : string.Join(" & ", words.Select(w => $"{w}:*"));
    }
}

internal sealed record Cursor(string Key, long Id)
{
    public static string Encode(Cursor c) =>
        Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(c)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static Cursor? Decode(string value)
    {
        try
        {
            var s = value.Replace('-', '+').Replace('_', '/');
            s = s.PadRight(s.Length + (4 - s.Length % 4) % 4, '=');
            var c = JsonSerializer.Deserialize<Cursor>(Convert.FromBase64String(s));
            return c is { Key: not null } ? c : null;
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return null;
        }
    }
}
