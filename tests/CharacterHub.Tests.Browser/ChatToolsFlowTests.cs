using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CharacterHub.Tests.Browser;

/// <summary>A person branching a chat from a message, finding the export links, and importing a SillyTavern chat.
/// The shared host has no model: replies come from the offline responder.</summary>
public sealed class ChatToolsFlowTests : BrowserTest
{
    [Test]
    public async Task BranchFromAMessage_ThenImportASillyTavernChat()
    {
        await Page.GotoAsync("/account/register");
        await Page.GetByLabel("Username").FillAsync("brancher");
        await Page.GetByLabel("Password", new() { Exact = true }).FillAsync("a long browser password");
        await Page.GetByLabel("Repeat the password").FillAsync("a long browser password");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();
        await Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Welcome back, brancher" })).ToBeVisibleAsync();

        await Page.GotoAsync("/characters/new");
        await Page.GetByLabel("Name", new() { Exact = true }).FillAsync("Captain Rell");
        await Page.Locator("#Form_FirstMessage").FillAsync("\"Another stowaway?\"");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Create character" }).ClickAsync();
        await Page.GetByRole(AriaRole.Button, new() { Name = "Chat", Exact = true }).ClickAsync();
        await Expect(Page).ToHaveURLAsync(new Regex("/chats/\\d+$"));
        var sourceUrl = Page.Url;

        await Page.GetByLabel("Your message").FillAsync("Just a passenger.");
        await Page.GetByLabel("Your message").PressAsync("Enter");
        await Expect(Page.Locator("article.chat-message.assistant[data-status=offline]")).ToHaveCountAsync(1);
        await Page.GetByLabel("Your message").FillAsync("A second thought.");
        await Page.GetByLabel("Your message").PressAsync("Enter");
        await Expect(Page.Locator("article.chat-message.assistant[data-status=offline]")).ToHaveCountAsync(2);

        // Branch from my first message: a new chat with the greeting and that message only.
        await Page.Locator("article.chat-message.user").First.GetByRole(AriaRole.Button, new() { Name = "Branch" }).ClickAsync();
        await Expect(Page).Not.ToHaveURLAsync(sourceUrl);
        await Expect(Page).ToHaveURLAsync(new Regex("/chats/\\d+$"));
        await Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Chat with Captain Rell (branch)" })).ToBeVisibleAsync();
        await Expect(Page.Locator(".chat-origin")).ToContainTextAsync("Branched from Chat with Captain Rell");
        await Expect(Page.Locator("article.chat-message")).ToHaveCountAsync(2);
        await Expect(Page.Locator("article.chat-message.user .chat-text")).ToHaveTextAsync("Just a passenger.");
        await Page.Locator(".chat-settings summary").ClickAsync();
        await Expect(Page.GetByRole(AriaRole.Link, new() { Name = "SillyTavern (.jsonl)" })).ToBeVisibleAsync();
        await Screenshot("branched");

        // Export the branch as SillyTavern JSONL and import it again from the chats list.
        var download = await Page.RunAndWaitForDownloadAsync(() => Page.GetByRole(AriaRole.Link, new() { Name = "SillyTavern (.jsonl)" }).ClickAsync());
        Assert.That(download.SuggestedFilename, Is.EqualTo("Chat with Captain Rell branch.jsonl"));
        var exported = await File.ReadAllBytesAsync((await download.PathAsync())!);
        Assert.That(Encoding.UTF8.GetString(exported), Does.Contain("\"mes\":\"Just a passenger.\""));

        await Page.GotoAsync("/chats");
        await Page.GetByRole(AriaRole.Link, new() { Name = "Import a SillyTavern chat" }).ClickAsync();
        await Page.GetByLabel("Character").SelectOptionAsync(new SelectOptionValue { Label = "Captain Rell" });
        await Page.GetByLabel("Chat file").SetInputFilesAsync(new FilePayload { Name = "broken.jsonl", MimeType = "application/octet-stream", Buffer = "{\"is_user\":true}\n"u8.ToArray() });
        await Page.GetByRole(AriaRole.Button, new() { Name = "Import chat" }).ClickAsync();
        await Expect(Page.Locator("#chat-import-error")).ToContainTextAsync("Line 1: the message has no \"mes\"");
        await Screenshot("import-refused");

        await Page.GetByLabel("Chat file").SetInputFilesAsync(new FilePayload { Name = "Rell.jsonl", MimeType = "application/octet-stream", Buffer = exported });
        await Page.GetByRole(AriaRole.Button, new() { Name = "Import chat" }).ClickAsync();
        await Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Imported: Rell.jsonl" })).ToBeVisibleAsync();
        await Expect(Page.Locator("article.chat-message")).ToHaveCountAsync(2);
        await Expect(Page.Locator("article.chat-message.user .chat-text")).ToHaveTextAsync("Just a passenger.");
        await Screenshot("imported");
    }
}
