using Dapper;
using Mediator;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Npgsql;

namespace CharacterHub.Modules.Marketplace.Areas.Marketplace.Pages;

/// <summary>The public marketplace: newest published characters first. Open to visitors.</summary>
internal sealed class IndexModel(IMediator mediator) : PageModel
{
    public IReadOnlyList<Row> Listings { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct) => Listings = await mediator.Send(new Query(), ct);

    public sealed record Row(long CharacterId, string Name, string Tagline, decimal RatingAvg, int RatingCount, int Downloads);

    public sealed record Query : IQuery<IReadOnlyList<Row>>;

    internal sealed class Handler(NpgsqlDataSource db) : IQueryHandler<Query, IReadOnlyList<Row>>
    {
        private const string Sql = """
            select character_id, name, tagline, rating_avg, rating_count, downloads
            from marketplace.listings
            order by published_at desc, character_id desc
            limit 60
            """;

        public async ValueTask<IReadOnlyList<Row>> Handle(Query query, CancellationToken ct)
        {
            await using var connection = await db.OpenConnectionAsync(ct);
            return (await connection.QueryAsync<Row>(Sql)).AsList();
        }
    }
}
