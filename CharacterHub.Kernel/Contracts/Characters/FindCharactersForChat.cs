using Mediator;

namespace CharacterHub.Kernel.Contracts.Characters;

/// <summary>
/// Characters the user may chat with (their own, shared with them, and public ones), optionally matching a search,
/// for pickers such as the "new group chat" page. Answered by the Characters module with its library search;
/// archived characters are left out. <see cref="Limit"/> is clamped to 1..50.
/// </summary>
public sealed record FindCharactersForChat(long UserId, string? Search, int Limit = 24) : IQuery<IReadOnlyList<ChatCharacterChoice>>;

/// <summary>One pick: enough to show and choose it; <see cref="IsOwn"/> tells the user's own characters apart.</summary>
public sealed record ChatCharacterChoice(long Id, string Name, string Tagline, string? AvatarUrl, bool IsOwn);
