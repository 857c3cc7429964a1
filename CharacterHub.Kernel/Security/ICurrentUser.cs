namespace CharacterHub.Kernel.Security;

/// <summary>The signed-in user of the current request (page cookie or API token), or anonymous.</summary>
public interface ICurrentUser
{
    bool IsAuthenticated { get; }
    /// <summary>The user's id; throws when anonymous, so a handler cannot silently act as nobody.</summary>
    long Id { get; }
    long? IdOrNull { get; }
    string? Username { get; }
    bool IsAdmin { get; }
}
