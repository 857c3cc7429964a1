using CharacterHub.Tests.Support;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CharacterHub.Tests.Browser;

/// <summary>
/// The chat page's layout as a phone and a laptop see it: the "Chat options" panel opened on a 360 px screen keeps
/// every group of options reachable and nothing of it under the sticky composer; a gallery of the chat pages in both
/// themes and both sizes is written under .test-results/screenshots for a person to look at. The shared host has no
/// model: replies come from the offline responder, streamed word by word like a model's.
/// </summary>
public sealed class ChatLayoutFlowTests : BrowserTest
{
    private static readonly string[] OptionGroups = ["chat-options-chat", "chat-options-characters", "chat-options-prompt", "chat-options-export", "chat-options-danger"];

    private async Task RegisterAsync(string name)
    {
        await Page.GotoAsync("/account/register");
        await Page.GetByLabel("Username").FillAsync(name);
        await Page.GetByLabel("Password", new() { Exact = true }).FillAsync("a long browser password");
        await Page.GetByLabel("Repeat the password").FillAsync("a long browser password");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();
        await Expect(Page.GetByRole(AriaRole.Heading, new() { Name = $"Welcome back, {name}" })).ToBeVisibleAsync();
    }

    private async Task CreateCharacterAsync(string name, string greeting)
    {
        await Page.GotoAsync("/characters/new");
        await Page.GetByLabel("Name", new() { Exact = true }).FillAsync(name);
        await Page.Locator("#Form_FirstMessage").FillAsync(greeting);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Create character" }).ClickAsync();
        await Expect(Page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync(name);
    }

    private async Task SendAsync(string text, int assistantsAfter)
    {
        // Enter sends only once chat.js is running; right after a navigation the page may still be loading it.
        await Page.WaitForLoadStateAsync(LoadState.Load);
        await Page.GetByLabel("Your message").FillAsync(text);
        await Page.GetByLabel("Your message").PressAsync("Enter");
        await Expect(Page.Locator("article.chat-message.assistant")).ToHaveCountAsync(assistantsAfter, new() { Timeout = 20_000 });
        await Expect(Page.Locator("article.chat-message[data-status=pending], article.chat-message[data-status=streaming]")).ToHaveCountAsync(0, new() { Timeout = 20_000 });
    }

    /// <summary>A chat with a greeting, two exchanges, a regenerated reply (two swipes) and an edited message.</summary>
    private async Task<string> StartSingleChatAsync()
    {
        await CreateCharacterAsync("Captain Rell", "*looks up from the map* \"Another stowaway?\"");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Chat", Exact = true }).ClickAsync();
        await Expect(Page).ToHaveURLAsync(new Regex("/chats/\\d+$"));
        var url = Page.Url;
        await SendAsync("Just a passenger, I swear.", 2);
        await SendAsync("Where are we headed, captain?", 3);
        var last = Page.Locator("article.chat-message.assistant").Last;
        await last.GetByRole(AriaRole.Button, new() { Name = "Regenerate" }).ClickAsync();
        await Expect(last.Locator(".chat-swipe-count")).ToHaveTextAsync("2/2", new() { Timeout = 20_000 });
        var mine = Page.Locator("article.chat-message.user").First;
        await mine.GetByRole(AriaRole.Button, new() { Name = "Edit" }).ClickAsync();
        await Page.GetByLabel("Edit message").FillAsync("Just a *paying* passenger, I swear.");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Save edit" }).ClickAsync();
        await Expect(Page.Locator("article.chat-message.user").First.Locator(".chat-speaker")).ToContainTextAsync("edited");
        return url;
    }

    private static async Task<LocatorBoundingBoxResult> BoxAsync(ILocator locator) =>
        await locator.BoundingBoxAsync() ?? throw new AssertionException("no box for " + locator);

    [Test]
    public async Task OptionsPanelOnAPhone_EveryGroupReachable_NothingUnderTheComposer()
    {
        await RegisterAsync("phone");
        await StartSingleChatAsync();
        await Page.SetViewportSizeAsync(360, 740);
        await Page.ReloadAsync();

        // Message actions keep to one row on a phone: the less used ones sit behind "More actions".
        var reply = Page.Locator("article.chat-message.assistant").Last;
        var actions = reply.Locator(".chat-actions");
        var rowHeight = (await BoxAsync(actions.GetByRole(AriaRole.Button, new() { Name = "Regenerate" }))).Height;
        Assert.That((await BoxAsync(actions)).Height, Is.LessThan(rowHeight * 1.8), "the reply's actions wrapped onto a second row at 360 px");
        await actions.Locator(".chat-more summary").ClickAsync();
        await Expect(actions.GetByRole(AriaRole.Button, new() { Name = "Branch" })).ToBeVisibleAsync();
        await Expect(actions.GetByRole(AriaRole.Button, new() { Name = "Delete" })).ToBeVisibleAsync();
        await Screenshot("phone-more-actions");
        await actions.Locator(".chat-more summary").ClickAsync();

        await Page.Locator(".chat-settings summary").ClickAsync();
        await CheckOptionsAsync("single");
        await Page.EvaluateAsync("window.scrollTo(0, 0)");
        await Screenshot("phone-options-open");
        await Page.Locator("#chat-options-danger").ScrollIntoViewIfNeededAsync();
        await Page.ScreenshotAsync(new() { Path = Path.Combine(TestApp.RepositoryDirectory(), ".test-results", "screenshots", "OptionsPanelOnAPhone-viewport-danger.png") });

        // Closed again, the composer sticks to the bottom of the screen as before.
        await Page.Locator(".chat-settings summary").ClickAsync();
        await Page.EvaluateAsync("window.scrollTo(0, 0)");
        var stuck = await BoxAsync(Page.Locator(".chat-dock"));
        Assert.That(stuck.Y + stuck.Height, Is.EqualTo(740).Within(2), "the composer no longer sticks to the bottom");
        Assert.That((await BoxAsync(Page.Locator("#composer"))).Y, Is.GreaterThan(740 / 2), "the composer takes more than half of a phone's screen");

        // A group chat of three: the members' buttons and the long reply-order names fit the phone's width too.
        await CreateCharacterAsync("Ada", "Ada nods.");
        await CreateCharacterAsync("Bob", "Bob waves.");
        await Page.GotoAsync("/chats/new-group");
        foreach (var name in new[] { "Ada", "Bob", "Captain Rell" }) await Page.GetByRole(AriaRole.Checkbox, new() { Name = name }).CheckAsync();
        await Page.GetByRole(AriaRole.Button, new() { Name = "Start group chat" }).ClickAsync();
        await Expect(Page).ToHaveURLAsync(new Regex("/chats/\\d+$"));
        await Expect(Page.Locator("article.chat-message.assistant")).ToHaveCountAsync(3);
        await Page.Locator(".chat-settings summary").ClickAsync();
        await Expect(Page.Locator("#group-panel .group-member")).ToHaveCountAsync(3);
        await CheckOptionsAsync("group");
        await Page.EvaluateAsync("window.scrollTo(0, 0)");
        await Screenshot("phone-group-options-open");
    }

    /// <summary>With the options open: each group is on screen, fits the width, and each of its controls takes a click
    /// (a trial click fails when something else, like the composer, would get it) without lying under the composer.</summary>
    private async Task CheckOptionsAsync(string what)
    {
        var composer = Page.Locator("#composer");
        Assert.That(await Page.EvaluateAsync<int>("document.documentElement.scrollWidth"), Is.LessThanOrEqualTo(360), $"{what}: the page scrolls sideways");
        foreach (var group in OptionGroups)
        {
            var section = Page.Locator($"#{group}");
            await section.ScrollIntoViewIfNeededAsync();
            await Expect(section).ToBeVisibleAsync();
            await Expect(section.GetByRole(AriaRole.Heading).First).ToBeVisibleAsync();
            var controls = section.Locator("input:not([type=hidden]), select, textarea, button:not([disabled]), a[href]");
            var count = await controls.CountAsync();
            Assert.That(count, Is.GreaterThan(0), group);
            for (var i = 0; i < count; i++)
            {
                var control = controls.Nth(i);
                await control.ScrollIntoViewIfNeededAsync();
                await control.ClickAsync(new() { Trial = true, Timeout = 5_000 });
                var box = await BoxAsync(control);
                var composerBox = await BoxAsync(composer);
                var overlaps = box.Y < composerBox.Y + composerBox.Height && composerBox.Y < box.Y + box.Height;
                Assert.That(overlaps, Is.False, $"{what} {group}: control {i} lies under the composer ({box.Y}..{box.Y + box.Height} vs {composerBox.Y}..)");
                Assert.That(box.X + box.Width, Is.LessThanOrEqualTo(360.5), $"{what} {group}: control {i} goes past the right edge");
            }
            Assert.That((await BoxAsync(section)).Width, Is.LessThanOrEqualTo(360), $"{what}: {group} is wider than the screen");
        }
    }

    [Test]
    public async Task Gallery_ChatPagesInBothThemesAndSizes()
    {
        await RegisterAsync("viewer");
        await CreateCharacterAsync("Ada", "Ada nods.");
        await CreateCharacterAsync("Bob", "Bob waves.");
        var chatUrl = await StartSingleChatAsync();

        await Page.GotoAsync("/chats/new-group");
        foreach (var name in new[] { "Ada", "Bob", "Captain Rell" }) await Page.GetByRole(AriaRole.Checkbox, new() { Name = name }).CheckAsync();
        await Page.GetByRole(AriaRole.Button, new() { Name = "Start group chat" }).ClickAsync();
        await Expect(Page).ToHaveURLAsync(new Regex("/chats/\\d+$"));
        await Expect(Page.Locator("article.chat-message.assistant")).ToHaveCountAsync(3);
        var groupUrl = Page.Url;
        // Everyone at talkativeness 0, so exactly one member answers in natural order (at 0.5 any number may).
        await Page.Locator(".chat-settings summary").ClickAsync();
        for (var i = 0; i < 3; i++)
        {
            var member = Page.Locator("#group-panel .group-member").Nth(i);
            await member.Locator(".group-talk-input").FillAsync("0");
            await member.Locator(".group-talk button").ClickAsync();
            // The swapped-in panel shows the new value as the member's effective one (the typed value is there at once).
            await Expect(Page.Locator("#group-panel .group-member").Nth(i).Locator(".group-talk-input")).ToHaveAttributeAsync("placeholder", "0");
        }
        await Page.Locator(".chat-settings summary").ClickAsync();
        await SendAsync("Hello, all of you.", 4);

        var sizes = new (string Name, int Width, int Height)[] { ("wide", 1280, 800), ("phone", 360, 740) };
        foreach (var theme in new[] { "light", "dark" })
        {
            await Context.AddCookiesAsync([new Cookie { Name = "theme", Value = theme, Url = App.BaseAddress.ToString() }]);
            foreach (var size in sizes)
            {
                await Page.SetViewportSizeAsync(size.Width, size.Height);
                var tag = $"{size.Name}-{theme}";
                await Page.GotoAsync(chatUrl);
                await Shot($"chat-{tag}");
                await Page.Locator(".chat-settings summary").ClickAsync();
                await Shot($"chat-options-{tag}");
                await Page.Locator(".chat-settings summary").ClickAsync();
                var reply = Page.Locator("article.chat-message.assistant").Last;
                var more = reply.Locator(".chat-more summary");
                if (await more.IsVisibleAsync()) await more.ClickAsync();
                await reply.GetByRole(AriaRole.Link, new() { Name = "Prompt" }).ClickAsync();
                await Expect(reply.Locator(".prompt-inspector")).ToBeVisibleAsync();
                await Shot($"chat-prompt-{tag}");

                await Page.GotoAsync(groupUrl);
                await Shot($"group-{tag}");
                await Page.Locator(".chat-settings summary").ClickAsync();
                await Shot($"group-options-{tag}");

                foreach (var (page, name) in new[] { ("/chats", "chats"), ("/chats/new-group", "new-group"), ("/chats/import", "import"),
                             ("/settings/connections", "connections"), ("/settings/prompt", "prompt-settings") })
                {
                    await Page.GotoAsync(page);
                    await Shot($"{name}-{tag}");
                }
            }
        }
    }

    private async Task Shot(string name)
    {
        // Viewport shots show what a person sees first (and where the sticky composer sits); full-page shots the rest.
        var dir = Path.Combine(TestApp.RepositoryDirectory(), ".test-results", "screenshots", "gallery");
        Directory.CreateDirectory(dir);
        await Page.ScreenshotAsync(new() { Path = Path.Combine(dir, name + ".png") });
        await Screenshot(name);
    }
}
