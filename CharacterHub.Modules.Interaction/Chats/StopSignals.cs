using System.Collections.Concurrent;
using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace CharacterHub.Modules.Interaction.Chats;

/// <summary>
/// Tells the replies this process is streaming that someone pressed stop, on whichever node. The stop button sets a
/// flag on the swipe's row; one loop per process looks for flags on all of its streaming swipes with a single query
/// every <see cref="ChatGenerator.StopPollInterval"/>, so 500 concurrent streams cost 4 queries a second, not 2,000.
/// The loop runs only while something streams. Register as a singleton.
/// The same loop is the streams' heartbeat: every <see cref="ReplyLiveness.HeartbeatInterval"/> one UPDATE marks all
/// of this process's streaming swipes alive, so the abandoned-reply job leaves a long generation alone.
/// </summary>
internal sealed class StopSignals(NpgsqlDataSource db, ILogger<StopSignals> log, ReplyLiveness liveness)
{
    private readonly ConcurrentDictionary<long, CancellationTokenSource> active = new();
    private readonly Lock gate = new();
    private Task? loop;
    private long lastBeat = System.Diagnostics.Stopwatch.GetTimestamp();

    /// <summary>Watches <paramref name="swipeId"/> until the returned handle is disposed; <paramref name="stop"/> is
    /// cancelled when a stop is requested.</summary>
    public IDisposable Watch(long swipeId, CancellationTokenSource stop)
    {
        active[swipeId] = stop;
        lock (gate)
        {
            if (loop is null || loop.IsCompleted) loop = Task.Run(PollAsync);
        }
        return new Registration(this, swipeId);
    }

    private async Task PollAsync()
    {
        while (true)
        {
            await Task.Delay(ChatGenerator.StopPollInterval);
            long[] ids;
            lock (gate)
            {
                ids = active.Keys.ToArray();
                // Nothing streams: the loop ends, and the next Watch starts a new one (checked under the same lock).
                if (ids.Length == 0)
                {
                    loop = null;
                    return;
                }
            }
            try
            {
                await using var connection = await db.OpenConnectionAsync();
                var stopped = await connection.QueryAsync<long>(
                    "select id from interaction.message_swipes where id = any(@ids) and stop_requested", new { ids });
                foreach (var id in stopped)
                {
                    if (!active.TryRemove(id, out var cts)) continue;
                    // The reply may have ended (and disposed its source) since the ids were read.
                    try { await cts.CancelAsync(); } catch (ObjectDisposedException) { }
                }
                if (System.Diagnostics.Stopwatch.GetElapsedTime(lastBeat) >= liveness.HeartbeatInterval)
                {
                    await ReplyHeartbeat.BeatAsync(connection, ids);
                    lastBeat = System.Diagnostics.Stopwatch.GetTimestamp();
                }
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // Losing a poll must not lose a reply: the streams run on and are saved as usual; the next poll retries.
                log.LogWarning(ex, "Looking for stopped replies failed");
            }
        }
    }

    private sealed class Registration(StopSignals owner, long swipeId) : IDisposable
    {
        public void Dispose() => owner.active.TryRemove(swipeId, out _);
    }
}
