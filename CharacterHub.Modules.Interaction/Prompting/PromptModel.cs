namespace CharacterHub.Modules.Interaction.Prompting;

/// <summary>Who speaks a chat message. Maps 1:1 onto chat-completion roles.</summary>
internal enum ChatRole
{
    System,
    User,
    Assistant,
}

/// <summary>SillyTavern's "character note": text injected at a depth in the history.</summary>
internal sealed record DepthPrompt(string Prompt, int Depth = 4, ChatRole Role = ChatRole.System);

/// <summary>The parts of a character card that reach a prompt. Storage-independent: the caller maps its card onto it.
/// creator_notes and creator are deliberately absent, they never go into prompts.</summary>
internal sealed record PromptCharacter
{
    public required string Name { get; init; }
    public string? Nickname { get; init; }
    public string Description { get; init; } = "";
    public string Personality { get; init; } = "";
    public string Scenario { get; init; } = "";
    public string SystemPrompt { get; init; } = "";
    public string PostHistoryInstructions { get; init; } = "";

    /// <summary>Example dialogues, blocks separated by <c>&lt;START&gt;</c>.</summary>
    public string MesExample { get; init; } = "";

    public string FirstMessage { get; init; } = "";
    public IReadOnlyList<string> AlternateGreetings { get; init; } = [];
    public DepthPrompt? DepthPrompt { get; init; }

    /// <summary>The name <c>{{char}}</c> expands to: the V3 nickname wins when set.</summary>
    public string DisplayName => string.IsNullOrWhiteSpace(Nickname) ? Name : Nickname;
}

internal sealed record PromptPersona(string Name, string Description = "");

/// <summary>Where a history message's text is stored, when it is exactly <see cref="Prefix"/> plus a swipe's text (swipes
/// are written once): the prompt inspector then records the reference, not a second copy of the text.</summary>
internal sealed record MessageSource(long SwipeId, string Prefix = "");

internal sealed record HistoryMessage(ChatRole Role, string SpeakerName, string Content, DateTimeOffset Timestamp, MessageSource? Source = null);

internal enum SelectiveLogic
{
    AndAny,
    NotAll,
    NotAny,
    AndAll,
}

internal enum LorePosition
{
    BeforeChar,
    AfterChar,
    AuthorsNoteTop,
    AuthorsNoteBottom,
    AtDepth,
    BeforeExamples,
    AfterExamples,
}

internal sealed record LorebookEntry
{
    /// <summary>Stable identity for the inspector and for caching; any string the caller likes.</summary>
    public string Id { get; init; } = "";
    public IReadOnlyList<string> Keys { get; init; } = [];
    public IReadOnlyList<string> SecondaryKeys { get; init; } = [];
    public string Content { get; init; } = "";
    public string Comment { get; init; } = "";
    public bool Enabled { get; init; } = true;
    public bool Constant { get; init; }
    public bool Selective { get; init; }
    public SelectiveLogic SelectiveLogic { get; init; } = SelectiveLogic.AndAny;
    public bool UseRegex { get; init; }

    /// <summary>Null: the book's default.</summary>
    public bool? CaseSensitive { get; init; }

    /// <summary>Null: the book's default.</summary>
    public bool? MatchWholeWords { get; init; }

    public int InsertionOrder { get; init; } = 100;

    /// <summary>Budget priority (higher survives); null falls back to <see cref="InsertionOrder"/>.</summary>
    public int? Priority { get; init; }

    public LorePosition Position { get; init; } = LorePosition.BeforeChar;
    public int Depth { get; init; } = 4;
    public ChatRole Role { get; init; } = ChatRole.System;

    /// <summary>Chance in percent (0–100) that a matched entry is actually inserted.</summary>
    public int Probability { get; init; } = 100;

    /// <summary>Null: the book's scan depth.</summary>
    public int? ScanDepth { get; init; }

    /// <summary>Inclusion group(s), comma-separated; only one entry of a group is inserted.</summary>
    public string Group { get; init; } = "";
    public int GroupWeight { get; init; } = 100;

    /// <summary>Only chat text can activate this entry, never other entries' content.</summary>
    public bool ExcludeRecursion { get; init; }

    /// <summary>This entry's content never activates other entries.</summary>
    public bool PreventRecursion { get; init; }

    /// <summary>Only other entries' content can activate this entry (recursion passes only).</summary>
    public bool DelayUntilRecursion { get; init; }

    public int EffectivePriority => Priority ?? InsertionOrder;
}

internal sealed record Lorebook
{
    /// <summary>Identity plus <see cref="Version"/> key the compiled-matcher cache; bump Version on every edit.</summary>
    public string Id { get; init; } = "";
    public long Version { get; init; }
    public string Name { get; init; } = "";
    public IReadOnlyList<LorebookEntry> Entries { get; init; } = [];

    /// <summary>How many of the most recent messages are scanned (SillyTavern's default is 2).</summary>
    public int ScanDepth { get; init; } = 2;

    /// <summary>Maximum tokens of inserted content; null or 0 means no limit.</summary>
    public int? TokenBudget { get; init; }

    public bool RecursiveScanning { get; init; }

    /// <summary>Bound on recursion passes so mutually-activating entries cannot loop.</summary>
    public int MaxRecursionSteps { get; init; } = 5;

    public bool CaseSensitive { get; init; }
    public bool MatchWholeWords { get; init; }
}

internal enum ExampleDialogueBehaviour
{
    /// <summary>Included while there is room; pushed out before any history is trimmed.</summary>
    Normal,

    /// <summary>Always included, like the card itself.</summary>
    Always,

    Disabled,
}

internal enum ExampleDialogueFormat
{
    /// <summary>Parsed into user/assistant turns (named example_user / example_assistant).</summary>
    Messages,

    /// <summary>Sent as <c>&lt;START&gt;</c> separated text.</summary>
    Text,
}

internal sealed record PromptSettings
{
    public const string DefaultStoryString =
        "{{#if system}}{{system}}\n{{/if}}" +
        "{{#if wiBefore}}{{wiBefore}}\n{{/if}}" +
        "{{#if description}}{{description}}\n{{/if}}" +
        "{{#if personality}}{{char}}'s personality: {{personality}}\n{{/if}}" +
        "{{#if scenario}}Scenario: {{scenario}}\n{{/if}}" +
        "{{#if wiAfter}}{{wiAfter}}\n{{/if}}" +
        "{{#if persona}}{{persona}}\n{{/if}}";

    public string StoryStringTemplate { get; init; } = DefaultStoryString;
    public string GlobalSystemPrompt { get; init; } = "";
    public string GlobalPostHistoryInstructions { get; init; } = "";
    public string AuthorsNote { get; init; } = "";
    public int AuthorsNoteDepth { get; init; } = 4;
    public ChatRole AuthorsNoteRole { get; init; } = ChatRole.System;
    public int ContextSize { get; init; } = 8192;
    public int MaxReplyTokens { get; init; } = 512;
    public ExampleDialogueBehaviour ExampleBehaviour { get; init; } = ExampleDialogueBehaviour.Normal;
    public ExampleDialogueFormat ExampleFormat { get; init; } = ExampleDialogueFormat.Messages;
}

/// <summary>Everything one prompt is built from. Clock and Random are injected so a test can pin every macro.</summary>
internal sealed record PromptRequest
{
    public required PromptCharacter Character { get; init; }
    public required PromptPersona Persona { get; init; }
    public IReadOnlyList<HistoryMessage> History { get; init; } = [];
    public IReadOnlyList<Lorebook> Lorebooks { get; init; } = [];
    public PromptSettings Settings { get; init; } = new();
    public IReadOnlyDictionary<string, string> Variables { get; init; } = new Dictionary<string, string>();

    /// <summary>Seeds <c>{{pick}}</c> so the same chat keeps the same choice turn after turn.</summary>
    public string ChatId { get; init; } = "";

    public TimeProvider Clock { get; init; } = TimeProvider.System;
    public Random Random { get; init; } = Random.Shared;
}

internal sealed record PromptMessage(ChatRole Role, string Content, string? Name = null);

internal enum PromptSectionKind
{
    SystemPrompt,
    StoryString,
    ExampleDialogue,
    History,
    Lorebook,
    AuthorsNote,
    DepthPrompt,
    PostHistoryInstructions,
    Notice,
}

/// <summary>One piece of the prompt for the inspector, in prompt order. Notices carry no tokens. A nested section
/// (the system prompt, before/after-char lore) is shown for reference: its text and tokens are already inside the
/// story string, so the non-nested sections add up to <see cref="BuiltPrompt.TotalTokens"/>.</summary>
internal sealed record PromptSection(PromptSectionKind Kind, string Label, string Text, int Tokens, bool Nested = false, MessageSource? Source = null);

internal sealed record BuiltPrompt(
    IReadOnlyList<PromptMessage> Messages,
    IReadOnlyList<PromptSection> Sections,
    IReadOnlyList<ActivatedLoreEntry> ActivatedEntries,
    IReadOnlyList<LoreNote> LoreNotes,
    IReadOnlyDictionary<string, string> Variables,
    int TotalTokens,
    TemplateError? TemplateError,
    int DroppedHistoryMessages,
    bool ExamplesDropped);
