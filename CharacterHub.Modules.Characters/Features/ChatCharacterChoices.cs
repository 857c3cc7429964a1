using CharacterHub.Kernel.Contracts.Characters;
using Dapper;
using Mediator;
using Npgsql;

namespace CharacterHub.Modules.Characters.Features;

/// <summary>Answers <see cref="ListCharactersForChat"/>: own and shared characters, and the given ids when readable.</summary>
internal sealed class ListCharactersForChatHandler(NpgsqlDataSource db) : IQueryHandler<ListCharactersForChat, IReadOnlyList<ImportCharacterChoice>>
{
    private const string Sql = $"""
        select c.id, c.name from characters.characters c
        where (c.creator_id = @UserId
               or exists (select 1 from characters.collaborators k where k.character_id = c.id and k.user_id = @UserId)
               or c.id = any(@AlsoIds))
          and {CharacterSql.CanRead}
        order by lower(c.name), c.id
        limit 500
        """;

    public async ValueTask<IReadOnlyList<ImportCharacterChoice>> Handle(ListCharactersForChat query, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<ImportCharacterChoice>(new CommandDefinition(Sql,
            new { query.UserId, AlsoIds = query.AlsoIds.Distinct().ToArray() }, cancellationToken: ct))).AsList();
    }
}
