using System.Collections.Concurrent;
using System.Threading.Channels;
using Dapper;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace CharacterHub.Modules.Interaction.Chats;

/// <summary>
/// Saves what each reply was written from (the prompt inspector's record) off the turn's path. A reply's own text is
/// saved, durably, by the turn itself; the inspector's record is a ~30 KB document (the whole prompt) whose JSON
/// writing, transfer and TOAST compression cost the turn about as much as everything else it does. So the turn hands
/// the record over here and returns: one loop per process serialises the records and writes whatever has queued up
/// in one statement, without waiting for a WAL flush (a record lost in a crash only leaves the inspector saying that
/// nothing was recorded for that reply). The inspector page asks <see cref="WhenSavedAsync"/> first, so a reply
/// opened in the inspector the moment it finished still shows its record. Register as a singleton and as a hosted
/// service (it drains its queue on shutdown).
/// </summary>
internal sealed class PromptRecords(NpgsqlDataSource db, ILogger<PromptRecords> log, int capacity = PromptRecords.MaxQueued) : IHostedService
{
    /// <summary>Records waiting beyond this many (a database outage) are dropped, not kept in memory without bound.</summary>
    public const int MaxQueued = 5_000;
    private const int MaxBatch = 64;

    /// <summary>How long the loop lets records gather before it writes them.</summary>
    public static readonly TimeSpan CoalesceDelay = TimeSpan.FromMilliseconds(100);

    private readonly CancellationTokenSource stopping = new();

    private readonly Channel<(long SwipeId, InspectedPrompt Prompt)> queue =
        Channel.CreateBounded<(long, InspectedPrompt)>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            // Wait, not DropWrite: with Wait, TryWrite says false when the queue is full (DropWrite would say true and
            // drop silently, leaving the record "pending" forever); Save never waits, it drops and logs.
            FullMode = BoundedChannelFullMode.Wait,
        });
    private readonly ConcurrentDictionary<long, TaskCompletionSource> pending = new();
    private Task? loop;

    /// <summary>Queues <paramref name="prompt"/> as the record of <paramref name="swipeId"/> (already saved).</summary>
    public void Save(long swipeId, InspectedPrompt prompt)
    {
        var saved = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        pending[swipeId] = saved;
        if (!queue.Writer.TryWrite((swipeId, prompt)))
        {
            pending.TryRemove(swipeId, out _);
            saved.TrySetResult();
            log.LogWarning("Prompt record of swipe {SwipeId} dropped: {Max} records are already waiting to be saved", swipeId, capacity);
        }
    }

    /// <summary>Waits (at most <paramref name="timeout"/>) until this process has written the record of
    /// <paramref name="swipeId"/>, when it has one queued; returns at once otherwise.</summary>
    public async Task WhenSavedAsync(long swipeId, TimeSpan timeout, CancellationToken ct)
    {
        if (!pending.TryGetValue(swipeId, out var saved)) return;
        try
        {
            await saved.Task.WaitAsync(timeout, ct);
        }
        catch (TimeoutException)
        {
            // The page then says nothing was recorded yet; the record still lands.
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        loop = Task.Run(WriteLoopAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        queue.Writer.TryComplete();
        await stopping.CancelAsync().ConfigureAwait(false);
        if (loop is not null) await loop.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<(long SwipeId, InspectedPrompt Prompt)>(MaxBatch);
        while (await queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            // Records that finish close together go in one statement and one commit: a busy site writes a few
            // statements a second instead of one per reply (the inspector waits for a queued record, see WhenSavedAsync).
            if (!queue.Reader.Completion.IsCompleted && queue.Reader.Count < MaxBatch)
            {
                try { await Task.Delay(CoalesceDelay, stopping.Token).ConfigureAwait(false); }
                catch (OperationCanceledException) { }
            }
            batch.Clear();
            while (batch.Count < MaxBatch && queue.Reader.TryRead(out var item)) batch.Add(item);
            try
            {
                await WriteAsync(batch).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // One bad or raced row (its chat deleted meanwhile) must not lose the others: one at a time.
                foreach (var item in batch)
                {
                    try { await WriteAsync([item]).ConfigureAwait(false); }
                    catch (Exception one) when (one is not OutOfMemoryException)
                    {
                        log.LogWarning(one, "The prompt record of swipe {SwipeId} could not be saved", item.SwipeId);
                    }
                }
            }
            finally
            {
                foreach (var (swipeId, _) in batch)
                    if (pending.TryRemove(swipeId, out var saved)) saved.TrySetResult();
            }
        }
    }

    private async Task WriteAsync(IReadOnlyList<(long SwipeId, InspectedPrompt Prompt)> batch)
    {
        var ids = new long[batch.Count];
        var documents = new string[batch.Count];
        for (var i = 0; i < batch.Count; i++) (ids[i], documents[i]) = (batch[i].SwipeId, batch[i].Prompt.ToJson());
        await using var connection = await db.OpenConnectionAsync().ConfigureAwait(false);
        // Only swipes that still exist (a chat deleted meanwhile takes its swipes with it); never waits for the flush.
        await connection.ExecuteAsync(
            """
            with no_flush_wait as (select set_config('synchronous_commit', 'off', true))
            insert into interaction.swipe_prompts (swipe_id, prompt)
            select r.swipe_id, r.prompt
            from unnest(@ids, @documents) as r(swipe_id, prompt)
            join interaction.message_swipes s on s.id = r.swipe_id
            cross join no_flush_wait
            on conflict (swipe_id) do nothing
            """, new { ids, documents = new JsonbArray(documents) }).ConfigureAwait(false);
    }

    /// <summary>Sends the documents as <c>jsonb[]</c> so the server parses them once, straight into the column.</summary>
    private sealed class JsonbArray(string[] values) : SqlMapper.ICustomQueryParameter
    {
        public void AddParameter(System.Data.IDbCommand command, string name) =>
            command.Parameters.Add(new NpgsqlParameter(name, NpgsqlDbType.Array | NpgsqlDbType.Jsonb) { Value = values });
    }
}
