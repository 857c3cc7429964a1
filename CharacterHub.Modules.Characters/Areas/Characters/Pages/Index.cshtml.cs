using CharacterHub.Kernel.Security;
using Dapper;
using Mediator;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Npgsql;

namespace CharacterHub.Modules.Characters.Areas.Characters.Pages;

[Authorize]
internal sealed class IndexModel(IMediator mediator, ICurrentUser me) : PageModel
{
    public IReadOnlyList<Row> Characters { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct) => Characters = await mediator.Send(new Query(me.Id), ct);

    public sealed record Row(long Id, string Name, string Description, bool IsPublic, DateTimeOffset UpdatedAt);

    public sealed record Query(long UserId) : IQuery<IReadOnlyList<Row>>;

    internal sealed class Handler(NpgsqlDataSource db) : IQueryHandler<Query, IReadOnlyList<Row>>
    {
        private const string Sql = """
            select id, name, description, is_public, updated_at
            from characters.characters
            where creator_id = @UserId
            order by updated_at desc, id desc
            limit 100
            """;

        public async ValueTask<IReadOnlyList<Row>> Handle(Query query, CancellationToken ct)
        {
            await using var connection = await db.OpenConnectionAsync(ct);
            return (await connection.QueryAsync<Row>(Sql, query)).AsList();
        }
    }
}
