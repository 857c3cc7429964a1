using System.Text.RegularExpressions;

namespace CharacterHub.Modules.Characters.Domain;

/// <summary>
/// How card text reads on a character's page: {{char}} and {{user}} (and the legacy &lt;BOT&gt;/&lt;USER&gt;,
/// V3 &lt;char&gt;/&lt;user&gt; forms) become the character's and the reader's names, as users of other tools expect.
/// Runs before the Markdown pipeline, which still sanitizes everything.
/// </summary>
internal static partial class DisplayText
{
    [GeneratedRegex(@"\{\{\s*(char|user)\s*\}\}|<(bot|char|user)>", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex Macro();

    public static string Substitute(string text, CharacterDraft character, string? reader)
    {
        if (text.IndexOf('{') < 0 && text.IndexOf('<') < 0) return text;
        var name = character.Nickname.Length > 0 ? character.Nickname : character.Name;
        try
        {
            return Macro().Replace(text, m =>
                (m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value).Equals("user", StringComparison.OrdinalIgnoreCase)
                    ? reader ?? "you"
                    : name);
        }
        catch (RegexMatchTimeoutException)
        {
            return text;
        }
    }
}
