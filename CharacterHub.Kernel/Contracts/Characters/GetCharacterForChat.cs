using Mediator;

namespace CharacterHub.Kernel.Contracts.Characters;

/// <summary>
/// What a chat needs of a character the user may read (creator, collaborator, or public): the card fields that reach
/// a prompt, the greetings, the lorebook and the avatar. Null when the character does not exist or the user may not
/// read it. Answered by the Characters module; the Interaction module never reads the characters schema itself.
/// </summary>
public sealed record GetCharacterForChat(long CharacterId, long UserId) : IQuery<ChatCharacter?>;

/// <summary>A character as a chat sees it. <see cref="Version"/> changes on every edit, so a compiled lorebook can be
/// cached per (id, version); <see cref="UpdatedAt"/> with it tells a re-created id (a reset database) apart.
/// <see cref="Talkativeness"/> is the card's <c>extensions.talkativeness</c> (SillyTavern: how likely the character
/// speaks up in a group, 0..1), null when the card has none or it is not a number.</summary>
public sealed record ChatCharacter(
    long Id,
    int Version,
    DateTimeOffset UpdatedAt,
    string Name,
    string Nickname,
    string Description,
    string Personality,
    string Scenario,
    string FirstMessage,
    IReadOnlyList<string> AlternateGreetings,
    string ExampleDialogues,
    string SystemPrompt,
    string PostHistoryInstructions,
    string? AvatarUrl,
    ChatLorebook Lorebook,
    double? Talkativeness = null);

public sealed record ChatLorebook(int? ScanDepth, int? TokenBudget, bool RecursiveScanning, IReadOnlyList<ChatLoreEntry> Entries);

/// <summary>One lorebook entry; <see cref="Position"/> is the card's "before_char" or "after_char".</summary>
public sealed record ChatLoreEntry(
    IReadOnlyList<string> Keys,
    IReadOnlyList<string> SecondaryKeys,
    string Content,
    string Comment,
    int InsertionOrder,
    int Priority,
    string Position,
    bool Enabled,
    bool Constant,
    bool Selective,
    bool UseRegex,
    bool CaseSensitive);

/// <summary>The character's current version stamp if the user may read it, else null: one indexed read, so a chat
/// can reuse a <see cref="ChatCharacter"/> it already holds while the stamp is unchanged (every content edit bumps
/// the version and the time).</summary>
public sealed record GetCharacterChatVersion(long CharacterId, long UserId) : IQuery<ChatCharacterStamp?>;

public sealed record ChatCharacterStamp(int Version, DateTimeOffset UpdatedAt);
