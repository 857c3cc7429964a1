using System.Text.Json;

namespace CharacterHub.FakeLlm;

/// <summary>
/// One request as the fake server saw it. The Authorization header is kept only as "Bearer ***" (or "***"), so
/// recordings can be printed in test output without leaking keys.
/// </summary>
public sealed record RecordedRequest(
    string Method,
    string Path,
    IReadOnlyDictionary<string, string> Headers,
    JsonElement? Body,
    DateTimeOffset ReceivedAt)
{
    public const string RedactedAuthorization = "Bearer ***";

    /// <summary>True when the request carried an Authorization header (its value is not recorded).</summary>
    public bool HadAuthorization => Headers.ContainsKey("Authorization");

    public string? Header(string name) => Headers.TryGetValue(name, out var v) ? v : null;
}
