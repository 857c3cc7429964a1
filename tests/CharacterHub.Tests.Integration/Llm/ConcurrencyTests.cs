using CharacterHub.FakeLlm;
using CharacterHub.Modules.Interaction.Llm;

namespace CharacterHub.Tests.Llm;

public sealed class ConcurrencyTests : LlmTestBase
{
    [Test]
    public async Task Five_hundred_concurrent_streams_against_one_server_all_complete_with_their_own_reply()
    {
        const int streams = 500;
        // 8 tokens at 10/s keep every stream open for ~0.8 s, so they overlap.
        Server.Script(FakeLlmBehavior.EchoLastUserMessage() with { TokensPerSecond = 10 });
        var client = Client();

        var results = await Task.WhenAll(Enumerable.Range(0, streams).Select(i => Task.Run(() =>
            CollectAsync(client.StreamAsync([LlmMessage.User($"stream number {i} says hi")])))))
            .WaitAsync(TimeSpan.FromSeconds(60));

        for (var i = 0; i < streams; i++)
        {
            Assert.That(results[i].Terminal, Is.TypeOf<LlmCompletedEvent>(), $"stream {i}: {results[i].Terminal}");
            Assert.That(results[i].Completed.Text, Is.EqualTo($"Echo: stream number {i} says hi"));
        }
        Assert.That(Server.PeakConcurrentRequests, Is.GreaterThan(streams / 2), "the streams really overlapped");
    }
}
