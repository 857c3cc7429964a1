using System.Globalization;

namespace CharacterHub.Modules.Characters.Cards;

/// <summary>One <c>@@name value</c> line; <see cref="Fallbacks"/> are the <c>@@@</c> lines that follow it, to be
/// used in order when a reader does not support <see cref="Name"/>.</summary>
internal sealed record LorebookDecorator(string Name, string? Value, IReadOnlyList<LorebookDecorator> Fallbacks);

/// <summary>
/// The V3 decorators at the top of a lorebook entry's content, parsed into a view. The entry keeps its content
/// untouched; <see cref="Body"/> is the text after the decorator lines, which is what a prompt builder inserts.
/// </summary>
internal sealed class LorebookDecorators
{
    private static readonly LorebookDecorators Empty = new([], "");

    private LorebookDecorators(IReadOnlyList<LorebookDecorator> all, string body)
    {
        All = all;
        Body = body;
    }

    public IReadOnlyList<LorebookDecorator> All { get; }
    public string Body { get; }

    public int? Depth => Int("depth");
    public string? Role => Find("role")?.Value;
    public string? Position => Find("position")?.Value;
    public int? ActivateOnlyAfter => Int("activate_only_after");
    public int? ScanDepth => Int("scan_depth");
    public bool DontActivate => Find("dont_activate") is not null;
    public bool Activate => Find("activate") is not null;

    public IReadOnlyList<string> ExcludeKeys => Find("exclude_keys")?.Value is { } v
        ? v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
        : [];

    public LorebookDecorator? Find(string name)
    {
        foreach (var d in All)
            if (string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase))
                return d;
        return null;
    }

    private int? Int(string name) =>
        int.TryParse(Find(name)?.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null;

    public static LorebookDecorators Parse(string? content)
    {
        if (string.IsNullOrEmpty(content) || !content.StartsWith("@@", StringComparison.Ordinal)) return Empty;

        var decorators = new List<(string Name, string? Value, List<LorebookDecorator> Fallbacks)>();
        var position = 0;
        while (position < content.Length)
        {
            var lineEnd = content.IndexOf('\n', position);
            var next = lineEnd < 0 ? content.Length : lineEnd + 1;
            var line = content.AsSpan(position, (lineEnd < 0 ? content.Length : lineEnd) - position).TrimEnd('\r');
            if (!line.StartsWith("@@")) break;

            var isFallback = line.StartsWith("@@@");
            var (name, value) = Split(line[(isFallback ? 3 : 2)..]);
            if (name.Length > 0)
            {
                // A fallback with nothing before it has nothing to stand in for: it is kept as a plain decorator
                // rather than dropped, so no line of the author's input is silently lost from the view.
                if (isFallback && decorators.Count > 0)
                    decorators[^1].Fallbacks.Add(new LorebookDecorator(name, value, []));
                else
                    decorators.Add((name, value, []));
            }
            position = next;
        }

        var all = decorators.Select(d => new LorebookDecorator(d.Name, d.Value, d.Fallbacks)).ToArray();
        return new LorebookDecorators(all, content[position..]);
    }

    private static (string Name, string? Value) Split(ReadOnlySpan<char> text)
    {
        text = text.Trim();
        var space = text.IndexOfAny(' ', '\t');
        if (space < 0) return (text.ToString(), null);
        var value = text[(space + 1)..].Trim();
        return (text[..space].ToString(), value.Length == 0 ? null : value.ToString());
    }
}
