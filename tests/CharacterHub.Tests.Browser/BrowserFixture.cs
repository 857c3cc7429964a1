using CharacterHub.Tests.Support;
using Microsoft.Playwright;

namespace CharacterHub.Tests.Browser;

/// <summary>The real host on a loopback port and Debian's chromium driven by Playwright (no browser download).</summary>
[SetUpFixture]
public sealed class BrowserFixture
{
    public static TestApp App { get; private set; } = null!;
    public static TestDatabase Database { get; private set; } = null!;
    public static IPlaywright Playwright { get; private set; } = null!;
    public static IBrowser Browser { get; private set; } = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        Database = new TestDatabase("characterhub_browser");
        await Database.RecreateAsync();
        App = await TestApp.StartAsync(Database.ConnectionString);
        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await Playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Environment.GetEnvironmentVariable("CHROMIUM_PATH") ?? "/usr/bin/chromium",
            Headless = true,
            // Without the background-networking flags chromium floods the closed network with refused connections.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"],
        });
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        Playwright?.Dispose();
        if (App is not null) await App.DisposeAsync();
    }
}

public abstract class BrowserTest
{
    protected IBrowserContext Context { get; private set; } = null!;
    protected IPage Page { get; private set; } = null!;
    protected static TestApp App => BrowserFixture.App;

    [SetUp]
    public async Task OpenPageAsync()
    {
        await BrowserFixture.Database.ResetAsync();
        Context = await BrowserFixture.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = App.BaseAddress.ToString().TrimEnd('/'),
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
        });
        Context.SetDefaultTimeout(15_000);
        Page = await Context.NewPageAsync();
    }

    [TearDown]
    public async Task ClosePageAsync()
    {
        if (TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed)
            await Screenshot("failure");
        await Context.CloseAsync();
    }

    /// <summary>Saves a full-page screenshot under .test-results/screenshots (kept as a CI artifact) and attaches it.</summary>
    protected async Task<string> Screenshot(string name)
    {
        var dir = Path.Combine(TestApp.RepositoryDirectory(), ".test-results", "screenshots");
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, $"{TestContext.CurrentContext.Test.MethodName}-{name}.png");
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        TestContext.AddTestAttachment(path);
        return path;
    }
}
