using CharacterHub.FakeLlm;
using CharacterHub.Modules.Interaction.Llm;

namespace CharacterHub.Tests.Llm;

/// <summary>The scripting the other tests rely on.</summary>
public sealed class FakeLlmServerTests : LlmTestBase
{
    [Test]
    public async Task Queued_behaviours_are_used_once_each_in_order_then_the_script_applies()
    {
        Server.Script(FakeLlmBehavior.Reply("scripted"));
        Server.Enqueue(FakeLlmBehavior.Reply("first"), FakeLlmBehavior.Error(503));
        var client = Client();

        var replies = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var result = await CollectAsync(client.StreamAsync(Hello));
            replies.Add(result.Terminal is LlmCompletedEvent c ? c.Text : ((LlmFailedEvent)result.Terminal).Error.StatusCode.ToString()!);
        }

        Assert.That(replies, Is.EqualTo(new[] { "first", "503", "scripted" }));
    }

    [Test]
    public async Task A_script_can_choose_the_behaviour_from_the_request()
    {
        Server.Script(request => request.Body!.Value.GetProperty("model").GetString() == "broken"
            ? FakeLlmBehavior.Error(500)
            : FakeLlmBehavior.Reply("fine"));

        var fine = await CollectAsync(Client(Connection("good")).StreamAsync(Hello));
        var broken = await CollectAsync(Client(Connection("broken")).StreamAsync(Hello));

        Assert.That(fine.Completed.Text, Is.EqualTo("fine"));
        Assert.That(broken.Failed.Error.StatusCode, Is.EqualTo(500));
    }

    [Test]
    public void Tokenize_keeps_whitespace_so_tokens_join_back_into_the_text()
    {
        const string text = "  Hello,  world!\nNew line ";

        var tokens = FakeLlmServer.Tokenize(text);

        Assert.That(string.Concat(tokens), Is.EqualTo(text));
        Assert.That(tokens, Has.Count.EqualTo(5));
    }

    [Test]
    public async Task Disposing_ends_streams_stalled_forever()
    {
        await using var server = await FakeLlmServer.StartAsync();
        server.Script(FakeLlmBehavior.StallAfter(1));
        var connection = new LlmConnection(server.BaseUrl, "", "m") { StallTimeout = TimeSpan.FromMinutes(5) };
        var stream = CollectAsync(Factory.Create(connection).StreamAsync(Hello));
        while (server.ActiveRequests == 0) await Task.Delay(10);

        await server.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(3));
        var result = await stream.WaitAsync(TimeSpan.FromSeconds(3));

        Assert.That(result.Failed.Error.Kind, Is.EqualTo(LlmErrorKind.ConnectionLost), result.Failed.Error.ToString());
        Assert.That(result.Failed.PartialText, Is.EqualTo("Hello"));
    }
}
