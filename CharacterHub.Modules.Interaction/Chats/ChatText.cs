using System.Text;
using System.Text.RegularExpressions;
using CharacterHub.Kernel.Text;
using Microsoft.AspNetCore.Html;

namespace CharacterHub.Modules.Interaction.Chats;

/// <summary>
/// Renders a chat message: the Kernel's Markdown pipeline (raw HTML disabled, then sanitized), then role-play styling
/// on the sanitized output. *Actions* are already emphasis from Markdown; "speech", ((OOC)), (OOC: ...) and lines
/// starting "OOC:" get a class, and emoji shortcodes (":heart:") become emoji outside code. The
/// styling only wraps runs inside a single text node with fixed tags, never touching tags or attributes, and skips
/// code, so the safe HTML stays safe and well-formed.
/// </summary>
internal static partial class ChatText
{
    /// <summary>GitHub-style shortcodes (":smile:", ":+1:") to emoji: Markdig's table without its smileys, because
    /// ":)" or ":P" in role-play text is meant as written.</summary>
    private static readonly System.Collections.Frozen.FrozenDictionary<string, string> Emoji =
        System.Collections.Frozen.FrozenDictionary.ToFrozenDictionary(Markdig.Extensions.Emoji.EmojiMapping.GetDefaultEmojiShortcodeToUnicode(), StringComparer.Ordinal);

    public static HtmlString Render(MarkdownRenderer markdown, string? text) => new(Style(markdown.ToSafeHtml(text)));

    public static string Style(string safeHtml)
    {
        if (safeHtml.Length == 0) return safeHtml;
        var output = new StringBuilder(safeHtml.Length + 64);
        var inCode = 0;
        // An "OOC:" line is styled text node by text node up to the next line break or block, so every span stays
        // inside one text node (emphasis inside the line keeps its own tags).
        var atLineStart = true;
        var oocLine = false;
        foreach (var part in TagsAndText().Split(safeHtml))
        {
            if (part.Length == 0) continue;
            if (part[0] == '<')
            {
                if (CodeOpen().IsMatch(part)) inCode++;
                else if (CodeClose().IsMatch(part) && inCode > 0) inCode--;
                if (LineBreak().IsMatch(part)) (atLineStart, oocLine) = (true, false);
                output.Append(part);
                continue;
            }
            if (inCode > 0)
            {
                output.Append(part);
                atLineStart = false;
                continue;
            }
            if (atLineStart && OocLine().IsMatch(part)) oocLine = true;
            if (!string.IsNullOrWhiteSpace(part)) atLineStart = false;
            var text = Shortcodes().Replace(part, m => Emoji.TryGetValue(m.Value, out var emoji) ? emoji : m.Value);
            if (oocLine)
            {
                var lead = text.Length - text.TrimStart().Length; // the line break before the line stays outside
                output.Append(text, 0, lead);
                if (lead < text.Length) output.Append("<span class=\"rp-ooc\">").Append(text, lead, text.Length - lead).Append("</span>");
                continue;
            }
            // One pass with both patterns, so an OOC run and a quote can never wrap across each other's tags.
            output.Append(Marks().Replace(text, m => m.Groups["ooc"].Success
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

    /// <summary>Tags after which a new line of text starts.</summary>
    [GeneratedRegex("^</?(br|p|li|ul|ol|div|blockquote|h[1-6]|tr|td|th|table|hr|pre)[\\s/>]", RegexOptions.IgnoreCase)]
    private static partial Regex LineBreak();

    [GeneratedRegex("^\\s*OOC\\s*:", RegexOptions.IgnoreCase)]
    private static partial Regex OocLine();

    [GeneratedRegex(":[a-z0-9_+\\-]{1,40}:")]
    private static partial Regex Shortcodes();

    // ((OOC)), (OOC: ...) and [OOC: ...], straight quotes as the sanitizer writes them (raw or as &quot;), or
    // typographic quotes.
    [GeneratedRegex("(?<ooc>\\(\\((?:(?!\\)\\)).)+\\)\\)|\\((?i:ooc)\\s*:[^()]*\\)|\\[(?i:ooc)\\s*:[^\\[\\]]*\\])|(?:\"|&quot;)(?:(?!\"|&quot;).)+(?:\"|&quot;)|“[^”]+”")]
    private static partial Regex Marks();
}
