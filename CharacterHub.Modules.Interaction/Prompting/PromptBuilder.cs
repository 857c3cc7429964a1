namespace CharacterHub.Modules.Interaction.Prompting;

/// <summary>Assembles the chat-completion messages for one turn. Stateless apart from caches, so one instance serves
/// every chat concurrently.</summary>
internal sealed class PromptBuilder(ITokenCounter tokens, MacroEngine macros, StoryStringRenderer storyStrings, LorebookMatcher matcher)
{
    /// <summary>Chat formats spend a few tokens per message on role markers; counting them keeps the reply's room
    /// honest.</summary>
    internal const int PerMessageOverhead = 3;

    private const string ExampleChatMarker = "[Example Chat]";

    public PromptBuilder(ITokenCounter tokens)
        : this(tokens, new MacroEngine(), new StoryStringRenderer(), new LorebookMatcher(tokens))
    {
    }

    public LorebookMatcher Matcher => matcher;

    public BuiltPrompt Build(PromptRequest request)
    {
        var settings = request.Settings;
        var character = request.Character;
        var variables = new Dictionary<string, string>(request.Variables, StringComparer.Ordinal);
        var ctx = MacroContext.For(request, variables);
        var notices = new List<string>();

        // Lorebooks first: their content lands inside the story string and around the examples.
        var activated = new List<ActivatedLoreEntry>();
        var loreNotes = new List<LoreNote>();
        foreach (var book in request.Lorebooks)
        {
            var scan = matcher.Scan(book, request.History, request.Random);
            activated.AddRange(scan.Activated);
            loreNotes.AddRange(scan.Notes);
        }
        var lore = activated.Select(a => (Hit: a, Text: macros.Expand(a.Entry.Content, ctx))).Where(x => x.Text.Length > 0).ToList();
        string LoreAt(LorePosition p) => string.Join('\n', lore.Where(x => x.Hit.Entry.Position == p).Select(x => x.Text));

        ctx.Original = macros.Expand(settings.GlobalSystemPrompt, ctx);
        var system = string.IsNullOrWhiteSpace(character.SystemPrompt) ? ctx.Original : macros.Expand(character.SystemPrompt, ctx);
        ctx.Original = macros.Expand(settings.GlobalPostHistoryInstructions, ctx);
        var postHistory = string.IsNullOrWhiteSpace(character.PostHistoryInstructions) ? ctx.Original : macros.Expand(character.PostHistoryInstructions, ctx);
        ctx.Original = "";

        var exampleBlocks = settings.ExampleBehaviour == ExampleDialogueBehaviour.Disabled
            ? []
            : ExampleDialogues.SplitBlocks(macros.Expand(character.MesExample, ctx));
        var template = string.IsNullOrWhiteSpace(settings.StoryStringTemplate) ? PromptSettings.DefaultStoryString : settings.StoryStringTemplate;
        var examplesInStory = exampleBlocks.Count > 0 && StoryStringRenderer.UsesParameter(template, "mesExamples");
        var parameters = new StoryStringParameters
        {
            System = system,
            Description = macros.Expand(character.Description, ctx),
            Personality = macros.Expand(character.Personality, ctx),
            Scenario = macros.Expand(character.Scenario, ctx),
            Persona = macros.Expand(request.Persona.Description, ctx),
            Char = character.DisplayName,
            User = request.Persona.Name,
            WiBefore = LoreAt(LorePosition.BeforeChar),
            WiAfter = LoreAt(LorePosition.AfterChar),
            MesExamples = examplesInStory ? FormatExamplesText(exampleBlocks) : "",
            MesExamplesRaw = examplesInStory ? string.Join('\n', exampleBlocks) : "",
        };
        var rendered = storyStrings.Render(template, parameters);
        var story = macros.Expand(rendered.Text, ctx);
        if (rendered.Error is not null) notices.Add(rendered.Error.Message + " The default story string was used instead.");

        // Fixed parts: never trimmed.
        var head = new List<Piece>();
        if (story.Length > 0) head.Add(Piece.Of(PromptSectionKind.StoryString, "Story string", ChatRole.System, story));
        var beforeExamples = LoreAt(LorePosition.BeforeExamples);
        if (beforeExamples.Length > 0) head.Add(Piece.Of(PromptSectionKind.Lorebook, "Lorebook: before examples", ChatRole.System, beforeExamples));

        var exampleGroups = examplesInStory ? [] : exampleBlocks.Select(b => ExamplePieces(b, settings.ExampleFormat, ctx)).ToList();

        var afterExamples = new List<Piece>();
        var afterExamplesText = LoreAt(LorePosition.AfterExamples);
        if (afterExamplesText.Length > 0) afterExamples.Add(Piece.Of(PromptSectionKind.Lorebook, "Lorebook: after examples", ChatRole.System, afterExamplesText));

        var injections = new List<(int Depth, Piece Piece)>();
        foreach (var group in lore.Where(x => x.Hit.Entry.Position == LorePosition.AtDepth).GroupBy(x => (x.Hit.Entry.Depth, x.Hit.Entry.Role)))
        {
            injections.Add((group.Key.Depth, Piece.Of(PromptSectionKind.Lorebook, $"Lorebook at depth {group.Key.Depth}", group.Key.Role, string.Join('\n', group.Select(x => x.Text)))));
        }
        if (character.DepthPrompt is { } depthPrompt && !string.IsNullOrWhiteSpace(depthPrompt.Prompt))
        {
            injections.Add((depthPrompt.Depth, Piece.Of(PromptSectionKind.DepthPrompt, $"Character note at depth {depthPrompt.Depth}", depthPrompt.Role, macros.Expand(depthPrompt.Prompt, ctx))));
        }
        var authorsNote = string.Join('\n', new[] { LoreAt(LorePosition.AuthorsNoteTop), macros.Expand(settings.AuthorsNote, ctx), LoreAt(LorePosition.AuthorsNoteBottom) }.Where(s => s.Length > 0));
        if (authorsNote.Length > 0)
        {
            injections.Add((settings.AuthorsNoteDepth, Piece.Of(PromptSectionKind.AuthorsNote, $"Author's note at depth {settings.AuthorsNoteDepth}", settings.AuthorsNoteRole, authorsNote)));
        }
        var tail = postHistory.Length > 0 ? Piece.Of(PromptSectionKind.PostHistoryInstructions, "Post-history instructions", ChatRole.System, postHistory) : null;

        // Budget: what the context holds once the reply has its room.
        var budget = settings.ContextSize - Math.Max(0, settings.MaxReplyTokens);
        var history = request.History;
        // Each history message becomes one piece whose token count is taken once, however often the budget walk,
        // the total and the inspector ask for it; only the walked (newest) messages ever get a piece.
        var historyPieces = new Dictionary<int, Piece>();
        Piece HistoryAt(int k)
        {
            if (!historyPieces.TryGetValue(k, out var piece)) historyPieces[k] = piece = HistoryPiece(history[k]);
            return piece;
        }
        var pinned = LastIndexOf(history, ChatRole.User);
        var fixedTokens = head.Sum(Cost) + afterExamples.Sum(Cost) + injections.Sum(i => Cost(i.Piece)) + (tail is null ? 0 : Cost(tail));
        if (pinned >= 0) fixedTokens += Cost(HistoryAt(pinned));

        var examplesDropped = false;
        if (settings.ExampleBehaviour == ExampleDialogueBehaviour.Always)
        {
            fixedTokens += exampleGroups.Sum(g => g.Sum(Cost));
        }

        var remaining = budget - fixedTokens;
        if (remaining < 0) notices.Add($"The fixed parts (card, system prompt, instructions, latest message) need {fixedTokens} tokens, over the {budget} available; only the latest user message is kept from the history.");

        // History, newest first, oldest dropped first.
        var keptFrom = history.Count;
        var historyTokens = 0;
        for (var k = history.Count - 1; k >= 0; k--)
        {
            if (k == pinned) continue;
            var cost = Cost(HistoryAt(k));
            if (historyTokens + cost > remaining) break;
            historyTokens += cost;
            keptFrom = k;
        }
        var allHistoryFits = keptFrom == 0 || (keptFrom == 1 && pinned == 0) || history.Count == 0;
        var dropped = CountDropped(keptFrom, pinned);

        // Examples take what history leaves, so they are pushed out before any message is.
        var includedExamples = new List<List<Piece>>();
        if (settings.ExampleBehaviour == ExampleDialogueBehaviour.Always)
        {
            includedExamples.AddRange(exampleGroups);
        }
        else if (exampleGroups.Count > 0)
        {
            var left = remaining - historyTokens;
            foreach (var group in exampleGroups)
            {
                var cost = group.Sum(Cost);
                if (!allHistoryFits || cost > left) break;
                left -= cost;
                includedExamples.Add(group);
            }
            examplesDropped = includedExamples.Count < exampleGroups.Count;
        }
        else if (examplesInStory && settings.ExampleBehaviour == ExampleDialogueBehaviour.Normal)
        {
            var withoutExamples = macros.Expand(storyStrings.Render(template, parameters with { MesExamples = "", MesExamplesRaw = "" }).Text, ctx);
            var examplesCost = tokens.Count(story) - tokens.Count(withoutExamples);
            if (!allHistoryFits || examplesCost > remaining - historyTokens)
            {
                examplesDropped = true;
                head[0] = Piece.Of(PromptSectionKind.StoryString, "Story string", ChatRole.System, withoutExamples);
            }
        }
        if (examplesDropped) notices.Add(includedExamples.Count > 0
            ? $"{exampleGroups.Count - includedExamples.Count} of {exampleGroups.Count} example dialogues were left out to fit the context."
            : "Example dialogues were left out to fit the context (they go before any chat history is trimmed).");
        if (dropped > 0) notices.Add($"{dropped} oldest chat messages were left out to fit the context of {settings.ContextSize} tokens with {settings.MaxReplyTokens} reserved for the reply.");

        // Assemble in prompt order.
        var pieces = new List<Piece>(head);
        foreach (var group in includedExamples) pieces.AddRange(group);
        pieces.AddRange(afterExamples);
        var kept = new List<Piece>();
        if (pinned >= 0 && pinned < keptFrom) kept.Add(HistoryAt(pinned));
        for (var k = keptFrom; k < history.Count; k++) kept.Add(HistoryAt(k));
        for (var at = 0; at <= kept.Count; at++)
        {
            var depth = kept.Count - at;
            foreach (var injection in injections)
            {
                if (Math.Clamp(injection.Depth, 0, kept.Count) == depth) pieces.Add(injection.Piece);
            }
            if (at < kept.Count) pieces.Add(kept[at]);
        }
        if (tail is not null) pieces.Add(tail);

        var messages = pieces.Select(p => new PromptMessage(p.Role, p.Text, p.Name)).ToList();
        var total = pieces.Sum(Cost);

        var sections = new List<PromptSection>();
        if (rendered.Error is not null) sections.Add(new PromptSection(PromptSectionKind.Notice, "Story string error", rendered.Error.Message, 0));
        if (system.Length > 0) sections.Add(new PromptSection(PromptSectionKind.SystemPrompt, string.IsNullOrWhiteSpace(character.SystemPrompt) ? "System prompt (global)" : "System prompt (card)", system, tokens.Count(system), Nested: true));
        foreach (var x in lore.Where(x => x.Hit.Entry.Position is LorePosition.BeforeChar or LorePosition.AfterChar))
        {
            sections.Add(new PromptSection(PromptSectionKind.Lorebook, LoreLabel(x.Hit), x.Text, tokens.Count(x.Text), Nested: true));
        }
        foreach (var p in pieces) sections.Add(new PromptSection(p.Kind, p.Label, p.Text, Cost(p), Source: p.Source));
        foreach (var notice in notices) sections.Add(new PromptSection(PromptSectionKind.Notice, "Notice", notice, 0));

        return new BuiltPrompt(messages, sections, activated, loreNotes, variables, total, rendered.Error, dropped, examplesDropped);
    }

    private static string LoreLabel(ActivatedLoreEntry hit)
    {
        var name = hit.Entry.Comment.Length > 0 ? hit.Entry.Comment : hit.Entry.Id;
        var why = hit.Activation switch
        {
            LoreActivation.Constant => "constant",
            LoreActivation.Recursion => $"key \"{hit.MatchedKey}\" in another entry",
            _ => $"key \"{hit.MatchedKey}\"",
        };
        return $"Lorebook {hit.Entry.Position}: {name} ({why})";
    }

    private static int CountDropped(int keptFrom, int pinned) => pinned >= 0 && pinned < keptFrom ? keptFrom - 1 : keptFrom;

    private static int LastIndexOf(IReadOnlyList<HistoryMessage> history, ChatRole role)
    {
        for (var k = history.Count - 1; k >= 0; k--)
        {
            if (history[k].Role == role) return k;
        }
        return -1;
    }

    private int Cost(Piece piece) => piece.Cost(tokens);

    private static Piece HistoryPiece(HistoryMessage m) => new(PromptSectionKind.History, $"{m.Role}: {m.SpeakerName}", m.Role, m.Content, null, m.Source);

    private static string FormatExamplesText(List<string> blocks) => string.Join('\n', blocks.Select(b => "<START>\n" + b));

    private static List<Piece> ExamplePieces(string block, ExampleDialogueFormat format, MacroContext ctx)
    {
        if (format == ExampleDialogueFormat.Text)
        {
            return [Piece.Of(PromptSectionKind.ExampleDialogue, "Example dialogue", ChatRole.System, "<START>\n" + block)];
        }
        var pieces = new List<Piece> { Piece.Of(PromptSectionKind.ExampleDialogue, "Example dialogue", ChatRole.System, ExampleChatMarker) };
        foreach (var turn in ExampleDialogues.ParseTurns(block, ctx.CharName, ctx.UserName))
        {
            pieces.Add(new Piece(PromptSectionKind.ExampleDialogue, "Example dialogue", turn.Role, turn.Content,
                turn.Role == ChatRole.User ? "example_user" : "example_assistant"));
        }
        return pieces;
    }

    private sealed record Piece(PromptSectionKind Kind, string Label, ChatRole Role, string Text, string? Name, MessageSource? Source = null)
    {
        // Memoised per piece: the budget, the total and the sections each need it, and even a cache hit in the token
        // counter hashes the whole text. A piece lives within one Build, so no synchronisation is needed.
        private int cost = -1;

        public static Piece Of(PromptSectionKind kind, string label, ChatRole role, string text) => new(kind, label, role, text, null);

        public int Cost(ITokenCounter counter)
        {
            if (cost < 0) cost = counter.Count(Text) + PerMessageOverhead + (Name is null ? 0 : 1);
            return cost;
        }
    }
}
