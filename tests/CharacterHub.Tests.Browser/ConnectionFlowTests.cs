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
/// A person adding their own model server: from the account page to /settings/connections, "Test connection" lists
/// the server's models, a click puts one in the model field, the connection is saved and a chat picks it. The
/// upstream here answers only the models list and one short reply; the host allows private endpoints because the
/// upstream is on 127.0.0.1.
/// </summary>
public sealed class ConnectionFlowTests : BrowserTest
{
    private WebApplication upstream = null!;
    private TestApp app = null!;
    private string upstreamUrl = "";
    private volatile string? lastModel;

    [OneTimeSetUp]
    public async Task StartHostsAsync()
    {
        (upstream, upstreamUrl) = await BrowserKit.StartUpstreamAsync(upstream =>
        {
            upstream.MapGet("/v1/models", () => Results.Text(
                """{"object":"list","data":[{"id":"tiny-llama","object":"model","created":0,"owned_by":"me"},{"id":"big-llama","object":"model","created":0,"owned_by":"me"}]}""",
                "application/json"));
            upstream.MapPost("/v1/chat/completions", async (HttpContext http) =>
            {
                using var body = await System.Text.Json.JsonDocument.ParseAsync(http.Request.Body);
                lastModel = body.RootElement.GetProperty("model").GetString();
                http.Response.ContentType = "text/event-stream";
                await http.Response.WriteAsync(BrowserKit.Chunk("Hello from my own server.") + BrowserKit.End);
            });
        });
        app = await TestApp.StartAsync(BrowserFixture.Database.ConnectionString, settings: new Dictionary<string, string?>
        {
            ["Llm:AllowPrivateEndpoints"] = "true",
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
    public async Task AddConnection_TestListsModels_PickOne_ChatUsesIt()
    {
        await BrowserKit.RegisterAsync(Page, At("/"), "tinkerer");

        await Page.GotoAsync(At("/account"));
        await Page.GetByRole(AriaRole.Link, new() { Name = "Model connections" }).ClickAsync();
        await Expect(Page).ToHaveURLAsync(new Regex("/settings/connections$"));

        await Page.GetByLabel("Name", new() { Exact = true }).FillAsync("My llama box");
        await Page.GetByLabel("Base URL").FillAsync(upstreamUrl + "/v1");
        await Page.Locator("#connection-api-key").FillAsync("sk-browser-secret");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Test connection" }).ClickAsync();
        await Expect(Page.Locator("#connection-test")).ToContainTextAsync("The server offers 2 models");
        await Page.GetByRole(AriaRole.Button, new() { Name = "big-llama" }).ClickAsync();
        await Expect(Page.Locator("#connection-model")).ToHaveValueAsync("big-llama");
        await Expect(Page.Locator(".connection-testing")).ToBeHiddenAsync();
        await Screenshot("tested");

        await Page.GetByRole(AriaRole.Button, new() { Name = "Add connection" }).ClickAsync();
        await Expect(Page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Connection added.");
        var row = Page.Locator("li.connection[data-connection-id]");
        await Expect(row).ToContainTextAsync("big-llama");
        await Expect(row).ToContainTextAsync("a key is saved");
        await Expect(row.Locator(".badge")).ToHaveTextAsync("default");
        Assert.That(await Page.ContentAsync(), Does.Not.Contain("sk-browser-secret"));
        await Screenshot("saved");

        await BrowserKit.StartChatWithNewCharacterAsync(Page, At("/"), "Rell", "Ahoy.");
        await Page.GetByText("Chat options").ClickAsync();
        await Expect(Page.Locator("#chat-connection option").First).ToHaveTextAsync("Default: My llama box (big-llama)");
        await Page.Locator("#chat-connection").SelectOptionAsync(new SelectOptionValue { Label = "My llama box (big-llama)" });
        await Page.Locator("form.chat-connection button[type=submit]").ClickAsync();
        await Expect(Page.Locator("#chat-connection option[selected]")).ToHaveTextAsync("My llama box (big-llama)");
        await Page.GetByText("Chat options").ClickAsync();
        await Screenshot("options");

        await Page.GetByLabel("Your message").FillAsync("Hello?");
        await Page.GetByLabel("Your message").PressAsync("Enter");
        await Expect(Page.Locator("article.chat-message.assistant").Last.Locator(".chat-text")).ToHaveTextAsync("Hello from my own server.");
        Assert.That(lastModel, Is.EqualTo("big-llama"));
        await Screenshot("chat");
    }
}
