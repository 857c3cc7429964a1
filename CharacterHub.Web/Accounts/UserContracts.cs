using CharacterHub.Kernel.Contracts.Accounts;
using Dapper;
using Mediator;
using Npgsql;

namespace CharacterHub.Web.Accounts;

public sealed class FindUserByUsernameHandler(NpgsqlDataSource db) : IQueryHandler<FindUserByUsername, UserSummary?>
{
    public async ValueTask<UserSummary?> Handle(FindUserByUsername query, CancellationToken ct)
    {
        var username = RegisterUserHandler.Normalize(query.Username);
        if (!RegisterUserHandler.UsernamePattern().IsMatch(username)) return null;
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<UserSummary>(new CommandDefinition(
            "select id, username, display_name from accounts.users where username = @username", new { username }, cancellationToken: ct));
    }
}

public sealed class GetUserSummariesHandler(NpgsqlDataSource db) : IQueryHandler<GetUserSummaries, IReadOnlyDictionary<long, UserSummary>>
{
    public async ValueTask<IReadOnlyDictionary<long, UserSummary>> Handle(GetUserSummaries query, CancellationToken ct)
    {
        if (query.Ids.Count == 0) return new Dictionary<long, UserSummary>();
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<UserSummary>(new CommandDefinition(
            "select id, username, display_name from accounts.users where id = any(@ids)", new { ids = query.Ids.Distinct().Take(1000).ToArray() },
            cancellationToken: ct));
        return rows.ToDictionary(r => r.Id);
    }
}
