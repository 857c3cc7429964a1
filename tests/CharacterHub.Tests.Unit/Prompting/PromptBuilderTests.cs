using CharacterHub.Modules.Interaction.Prompting;

namespace CharacterHub.Tests.Unit.Prompting;

public sealed class PromptBuilderTests
{
    private static readonly DateTimeOffset T0 = new(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly PromptBuilder builder = new(TiktokenTokenCounter.Shared);

    private static readonly PromptCharacter Bard = new()
    {
        Name = "Aria",
        Description = "{{char}} is a travelling bard.",
        Personality = "cheerful",
        Scenario = "A tavern at dusk.",
        MesExample = "<START>\n{{user}}: Hi\n{{char}}: Hello, {{user}}!\n<START>\n{{char}}: *sings*\nLa la la.",
    };

    private static List<HistoryMessage> Chat(int count, int wordsEach = 20)
    {
        var list = new List<HistoryMessage>();
        for (var i = 0; i < count; i++)
        {
            var user = i % 2 == 0;
            var text = $"message {i} " + string.Join(' ', Enumerable.Repeat(user ? "question" : "answer", wordsEach));
            list.Add(new HistoryMessage(user ? ChatRole.User : ChatRole.Assistant, user ? "Sam" : "Aria", text, T0.AddMinutes(i)));
        }
        return list;
    }

    private static PromptRequest Request(PromptCharacter? character = null, IReadOnlyList<HistoryMessage>? history = null, PromptSettings? settings = null, params Lorebook[] books) => new()
    {
        Character = character ?? Bard,
        Persona = new PromptPersona("Sam", "{{user}} is a knight."),
        History = history ?? Chat(3),
        Settings = settings ?? new PromptSettings { GlobalSystemPrompt = "You are {{char}}. Stay in character." },
        Lorebooks = books,
        Clock = new FixedClock(T0),
        Random = new Random(5),
        ChatId = "c1",
    };

    [Test]
    public void Build_Default_PutsStoryStringFirstAndHistoryInOrder()
    {
        var prompt = builder.Build(Request());
        Assert.That(prompt.Messages[0].Role, Is.EqualTo(ChatRole.System));
        Assert.That(prompt.Messages[0].Content, Is.EqualTo("You are Aria. Stay in character.\nAria is a travelling bard.\nAria's personality: cheerful\nScenario: A tavern at dusk.\nSam is a knight.\n"));
        var history = prompt.Messages.Where(m => m.Role != ChatRole.System && m.Name is null).Select(m => m.Content).ToList();
        Assert.That(history, Is.EqualTo(Chat(3).Select(m => m.Content)));
    }

    [Test]
    public void Build_CardSystemPrompt_ReplacesTheGlobalOne_AndOriginalInsertsIt()
    {
        var replaced = builder.Build(Request(Bard with { SystemPrompt = "Only the card speaks." }));
        Assert.That(replaced.Messages[0].Content, Does.StartWith("Only the card speaks.\n").And.Not.Contain("Stay in character"));
        var combined = builder.Build(Request(Bard with { SystemPrompt = "{{original}} Also be brief." }));
        Assert.That(combined.Messages[0].Content, Does.StartWith("You are Aria. Stay in character. Also be brief.\n"));
        var blank = builder.Build(Request(Bard with { SystemPrompt = "   " }));
        Assert.That(blank.Messages[0].Content, Does.StartWith("You are Aria. Stay in character.\n"));
        Assert.That(blank.Sections.Single(s => s.Kind == PromptSectionKind.SystemPrompt).Label, Does.Contain("global"));
    }

    [Test]
    public void Build_PostHistoryInstructions_CardReplacesGlobalAndComesLast()
    {
        var settings = new PromptSettings { GlobalPostHistoryInstructions = "Reply in 2 paragraphs." };
        Assert.That(builder.Build(Request(settings: settings)).Messages[^1].Content, Is.EqualTo("Reply in 2 paragraphs."));
        var card = Bard with { PostHistoryInstructions = "{{original}} Use {{char}}'s voice." };
        var last = builder.Build(Request(card, settings: settings)).Messages[^1];
        Assert.That(last, Is.EqualTo(new PromptMessage(ChatRole.System, "Reply in 2 paragraphs. Use Aria's voice.")));
        Assert.That(builder.Build(Request(Bard with { PostHistoryInstructions = "Mine." }, settings: settings)).Messages[^1].Content, Is.EqualTo("Mine."));
    }

    [Test]
    public void Build_ExampleDialogues_BecomeNamedTurns()
    {
        var prompt = builder.Build(Request());
        var examples = prompt.Messages.Where(m => m.Name is not null).ToList();
        Assert.That(examples.Select(m => (m.Role, m.Name, m.Content)), Is.EqualTo(new[]
        {
            (ChatRole.User, (string?)"example_user", "Hi"),
            (ChatRole.Assistant, (string?)"example_assistant", "Hello, Sam!"),
            (ChatRole.Assistant, (string?)"example_assistant", "*sings*\nLa la la."),
        }));
        Assert.That(prompt.Messages.Count(m => m.Content == "[Example Chat]"), Is.EqualTo(2));
    }

    [Test]
    public void Build_ExampleDialoguesAsTextOrDisabled_FollowSettings()
    {
        var text = builder.Build(Request(settings: new PromptSettings { ExampleFormat = ExampleDialogueFormat.Text }));
        Assert.That(text.Messages.Select(m => m.Content), Does.Contain("<START>\nSam: Hi\nAria: Hello, Sam!"));
        var off = builder.Build(Request(settings: new PromptSettings { ExampleBehaviour = ExampleDialogueBehaviour.Disabled }));
        Assert.That(off.Sections.Any(s => s.Kind == PromptSectionKind.ExampleDialogue), Is.False);
        var inStory = builder.Build(Request(settings: new PromptSettings { StoryStringTemplate = "{{description}}\n{{mesExamples}}" }));
        Assert.That(inStory.Messages[0].Content, Does.Contain("<START>\nSam: Hi"));
        Assert.That(inStory.Sections.Any(s => s.Kind == PromptSectionKind.ExampleDialogue), Is.False);
    }

    [Test]
    public void Build_WhenHistoryExceedsContext_DropsOldestMessagesFirst()
    {
        var history = Chat(200);
        var settings = new PromptSettings { ContextSize = 2_000, MaxReplyTokens = 300 };
        var prompt = builder.Build(Request(history: history, settings: settings));
        var kept = prompt.Sections.Where(s => s.Kind == PromptSectionKind.History).Select(s => s.Text).ToList();
        Assert.That(kept, Is.Not.Empty.And.Count.LessThan(200));
        Assert.That(kept, Is.EqualTo(history.Skip(200 - kept.Count).Select(m => m.Content)), "a contiguous run of the newest messages survives");
        Assert.That(prompt.DroppedHistoryMessages, Is.EqualTo(200 - kept.Count));
        Assert.That(prompt.TotalTokens + settings.MaxReplyTokens, Is.LessThanOrEqualTo(settings.ContextSize));
        Assert.That(prompt.TotalTokens + settings.MaxReplyTokens, Is.GreaterThan(settings.ContextSize - 60), "the context is used, not wasted");
        Assert.That(prompt.Sections.Where(s => s.Kind == PromptSectionKind.Notice).Select(s => s.Text), Has.Some.Contains("oldest chat messages"));
    }

    [Test]
    public void Build_TotalTokens_MatchesTheRealTokenizer()
    {
        var prompt = builder.Build(Request());
        var expected = prompt.Messages.Sum(m => TiktokenTokenCounter.Shared.Count(m.Content) + PromptBuilder.PerMessageOverhead + (m.Name is null ? 0 : 1));
        Assert.That(prompt.TotalTokens, Is.EqualTo(expected));
        Assert.That(prompt.Sections.Where(s => !s.Nested).Sum(s => s.Tokens), Is.EqualTo(prompt.TotalTokens));
    }

    [Test]
    public void Build_WhenSpaceRunsOut_DropsExamplesBeforeHistory_AndSaysSo()
    {
        var history = Chat(30);
        var full = builder.Build(Request(history: history, settings: new PromptSettings { ContextSize = 100_000 }));
        Assert.That(full.ExamplesDropped, Is.False);
        var exampleTokens = full.Sections.Where(s => s.Kind == PromptSectionKind.ExampleDialogue).Sum(s => s.Tokens);
        var tight = new PromptSettings { ContextSize = full.TotalTokens - exampleTokens + 512 + 5, MaxReplyTokens = 512 };
        var prompt = builder.Build(Request(history: history, settings: tight));
        Assert.That(prompt.ExamplesDropped, Is.True);
        Assert.That(prompt.DroppedHistoryMessages, Is.Zero);
        Assert.That(prompt.Sections.Where(s => s.Kind == PromptSectionKind.Notice).Select(s => s.Text), Has.Some.Contains("Example dialogues were left out"));
        var always = builder.Build(Request(history: history, settings: tight with { ExampleBehaviour = ExampleDialogueBehaviour.Always }));
        Assert.That(always.ExamplesDropped, Is.False);
        Assert.That(always.DroppedHistoryMessages, Is.GreaterThan(0));
    }

    [Test]
    public void Build_TinyContext_NeverDropsCardSystemPromptOrLatestUserMessage()
    {
        var history = Chat(11);
        var prompt = builder.Build(Request(history: history, settings: new PromptSettings { GlobalSystemPrompt = "Rules.", ContextSize = 50, MaxReplyTokens = 40 }));
        Assert.That(prompt.Messages[0].Content, Does.Contain("Rules.").And.Contain("Aria is a travelling bard."));
        Assert.That(prompt.Messages.Select(m => m.Content), Does.Contain(history[10].Content));
        Assert.That(prompt.Sections.Count(s => s.Kind == PromptSectionKind.History), Is.EqualTo(1));
        Assert.That(prompt.Sections.Where(s => s.Kind == PromptSectionKind.Notice).Select(s => s.Text), Has.Some.Contains("fixed parts"));
    }

    [Test]
    public void Build_AuthorsNoteAndDepthPrompt_AreInsertedAtTheirDepths()
    {
        var history = Chat(6);
        var card = Bard with { MesExample = "", DepthPrompt = new DepthPrompt("Aria secretly fears the sea.", 0, ChatRole.System) };
        var settings = new PromptSettings { AuthorsNote = "[Mood: {{random::tense}}]", AuthorsNoteDepth = 2, AuthorsNoteRole = ChatRole.User };
        var messages = builder.Build(Request(card, history, settings)).Messages;
        var an = messages.ToList().FindIndex(m => m.Content == "[Mood: tense]");
        Assert.That(messages[an].Role, Is.EqualTo(ChatRole.User));
        Assert.That(messages[an + 1].Content, Is.EqualTo(history[4].Content), "depth 2: before the last two messages");
        Assert.That(messages[^1].Content, Is.EqualTo("Aria secretly fears the sea."), "depth 0: after the last message");
        var deep = builder.Build(Request(card, history, settings with { AuthorsNoteDepth = 50 })).Messages;
        Assert.That(deep[1].Content, Is.EqualTo("[Mood: tense]"), "a depth beyond the history goes to its top");
    }

    [Test]
    public void Build_LorebookPositions_LandInTheirSlots()
    {
        var history = Chat(4);
        history.Add(new HistoryMessage(ChatRole.User, "Sam", "tell me about magic", T0.AddHours(1)));
        LorebookEntry E(string id, LorePosition p, int depth = 4, ChatRole role = ChatRole.System) =>
            new() { Id = id, Keys = ["magic"], Content = id.ToUpperInvariant() + " {{char}}", Position = p, Depth = depth, Role = role };
        var book = new Lorebook
        {
            Entries =
            [
                E("before", LorePosition.BeforeChar), E("after", LorePosition.AfterChar), E("antop", LorePosition.AuthorsNoteTop),
                E("anbottom", LorePosition.AuthorsNoteBottom), E("depth", LorePosition.AtDepth, 1, ChatRole.Assistant),
                E("beforeex", LorePosition.BeforeExamples), E("afterex", LorePosition.AfterExamples),
            ],
        };
        var settings = new PromptSettings { AuthorsNote = "NOTE", AuthorsNoteDepth = 3 };
        var prompt = builder.Build(Request(history: history, settings: settings, books: book));
        var m = prompt.Messages.Select(x => x.Content).ToList();
        Assert.That(m[0], Does.Contain("BEFORE Aria\nAria is a travelling bard.").And.Contain("Scenario: A tavern at dusk.\nAFTER Aria"));
        Assert.That(m[1], Is.EqualTo("BEFOREEX Aria"));
        var firstExample = m.IndexOf("[Example Chat]");
        var afterEx = m.IndexOf("AFTEREX Aria");
        Assert.That(firstExample, Is.EqualTo(2));
        Assert.That(afterEx, Is.GreaterThan(firstExample));
        Assert.That(m, Does.Contain("ANTOP Aria\nNOTE\nANBOTTOM Aria"));
        var depth = prompt.Messages.ToList().FindIndex(x => x.Content == "DEPTH Aria");
        Assert.That(prompt.Messages[depth].Role, Is.EqualTo(ChatRole.Assistant));
        Assert.That(m[depth + 1], Is.EqualTo("tell me about magic"));
        Assert.That(prompt.ActivatedEntries, Has.Count.EqualTo(7));
        Assert.That(prompt.Sections.Where(s => s.Nested && s.Kind == PromptSectionKind.Lorebook).Select(s => s.Label), Has.Some.Contains("key \"magic\""));
    }

    [Test]
    public void Build_Setvar_ReturnsUpdatedVariablesWithoutTouchingTheInput()
    {
        var input = new Dictionary<string, string> { ["visits"] = "1" };
        var request = Request(settings: new PromptSettings { AuthorsNote = "{{setvar::visits::2}}Visits: {{getvar::visits}}" }) with { Variables = input };
        var prompt = builder.Build(request);
        Assert.That(prompt.Variables["visits"], Is.EqualTo("2"));
        Assert.That(input["visits"], Is.EqualTo("1"));
        Assert.That(prompt.Messages.Select(m => m.Content), Does.Contain("Visits: 2"));
    }

    [Test]
    public void Build_BrokenStoryString_ReportsTheErrorAndUsesTheDefault()
    {
        var prompt = builder.Build(Request(settings: new PromptSettings { StoryStringTemplate = "{{#if description}}oops" }));
        Assert.That(prompt.TemplateError, Is.Not.Null);
        Assert.That(prompt.Messages[0].Content, Does.Contain("Aria is a travelling bard."));
        Assert.That(prompt.Sections.Where(s => s.Kind == PromptSectionKind.Notice).Select(s => s.Text), Has.Some.Contains("default story string"));
    }

    [Test]
    public void Build_StoryStringMacros_AreExpandedAfterRendering()
    {
        var prompt = builder.Build(Request(settings: new PromptSettings { StoryStringTemplate = "{{char}} & {{user}} on {{weekday}}{{// hidden}}. {{Description}}" }));
        Assert.That(prompt.Messages[0].Content, Is.EqualTo("Aria & Sam on Wednesday. Aria is a travelling bard."));
    }

    [Test]
    public void Build_EmptyCardAndHistory_DoesNotThrow()
    {
        var prompt = builder.Build(new PromptRequest { Character = new PromptCharacter { Name = "" }, Persona = new PromptPersona("") });
        Assert.That(prompt.Messages, Is.Empty);
        Assert.That(prompt.TotalTokens, Is.Zero);
    }

    [Test]
    public void Build_LongChat_CountsTokensOnlyForTheMessagesThatFit()
    {
        // A 2,000-message chat with room for a few dozen messages must not tokenise the rest: the history is walked
        // newest first and the walk stops at the first message that does not fit.
        var counter = new RecordingCounter();
        var history = Chat(2_000);
        var prompt = new PromptBuilder(counter).Build(Request(history: history, settings: new PromptSettings { ContextSize = 2_000, MaxReplyTokens = 300 }));
        var historyTexts = history.Select(m => m.Content).ToHashSet(StringComparer.Ordinal);
        var counted = counter.Texts.Where(historyTexts.Contains).Distinct(StringComparer.Ordinal).Count();
        var kept = prompt.Sections.Count(s => s.Kind == PromptSectionKind.History);
        Assert.That(kept, Is.InRange(5, 100));
        Assert.That(counted, Is.LessThanOrEqualTo(kept + 1), "only the kept messages and the first one that did not fit are counted");
    }

    private sealed class RecordingCounter : ITokenCounter
    {
        public List<string> Texts { get; } = [];

        public int Count(string text)
        {
            Texts.Add(text);
            return TiktokenTokenCounter.Shared.Count(text);
        }
    }
}
