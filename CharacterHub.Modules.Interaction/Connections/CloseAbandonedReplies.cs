using Dapper;
using Mediator;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace CharacterHub.Modules.Interaction.Connections;

/// <summary>
/// Recurring job <c>interaction:close-abandoned-replies</c>. A reply is saved by the request that streams it; when
/// that node dies mid-stream (or the stream never opened), the swipe stays 'pending' or 'streaming' and the page would
/// show a reply that never ends. A node that is streaming refreshes the swipe's heartbeat (see
/// <see cref="Chats.StopSignals"/>); once the last sign of life (the heartbeat, else the claim, else the creation) is
/// older than <see cref="Chats.ReplyLiveness.AbandonAfter"/>, the swipe becomes a partial reply that says so. A long
/// generation on a live node keeps beating and is never closed; should its final save still find the swipe closed,
/// it keeps its text as a new swipe (<see cref="Chats.LateReplies"/>). Idempotent: a second run finds nothing.
/// </summary>
internal sealed record CloseAbandonedReplies : Mediator.ICommand;

internal sealed class CloseAbandonedRepliesHandler(NpgsqlDataSource db, Chats.ReplyLiveness liveness, ILogger<CloseAbandonedRepliesHandler> log)
    : Mediator.ICommandHandler<CloseAbandonedReplies>
{
    public const string Id = "interaction:close-abandoned-replies";
    public const string Cron = "*/5 * * * *";
    public const string Detail = "The server writing this reply went away before finishing it.";

    // A continuation's text is its base's text plus what the model appended: keep the base so nothing shown is lost.
    // The chat's own row is not touched: last_message_at says when the user last talked, not when a job tidied up.
    private const string Sql = """
        update interaction.message_swipes s
        set status = 'partial', reason = 'failed', detail = @Detail, finished_at = now(),
            content = case when s.continues_swipe_id is null then s.content else coalesce(
                (select r.content from interaction.message_revisions r where r.swipe_id = s.continues_swipe_id order by r.id desc limit 1),
                (select b.content from interaction.message_swipes b where b.id = s.continues_swipe_id), '') end
        where s.status in ('pending', 'streaming')
          and coalesce(s.heartbeat_at, s.started_at, s.created_at) < now() - @olderThan
        """;

    public TimeSpan OlderThan => liveness.AbandonAfter;

    public async ValueTask<Unit> Handle(CloseAbandonedReplies command, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var closed = await connection.ExecuteAsync(new CommandDefinition(Sql, new { Detail, olderThan = OlderThan }, cancellationToken: ct));
        if (closed > 0) log.LogWarning("Closed {Count} replies whose generation was abandoned", closed);
        return Unit.Value;
    }
}
