namespace CharacterHub.Modules.Interaction.Prompting;

internal sealed record ExampleTurn(ChatRole Role, string Content);

/// <summary>SillyTavern's mes_example format: blocks introduced by <c>&lt;START&gt;</c>, lines prefixed by the
/// speaker's name (<c>{{char}}:</c> / <c>{{user}}:</c>, already expanded by the caller); unprefixed lines continue
/// the previous turn.</summary>
internal static class ExampleDialogues
{
    private const string StartTag = "<START>";

    public static List<string> SplitBlocks(string mesExample)
    {
        var blocks = new List<string>();
        if (string.IsNullOrWhiteSpace(mesExample)) return blocks;
        var text = mesExample.Replace("\r\n", "\n", StringComparison.Ordinal);
        var from = 0;
        while (from <= text.Length)
        {
            var at = text.IndexOf(StartTag, from, StringComparison.OrdinalIgnoreCase);
            var end = at < 0 ? text.Length : at;
            var block = text[from..end].Trim();
            if (block.Length > 0) blocks.Add(block);
            if (at < 0) break;
            from = at + StartTag.Length;
        }
        return blocks;
    }

    public static List<ExampleTurn> ParseTurns(string block, string charName, string userName)
    {
        var turns = new List<ExampleTurn>();
        ChatRole? role = null;
        var current = new List<string>();
        foreach (var rawLine in block.Split('\n'))
        {
            var line = rawLine.TrimEnd('\r');
            ChatRole? speaker = null;
            string content = line;
            if (TryStrip(line, charName, out var rest)) (speaker, content) = (ChatRole.Assistant, rest);
            else if (TryStrip(line, userName, out rest)) (speaker, content) = (ChatRole.User, rest);
            if (speaker is not null)
            {
                Flush();
                role = speaker;
            }
            else if (role is null)
            {
                // Text before any speaker label reads as the character's narration.
                role = ChatRole.Assistant;
            }
            current.Add(content);
        }
        Flush();
        return turns;

        void Flush()
        {
            var text = string.Join('\n', current).Trim();
            if (role is not null && text.Length > 0) turns.Add(new ExampleTurn(role.Value, text));
            current.Clear();
        }
    }

    private static bool TryStrip(string line, string name, out string rest)
    {
        rest = "";
        if (string.IsNullOrEmpty(name)) return false;
        var trimmed = line.TrimStart();
        if (trimmed.Length <= name.Length || !trimmed.StartsWith(name, StringComparison.OrdinalIgnoreCase) || trimmed[name.Length] != ':') return false;
        rest = trimmed[(name.Length + 1)..].TrimStart();
        return true;
    }
}
