using CharacterHub.Tests.Support;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CharacterHub.Tests.Browser;

public sealed class ImportFlowTests : BrowserTest
{
    [Test]
    public async Task Import_SeveralCards_ShowsAPerFileReport_AndTheCharactersOpen()
    {
        await Page.GotoAsync("/account/register");
        await Page.GetByLabel("Username").FillAsync("importer");
        await Page.GetByLabel("Password", new() { Exact = true }).FillAsync("a long browser password");
        await Page.GetByLabel("Repeat the password").FillAsync("a long browser password");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();

        var cards = Path.Combine(TestApp.RepositoryDirectory(), "..", "shared", "cards");
        await Page.GotoAsync("/characters/import");
        await Page.Locator("input[type=file]").First.SetInputFilesAsync(new[]
        {
            Path.Combine(cards, "st_default_Seraphina_2024-09-28.png"), Path.Combine(cards, "st_legacy_Aqua_v1.json"),
            Path.Combine(cards, "st_Eldoria_worldinfo.json"),
        });
        await Screenshot("chosen");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Import", Exact = true }).ClickAsync();
        await Expect(Page.GetByText("Seraphina").First).ToBeVisibleAsync();
        await Expect(Page.GetByText("Aqua").First).ToBeVisibleAsync();
        await Screenshot("report");

        await Page.GotoAsync("/characters");
        await Expect(Page.Locator(".character-card")).ToHaveCountAsync(2);
        await Page.Locator(".character-card a", new() { HasTextString = "Seraphina" }).First.ClickAsync();
        await Expect(Page.Locator("img.avatar")).ToBeVisibleAsync();
        await Screenshot("imported-character");
    }
}
