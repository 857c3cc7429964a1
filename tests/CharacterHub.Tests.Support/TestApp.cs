using CharacterHub.Web.App;
using Hangfire;
using Hangfire.AspNetCore;
using Hangfire.Logging;
using Microsoft.Extensions.Logging;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace CharacterHub.Tests.Support;

/// <summary>
/// The real host, built by the same CharacterHubApp.Build as production, served by Kestrel on a free loopback port,
/// so tests (and the browser) talk real HTTP with real cookies.
/// </summary>
public sealed class TestApp : IAsyncDisposable
{
    private TestApp(WebApplication app, Uri baseAddress)
    {
        App = app;
        BaseAddress = baseAddress;
    }

    public WebApplication App { get; }
    public Uri BaseAddress { get; }
    public IServiceProvider Services => App.Services;

    public static async Task<TestApp> StartAsync(string connectionString, string environment = "Testing",
        IDictionary<string, string?>? settings = null)
    {
        var args = new List<string>
        {
            "--urls", "http://127.0.0.1:0",
            "--environment", environment,
            $"--ConnectionStrings:Default={connectionString}",
            // Every test request comes from 127.0.0.1: the per-address ceiling would otherwise trip across tests.
            "--RateLimits:LoginPerMinute=100000",
            "--RateLimits:ImportPerMinute=100000",
            "--RateLimits:GenerationPerMinute=100000",
            // Counted per user id, and Respawn hands the same ids out again in every test.
            "--RateLimits:ConnectionTestPerMinute=100000",
            "--Jobs:WorkerCount=1",
            "--Logging:LogLevel:Default=Warning",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) args.Add($"--{key}={value}");
        var app = CharacterHubApp.Build([.. args], WebProjectDirectory());
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var started = new TestApp(app, new Uri(address));
        lock (Running) Running.Add(started);
        return started;
    }

    /// <summary>Hosts alive in this process, oldest first.</summary>
    private static readonly List<TestApp> Running = [];

    public TestClient CreateClient() => new(BaseAddress);

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        TestApp? survivor;
        lock (Running)
        {
            Running.Remove(this);
            survivor = Running.LastOrDefault();
        }
        // Hangfire keeps its storage and log provider in process-wide statics that the last host started wrote; a
        // test that starts and disposes a second host would leave them pointing at disposed objects, and the
        // shared host's jobs would then fail or stall. Production runs one host per process and never meets this.
        if (survivor is not null)
        {
            GlobalConfiguration.Configuration.UseStorage(survivor.Services.GetRequiredService<JobStorage>());
            LogProvider.SetCurrentLogProvider(new AspNetCoreLogProvider(survivor.Services.GetRequiredService<ILoggerFactory>()));
        }
    }

    /// <summary>The web project's folder (content root: wwwroot, appsettings.json), found from the test's bin folder.</summary>
    public static string WebProjectDirectory()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "CharacterHub.sln"))) dir = dir.Parent;
        return dir is null
            ? throw new InvalidOperationException("CharacterHub.sln not found above " + AppContext.BaseDirectory)
            : Path.Combine(dir.FullName, "CharacterHub.Web");
    }

    public static string RepositoryDirectory() => Path.GetDirectoryName(WebProjectDirectory())!;
}
