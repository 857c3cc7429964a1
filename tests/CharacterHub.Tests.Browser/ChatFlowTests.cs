using System.Text.RegularExpressions;
using CharacterHub.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CharacterHub.Tests.Browser;

/// <summary>
/// A person chatting: the reply visibly arrives token by token, Stop keeps what arrived, Regenerate adds a swipe that
/// can be browsed, and a message can be edited. The shared browser host has no model, so this test runs a second host
/// pointed at a slow OpenAI-compatible upstream served here (the browser project does not reference the fake server's
/// assembly; this upstream does the one thing the test needs: stream chunks at a human pace).
/// </summary>
public sealed class ChatFlowTests : BrowserTest
{
    private WebApplication upstream = null!;
    private TestApp chatApp = null!;
    private int requests;

    [OneTimeSetUp]
    public async Task StartHostsAsync()
    {
        string upstreamUrl;
        (upstream, upstreamUrl) = await BrowserKit.StartUpstreamAsync(upstream =>
        {
            upstream.MapPost("/v1/chat/completions", async (HttpContext http) =>
            {
                var first = Interlocked.Increment(ref requests) == 1;
                http.Response.ContentType = "text/event-stream";
                // The first reply is long and slow (10 tokens/s) so the test can watch it and stop it; later ones are short.
                var tokens = first ? Enumerable.Range(0, 60).Select(i => $"w{i} ").ToArray() : ["Second ", "take."];
                foreach (var token in tokens)
                {
                    await http.Response.WriteAsync(BrowserKit.Chunk(token), http.RequestAborted);
                    await http.Response.Body.FlushAsync(http.RequestAborted);
                    if (first) await Task.Delay(100, http.RequestAborted);
                }
                await http.Response.WriteAsync(BrowserKit.End, http.RequestAborted);
            });
        });
        chatApp = await TestApp.StartAsync(BrowserFixture.Database.ConnectionString, settings: new Dictionary<string, string?>
        {
            ["Llm:BaseUrl"] = upstreamUrl, ["Llm:Model"] = "slow-model",
        });
    }

    [OneTimeTearDown]
    public async Task StopHostsAsync()
    {
        await chatApp.DisposeAsync();
        await upstream.DisposeAsync();
    }

    private string At(string path) => chatApp.BaseAddress.ToString().TrimEnd('/') + path;

    [Test]
    public async Task WatchTokensArrive_Stop_Swipe_Edit()
    {
        await BrowserKit.RegisterAsync(Page, At("/"), "chatter");

        await BrowserKit.StartChatWithNewCharacterAsync(Page, At("/"), "Captain Rell", "*looks up from the map* \"Another stowaway?\"");
        var greeting = Page.Locator("article.chat-message.assistant").First;
        await Expect(greeting.Locator("em")).ToHaveTextAsync("looks up from the map");
        await Expect(greeting.Locator(".rp-speech")).ToHaveTextAsync("\"Another stowaway?\"");

        await Page.GetByLabel("Your message").FillAsync("Just a passenger, I swear.");
        await Page.GetByLabel("Your message").PressAsync("Enter");
        await Expect(Page.Locator("article.chat-message.user .chat-text")).ToHaveTextAsync("Just a passenger, I swear.");
        await Expect(Page.GetByLabel("Your message")).ToHaveValueAsync("");

        // Tokens arrive one by one: the live text grows while the end has not arrived yet.
        var live = Page.Locator(".chat-text.streaming");
        await Expect(live).ToContainTextAsync("w2");
        var early = await live.TextContentAsync() ?? "";
        // Wait for two tokens past whatever had arrived at the first look (a busy machine may have shown several).
        var seen = early.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        await Expect(live).ToContainTextAsync($"w{seen + 1} ");
        var later = await live.TextContentAsync() ?? "";
        Assert.That(later.Length, Is.GreaterThan(early.Length));
        Assert.That(later, Does.Not.Contain("w59"));
        await Screenshot("streaming");

        await Page.GetByRole(AriaRole.Button, new() { Name = "Stop" }).ClickAsync();
        var reply = Page.Locator("article.chat-message.assistant").Last;
        await Expect(reply.Locator(".chat-note.problem")).ToContainTextAsync("You stopped the reply");
        var kept = await reply.Locator(".chat-text").TextContentAsync() ?? "";
        Assert.That(kept, Does.StartWith("w0 w1 w2"));
        Assert.That(kept, Does.Not.Contain("w59"));
        await Screenshot("stopped");

        await reply.GetByRole(AriaRole.Button, new() { Name = "Retry" }).ClickAsync();
        await Expect(reply.Locator(".chat-text")).ToHaveTextAsync("Second take.");
        await Expect(reply.Locator(".chat-swipe-count")).ToHaveTextAsync("2/2");
        await reply.GetByRole(AriaRole.Button, new() { Name = "Previous alternative" }).ClickAsync();
        await Expect(reply.Locator(".chat-swipe-count")).ToHaveTextAsync("1/2");
        await Expect(reply.Locator(".chat-text")).ToContainTextAsync("w0 w1 w2");
        await Screenshot("swiped");

        var mine = Page.Locator("article.chat-message.user").Last;
        await mine.GetByRole(AriaRole.Button, new() { Name = "Edit" }).ClickAsync();
        await Page.GetByLabel("Edit message").FillAsync("Just a *paying* passenger.");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Save edit" }).ClickAsync();
        var edited = Page.Locator("article.chat-message.user").Last;
        await Expect(edited.Locator(".chat-text em")).ToHaveTextAsync("paying");
        await Expect(edited.Locator(".chat-speaker")).ToContainTextAsync("edited");
        await Page.ReloadAsync();
        await Expect(Page.Locator("article.chat-message.user").Last.Locator(".chat-text")).ToHaveTextAsync("Just a paying passenger.");
        await Screenshot("edited");
    }
}
