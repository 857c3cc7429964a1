using System.Globalization;
using System.Text;

namespace CharacterHub.Modules.Interaction.Prompting;

/// <summary>What macros expand to for one prompt. Variables are shared and mutated by <c>{{setvar}}</c>.</summary>
internal sealed class MacroContext
{
    public string CharName { get; init; } = "";
    public string UserName { get; init; } = "";
    public string PersonaDescription { get; init; } = "";
    public string Description { get; init; } = "";
    public string Personality { get; init; } = "";
    public string Scenario { get; init; } = "";

    /// <summary>What <c>{{original}}</c> expands to: the global prompt a card's prompt overrides.</summary>
    public string Original { get; set; } = "";

    public IReadOnlyList<HistoryMessage> History { get; init; } = [];
    public Dictionary<string, string> Variables { get; init; } = new(StringComparer.Ordinal);
    public TimeProvider Clock { get; init; } = TimeProvider.System;
    public Random Random { get; init; } = Random.Shared;
    public string ChatId { get; init; } = "";

    public static MacroContext For(PromptRequest request, Dictionary<string, string> variables) => new()
    {
        CharName = request.Character.DisplayName,
        UserName = request.Persona.Name,
        PersonaDescription = request.Persona.Description,
        Description = request.Character.Description,
        Personality = request.Character.Personality,
        Scenario = request.Character.Scenario,
        History = request.History,
        Variables = variables,
        Clock = request.Clock,
        Random = request.Random,
        ChatId = request.ChatId,
    };
}

/// <summary>Single-pass macro scanner. Text is walked once; a <c>{{…}}</c> is located by brace counting (so macros
/// nest), its body is expanded first when it holds macros, then evaluated. Expanded values are never re-scanned
/// except card fields, which are expanded with a depth bound, so no input can loop. Unknown or malformed macros are
/// written back unchanged.</summary>
internal sealed class MacroEngine
{
    private const int MaxNesting = 6;
    private const int MaxOutputChars = 2_000_000;
    private const char TrimMarker = '\uE001';
    private const int MaxDice = 100;
    private const int MaxSides = 1_000_000;

    public string Expand(string? text, MacroContext context)
    {
        if (string.IsNullOrEmpty(text)) return "";
        if (text.AsSpan().IndexOfAny('{', '<') < 0) return text;
        try
        {
            var output = new StringBuilder(text.Length + 32);
            var sourceHash = Fnv(text);
            ExpandInto(output, text.AsSpan(), context, 0, sourceHash, 0);
            return ApplyTrimMarkers(output);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Defence in depth: user text must never break a prompt, so an unforeseen failure yields the text as written.
            return text;
        }
    }

    private void ExpandInto(StringBuilder output, ReadOnlySpan<char> s, MacroContext ctx, int depth, uint sourceHash, int baseOffset)
    {
        var i = 0;
        while (i < s.Length)
        {
            var next = s[i..].IndexOfAny('{', '<');
            if (next < 0 || output.Length > MaxOutputChars)
            {
                output.Append(s[i..]);
                return;
            }
            output.Append(s.Slice(i, next));
            i += next;
            if (s[i] == '<')
            {
                i += AppendLegacyTag(output, s[i..], ctx);
                continue;
            }
            if (i + 1 >= s.Length || s[i + 1] != '{')
            {
                output.Append('{');
                i++;
                continue;
            }
            var close = FindClose(s, i + 2);
            if (close < 0)
            {
                output.Append(s[i..]);
                return;
            }
            var raw = s[i..(close + 2)];
            var body = s[(i + 2)..close];
            if (!TryEvaluate(output, body, ctx, depth, sourceHash, baseOffset + i)) output.Append(raw);
            i = close + 2;
        }
    }

    /// <summary>Index of the <c>}}</c> closing a macro whose body starts at <paramref name="from"/>, counting nested
    /// <c>{{</c>; -1 when unclosed.</summary>
    private static int FindClose(ReadOnlySpan<char> s, int from)
    {
        var level = 1;
        for (var j = from; j + 1 < s.Length; j++)
        {
            if (s[j] == '{' && s[j + 1] == '{')
            {
                level++;
                j++;
            }
            else if (s[j] == '}' && s[j + 1] == '}')
            {
                if (--level == 0) return j;
                j++;
            }
        }
        return -1;
    }

    private static int AppendLegacyTag(StringBuilder output, ReadOnlySpan<char> s, MacroContext ctx)
    {
        if (s.Length >= 6 && s[..6].Equals("<user>", StringComparison.OrdinalIgnoreCase))
        {
            output.Append(ctx.UserName);
            return 6;
        }
        if (s.Length >= 5 && s[..5].Equals("<bot>", StringComparison.OrdinalIgnoreCase))
        {
            output.Append(ctx.CharName);
            return 5;
        }
        if (s.Length >= 6 && s[..6].Equals("<char>", StringComparison.OrdinalIgnoreCase))
        {
            output.Append(ctx.CharName);
            return 6;
        }
        output.Append('<');
        return 1;
    }

    private bool TryEvaluate(StringBuilder output, ReadOnlySpan<char> body, MacroContext ctx, int depth, uint sourceHash, int offset)
    {
        if (body.Contains("{{", StringComparison.Ordinal))
        {
            if (depth >= MaxNesting) return false;
            var inner = new StringBuilder(body.Length + 16);
            ExpandInto(inner, body, ctx, depth + 1, sourceHash, offset + 2);
            return TryEvaluate(output, inner.ToString().AsSpan(), ctx, depth + 1, sourceHash, offset);
        }
        var trimmed = body.Trim();
        if (trimmed.StartsWith("//", StringComparison.Ordinal)) return true;

        var nameEnd = trimmed.IndexOfAny(':', ' ');
        var name = nameEnd < 0 ? trimmed : trimmed[..nameEnd];
        var rest = nameEnd < 0 ? ReadOnlySpan<char>.Empty : trimmed[nameEnd..];

        if (rest.IsEmpty) return TryEvaluateSimple(output, name, ctx, depth);

        if (Is(name, "random")) return AppendChoice(output, rest, ctx.Random.Next);
        if (Is(name, "pick"))
        {
            var seed = PickSeed(ctx.ChatId, sourceHash, offset);
            return AppendChoice(output, rest, n => (int)(seed % (uint)n));
        }
        if (Is(name, "roll")) return AppendRoll(output, rest.TrimStart(": ").Trim(), ctx.Random);
        if (Is(name, "getvar"))
        {
            if (!rest.StartsWith("::", StringComparison.Ordinal)) return false;
            var key = rest[2..].Trim().ToString();
            if (ctx.Variables.TryGetValue(key, out var value)) output.Append(value);
            return true;
        }
        if (Is(name, "setvar"))
        {
            if (!rest.StartsWith("::", StringComparison.Ordinal)) return false;
            var args = rest[2..];
            var sep = args.IndexOf("::", StringComparison.Ordinal);
            if (sep < 0) return false;
            ctx.Variables[args[..sep].Trim().ToString()] = args[(sep + 2)..].ToString();
            return true;
        }
        return false;
    }

    private bool TryEvaluateSimple(StringBuilder output, ReadOnlySpan<char> name, MacroContext ctx, int depth)
    {
        if (Is(name, "char")) output.Append(ctx.CharName);
        else if (Is(name, "user")) output.Append(ctx.UserName);
        else if (Is(name, "persona")) AppendField(output, ctx.PersonaDescription, ctx, depth);
        else if (Is(name, "description")) AppendField(output, ctx.Description, ctx, depth);
        else if (Is(name, "personality")) AppendField(output, ctx.Personality, ctx, depth);
        else if (Is(name, "scenario")) AppendField(output, ctx.Scenario, ctx, depth);
        else if (Is(name, "original")) AppendField(output, ctx.Original, ctx, depth);
        else if (Is(name, "newline")) output.Append('\n');
        else if (Is(name, "trim")) output.Append(TrimMarker);
        else if (Is(name, "noop")) { }
        else if (Is(name, "time")) output.Append(ctx.Clock.GetLocalNow().ToString("h:mm tt", CultureInfo.InvariantCulture));
        else if (Is(name, "date")) output.Append(ctx.Clock.GetLocalNow().ToString("MMMM d, yyyy", CultureInfo.InvariantCulture));
        else if (Is(name, "weekday")) output.Append(ctx.Clock.GetLocalNow().ToString("dddd", CultureInfo.InvariantCulture));
        else if (Is(name, "isodate")) output.Append(ctx.Clock.GetLocalNow().ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        else if (Is(name, "isotime")) output.Append(ctx.Clock.GetLocalNow().ToString("HH:mm", CultureInfo.InvariantCulture));
        else if (Is(name, "idle_duration")) output.Append(IdleDuration(ctx));
        else if (Is(name, "lastMessage")) output.Append(LastContent(ctx.History, null));
        else if (Is(name, "lastUserMessage")) output.Append(LastContent(ctx.History, ChatRole.User));
        else if (Is(name, "lastCharMessage")) output.Append(LastContent(ctx.History, ChatRole.Assistant));
        else return false;
        return true;
    }

    private void AppendField(StringBuilder output, string value, MacroContext ctx, int depth)
    {
        if (depth >= MaxNesting) output.Append(value);
        else ExpandInto(output, value.AsSpan(), ctx, depth + 1, Fnv(value), 0);
    }

    private static bool Is(ReadOnlySpan<char> name, string macro) => name.Equals(macro, StringComparison.OrdinalIgnoreCase);

    /// <summary>Both SillyTavern spellings: <c>random::a::b</c> (items may hold commas) and <c>random:a,b</c>
    /// (a backslash escapes a comma).</summary>
    private static bool AppendChoice(StringBuilder output, ReadOnlySpan<char> rest, Func<int, int> choose)
    {
        var items = new List<string>();
        if (rest.StartsWith("::", StringComparison.Ordinal))
        {
            var args = rest[2..];
            while (true)
            {
                var sep = args.IndexOf("::", StringComparison.Ordinal);
                if (sep < 0)
                {
                    items.Add(args.ToString());
                    break;
                }
                items.Add(args[..sep].ToString());
                args = args[(sep + 2)..];
            }
        }
        else
        {
            var args = rest[1..];
            var current = new StringBuilder();
            for (var j = 0; j < args.Length; j++)
            {
                if (args[j] == '\\' && j + 1 < args.Length && args[j + 1] == ',')
                {
                    current.Append(',');
                    j++;
                }
                else if (args[j] == ',')
                {
                    items.Add(current.ToString().Trim());
                    current.Clear();
                }
                else
                {
                    current.Append(args[j]);
                }
            }
            items.Add(current.ToString().Trim());
        }
        if (items.Count == 0) return false;
        output.Append(items[choose(items.Count)]);
        return true;
    }

    private static uint PickSeed(string chatId, uint sourceHash, int offset)
    {
        var h = Fnv(chatId);
        h = (h ^ sourceHash) * 16777619u;
        h = (h ^ (uint)offset) * 16777619u;
        // Final avalanche so neighbouring offsets do not pick neighbouring items.
        h ^= h >> 16;
        h *= 0x7feb352d;
        h ^= h >> 15;
        h *= 0x846ca68b;
        h ^= h >> 16;
        return h;
    }

    /// <summary>Dice notation <c>N</c>, <c>dN</c>, <c>XdY</c>, <c>XdY+Z</c>, <c>XdY-Z</c>, bounded so a card cannot
    /// ask for a billion dice.</summary>
    private static bool AppendRoll(StringBuilder output, ReadOnlySpan<char> spec, Random random)
    {
        var dice = 1;
        var modifier = 0;
        var d = spec.IndexOfAny('d', 'D');
        ReadOnlySpan<char> sidesPart;
        if (d < 0)
        {
            sidesPart = spec;
        }
        else
        {
            if (d > 0 && !int.TryParse(spec[..d], NumberStyles.None, CultureInfo.InvariantCulture, out dice)) return false;
            sidesPart = spec[(d + 1)..];
        }
        var sign = sidesPart.IndexOfAny('+', '-');
        if (sign >= 0)
        {
            if (!int.TryParse(sidesPart[(sign + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out modifier)) return false;
            if (sidesPart[sign] == '-') modifier = -modifier;
            sidesPart = sidesPart[..sign];
        }
        if (!int.TryParse(sidesPart, NumberStyles.None, CultureInfo.InvariantCulture, out var sides)) return false;
        if (dice is < 1 or > MaxDice || sides is < 1 or > MaxSides) return false;
        long total = modifier;
        for (var k = 0; k < dice; k++) total += random.Next(1, sides + 1);
        output.Append(total.ToString(CultureInfo.InvariantCulture));
        return true;
    }

    private static string LastContent(IReadOnlyList<HistoryMessage> history, ChatRole? role)
    {
        for (var k = history.Count - 1; k >= 0; k--)
        {
            if (role is null || history[k].Role == role) return history[k].Content;
        }
        return "";
    }

    /// <summary>As SillyTavern: the time since the user's previous message, skipping the newest message (the one
    /// being answered), humanised like moment.js.</summary>
    private static string IdleDuration(MacroContext ctx)
    {
        var skippedNewest = false;
        for (var k = ctx.History.Count - 1; k >= 0; k--)
        {
            var m = ctx.History[k];
            if (m.Role == ChatRole.System) continue;
            if (m.Role == ChatRole.User && skippedNewest) return Humanize(ctx.Clock.GetUtcNow() - m.Timestamp);
            skippedNewest = true;
        }
        return "just now";
    }

    internal static string Humanize(TimeSpan span)
    {
        var s = Math.Abs(span.TotalSeconds);
        if (s < 45) return "a few seconds";
        if (s < 90) return "a minute";
        var minutes = s / 60;
        if (minutes < 45) return $"{Math.Round(minutes, MidpointRounding.AwayFromZero):0} minutes";
        if (minutes < 90) return "an hour";
        var hours = minutes / 60;
        if (hours < 22) return $"{Math.Round(hours, MidpointRounding.AwayFromZero):0} hours";
        if (hours < 36) return "a day";
        var days = hours / 24;
        if (days < 26) return $"{Math.Round(days, MidpointRounding.AwayFromZero):0} days";
        if (days < 45) return "a month";
        if (days < 320) return $"{Math.Round(days / 30.4, MidpointRounding.AwayFromZero):0} months";
        if (days < 548) return "a year";
        return $"{Math.Round(days / 365.25, MidpointRounding.AwayFromZero):0} years";
    }

    /// <summary><c>{{trim}}</c> removes itself and the newlines around it, which can only be done once the
    /// neighbouring text is known.</summary>
    private static string ApplyTrimMarkers(StringBuilder output)
    {
        var text = output.ToString();
        if (text.IndexOf(TrimMarker) < 0) return text;
        var result = new StringBuilder(text.Length);
        var skipNewlines = false;
        foreach (var c in text)
        {
            if (c == TrimMarker)
            {
                while (result.Length > 0 && result[^1] is '\n' or '\r') result.Length--;
                skipNewlines = true;
                continue;
            }
            if (skipNewlines && c is '\n' or '\r') continue;
            skipNewlines = false;
            result.Append(c);
        }
        return result.ToString();
    }

    internal static uint Fnv(string text)
    {
        var h = 2166136261u;
        foreach (var c in text) h = (h ^ c) * 16777619u;
        return h;
    }
}
