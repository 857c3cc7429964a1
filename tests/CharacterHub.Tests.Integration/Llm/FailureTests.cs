using System.Diagnostics;
using CharacterHub.FakeLlm;
using CharacterHub.Modules.Interaction.Llm;

namespace CharacterHub.Tests.Llm;

public sealed class FailureTests : LlmTestBase
{
    private const string Reply = "The dragon lifts its head and speaks slowly";

    [TestCase(429, "Rate limit reached for requests.")]
    [TestCase(500, "The server had an error while processing your request.")]
    [TestCase(503, "The server is overloaded or not ready yet.")]
    public async Task An_http_error_becomes_an_upstream_failure_with_status_and_server_message_and_is_not_retried(int status, string message)
    {
        Server.Script(FakeLlmBehavior.Error(status));

        var result = await CollectAsync(Client().StreamAsync(Hello));

        Assert.That(result.Tokens, Is.Empty);
        Assert.That(result.Failed.Error.Kind, Is.EqualTo(LlmErrorKind.UpstreamError));
        Assert.That(result.Failed.Error.StatusCode, Is.EqualTo(status));
        Assert.That(result.Failed.Error.Message, Does.Contain(message));
        Assert.That(result.Failed.PartialText, Is.Empty);
        Assert.That(Server.ChatRequests, Has.Count.EqualTo(1), "a retry would replay the generation");
    }

    [Test]
    public async Task A_stream_that_stalls_after_some_tokens_fails_as_stalled_keeping_the_partial_text()
    {
        Server.Script(FakeLlmBehavior.Reply(Reply) with { Fault = FakeLlmFault.Stall, FaultAfterTokens = 3 });
        var connection = Connection() with { StallTimeout = TimeSpan.FromMilliseconds(400) };
        var clock = Stopwatch.StartNew();

        var result = await CollectAsync(Client(connection).StreamAsync(Hello));

        Assert.That(result.Failed.Error.Kind, Is.EqualTo(LlmErrorKind.Stalled));
        Assert.That(result.Failed.PartialText, Is.EqualTo("The dragon lifts"));
        Assert.That(result.Tokens, Is.EqualTo(new[] { "The", " dragon", " lifts" }));
        // Under 1.5 s: the stall timer cancelled the read itself, not the 2 s backstop or the SDK's network timeout.
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(1.5)));
        await WaitUntilAsync(() => Server.ActiveRequests == 0, "the stalled upstream request is closed");
    }

    [Test]
    public async Task A_stall_shorter_than_the_stall_timeout_is_waited_out()
    {
        Server.Script(FakeLlmBehavior.StallAfter(2, TimeSpan.FromMilliseconds(300)) with { Text = Reply });
        var connection = Connection() with { StallTimeout = TimeSpan.FromSeconds(3) };

        var result = await CollectAsync(Client(connection).StreamAsync(Hello));

        Assert.That(result.Completed.Text, Is.EqualTo(Reply));
    }

    [Test]
    public async Task A_malformed_chunk_fails_as_malformed_keeping_the_partial_text()
    {
        Server.Script(FakeLlmBehavior.MalformedAfter(2) with { Text = Reply });

        var result = await CollectAsync(Client().StreamAsync(Hello));

        Assert.That(result.Failed.Error.Kind, Is.EqualTo(LlmErrorKind.MalformedResponse));
        Assert.That(result.Failed.PartialText, Is.EqualTo("The dragon"));
    }

    [Test]
    public async Task A_dropped_connection_fails_as_connection_lost_keeping_the_partial_text()
    {
        Server.Script(FakeLlmBehavior.DropAfter(4) with { Text = Reply });

        var result = await CollectAsync(Client().StreamAsync(Hello));

        Assert.That(result.Failed.Error.Kind, Is.EqualTo(LlmErrorKind.ConnectionLost), result.Failed.Error.ToString());
        Assert.That(result.Failed.PartialText, Is.EqualTo("The dragon lifts its"));
    }

    [Test]
    public async Task No_first_token_within_the_timeout_fails_as_timeout()
    {
        Server.Script(FakeLlmBehavior.Reply(Reply) with { FirstTokenDelay = TimeSpan.FromSeconds(30) });
        var connection = Connection() with { Timeout = TimeSpan.FromMilliseconds(500) };
        var clock = Stopwatch.StartNew();

        var result = await CollectAsync(Client(connection).StreamAsync(Hello));

        Assert.That(result.Failed.Error.Kind, Is.EqualTo(LlmErrorKind.Timeout));
        Assert.That(result.Failed.PartialText, Is.Empty);
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(1.5)));
    }

    [Test]
    public async Task A_server_slow_to_send_headers_fails_as_timeout()
    {
        Server.Script(FakeLlmBehavior.Reply(Reply) with { HeaderDelay = TimeSpan.FromSeconds(30) });
        var connection = Connection() with { Timeout = TimeSpan.FromMilliseconds(500) };

        var result = await CollectAsync(Client(connection).StreamAsync(Hello));

        Assert.That(result.Failed.Error.Kind, Is.EqualTo(LlmErrorKind.Timeout));
    }

    [Test]
    public async Task A_slow_first_token_is_not_mistaken_for_a_stall()
    {
        Server.Script(FakeLlmBehavior.Reply(Reply) with { FirstTokenDelay = TimeSpan.FromMilliseconds(600) });
        var connection = Connection() with { StallTimeout = TimeSpan.FromMilliseconds(200), Timeout = TimeSpan.FromSeconds(5) };

        var result = await CollectAsync(Client(connection).StreamAsync(Hello));

        Assert.That(result.Completed.Text, Is.EqualTo(Reply));
    }

    [Test]
    public async Task Cancelling_mid_stream_ends_with_a_cancelled_event_keeping_the_partial_text_and_closes_the_upstream()
    {
        Server.Script(FakeLlmBehavior.Reply(Reply) with { TokensPerSecond = 10 });
        using var cts = new CancellationTokenSource();
        var tokens = new List<string>();
        LlmStreamEvent? terminal = null;

        await foreach (var e in Client().StreamAsync(Hello, cancellationToken: cts.Token))
        {
            if (e is LlmTokenEvent t)
            {
                tokens.Add(t.Text);
                if (tokens.Count == 3) await cts.CancelAsync();
            }
            else
            {
                terminal = e;
            }
        }

        Assert.That(terminal, Is.TypeOf<LlmFailedEvent>());
        var failed = (LlmFailedEvent)terminal!;
        Assert.That(failed.Error.Kind, Is.EqualTo(LlmErrorKind.Cancelled));
        Assert.That(failed.PartialText, Is.EqualTo("The dragon lifts"));
        await WaitUntilAsync(() => Server.ActiveRequests == 0, "the upstream request is closed");
    }

    [Test]
    public async Task Stopping_enumeration_early_closes_the_upstream_request()
    {
        Server.Script(FakeLlmBehavior.Reply(Reply) with { TokensPerSecond = 5 });

        await foreach (var e in Client().StreamAsync(Hello))
        {
            if (e is LlmTokenEvent) break;
        }

        await WaitUntilAsync(() => Server.ActiveRequests == 0, "the upstream request is closed");
    }

    [Test]
    public async Task An_unreachable_server_fails_as_unreachable()
    {
        var closed = await FakeLlmServer.StartAsync();
        var url = closed.BaseUrl;
        await closed.DisposeAsync();

        var result = await CollectAsync(Client(new LlmConnection(url, "", "fake-model")).StreamAsync(Hello));

        Assert.That(result.Failed.Error.Kind, Is.EqualTo(LlmErrorKind.Unreachable));
        Assert.That(result.Failed.Error.Message, Does.Contain(url));
    }

    [Test]
    public async Task An_invalid_base_url_fails_without_a_request()
    {
        var result = await CollectAsync(Client(new LlmConnection("ftp://example.invalid", "", "m")).StreamAsync(Hello));

        Assert.That(result.Failed.Error.Kind, Is.EqualTo(LlmErrorKind.InvalidEndpoint));
        Assert.That(result.Failed.Error.Message, Does.Contain("http"));
    }

    [Test]
    public async Task Complete_reports_upstream_errors_and_timeouts_instead_of_throwing()
    {
        Server.Enqueue(FakeLlmBehavior.Error(500), FakeLlmBehavior.Reply(Reply) with { FirstTokenDelay = TimeSpan.FromSeconds(30) },
            FakeLlmBehavior.DropAfter(0));
        var client = Client(Connection() with { Timeout = TimeSpan.FromMilliseconds(500) });

        var error = await client.CompleteAsync(Hello);
        var timeout = await client.CompleteAsync(Hello);
        var dropped = await client.CompleteAsync(Hello);

        Assert.That(error.Error!.StatusCode, Is.EqualTo(500));
        Assert.That(timeout.Error!.Kind, Is.EqualTo(LlmErrorKind.Timeout));
        Assert.That(dropped.Error!.Kind, Is.AnyOf(LlmErrorKind.ConnectionLost, LlmErrorKind.Unreachable));
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(5)) Assert.Fail("timed out waiting until " + what);
            await Task.Delay(20);
        }
    }
}
