using System.Diagnostics;
using System.Text.Json;
using CharacterHub.FakeLlm;
using CharacterHub.Modules.Interaction.Llm;
using Microsoft.Extensions.Configuration;

namespace CharacterHub.Tests.Llm;

public sealed class StreamingTests : LlmTestBase
{
    [Test]
    public async Task Tokens_arrive_in_order_one_event_per_chunk_while_the_server_is_still_sending()
    {
        Server.Script(FakeLlmBehavior.ReplyTokens("Once", " upon", " a", " time", ",", " there", " was") with { TokensPerSecond = 20 });
        var arrivals = new List<(string Text, TimeSpan At)>();
        var clock = Stopwatch.StartNew();
        LlmStreamEvent? terminal = null;

        await foreach (var e in Client().StreamAsync(Hello))
        {
            if (e is LlmTokenEvent t) arrivals.Add((t.Text, clock.Elapsed));
            else terminal = e;
        }

        Assert.That(arrivals.Select(a => a.Text), Is.EqualTo(new[] { "Once", " upon", " a", " time", ",", " there", " was" }));
        // 7 tokens at 20/s are sent over ~300 ms; a buffered client would see them all at once.
        Assert.That(arrivals[^1].At - arrivals[0].At, Is.GreaterThan(TimeSpan.FromMilliseconds(200)));
        Assert.That(terminal, Is.TypeOf<LlmCompletedEvent>());
        var completed = (LlmCompletedEvent)terminal!;
        Assert.That(completed.Text, Is.EqualTo("Once upon a time, there was"));
        Assert.That(completed.FinishReason, Is.EqualTo("stop"));
    }

    [Test]
    public async Task The_completion_reports_usage_when_the_server_sends_it()
    {
        Server.Script(FakeLlmBehavior.Reply("one two three"));

        var result = await CollectAsync(Client().StreamAsync(Hello));

        Assert.That(result.Completed.Usage, Is.Not.Null);
        Assert.That(result.Completed.Usage!.OutputTokens, Is.EqualTo(3));
        Assert.That(result.Completed.Usage.TotalTokens, Is.EqualTo(result.Completed.Usage.InputTokens + 3));
    }

    [Test]
    public async Task Echo_mode_proves_every_message_reached_the_model_in_order()
    {
        Server.Script(FakeLlmBehavior.EchoLastUserMessage());
        IReadOnlyList<LlmMessage> messages =
        [
            LlmMessage.System("You are Aria, a starship pilot."),
            LlmMessage.User("Where are we?"),
            LlmMessage.Assistant("Orbiting Titan."),
            LlmMessage.User("The password is swordfish – ünïcode ok?"),
        ];

        var result = await CollectAsync(Client().StreamAsync(messages));

        Assert.That(result.Completed.Text, Is.EqualTo("Echo: The password is swordfish – ünïcode ok?"));
        var sent = Server.ChatRequests.Single().Body!.Value.GetProperty("messages").EnumerateArray()
            .Select(m => (m.GetProperty("role").GetString(), m.GetProperty("content").ValueKind == JsonValueKind.String
                ? m.GetProperty("content").GetString()
                : m.GetProperty("content")[0].GetProperty("text").GetString()))
            .ToArray();
        Assert.That(sent, Is.EqualTo(new (string?, string?)[]
        {
            ("system", "You are Aria, a starship pilot."),
            ("user", "Where are we?"),
            ("assistant", "Orbiting Titan."),
            ("user", "The password is swordfish – ünïcode ok?"),
        }));
    }

    [Test]
    public async Task Sampling_parameters_and_stop_strings_are_sent_with_call_values_overriding_connection_defaults()
    {
        var connection = Connection("roleplay-13b") with
        {
            DefaultSampling = new LlmSampling { Temperature = 1.2, TopP = 0.5, Stop = ["###"] },
        };
        var sampling = new LlmSampling
        {
            Temperature = 0.7,
            MaxTokens = 321,
            FrequencyPenalty = 0.25,
            PresencePenalty = 0.5,
            Stop = ["\nUser:", "</s>"],
        };

        await CollectAsync(Client(connection).StreamAsync(Hello, sampling));

        var body = Server.ChatRequests.Single().Body!.Value;
        Assert.Multiple(() =>
        {
            Assert.That(body.GetProperty("model").GetString(), Is.EqualTo("roleplay-13b"));
            Assert.That(body.GetProperty("stream").GetBoolean(), Is.True);
            Assert.That(body.GetProperty("temperature").GetDouble(), Is.EqualTo(0.7).Within(1e-6));
            Assert.That(body.GetProperty("top_p").GetDouble(), Is.EqualTo(0.5).Within(1e-6));
            Assert.That(body.GetProperty("max_tokens").GetInt32(), Is.EqualTo(321));
            Assert.That(body.TryGetProperty("max_completion_tokens", out _), Is.False);
            Assert.That(body.GetProperty("frequency_penalty").GetDouble(), Is.EqualTo(0.25).Within(1e-6));
            Assert.That(body.GetProperty("presence_penalty").GetDouble(), Is.EqualTo(0.5).Within(1e-6));
            Assert.That(body.GetProperty("stop").EnumerateArray().Select(s => s.GetString()), Is.EqualTo(new[] { "\nUser:", "</s>" }));
        });
    }

    [Test]
    public async Task Unset_sampling_parameters_are_left_to_the_server()
    {
        await CollectAsync(Client().StreamAsync(Hello));

        var body = Server.ChatRequests.Single().Body!.Value;
        foreach (var name in new[] { "temperature", "top_p", "max_tokens", "max_completion_tokens", "frequency_penalty", "presence_penalty", "stop" })
        {
            Assert.That(body.TryGetProperty(name, out _), Is.False, name);
        }
    }

    [Test]
    public async Task Complete_returns_the_whole_reply_without_streaming()
    {
        Server.Script(FakeLlmBehavior.EchoLastUserMessage());

        var completion = await Client().CompleteAsync([LlmMessage.User("Summarise the chat.")], new LlmSampling { MaxTokens = 64 });

        Assert.That(completion.Error, Is.Null);
        Assert.That(completion.Text, Is.EqualTo("Echo: Summarise the chat."));
        Assert.That(completion.FinishReason, Is.EqualTo("stop"));
        Assert.That(completion.Usage!.OutputTokens, Is.EqualTo(4));
        Assert.That(Server.ChatRequests.Single().Body!.Value.TryGetProperty("stream", out var s) && s.GetBoolean(), Is.False);
    }

    [Test]
    public async Task Base_urls_with_or_without_v1_and_trailing_slashes_reach_the_same_endpoint()
    {
        foreach (var url in new[] { Server.BaseUrl, Server.BaseUrl + "/", Server.BaseUrl + "/v1", Server.BaseUrl + "/v1/" })
        {
            var result = await CollectAsync(Client(new LlmConnection(url, "", "fake-model")).StreamAsync(Hello));
            Assert.That(result.Terminal, Is.TypeOf<LlmCompletedEvent>(), url + result.Terminal);
        }
        Assert.That(Server.ChatRequests.Select(r => r.Path), Is.All.EqualTo("/v1/chat/completions"));
    }

    [Test]
    public async Task The_api_key_is_sent_as_a_bearer_token_and_a_wrong_one_is_an_upstream_401()
    {
        Server.ApiKey = "sk-right";

        var ok = await CollectAsync(Client(Connection() with { ApiKey = "sk-right" }).StreamAsync(Hello));
        var wrong = await CollectAsync(Client(Connection() with { ApiKey = "sk-wrong" }).StreamAsync(Hello));

        Assert.That(ok.Terminal, Is.TypeOf<LlmCompletedEvent>(), ok.Terminal.ToString());
        Assert.That(wrong.Failed.Error.Kind, Is.EqualTo(LlmErrorKind.UpstreamError));
        Assert.That(wrong.Failed.Error.StatusCode, Is.EqualTo(401));
        Assert.That(wrong.Failed.Error.Message, Does.Contain("API key"));
        Assert.That(Server.Requests.All(r => r.Header("Authorization") == RecordedRequest.RedactedAuthorization), Is.True,
            "the recording never keeps the key");
    }

    [Test]
    public async Task The_reply_limit_can_be_sent_as_max_completion_tokens_for_servers_that_require_it()
    {
        var connection = Connection() with { MaxTokensField = LlmMaxTokensField.MaxCompletionTokens };

        await CollectAsync(Client(connection).StreamAsync(Hello, new LlmSampling { MaxTokens = 99 }));

        var body = Server.ChatRequests.Single().Body!.Value;
        Assert.That(body.GetProperty("max_completion_tokens").GetInt32(), Is.EqualTo(99));
        Assert.That(body.TryGetProperty("max_tokens", out _), Is.False);
    }

    [Test]
    public void The_site_connection_is_read_from_configuration_and_trusted()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Llm:BaseUrl"] = "http://10.0.0.5:8080/v1/",
                ["Llm:Model"] = "house-model",
                ["Llm:ContextSize"] = "16384",
                ["Llm:StallTimeoutSeconds"] = "12",
                ["Llm:Temperature"] = "0.8",
                ["Llm:Stop:0"] = "\nUser:",
                ["Llm:MaxTokensField"] = "MaxCompletionTokens",
            })
            .Build();

        var connection = LlmConnection.FromConfiguration(configuration.GetSection("Llm"))!;

        Assert.That(connection.Trusted, Is.True);
        Assert.That(connection.NormalizedBaseUrl, Is.EqualTo("http://10.0.0.5:8080"));
        Assert.That(connection.ApiKey, Is.Empty);
        Assert.That(connection.ContextSize, Is.EqualTo(16384));
        Assert.That(connection.StallTimeout, Is.EqualTo(TimeSpan.FromSeconds(12)));
        Assert.That(connection.Timeout, Is.EqualTo(LlmConnection.DefaultTimeout));
        Assert.That(connection.DefaultSampling.Temperature, Is.EqualTo(0.8));
        Assert.That(connection.DefaultSampling.Stop, Is.EqualTo(new[] { "\nUser:" }));
        Assert.That(connection.MaxTokensField, Is.EqualTo(LlmMaxTokensField.MaxCompletionTokens));
        Assert.That(LlmConnection.FromConfiguration(configuration.GetSection("Llm:Missing")), Is.Null);
    }
}
