using CharacterHub.Kernel.Text;

namespace CharacterHub.Tests.Unit.Kernel;

public sealed class MarkdownRendererTests
{
    private readonly MarkdownRenderer renderer = new();

    [TestCase("<script>alert(1)</script>")]
    [TestCase("<iframe src=\"https://evil.example\"></iframe>")]
    [TestCase("<img src=x onerror=alert(1)>")]
    [TestCase("[click](javascript:alert(1))")]
    [TestCase("<a href=\"javascript:alert(1)\">x</a>")]
    [TestCase("<div onclick=\"alert(1)\">x</div>")]
    [TestCase("![x](https://tracker.example/pixel.png)")]
    public void Render_HostileInput_LeavesNothingExecutableOrExternal(string input)
    {
        var html = renderer.ToSafeHtml(input);
        var doc = new AngleSharp.Html.Parser.HtmlParser().ParseDocument($"<body>{html}</body>");
        Assert.That(doc.QuerySelectorAll("script, iframe, img, object, embed, form"), Is.Empty, html);
        var attributes = doc.Body!.QuerySelectorAll("*").SelectMany(e => e.Attributes).ToList();
        Assert.That(attributes.Where(a => a.Name.StartsWith("on", StringComparison.Ordinal)), Is.Empty, html);
        Assert.That(attributes.Where(a => a.Value.Contains("javascript:", StringComparison.OrdinalIgnoreCase)), Is.Empty, html);
    }

    [Test]
    public void Render_Markdown_KeepsFormattingAndMakesLinksSafe()
    {
        var html = renderer.ToSafeHtml("**bold** *it* and [site](https://example.com)");
        Assert.That(html, Does.Contain("<strong>bold</strong>").And.Contain("<em>it</em>"));
        Assert.That(html, Does.Contain("rel=\"nofollow noopener noreferrer\""));
    }

    [Test]
    public void Render_Empty_IsEmpty() => Assert.That(renderer.ToSafeHtml("  "), Is.Empty);
}
