using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CharacterHub.Tests.Browser;

/// <summary>A person starting a group chat: both characters greet, in list order both reply one after the other,
/// and "let X speak" brings one more reply. The shared host has no model: replies come from the offline responder,
/// streamed word by word like a model's.</summary>
public sealed class GroupChatFlowTests : BrowserTest
{
    private async Task CreateCharacterAsync(string name, string greeting)
    {
        await Page.GotoAsync("/characters/new");
        await Page.GetByLabel("Name", new() { Exact = true }).FillAsync(name);
        await Page.Locator("#Form_FirstMessage").FillAsync(greeting);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Create character" }).ClickAsync();
        await Expect(Page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync(name);
    }

    [Test]
    public async Task StartGroup_ListOrderRepliesInTurn_LetSpeak()
    {
        await Page.GotoAsync("/account/register");
        await Page.GetByLabel("Username").FillAsync("grouper");
        await Page.GetByLabel("Password", new() { Exact = true }).FillAsync("a long browser password");
        await Page.GetByLabel("Repeat the password").FillAsync("a long browser password");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();
        await Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Welcome back, grouper" })).ToBeVisibleAsync();
        await CreateCharacterAsync("Ada", "Ada nods.");
        await CreateCharacterAsync("Bob", "Bob waves.");

        await Page.GotoAsync("/chats");
        await Page.GetByRole(AriaRole.Link, new() { Name = "New group chat" }).ClickAsync();
        await Page.GetByRole(AriaRole.Checkbox, new() { Name = "Ada" }).CheckAsync();
        await Page.GetByRole(AriaRole.Checkbox, new() { Name = "Bob" }).CheckAsync();
        await Screenshot("group-picker");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Start group chat" }).ClickAsync();

        await Expect(Page).ToHaveURLAsync(new Regex("/chats/\\d+$"));
        var assistants = Page.Locator("article.chat-message.assistant");
        await Expect(assistants.Locator(".chat-speaker strong")).ToHaveTextAsync(["Ada", "Bob"]);

        await Page.GetByText("Chat options").ClickAsync();
        await Page.GetByLabel("Reply order").SelectOptionAsync("list");
        await Page.Locator("#group-panel").GetByRole(AriaRole.Button, new() { Name = "Use" }).ClickAsync();
        await Expect(Page.GetByLabel("Reply order")).ToHaveValueAsync("list");
        await Screenshot("group-options");
        await Page.GetByText("Chat options").ClickAsync();

        await Page.GetByLabel("Your message").FillAsync("Hello, both of you.");
        await Page.GetByLabel("Your message").PressAsync("Enter");
        // Ada replies, then (when her stream ends) Bob's reply is fetched and streamed.
        await Expect(assistants).ToHaveCountAsync(4, new() { Timeout = 20_000 });
        await Expect(Page.Locator("article.chat-message[data-status=pending], article.chat-message[data-status=streaming]")).ToHaveCountAsync(0, new() { Timeout = 20_000 });
        await Expect(assistants.Locator(".chat-speaker strong")).ToHaveTextAsync(["Ada", "Bob", "Ada", "Bob"]);
        await Screenshot("group-list-turn");

        await Page.Locator("#group-speak").GetByRole(AriaRole.Button, new() { Name = "Ada" }).ClickAsync();
        await Expect(assistants).ToHaveCountAsync(5, new() { Timeout = 20_000 });
        await Expect(assistants.Last.Locator(".chat-speaker strong")).ToHaveTextAsync("Ada");
        await Expect(Page.Locator("article.chat-message[data-status=pending], article.chat-message[data-status=streaming]")).ToHaveCountAsync(0, new() { Timeout = 20_000 });
        await Expect(assistants.Last.Locator(".chat-text")).Not.ToBeEmptyAsync();
        await Screenshot("group-let-speak");
    }
}
