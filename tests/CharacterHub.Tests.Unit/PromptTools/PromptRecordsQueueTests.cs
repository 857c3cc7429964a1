using CharacterHub.Modules.Interaction.Chats;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace CharacterHub.Tests.Unit.PromptTools;

/// <summary>The prompt-record queue: bounded, and a record it cannot take is dropped at once, never left "pending".</summary>
public sealed class PromptRecordsQueueTests
{
    private static readonly InspectedPrompt Record = new("m", false, 8192, 512, 10, 0, false, null, [], [], [], []);

    [Test]
    public async Task AFullQueue_DropsTheNewRecord_AndNobodyWaitsForIt()
    {
        // Never started: nothing is written, the queue only fills. The data source is never opened.
        await using var db = NpgsqlDataSource.Create("Host=127.0.0.1;Port=1;Database=none");
        var records = new PromptRecords(db, NullLogger<PromptRecords>.Instance, capacity: 1);
        records.Save(1, Record);
        records.Save(2, Record);

        var dropped = records.WhenSavedAsync(2, TimeSpan.FromSeconds(30), CancellationToken.None);
        Assert.That(await Task.WhenAny(dropped, Task.Delay(TimeSpan.FromSeconds(10))), Is.SameAs(dropped), "a dropped record is not waited for");

        // The one that was taken is still waiting to be written (the loop never ran), so the inspector would wait for it.
        var queued = records.WhenSavedAsync(1, TimeSpan.FromSeconds(30), CancellationToken.None);
        var pause = Task.Delay(TimeSpan.FromMilliseconds(300));
        Assert.That(await Task.WhenAny(queued, pause), Is.SameAs(pause));
    }
}
