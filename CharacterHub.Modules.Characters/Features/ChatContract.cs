using CharacterHub.Kernel.Contracts.Characters;
using Dapper;
using Mediator;
using Npgsql;

namespace CharacterHub.Modules.Characters.Features;

/// <summary>Answers the Interaction module's <see cref="GetCharacterForChat"/> with the same visibility rule as the
/// profile page (share tokens do not count: a chat is started by a signed-in reader, not by a link).</summary>
internal sealed class GetCharacterForChatHandler(NpgsqlDataSource db) : IQueryHandler<GetCharacterForChat, ChatCharacter?>
{
    private const string Sql = $"""
        select {CharacterSql.Columns} from characters.characters c
        where c.id = @CharacterId and {CharacterSql.CanRead}
        """;

    public async ValueTask<ChatCharacter?> Handle(GetCharacterForChat query, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<CharacterRow>(new CommandDefinition(Sql, query, cancellationToken: ct));
        if (row is null) return null;
        var d = row.ToDraft();
        var book = d.Lorebook;
        return new ChatCharacter(
            row.Id, row.Version, row.UpdatedAt, d.Name, d.Nickname, d.Description, d.Personality.Summary, d.Scenario, d.FirstMessage,
            d.AlternateGreetings, d.ExampleDialogues, d.SystemPrompt, d.PostHistoryInstructions,
            row.AvatarEtag is null ? null : $"/characters/{row.Id}/avatar/small?v={row.AvatarEtag}",
            new ChatLorebook(book.ScanDepth, book.TokenBudget, book.RecursiveScanning, book.Entries
                .Select(e => new ChatLoreEntry(e.Keys, e.SecondaryKeys, e.Content, e.Comment, e.InsertionOrder, e.Priority,
                    e.Position, e.Enabled, e.Constant, e.Selective, e.UseRegex, e.CaseSensitive))
                .ToList()),
            Talkativeness(d.Extensions));
    }

    /// <summary>SillyTavern writes talkativeness as a string ("0.5"), other tools as a number; anything else, or a
    /// value outside 0..1, is no setting at all.</summary>
    internal static double? Talkativeness(System.Text.Json.Nodes.JsonObject extensions)
    {
        if (extensions["talkativeness"] is not System.Text.Json.Nodes.JsonValue value) return null;
        double number;
        if (value.TryGetValue<double>(out var d)) number = d;
        else if (value.TryGetValue<string>(out var text) && double.TryParse(text.Trim(), System.Globalization.NumberStyles.Float,
                     System.Globalization.CultureInfo.InvariantCulture, out var parsed)) number = parsed;
        else return null;
        return double.IsFinite(number) && number is >= 0 and <= 1 ? number : null;
    }
}

internal sealed class GetCharacterChatVersionHandler(NpgsqlDataSource db) : IQueryHandler<GetCharacterChatVersion, ChatCharacterStamp?>
{
    private const string Sql = $"select c.version, c.updated_at from characters.characters c where c.id = @CharacterId and {CharacterSql.CanRead}";

    public async ValueTask<ChatCharacterStamp?> Handle(GetCharacterChatVersion query, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<ChatCharacterStamp>(new CommandDefinition(Sql, query, cancellationToken: ct));
    }
}

/// <summary>Answers <see cref="FindCharactersForChat"/> with the library search over every character the user may
/// read (own, shared, public), so a picker finds what the library and the API's listing find.</summary>
internal sealed class FindCharactersForChatHandler(NpgsqlDataSource db) : IQueryHandler<FindCharactersForChat, IReadOnlyList<ChatCharacterChoice>>
{
    public async ValueTask<IReadOnlyList<ChatCharacterChoice>> Handle(FindCharactersForChat query, CancellationToken ct)
    {
        var search = query.Search is { Length: > 200 } s ? s[..200] : query.Search;
        var page = await new LibraryQueryHandler(db).Handle(
            new LibraryQuery(query.UserId, LibraryScope.Visible, Q: search, Sort: LibrarySort.Name, PageSize: Math.Clamp(query.Limit, 1, 50)), ct);
        return page.Items
            .Select(i => new ChatCharacterChoice(i.Id, i.Name, i.Tagline,
                i.AvatarEtag is null ? null : $"/characters/{i.Id}/avatar/small?v={i.AvatarEtag}", i.CreatorId == query.UserId))
            .ToList();
    }
}
