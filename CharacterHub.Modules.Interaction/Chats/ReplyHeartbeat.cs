using Dapper;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace CharacterHub.Modules.Interaction.Chats;

/// <summary>
/// How a streaming reply proves it is alive, and when an open reply counts as abandoned. Read from the "Chats"
/// configuration section: <c>HeartbeatSeconds</c> (default 30) and <c>AbandonAfterSeconds</c> (default 120). The
/// abandon age is kept at three heartbeats or more, so one slow or lost heartbeat never closes a live reply.
/// </summary>
internal sealed record ReplyLiveness(TimeSpan HeartbeatInterval, TimeSpan AbandonAfter)
{
    public static readonly ReplyLiveness Default = new(TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(2));

    public static ReplyLiveness From(IConfiguration configuration)
    {
        var section = configuration.GetSection("Chats");
        var beat = TimeSpan.FromSeconds(Math.Clamp(section.GetValue("HeartbeatSeconds", 30.0), 0.25, 300));
        var abandon = TimeSpan.FromSeconds(Math.Clamp(section.GetValue("AbandonAfterSeconds", 120.0), 1, 86_400));
        return new ReplyLiveness(beat, abandon < beat * 3 ? beat * 3 : abandon);
    }
}

/// <summary>The heartbeat write: one statement for every reply a process streams (see <see cref="StopSignals"/>).</summary>
internal static class ReplyHeartbeat
{
    // A heartbeat lost in a crash is harmless (the node is gone, which is what its absence will say), so this commit
    // does not wait for its WAL flush. Only rows still streaming are touched: a closed swipe keeps its finished state.
    private const string Sql = """
        update interaction.message_swipes s set heartbeat_at = now()
        from (select set_config('synchronous_commit', 'off', true)) as no_flush_wait
        where s.id = any(@ids) and s.status = 'streaming'
        """;

    public static Task<int> BeatAsync(NpgsqlConnection c, long[] ids, CancellationToken ct = default) =>
        c.ExecuteAsync(new CommandDefinition(Sql, new { ids }, cancellationToken: ct));
}
