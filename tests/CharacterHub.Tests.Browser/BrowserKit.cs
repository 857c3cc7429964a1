using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CharacterHub.Tests.Browser;

/// <summary>What the browser flows with a model of their own share: a tiny OpenAI-compatible upstream on loopback
/// (each flow maps the answers it needs), its SSE chunks, and signing up as a person does.</summary>
internal static class BrowserKit
{
    /// <summary>Starts an empty upstream on a free loopback port after <paramref name="map"/> adds its endpoints.</summary>
    public static async Task<(WebApplication App, string Url)> StartUpstreamAsync(Action<WebApplication> map)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        return (app, app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    /// <summary>One streamed content chunk of a chat completion.</summary>
    public static string Chunk(string token) =>
        $"data: {{\"object\":\"chat.completion.chunk\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"{token}\"}},\"finish_reason\":null}}]}}\n\n";

    /// <summary>The closing chunk and the end of the stream.</summary>
    public const string End =
        "data: {\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n";

    /// <summary>Creates a character through the editor and presses "Chat" on it; the page ends on the new chat.</summary>
    public static async Task StartChatWithNewCharacterAsync(IPage page, string baseUrl, string name, string firstMessage)
    {
        await page.GotoAsync(baseUrl.TrimEnd('/') + "/characters/new");
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync(name);
        await page.Locator("#Form_FirstMessage").FillAsync(firstMessage);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create character" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Chat", Exact = true }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/chats/\\d+$"));
    }

    /// <summary>Registers <paramref name="username"/> through the sign-up form and waits for the welcome.</summary>
    public static async Task RegisterAsync(IPage page, string baseUrl, string username)
    {
        await page.GotoAsync(baseUrl.TrimEnd('/') + "/account/register");
        await page.GetByLabel("Username").FillAsync(username);
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync("a long browser password");
        await page.GetByLabel("Repeat the password").FillAsync("a long browser password");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = $"Welcome back, {username}" })).ToBeVisibleAsync();
    }
}
