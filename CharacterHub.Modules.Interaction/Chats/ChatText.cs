using System.Text;
using System.Text.RegularExpressions;
using CharacterHub.Kernel.Text;
using Microsoft.AspNetCore.Html;

namespace CharacterHub.Modules.Interaction.Chats;

/// <summary>
/// Renders a chat message: the Kernel's Markdown pipeline (raw HTML disabled, then sanitized), then role-play styling
/// on the sanitized output. *Actions* are already emphasis from Markdown; "speech" and ((OOC)) get a class. The
/// styling only wraps runs inside a single text node with fixed tags, never touching tags or attributes, and skips
/// code, so the safe HTML stays safe and well-formed.
/// </summary>
internal static partial class ChatText
{
    public static HtmlString Render(MarkdownRenderer markdown, string? text) => new(Style(markdown.ToSafeHtml(text)));

    public static string Style(string safeHtml)
    {
        if (safeHtml.Length == 0) return safeHtml;
        var output = new StringBuilder(safeHtml.Length + 64);
        var inCode = 0;
        foreach (var part in TagsAndText().Split(safeHtml))
        {
            if (part.Length == 0) continue;
            if (part[0] == '<')
            {
                if (CodeOpen().IsMatch(part)) inCode++;
                else if (CodeClose().IsMatch(part) && inCode > 0) inCode--;
                output.Append(part);
                continue;
            }
            if (inCode > 0)
            {
                output.Append(part);
                continue;
            }
            // One pass with both patterns, so an OOC run and a quote can never wrap across each other's tags.
            output.Append(Marks().Replace(part, m => m.Groups["ooc"].Success
                ? $"<span class=\"rp-ooc\">{m.Value}</span>"
                : $"<span class=\"rp-speech\">{m.Value}</span>"));
        }
        return output.ToString();
    }

    [GeneratedRegex("(<[^>]*>)")]
    private static partial Regex TagsAndText();

    [GeneratedRegex("^<(code|pre)[\\s>]", RegexOptions.IgnoreCase)]
    private static partial Regex CodeOpen();

    [GeneratedRegex("^</(code|pre)>", RegexOptions.IgnoreCase)]
    private static partial Regex CodeClose();

    // ((OOC)), straight quotes as the sanitizer writes them (raw or as &quot;), or typographic quotes.
    [GeneratedRegex("(?<ooc>\\(\\((?:(?!\\)\\)).)+\\)\\))|(?:\"|&quot;)(?:(?!\"|&quot;).)+(?:\"|&quot;)|“[^”]+”")]
    private static partial Regex Marks();
}
