using CharacterHub.Kernel.Security;
using Dapper;
using Mediator;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Npgsql;

namespace CharacterHub.Modules.Memory.Areas.Memory.Pages;

/// <summary>What your characters remember about you: every memory is yours to see.</summary>
[Authorize]
internal sealed class MemoriesModel(IMediator mediator, ICurrentUser me) : PageModel
{
    public IReadOnlyList<Row> Memories { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct) => Memories = await mediator.Send(new Query(me.Id), ct);

    public sealed record Row(long Id, long CharacterId, string Kind, string Content, short Importance, DateTimeOffset CreatedAt);

    public sealed record Query(long UserId) : IQuery<IReadOnlyList<Row>>;

    internal sealed class Handler(NpgsqlDataSource db) : IQueryHandler<Query, IReadOnlyList<Row>>
    {
        private const string Sql = """
            select id, character_id, kind, content, importance, created_at
            from memory.memories
            where user_id = @UserId
            order by created_at desc, id desc
            limit 200
            """;

        public async ValueTask<IReadOnlyList<Row>> Handle(Query query, CancellationToken ct)
        {
            await using var connection = await db.OpenConnectionAsync(ct);
            return (await connection.QueryAsync<Row>(Sql, query)).AsList();
        }
    }
}
