using AngleSharp.Html.Parser;
using CharacterHub.Kernel.Text;
using CharacterHub.Modules.Interaction.Chats;

namespace CharacterHub.Tests.Unit.PromptTools;

public sealed class ChatEmojiTests
{
    private static readonly MarkdownRenderer Markdown = new();

    private static AngleSharp.Dom.IElement Render(string text) =>
        new HtmlParser().ParseDocument("<div id=r>" + ChatText.Render(Markdown, text).Value + "</div>").GetElementById("r")!;

    [Test]
    public void Shortcodes_BecomeEmoji()
    {
        var html = Render("I :heart: this :smile: :+1:");
        Assert.That(html.TextContent.Trim(), Is.EqualTo("I \u2764\uFE0F this \U0001F604 \U0001F44D"));
    }

    [Test]
    public void Smileys_AndUnknownCodes_AreLeftAsWritten()
    {
        var html = Render("Fine :) or :P, at 10:30:45, :not_an_emoji_at_all: and :heart");
        Assert.That(html.TextContent.Trim(), Is.EqualTo("Fine :) or :P, at 10:30:45, :not_an_emoji_at_all: and :heart"));
    }

    [Test]
    public void Shortcodes_InCodeSpansAndBlocks_AreLeftAlone()
    {
        var html = Render("`:smile:` and\n\n```\n:heart:\n```\n\nbut :smile: here");
        Assert.That(html.QuerySelector("p code")!.TextContent, Is.EqualTo(":smile:"));
        Assert.That(html.QuerySelector("pre")!.TextContent, Does.Contain(":heart:"));
        Assert.That(html.QuerySelectorAll("p")[^1].TextContent, Is.EqualTo("but \U0001F604 here"));
    }

    [Test]
    public void Shortcodes_InsideSpeech_AndLinks_KeepTheMarkupSafe()
    {
        var html = Render("\"Hello :wave:\" [go :rocket:](https://example.org/:smile:/)");
        Assert.That(html.QuerySelector(".rp-speech")!.TextContent, Is.EqualTo("\"Hello \U0001F44B\""));
        var link = html.QuerySelector("a")!;
        Assert.That(link.GetAttribute("href"), Is.EqualTo("https://example.org/:smile:/"), "attributes are never rewritten");
        Assert.That(link.TextContent, Is.EqualTo("go \U0001F680"));
    }

    [Test]
    public void OocPrefixedLines_AreStyled_UpToTheLineBreak()
    {
        var html = Render("She nods.\nOOC: brb, *dinner* time\nBack in character.");
        var ooc = html.QuerySelectorAll(".rp-ooc");
        Assert.That(string.Join("|", ooc.Select(o => o.TextContent)), Is.EqualTo("OOC: brb, |dinner|time"));
        Assert.That(html.QuerySelector("em")!.TextContent, Is.EqualTo("dinner"));
        Assert.That(html.TextContent, Does.Contain("Back in character."));
        Assert.That(ooc.Any(o => o.TextContent.Contains("Back", StringComparison.Ordinal)), Is.False);
        Assert.That(ooc.Any(o => o.TextContent.Contains("nods", StringComparison.Ordinal)), Is.False);
    }

    [Test]
    public void OocInParentheses_AndBrackets_AreStyled_ButNotMidSentenceWords()
    {
        var html = Render("Sure. (OOC: got to go) [ooc: back soon] The word OOC: mid-line is plain.");
        var ooc = html.QuerySelectorAll(".rp-ooc").Select(o => o.TextContent).ToList();
        Assert.That(ooc, Is.EqualTo(new[] { "(OOC: got to go)", "[ooc: back soon]" }));
    }
}
