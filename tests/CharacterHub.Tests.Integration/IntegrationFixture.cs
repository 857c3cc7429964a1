using CharacterHub.Tests.Support;

namespace CharacterHub.Tests.Integration;

/// <summary>One migrated database and one running host for the whole assembly; tests reset the data, not the host.</summary>
[SetUpFixture]
public sealed class IntegrationFixture
{
    public static TestDatabase Database { get; private set; } = null!;
    public static TestApp App { get; private set; } = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        Database = new TestDatabase("characterhub_integration");
        await Database.RecreateAsync();
        App = await TestApp.StartAsync(Database.ConnectionString);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (App is not null) await App.DisposeAsync();
    }
}

public abstract class IntegrationTest
{
    private readonly List<TestClient> clients = [];

    protected static TestApp App => IntegrationFixture.App;
    protected static TestDatabase Database => IntegrationFixture.Database;

    [SetUp]
    public Task ResetDatabase() => Database.ResetAsync();

    [TearDown]
    public void DisposeClients()
    {
        foreach (var c in clients) c.Dispose();
        clients.Clear();
    }

    protected TestClient Client()
    {
        var client = App.CreateClient();
        clients.Add(client);
        return client;
    }

    /// <summary>A client signed in as a freshly registered user.</summary>
    protected async Task<TestClient> SignedInClient(string username)
    {
        var client = Client();
        await client.RegisterAsync(username);
        return client;
    }
}
