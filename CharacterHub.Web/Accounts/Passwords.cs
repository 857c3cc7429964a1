using Microsoft.AspNetCore.Identity;

namespace CharacterHub.Web.Accounts;

/// <summary>ASP.NET Core Identity's PasswordHasher (PBKDF2, versioned format): no home-made crypto.</summary>
public static class Passwords
{
    public const int MinLength = 10;
    // Long enough for any passphrase, short enough that hashing cannot be used to burn CPU.
    public const int MaxLength = 256;

    private static readonly PasswordHasher<object> Hasher = new();
    private static readonly object Subject = new();

    public static string Hash(string password) => Hasher.HashPassword(Subject, password);

    public static bool Verify(string hash, string password) =>
        Hasher.VerifyHashedPassword(Subject, hash, password) is PasswordVerificationResult.Success
            or PasswordVerificationResult.SuccessRehashNeeded;

    /// <summary>A real hash to verify against when the username does not exist, so timing does not reveal it.</summary>
    public static readonly string DummyHash = Hash("not-a-real-password-0123456789");

    public static string? Problem(string? password) => password switch
    {
        null or "" => "Enter a password.",
        { Length: < MinLength } => $"Use at least {MinLength} characters.",
        { Length: > MaxLength } => $"Use at most {MaxLength} characters.",
        _ => null,
    };
}
