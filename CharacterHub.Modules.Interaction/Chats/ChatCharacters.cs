using System.Collections.Concurrent;
using CharacterHub.Kernel.Contracts.Characters;
using Mediator;

namespace CharacterHub.Modules.Interaction.Chats;

/// <summary>
/// The characters replies are being written for, kept per process between turns. Reading a card with a 500-entry
/// lorebook through the contract costs milliseconds of JSON every turn; asking for its version costs one indexed
/// read. Correct because every content edit bumps the version and the update time (the house's optimistic-concurrency
/// rule; the time also tells apart an id re-used after a database reset), and safe to lose: another node simply
/// reads the card itself. Permission is checked on every turn by the version query.
/// </summary>
internal sealed class ChatCharacters
{
    // Bounded so a site with many characters cannot grow it without limit; dropping it all is cheap to refill.
    private const int Capacity = 256;
    private readonly ConcurrentDictionary<long, ChatCharacter> byId = new();

    /// <summary>The name a chat shows for a character this process has read lately (nickname first), without asking
    /// the database; null when it has not. For display only (at most one turn stale): every turn checks the version
    /// and the user's access before it uses a card.</summary>
    public string? CachedDisplayName(long characterId) =>
        byId.TryGetValue(characterId, out var c) ? GroupChats.DisplayName(c) : null;

    public async ValueTask<ChatCharacter?> GetAsync(IMediator mediator, long characterId, long userId, CancellationToken ct)
    {
        var stamp = await mediator.Send(new GetCharacterChatVersion(characterId, userId), ct);
        if (stamp is null) return null;
        if (byId.TryGetValue(characterId, out var cached) && cached.Version == stamp.Version && cached.UpdatedAt == stamp.UpdatedAt) return cached;
        var character = await mediator.Send(new GetCharacterForChat(characterId, userId), ct);
        if (character is null) return null;
        if (byId.Count >= Capacity) byId.Clear();
        byId[characterId] = character;
        return character;
    }
}
