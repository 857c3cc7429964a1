using CharacterHub.Kernel.Security;
using Dapper;
using Mediator;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Npgsql;

namespace CharacterHub.Modules.Marketplace.Areas.Marketplace.Pages;

[Authorize]
internal sealed class CollectionsModel(IMediator mediator, ICurrentUser me) : PageModel
{
    public IReadOnlyList<Row> Collections { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct) => Collections = await mediator.Send(new Query(me.Id), ct);

    public sealed record Row(long Id, string Name, string Description, bool IsPublic, long ItemCount);

    public sealed record Query(long UserId) : IQuery<IReadOnlyList<Row>>;

    internal sealed class Handler(NpgsqlDataSource db) : IQueryHandler<Query, IReadOnlyList<Row>>
    {
        private const string Sql = """
            select c.id, c.name, c.description, c.is_public,
                   (select count(*) from marketplace.collection_items i where i.collection_id = c.id) as item_count
            from marketplace.collections c
            where c.owner_id = @UserId
            order by c.created_at desc, c.id desc
            """;

        public async ValueTask<IReadOnlyList<Row>> Handle(Query query, CancellationToken ct)
        {
            await using var connection = await db.OpenConnectionAsync(ct);
            return (await connection.QueryAsync<Row>(Sql, query)).AsList();
        }
    }
}
