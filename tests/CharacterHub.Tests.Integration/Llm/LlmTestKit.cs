using CharacterHub.FakeLlm;
using CharacterHub.Modules.Interaction.Llm;

namespace CharacterHub.Tests.Llm;

/// <summary>A fresh fake server and a client factory per test; the guard allows loopback unless a test says otherwise.</summary>
public abstract class LlmTestBase
{
    private LlmClientFactory? factory;

    protected FakeLlmServer Server { get; private set; } = null!;

    internal LlmClientFactory Factory => factory ??= new LlmClientFactory(new EndpointGuard(allowPrivateEndpoints: true));

    [SetUp]
    public async Task StartServerAsync() => Server = await FakeLlmServer.StartAsync();

    [TearDown]
    public async Task StopServerAsync()
    {
        factory?.Dispose();
        factory = null;
        await Server.DisposeAsync();
    }

    internal LlmConnection Connection(string model = "fake-model") => new(Server.BaseUrl, "", model);

    internal LlmClient Client(LlmConnection? connection = null) => Factory.Create(connection ?? Connection());

    internal static IReadOnlyList<LlmMessage> Hello { get; } = [LlmMessage.System("You are terse."), LlmMessage.User("Hi")];

    internal static async Task<StreamResult> CollectAsync(IAsyncEnumerable<LlmStreamEvent> events)
    {
        var tokens = new List<string>();
        var terminals = new List<LlmStreamEvent>();
        await foreach (var e in events)
        {
            if (e is LlmTokenEvent t)
            {
                Assert.That(terminals, Is.Empty, "no token may follow the terminal event");
                tokens.Add(t.Text);
            }
            else
            {
                terminals.Add(e);
            }
        }
        Assert.That(terminals, Has.Count.EqualTo(1), "exactly one terminal event");
        return new StreamResult(tokens, terminals[0]);
    }
}

internal sealed record StreamResult(IReadOnlyList<string> Tokens, LlmStreamEvent Terminal)
{
    public LlmCompletedEvent Completed => Terminal as LlmCompletedEvent
        ?? throw new AssertionException($"expected completion, got {Terminal}");

    public LlmFailedEvent Failed => Terminal as LlmFailedEvent
        ?? throw new AssertionException($"expected failure, got {Terminal}");
}
