using AngleSharp.Html.Parser;
using CharacterHub.Kernel.Text;
using CharacterHub.Modules.Interaction.Chats;

namespace CharacterHub.Tests.Unit.Chats;

public sealed class ChatTextTests
{
    private static readonly MarkdownRenderer Markdown = new();

    private static AngleSharp.Dom.IElement Render(string text) =>
        new HtmlParser().ParseDocument("<div id=r>" + ChatText.Render(Markdown, text).Value + "</div>").GetElementById("r")!;

    [Test]
    public void RolePlay_ActionsSpeechAndOoc_AreStyled()
    {
        var html = Render("*draws her sword* \"Stand back!\" ((brb, dinner))");
        Assert.That(html.QuerySelector("em")!.TextContent, Is.EqualTo("draws her sword"));
        Assert.That(html.QuerySelector(".rp-speech")!.TextContent, Is.EqualTo("\"Stand back!\""));
        Assert.That(html.QuerySelector(".rp-ooc")!.TextContent, Is.EqualTo("((brb, dinner))"));
    }

    [Test]
    public void QuotesInsideOoc_AndOocInsideQuotes_NeverCrossTags()
    {
        var html = Render("\"a ((b\" c)) and ((say \"hi\" later))");
        // Well-formed output: every span opened inside the paragraph closes inside it, text survives intact.
        Assert.That(html.TextContent.Trim(), Is.EqualTo("\"a ((b\" c)) and ((say \"hi\" later))"));
        Assert.That(html.QuerySelectorAll(".rp-speech, .rp-ooc"), Is.Not.Empty);
    }

    [Test]
    public void Code_AndAttributes_AreLeftAlone()
    {
        var html = Render("`\"not speech\"` and [a \"link\"](https://example.org/?q=\"x\")");
        Assert.That(html.QuerySelector("code")!.InnerHtml, Does.Not.Contain("span"));
        var link = html.QuerySelector("a")!;
        Assert.That(link.GetAttribute("href"), Does.StartWith("https://example.org/"));
        Assert.That(link.GetAttribute("rel"), Is.EqualTo("nofollow noopener noreferrer"));
    }

    [Test]
    public void Html_IsInert()
    {
        var html = Render("<script>alert(1)</script><img src=x onerror=alert(1)> \"<b>bold?</b>\"");
        Assert.That(html.QuerySelectorAll("script, img, b"), Is.Empty);
        Assert.That(html.TextContent, Does.Contain("<script>alert(1)</script>"));
    }
}
