using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CharacterHub.Tests.Browser;

public sealed class CharacterFlowTests : BrowserTest
{
    private async Task RegisterAsync(string username)
    {
        await Page.GotoAsync("/account/register");
        await Page.GetByLabel("Username").FillAsync(username);
        await Page.GetByLabel("Password", new() { Exact = true }).FillAsync("a long browser password");
        await Page.GetByLabel("Repeat the password").FillAsync("a long browser password");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();
        await Expect(Page.GetByRole(AriaRole.Heading, new() { Name = $"Welcome back, {username}" })).ToBeVisibleAsync();
    }

    [Test]
    public async Task NewFromTemplate_Edit_History_Diff_Restore()
    {
        await RegisterAsync("creator");
        await Page.GotoAsync("/characters");
        await Page.GetByRole(AriaRole.Link, new() { Name = "From a template", Exact = true }).ClickAsync();
        await Page.GetByRole(AriaRole.Link, new() { Name = "Use the Mentor template" }).ClickAsync();

        await Expect(Page.GetByLabel("Name", new() { Exact = true })).ToHaveValueAsync("Mentor");
        await Page.GetByLabel("Name", new() { Exact = true }).FillAsync("Master Oda");
        await Page.Locator("#Form_Description").FillAsync("An **old** teacher of the blade.");
        await Expect(Page.Locator("#preview-description strong")).ToHaveTextAsync("old"); // live Markdown preview (htmx)
        await Page.GetByRole(AriaRole.Button, new() { Name = "Add a trait" }).ClickAsync();
        await Page.Locator("#traits-list .repeat-item").Last.Locator("input[type=text], input:not([type])").First.FillAsync("stern");
        await Screenshot("editor");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Create character" }).ClickAsync();

        await Expect(Page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("Master Oda");
        await Expect(Page.Locator(".chips")).ToContainTextAsync("stern");
        await Screenshot("created");

        await Page.GetByRole(AriaRole.Link, new() { Name = "Edit" }).ClickAsync();
        await Page.Locator("#Form_Description").FillAsync("A young teacher of the blade.");
        await Page.GetByLabel("What changed?").FillAsync("made younger");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(Page.Locator(".prose").First).ToContainTextAsync("A young teacher");

        await Page.GetByRole(AriaRole.Link, new() { Name = "History" }).ClickAsync();
        await Expect(Page.Locator("table.versions tbody tr")).ToHaveCountAsync(2);
        await Expect(Page.Locator("section.diff h3", new() { HasTextString = "Description" })).ToBeVisibleAsync();
        var newSide = Page.Locator("section.diff", new() { Has = Page.Locator("h3", new() { HasTextString = "Description" }) }).Locator(".diff-side").Nth(1);
        await Expect(newSide.Locator(".diff-line.inserted, .diff-line.modified").First).ToContainTextAsync("young");
        await Screenshot("diff");

        await Page.GetByRole(AriaRole.Button, new() { Name = "Restore version 1" }).ClickAsync();
        await Expect(Page.Locator("table.versions tbody tr")).ToHaveCountAsync(3);
        await Page.GotoAsync(Page.Url.Split("/versions")[0]);
        await Expect(Page.Locator(".prose").First).ToContainTextAsync("An old teacher");
        await Screenshot("restored");
    }

    [Test]
    public async Task Library_SearchUpdatesResultsAsYouType()
    {
        await RegisterAsync("searcher");
        foreach (var name in new[] { "Luna", "Lucas", "Marco" })
        {
            await Page.GotoAsync("/characters/new");
            await Page.GetByLabel("Name", new() { Exact = true }).FillAsync(name);
            await Page.GetByRole(AriaRole.Button, new() { Name = "Create character" }).ClickAsync();
            await Expect(Page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync(name);
        }
        await Page.GotoAsync("/characters");
        await Expect(Page.Locator(".character-card")).ToHaveCountAsync(3);
        await Page.GetByRole(AriaRole.Searchbox, new() { Name = "Search" }).FillAsync("lu");
        await Expect(Page.Locator(".character-card")).ToHaveCountAsync(2);
        await Expect(Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("q=lu"));
        await Screenshot("library-search");
    }
}
