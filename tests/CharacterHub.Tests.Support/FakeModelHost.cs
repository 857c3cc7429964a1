using CharacterHub.FakeLlm;

namespace CharacterHub.Tests.Support;

/// <summary>A host whose site model is the fake OpenAI-compatible server, for tests that watch what reaches the
/// model. Disposing it stops both (TestApp hands Hangfire's statics back to the shared host).</summary>
public sealed class FakeModelHost : IAsyncDisposable
{
    private readonly List<TestClient> clients = [];

    private FakeModelHost(FakeLlmServer model, TestApp app)
    {
        Model = model;
        App = app;
    }

    public FakeLlmServer Model { get; }
    public TestApp App { get; }

    public static async Task<FakeModelHost> StartAsync(string connectionString, int? stallTimeoutSeconds = null)
    {
        var model = await FakeLlmServer.StartAsync();
        var settings = new Dictionary<string, string?>
        {
            ["Llm:BaseUrl"] = model.BaseUrl, ["Llm:Model"] = "fake-model", ["Llm:TimeoutSeconds"] = "5",
        };
        if (stallTimeoutSeconds is { } stall) settings["Llm:StallTimeoutSeconds"] = stall.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return new FakeModelHost(model, await TestApp.StartAsync(connectionString, settings: settings));
    }

    /// <summary>A client of this host, disposed by <see cref="Reset"/>.</summary>
    public TestClient CreateClient()
    {
        var client = App.CreateClient();
        clients.Add(client);
        return client;
    }

    /// <summary>Between tests: drop the clients and what the model recorded.</summary>
    public void Reset()
    {
        foreach (var c in clients) c.Dispose();
        clients.Clear();
        Model.ClearRequests();
    }

    public async ValueTask DisposeAsync()
    {
        Reset();
        await App.DisposeAsync();
        await Model.DisposeAsync();
    }
}
