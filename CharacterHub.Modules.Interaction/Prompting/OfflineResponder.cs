namespace CharacterHub.Modules.Interaction.Prompting;

/// <summary>A reply written without a model. <see cref="Sources"/> says what it was built from (example, greeting,
/// lorebook, fallback) so the UI can be honest about it.</summary>
internal sealed record OfflineReply(string Text, bool IsOffline, IReadOnlyList<string> Sources);

/// <summary>Answers in character when no LLM is configured, from the card alone: the character's own example lines
/// (or greetings), plus what the lorebook says about anything the user just mentioned. Deterministic for a seed and
/// chat length, so a reload or a test sees the same reply.</summary>
internal sealed class OfflineResponder(MacroEngine macros, LorebookMatcher matcher)
{
    private const int MaxLoreSnippet = 280;

    public OfflineReply Respond(
        PromptCharacter character,
        PromptPersona persona,
        IReadOnlyList<HistoryMessage> history,
        IReadOnlyList<Lorebook> lorebooks,
        int seed,
        TimeProvider? clock = null)
    {
        // HashCode.Combine is randomised per process; replies must repeat across restarts.
        var random = new Random(unchecked((seed * 397) ^ history.Count));
        var ctx = new MacroContext
        {
            CharName = character.DisplayName,
            UserName = persona.Name,
            PersonaDescription = persona.Description,
            Description = character.Description,
            Personality = character.Personality,
            Scenario = character.Scenario,
            History = history,
            Clock = clock ?? TimeProvider.System,
            Random = random,
            ChatId = seed.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        var sources = new List<string>();
        var previous = LastContent(history, ChatRole.Assistant);

        var line = PickLine(ExampleLines(character, ctx), previous, random);
        if (line is not null)
        {
            sources.Add("example");
        }
        else
        {
            line = PickLine(character.AlternateGreetings.Prepend(character.FirstMessage).Select(g => macros.Expand(g, ctx).Trim()).Where(g => g.Length > 0).ToList(), previous, random);
            if (line is not null) sources.Add("greeting");
        }

        var lore = LoreAboutLastUserMessage(history, lorebooks, random, ctx);
        if (lore is not null) sources.Add("lorebook");

        if (line is null && lore is null)
        {
            sources.Add("fallback");
            line = Fallback(character, ctx);
        }

        var text = lore is null ? line! : line is null ? lore : line + "\n\n" + lore;
        return new OfflineReply(text, true, sources);
    }

    private List<string> ExampleLines(PromptCharacter character, MacroContext ctx)
    {
        var lines = new List<string>();
        foreach (var block in ExampleDialogues.SplitBlocks(macros.Expand(character.MesExample, ctx)))
        {
            foreach (var turn in ExampleDialogues.ParseTurns(block, ctx.CharName, ctx.UserName))
            {
                if (turn.Role == ChatRole.Assistant) lines.Add(turn.Content);
            }
        }
        return lines;
    }

    private static string? PickLine(List<string> candidates, string previous, Random random)
    {
        if (candidates.Count == 0) return null;
        // Saying the same thing twice in a row reads like a machine; any other line will do.
        var fresh = candidates.Where(c => !string.Equals(c, previous, StringComparison.Ordinal)).ToList();
        var pool = fresh.Count > 0 ? fresh : candidates;
        return pool[random.Next(pool.Count)];
    }

    private string? LoreAboutLastUserMessage(IReadOnlyList<HistoryMessage> history, IReadOnlyList<Lorebook> lorebooks, Random random, MacroContext ctx)
    {
        var lastUser = -1;
        for (var k = history.Count - 1; k >= 0 && lastUser < 0; k--)
        {
            if (history[k].Role == ChatRole.User) lastUser = k;
        }
        if (lastUser < 0) return null;
        HistoryMessage[] scanned = [history[lastUser]];
        foreach (var book in lorebooks)
        {
            var hit = matcher.Scan(book, scanned, random).Activated.FirstOrDefault(a => a.Activation == LoreActivation.Key && a.Entry.Content.Length > 0);
            if (hit is null) continue;
            var snippet = Snippet(macros.Expand(hit.Entry.Content, ctx));
            return $"*{ctx.CharName} considers what {ctx.UserName} said about {hit.MatchedKey}.* \"{snippet}\"";
        }
        return null;
    }

    private static string Snippet(string content)
    {
        var text = content.Replace('\n', ' ').Trim();
        if (text.Length <= MaxLoreSnippet) return text;
        var cut = text.LastIndexOfAny(['.', '!', '?'], MaxLoreSnippet);
        return cut > 40 ? text[..(cut + 1)] : text[..MaxLoreSnippet].TrimEnd() + "…";
    }

    private static string Fallback(PromptCharacter character, MacroContext ctx)
    {
        var name = string.IsNullOrWhiteSpace(ctx.CharName) ? "The stranger" : ctx.CharName;
        var user = string.IsNullOrWhiteSpace(ctx.UserName) ? "you" : ctx.UserName;
        var trait = character.Personality.Split([',', '.', ';', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
        var manner = trait is null ? "" : $", ever {trait.ToLowerInvariant()},";
        return $"*{name}{manner} looks at {user} for a moment.* \"I'm {name}. Go on, I'm listening.\"";
    }

    private static string LastContent(IReadOnlyList<HistoryMessage> history, ChatRole role)
    {
        for (var k = history.Count - 1; k >= 0; k--)
        {
            if (history[k].Role == role) return history[k].Content;
        }
        return "";
    }
}
