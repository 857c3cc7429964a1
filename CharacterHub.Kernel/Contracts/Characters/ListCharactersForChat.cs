using Mediator;

namespace CharacterHub.Kernel.Contracts.Characters;

/// <summary>
/// Characters a user may pick to chat with (a chat import's form): the ones they created or collaborate on, plus those
/// of <see cref="AlsoIds"/> they may read (public ones they already chat with). Sorted by name, at most 500.
/// Answered by the Characters module with the same visibility rule as <see cref="GetCharacterForChat"/>.
/// </summary>
public sealed record ListCharactersForChat(long UserId, IReadOnlyList<long> AlsoIds) : IQuery<IReadOnlyList<ImportCharacterChoice>>;

public sealed record ImportCharacterChoice(long Id, string Name);
