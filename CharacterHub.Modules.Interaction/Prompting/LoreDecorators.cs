using System.Globalization;

namespace CharacterHub.Modules.Interaction.Prompting;

/// <summary>Character Card V3 lorebook decorators: <c>@@name value</c> lines at the top of an entry's content, each
/// optionally followed by <c>@@@name value</c> fallbacks that apply only when the decorator before them is not
/// supported. Parsed once per compiled book version; the content that reaches the prompt has the lines removed.</summary>
internal sealed record LoreDecorators
{
    public static readonly LoreDecorators None = new() { Content = "" };

    /// <summary>The entry content without its decorator lines.</summary>
    public required string Content { get; init; }

    /// <summary>From <c>@@position</c>; when only <c>@@depth</c> is given the entry goes at that depth.</summary>
    public LorePosition? Position { get; init; }
    public int? Depth { get; init; }

    public LorePosition? EffectivePosition => Position ?? (Depth is null ? null : LorePosition.AtDepth);
    public ChatRole? Role { get; init; }
    public int? ActivateOnlyAfter { get; init; }
    public int? ScanDepth { get; init; }
    public IReadOnlyList<string> ExcludeKeys { get; init; } = [];
    public bool DontActivate { get; init; }
    public bool Activate { get; init; }

    /// <summary>Decorators (with all their fallbacks) that could not be applied, in the words of the prompt inspector.</summary>
    public IReadOnlyList<string> Ignored { get; init; } = [];

    public static LoreDecorators Parse(string content)
    {
        if (!content.StartsWith("@@", StringComparison.Ordinal)) return None with { Content = content };
        var result = new LoreDecorators { Content = content };
        var ignored = new List<string>();
        var pos = 0;
        // A group is one decorator and the @@@ fallbacks below it; the first member that applies wins.
        List<string>? group = null;
        while (pos < content.Length && content.AsSpan(pos).StartsWith("@@"))
        {
            var end = content.IndexOf('\n', pos);
            var lineEnd = end < 0 ? content.Length : end;
            var line = content.AsSpan(pos, lineEnd - pos).TrimEnd('\r').ToString();
            pos = end < 0 ? content.Length : end + 1;
            if (line.StartsWith("@@@", StringComparison.Ordinal) && group is not null)
            {
                group.Add(line[3..]);
                continue;
            }
            if (group is not null) result = ApplyGroup(result, group, ignored);
            group = [line.StartsWith("@@@", StringComparison.Ordinal) ? line[3..] : line[2..]];
        }
        if (group is not null) result = ApplyGroup(result, group, ignored);
        return result with { Content = content[pos..], Ignored = ignored };
    }

    private static LoreDecorators ApplyGroup(LoreDecorators current, List<string> group, List<string> ignored)
    {
        foreach (var candidate in group)
        {
            if (TryApply(current, candidate, out var applied)) return applied;
        }
        ignored.Add(string.Join(" / ", group.Select(g => "@@" + g.Trim())));
        return current;
    }

    private static bool TryApply(LoreDecorators d, string line, out LoreDecorators applied)
    {
        applied = d;
        var trimmed = line.Trim();
        var space = trimmed.IndexOfAny([' ', '\t']);
        var name = (space < 0 ? trimmed : trimmed[..space]).ToLowerInvariant();
        var value = space < 0 ? "" : trimmed[(space + 1)..].Trim();
        switch (name)
        {
            case "depth" when NonNegative(value) is { } depth:
                applied = d with { Depth = depth };
                return true;
            case "role" when ParseRole(value) is { } role:
                applied = d with { Role = role };
                return true;
            case "position" when ParsePosition(value) is { } position:
                applied = d with { Position = position };
                return true;
            case "activate_only_after" when NonNegative(value) is { } after:
                applied = d with { ActivateOnlyAfter = after };
                return true;
            case "scan_depth" when NonNegative(value) is { } scanDepth:
                applied = d with { ScanDepth = scanDepth };
                return true;
            case "exclude_keys":
                var keys = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                if (keys.Length == 0) return false;
                applied = d with { ExcludeKeys = [.. d.ExcludeKeys, .. keys] };
                return true;
            case "dont_activate" when value.Length == 0:
                applied = d with { DontActivate = true };
                return true;
            case "activate" when value.Length == 0:
                applied = d with { Activate = true };
                return true;
            default:
                return false;
        }
    }

    private static int? NonNegative(string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;

    private static ChatRole? ParseRole(string value) => value.ToLowerInvariant() switch
    {
        "system" => ChatRole.System,
        "user" => ChatRole.User,
        "assistant" => ChatRole.Assistant,
        _ => null,
    };

    /// <summary>The V3 values map onto the slots this builder has: the description, personality and scenario all live
    /// in the story string, so before_desc is the before-char slot and the later card fields the after-char slot.</summary>
    private static LorePosition? ParsePosition(string value) => value.ToLowerInvariant() switch
    {
        "before_desc" or "before_char" => LorePosition.BeforeChar,
        "after_desc" or "after_char" or "personality" or "scenario" => LorePosition.AfterChar,
        "an_top" => LorePosition.AuthorsNoteTop,
        "an_bottom" => LorePosition.AuthorsNoteBottom,
        "depth" => LorePosition.AtDepth,
        "before_example" or "before_examples" => LorePosition.BeforeExamples,
        "after_example" or "after_examples" => LorePosition.AfterExamples,
        _ => null,
    };
}
