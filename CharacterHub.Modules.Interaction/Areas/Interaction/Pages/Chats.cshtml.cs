using CharacterHub.Kernel.Security;
using Dapper;
using Mediator;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Npgsql;

namespace CharacterHub.Modules.Interaction.Areas.Interaction.Pages;

[Authorize]
internal sealed class ChatsModel(IMediator mediator, ICurrentUser me) : PageModel
{
    public IReadOnlyList<Row> Chats { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct) => Chats = await mediator.Send(new Query(me.Id), ct);

    public sealed record Row(long Id, string Title, long CharacterId, DateTimeOffset LastMessageAt, long MessageCount);

    public sealed record Query(long UserId) : IQuery<IReadOnlyList<Row>>;

    internal sealed class Handler(NpgsqlDataSource db) : IQueryHandler<Query, IReadOnlyList<Row>>
    {
        private const string Sql = """
            select c.id, c.title, c.character_id, c.last_message_at,
                   (select count(*) from interaction.messages m where m.chat_id = c.id
                    and not exists (select 1 from interaction.message_tombstones t where t.message_id = m.id)) as message_count
            from interaction.chats c
            where c.user_id = @UserId
            order by c.last_message_at desc, c.id desc
            limit 100
            """;

        public async ValueTask<IReadOnlyList<Row>> Handle(Query query, CancellationToken ct)
        {
            await using var connection = await db.OpenConnectionAsync(ct);
            return (await connection.QueryAsync<Row>(Sql, query)).AsList();
        }
    }
}
