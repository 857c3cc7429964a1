using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CharacterHub.Tests.Browser;

public sealed class AccountFlowTests : BrowserTest
{
    [Test]
    public async Task Register_LogOut_LogIn_LogOut()
    {
        await Page.GotoAsync("/");
        await Page.GetByRole(AriaRole.Link, new() { Name = "Register" }).ClickAsync();

        await Page.GetByLabel("Username").FillAsync("browser_user");
        await Page.GetByLabel("Email").FillAsync("browser@example.com");
        await Page.GetByLabel("Password", new() { Exact = true }).FillAsync("a long browser password");
        await Page.GetByLabel("Repeat the password").FillAsync("a long browser password");
        await Screenshot("register-form");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();

        await Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Welcome back, browser_user" })).ToBeVisibleAsync();
        await Screenshot("registered");

        await LogOut();
        await Expect(Page.GetByRole(AriaRole.Link, new() { Name = "Create an account" })).ToBeVisibleAsync();

        await Page.GetByRole(AriaRole.Link, new() { Name = "Log in" }).ClickAsync();
        await Page.GetByLabel("Username").FillAsync("browser_user");
        await Page.GetByLabel("Password").FillAsync("a long browser password");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Welcome back, browser_user" })).ToBeVisibleAsync();

        await LogOut();
        await Expect(Page.GetByRole(AriaRole.Link, new() { Name = "Log in" })).ToBeVisibleAsync();
        await Screenshot("logged-out");
    }

    [Test]
    public async Task AccountPage_CreateToken_SwapsTheSectionWithHtmx_AndShowsTheTokenOnce()
    {
        await Page.GotoAsync("/account/register");
        await Page.GetByLabel("Username").FillAsync("token_user");
        await Page.GetByLabel("Password", new() { Exact = true }).FillAsync("a long browser password");
        await Page.GetByLabel("Repeat the password").FillAsync("a long browser password");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();
        await Page.GotoAsync("/account");

        var navigations = 0;
        Page.FrameNavigated += (_, frame) => { if (frame == Page.MainFrame) navigations++; };
        await Page.GetByLabel("Token name").FillAsync("my script");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Create token" }).ClickAsync();
        var token = Page.Locator("#new-token");
        await Expect(token).ToContainTextAsync("chp_");
        Assert.That(navigations, Is.Zero, "htmx swapped the section in place");
        await Expect(Page.GetByRole(AriaRole.Cell, new() { Name = "my script", Exact = true })).ToBeVisibleAsync();
        await Screenshot("token-created");
    }

    [Test]
    public async Task HomePage_At360PixelsWide_HasNoHorizontalOverflow()
    {
        await Page.SetViewportSizeAsync(360, 740);
        await Page.GotoAsync("/");
        var overflow = await Page.EvaluateAsync<bool>("document.documentElement.scrollWidth > document.documentElement.clientWidth");
        Assert.That(overflow, Is.False);
        await Screenshot("mobile-home");
    }

    private async Task LogOut()
    {
        await Page.Locator("details.menu summary").ClickAsync();
        await Page.GetByRole(AriaRole.Button, new() { Name = "Log out" }).ClickAsync();
    }
}
