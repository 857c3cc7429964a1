using System.Globalization;
using System.Text.RegularExpressions;

namespace CharacterHub.Modules.Interaction.Prompting;

/// <summary>Why a story-string template cannot be saved, in words, with the line it is on when that can be told.</summary>
internal sealed partial record TemplateProblem(string Message, int? Line)
{
    /// <summary>Every parameter non-empty, so a check renders every conditional branch.</summary>
    internal static readonly StoryStringParameters SampleParameters = new()
    {
        System = "system", Description = "description", Personality = "personality", Scenario = "scenario", Persona = "persona",
        Char = "char", User = "user", WiBefore = "lore", WiAfter = "lore", MesExamples = "<START>", MesExamplesRaw = "example",
    };

    public override string ToString() => Line is { } line ? $"Line {line}: {Message}" : Message;

    /// <summary>Handlebars.Net reports a position only for parser errors ("Occured at: line:column", 0-based); block
    /// mismatches come without one, so they are located here by pairing the template's block tags.</summary>
    internal static TemplateProblem Describe(string template, string error)
    {
        var at = OccuredAt().Match(error);
        if (at.Success)
        {
            var message = error[..at.Index].TrimEnd();
            var lines = template.Split('\n').Length;
            var line = Math.Clamp(int.Parse(at.Groups["line"].Value, CultureInfo.InvariantCulture) + 1, 1, lines);
            return new TemplateProblem(message, line);
        }
        return new TemplateProblem(error.Trim(), UnbalancedBlockLine(template));
    }

    /// <summary>The line of the first closing tag without its opening tag, else of the first block never closed.</summary>
    private static int? UnbalancedBlockLine(string template)
    {
        var open = new Stack<(string Name, int Index)>();
        foreach (Match tag in BlockTag().Matches(template))
        {
            var name = tag.Groups["name"].Value;
            if (tag.Groups["kind"].Value == "#")
            {
                open.Push((name, tag.Index));
            }
            else if (open.Count > 0 && open.Peek().Name == name)
            {
                open.Pop();
            }
            else
            {
                return LineOf(template, tag.Index);
            }
        }
        return open.Count > 0 ? LineOf(template, open.Reverse().First().Index) : null;
    }

    private static int LineOf(string text, int index) => 1 + text.AsSpan(0, index).Count('\n');

    [GeneratedRegex(@"\s*Occured at:\s*(?<line>\d+):(?<column>\d+)\s*$")]
    private static partial Regex OccuredAt();

    [GeneratedRegex(@"\{\{~?\s*(?<kind>[#/])\s*(?<name>[^\s}~]+)")]
    private static partial Regex BlockTag();
}
