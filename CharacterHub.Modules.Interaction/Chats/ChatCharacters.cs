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
    private const int SpeakerCapacity = 10_000;
    private readonly ConcurrentDictionary<long, ChatCharacter> byId = new();
    private readonly ConcurrentDictionary<long, long> lastSpeaker = new();

    /// <summary>The name a chat shows for a character this process has read lately (nickname first), without asking
    /// the database; null when it has not. For display only (at most one turn stale): every turn checks the version
    /// and the user's access before it uses a card.</summary>
    public string? CachedDisplayName(long characterId) =>
        byId.TryGetValue(characterId, out var c) ? GroupChats.DisplayName(c) : null;

    /// <summary>
    /// Starts <see cref="GetAsync"/> for the character that last spoke in <paramref name="chatId"/> on this process, so
    /// its version check runs beside the turn's claim instead of after it; null when none is known. The caller uses
    /// the result only if the claim names the same character (<see cref="Take"/>), and the check itself is the same.
    /// </summary>
    public EarlyCharacter? StartEarly(IMediator mediator, long chatId, long userId, CancellationToken ct) =>
        lastSpeaker.TryGetValue(chatId, out var characterId)
            ? new EarlyCharacter(characterId, GetAsync(mediator, characterId, userId, ct).AsTask())
            : null;

    /// <summary>The claimed character: from <paramref name="early"/> when it guessed right, else read now. Remembers
    /// the chat's speaker for the next turn.</summary>
    public async ValueTask<ChatCharacter?> Take(EarlyCharacter? early, IMediator mediator, long chatId, long characterId, long userId,
        CancellationToken ct)
    {
        if (lastSpeaker.Count >= SpeakerCapacity) lastSpeaker.Clear();
        lastSpeaker[chatId] = characterId;
        if (early is not null)
        {
            if (early.CharacterId == characterId) return await early.Task;
            early.Forget();
        }
        return await GetAsync(mediator, characterId, userId, ct);
    }

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

/// <summary>A character read started before the claim said who speaks (see <see cref="ChatCharacters.StartEarly"/>).</summary>
internal sealed record EarlyCharacter(long CharacterId, Task<ChatCharacter?> Task)
{
    /// <summary>Not needed after all: its outcome, even a failure, is dropped without an unobserved exception.</summary>
    public void Forget() => _ = Task.ContinueWith(static t => _ = t.Exception, CancellationToken.None,
        TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
}
