using CharacterHub.Kernel.Contracts.Characters;
using CharacterHub.Modules.Interaction.Llm;
using CharacterHub.Modules.Interaction.Prompting;

namespace CharacterHub.Modules.Interaction.Chats;

/// <summary>
/// Maps a chat (the character from the Characters contract, the visible history) onto the prompt builder's model.
/// One instance per process: the builder's lorebook cache, keyed by (character, version), is what makes a 500-entry
/// lorebook cheap after the first turn.
/// </summary>
internal sealed class ChatPrompting
{
    public ChatPrompting()
    {
        Builder = new PromptBuilder(TiktokenTokenCounter.Shared);
        Offline = new OfflineResponder(new MacroEngine(), Builder.Matcher);
    }

    public PromptBuilder Builder { get; }
    public OfflineResponder Offline { get; }

    public static PromptCharacter Character(ChatCharacter c) => new()
    {
        Name = c.Name,
        Nickname = string.IsNullOrWhiteSpace(c.Nickname) ? null : c.Nickname,
        Description = c.Description,
        Personality = c.Personality,
        Scenario = c.Scenario,
        SystemPrompt = c.SystemPrompt,
        PostHistoryInstructions = c.PostHistoryInstructions,
        MesExample = c.ExampleDialogues,
        FirstMessage = c.FirstMessage,
        AlternateGreetings = c.AlternateGreetings,
    };

    // A card read once serves many turns (ChatCharacters keeps it): its lorebook is mapped once too, not every turn.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<ChatCharacter, IReadOnlyList<Lorebook>> mapped = new();

    public static IReadOnlyList<Lorebook> Lorebooks(ChatCharacter c) => mapped.GetValue(c, MapLorebooks);

    private static IReadOnlyList<Lorebook> MapLorebooks(ChatCharacter c) => c.Lorebook.Entries.Count == 0 ? [] :
    [
        new Lorebook
        {
            Id = $"character:{c.Id}",
            Version = c.Version,
            ScanDepth = c.Lorebook.ScanDepth ?? 2,
            TokenBudget = c.Lorebook.TokenBudget,
            RecursiveScanning = c.Lorebook.RecursiveScanning,
            Entries = c.Lorebook.Entries.Select((e, i) => new LorebookEntry
            {
                Id = i.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Keys = e.Keys,
                SecondaryKeys = e.SecondaryKeys,
                Content = e.Content,
                Comment = e.Comment,
                Enabled = e.Enabled,
                Constant = e.Constant,
                Selective = e.Selective,
                UseRegex = e.UseRegex,
                CaseSensitive = e.CaseSensitive,
                InsertionOrder = e.InsertionOrder,
                Priority = e.Priority,
                Position = e.Position == "after_char" ? LorePosition.AfterChar : LorePosition.BeforeChar,
            }).ToList(),
        },
    ];

    /// <summary>History in chat order from the newest-first page the store returns.</summary>
    public static List<HistoryMessage> History(IReadOnlyList<ChatMessageView> newestFirst, string characterName, string userName)
    {
        var history = new List<HistoryMessage>(newestFirst.Count);
        for (var i = newestFirst.Count - 1; i >= 0; i--)
        {
            var m = newestFirst[i];
            // An unfinished or failed-empty reply has nothing the model should see; a system line is a hidden note.
            if (m.IsOpen || m.Content.Length == 0 || SystemLines.IsHidden(m)) continue;
            history.Add(m.Role == "user"
                ? new HistoryMessage(ChatRole.User, userName, m.Content, m.CreatedAt, Source(m))
                : new HistoryMessage(ChatRole.Assistant, characterName, m.Content, m.CreatedAt, Source(m)));
        }
        return history;
    }

    /// <summary>Where a history message's text lives: its swipe, unless it was edited (then the text is a revision's, and
    /// the inspector keeps a copy of it).</summary>
    public static MessageSource? Source(ChatMessageView m, string prefix = "") => m.Edited ? null : new MessageSource(m.SwipeId, prefix);

    public BuiltPrompt Build(ChatCharacter character, string userName, IReadOnlyList<HistoryMessage> history, long chatId, LlmConnection? connection) =>
        Build(character, new PromptPersona(userName), history, chatId, connection);

    /// <summary>The persona's name fills {{user}} and its description {{persona}}; <paramref name="options"/> are the
    /// user's story string, system prompt and the chat's author's note (the defaults when null).</summary>
    public BuiltPrompt Build(ChatCharacter character, PromptPersona persona, IReadOnlyList<HistoryMessage> history, long chatId, LlmConnection? connection,
        ChatPromptOptions? options = null) =>
        Builder.Build(new PromptRequest
        {
            Character = Character(character),
            Persona = persona,
            History = history,
            Lorebooks = Lorebooks(character),
            ChatId = chatId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Settings = (options ?? ChatPromptOptions.Default).Apply(new PromptSettings
            {
                ContextSize = connection?.ContextSize ?? 8192,
                MaxReplyTokens = connection?.DefaultSampling.MaxTokens ?? 512,
            }),
        });

    public static IReadOnlyList<LlmMessage> ToLlm(BuiltPrompt prompt) => prompt.Messages
        .Select(m => new LlmMessage(m.Role switch { ChatRole.System => LlmRole.System, ChatRole.Assistant => LlmRole.Assistant, _ => LlmRole.User }, m.Content))
        .ToList();
}
