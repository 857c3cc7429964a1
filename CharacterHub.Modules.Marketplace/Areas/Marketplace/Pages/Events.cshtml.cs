using Dapper;
using Mediator;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Npgsql;

namespace CharacterHub.Modules.Marketplace.Areas.Marketplace.Pages;

/// <summary>Community events (contests, themed weeks): current and upcoming ones. Open to visitors.</summary>
internal sealed class EventsModel(IMediator mediator) : PageModel
{
    public IReadOnlyList<Row> Events { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct) => Events = await mediator.Send(new Query(), ct);

    public sealed record Row(long Id, string Title, string Description, DateTimeOffset StartsAt, DateTimeOffset EndsAt);

    public sealed record Query : IQuery<IReadOnlyList<Row>>;

    internal sealed class Handler(NpgsqlDataSource db) : IQueryHandler<Query, IReadOnlyList<Row>>
    {
        private const string Sql = """
            select id, title, description, starts_at, ends_at
            from marketplace.events
            where ends_at > now()
            order by starts_at, id
            limit 50
            """;

        public async ValueTask<IReadOnlyList<Row>> Handle(Query query, CancellationToken ct)
        {
            await using var connection = await db.OpenConnectionAsync(ct);
            return (await connection.QueryAsync<Row>(Sql)).AsList();
        }
    }
}
