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
/// A person using the prompt tools: Impersonate drafts their next line into the composer (they send it themselves),
/// emoji shortcodes show as emoji, and "Prompt" opens and closes the inspector under the reply. Runs a host pointed at
/// a tiny upstream served here that answers every request with the same short text.
/// </summary>
public sealed class PromptToolsFlowTests : BrowserTest
{
    private WebApplication upstream = null!;
    private TestApp app = null!;

    [OneTimeSetUp]
    public async Task StartHostsAsync()
    {
        string upstreamUrl;
        (upstream, upstreamUrl) = await BrowserKit.StartUpstreamAsync(upstream =>
        {
            upstream.MapPost("/v1/chat/completions", async (HttpContext http) =>
            {
                http.Response.ContentType = "text/event-stream";
                foreach (var token in new[] { "I wave ", ":wave: ", "and grin." })
                {
                    await http.Response.WriteAsync(BrowserKit.Chunk(token), http.RequestAborted);
                    await http.Response.Body.FlushAsync(http.RequestAborted);
                }
                await http.Response.WriteAsync(BrowserKit.End, http.RequestAborted);
            });
        });
        app = await TestApp.StartAsync(BrowserFixture.Database.ConnectionString, settings: new Dictionary<string, string?>
        {
            ["Llm:BaseUrl"] = upstreamUrl, ["Llm:Model"] = "tiny-model",
        });
    }

    [OneTimeTearDown]
    public async Task StopHostsAsync()
    {
        await app.DisposeAsync();
        await upstream.DisposeAsync();
    }

    private string At(string path) => app.BaseAddress.ToString().TrimEnd('/') + path;

    [Test]
    public async Task Impersonate_DraftsIntoTheComposer_ThenPromptInspectorOpensAndCloses()
    {
        await BrowserKit.RegisterAsync(Page, At("/"), "drafter");

        await BrowserKit.StartChatWithNewCharacterAsync(Page, At("/"), "Pip", "Hello :smile:");
        await Expect(Page.Locator("article.chat-message.assistant .chat-text").First).ToHaveTextAsync("Hello \U0001F604");

        // The draft lands in the composer as plain text; nothing is sent until the person sends it.
        await Page.GetByRole(AriaRole.Button, new() { Name = "Impersonate" }).ClickAsync();
        await Expect(Page.GetByLabel("Your message")).ToHaveValueAsync("I wave :wave: and grin.");
        await Expect(Page.Locator("#impersonate-status")).ToContainTextAsync("Draft ready");
        await Expect(Page.Locator("article.chat-message.user")).ToHaveCountAsync(0);
        await Screenshot("impersonated");

        await Page.GetByRole(AriaRole.Button, new() { Name = "Send" }).ClickAsync();
        await Expect(Page.Locator("article.chat-message.user .chat-text")).ToHaveTextAsync("I wave \U0001F44B and grin.");
        var reply = Page.Locator("article.chat-message.assistant").Last;
        await Expect(reply.Locator(".chat-actions")).ToBeVisibleAsync();

        await reply.GetByRole(AriaRole.Link, new() { Name = "Prompt" }).ClickAsync();
        var inspector = reply.Locator(".prompt-inspector");
        await Expect(inspector).ToBeVisibleAsync();
        await Expect(inspector.Locator(".prompt-section[data-kind=History]").Last).ToContainTextAsync("I wave :wave: and grin.");
        await Expect(inspector).ToContainTextAsync("tiny-model");
        await Screenshot("inspector");
        await reply.GetByRole(AriaRole.Link, new() { Name = "Prompt" }).ClickAsync();
        await Expect(inspector).ToHaveCountAsync(0);

        // The settings page previews the template as it is typed, and names a broken one's line.
        await Page.Locator(".chat-settings summary").ClickAsync();
        await Page.GetByRole(AriaRole.Link, new() { Name = "Story string for this character" }).ClickAsync();
        await Expect(Page.Locator("#ps-preview")).ToContainTextAsync("As Pip would get it");
        await Page.Locator("#ps-story-string").FillAsync("Meet {{char}}.\n{{#if scenario}}");
        await Expect(Page.Locator("#ps-preview [data-template-problem]")).ToContainTextAsync("Line 2:");
        await Page.Locator("#ps-story-string").FillAsync("Meet {{char}}, {{user}}.");
        await Expect(Page.Locator("#ps-preview [data-preview]")).ToHaveTextAsync("Meet Pip, drafter.");
        await Screenshot("settings");
    }
}
