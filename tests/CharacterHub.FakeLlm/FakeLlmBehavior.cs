namespace CharacterHub.FakeLlm;

/// <summary>What goes wrong on purpose once the reply has started.</summary>
public enum FakeLlmFault
{
    None,

    /// <summary>Stop sending after <see cref="FakeLlmBehavior.FaultAfterTokens"/> tokens, keeping the connection open.</summary>
    Stall,

    /// <summary>Send a chunk that is not valid JSON after <see cref="FakeLlmBehavior.FaultAfterTokens"/> tokens, then end the stream.</summary>
    MalformedChunk,

    /// <summary>
    /// Abort the TCP connection after <see cref="FakeLlmBehavior.FaultAfterTokens"/> tokens (200 ms after the last
    /// one, so the client has read them: a reset discards unread bytes).
    /// </summary>
    DropConnection,
}

/// <summary>
/// How the fake server answers one chat completion. Immutable, so one instance can serve many concurrent requests.
/// Build with the static factories and refine with <c>with { ... }</c>.
/// </summary>
public sealed record FakeLlmBehavior
{
    /// <summary>The reply; split into tokens at word boundaries (each token carries its leading whitespace).</summary>
    public string Text { get; init; } = "Hello from the fake model.";

    /// <summary>Explicit tokens; when set, <see cref="Text"/> is ignored.</summary>
    public IReadOnlyList<string>? Tokens { get; init; }

    /// <summary>Reply "Echo: " followed by the last user message, so a test can see what reached the model.</summary>
    public bool Echo { get; init; }

    /// <summary>Tokens per second while streaming; 0 or less sends them as fast as possible.</summary>
    public double TokensPerSecond { get; init; }

    /// <summary>Delay before the response headers are sent (a server that accepts the request but is slow to answer at all).</summary>
    public TimeSpan HeaderDelay { get; init; }

    /// <summary>Delay between the response headers and the first token (prompt processing).</summary>
    public TimeSpan FirstTokenDelay { get; init; }

    /// <summary>When set, answer with this HTTP status and an OpenAI-style error body instead of a completion.</summary>
    public int? ErrorStatus { get; init; }

    public string ErrorMessage { get; init; } = "The fake server was told to fail.";

    /// <summary>OpenAI error "type"; defaults from the status (rate_limit_exceeded, server_error, ...).</summary>
    public string? ErrorType { get; init; }

    public FakeLlmFault Fault { get; init; }

    /// <summary>How many content tokens are sent before <see cref="Fault"/> happens.</summary>
    public int FaultAfterTokens { get; init; }

    /// <summary>How long a <see cref="FakeLlmFault.Stall"/> lasts before the reply resumes; null stalls until the client leaves.</summary>
    public TimeSpan? StallDuration { get; init; }

    public string FinishReason { get; init; } = "stop";

    /// <summary>When set, answer with a redirect (status <see cref="ErrorStatus"/>, default 307) to this absolute URL.</summary>
    public string? RedirectLocation { get; init; }

    public static FakeLlmBehavior Reply(string text) => new() { Text = text };

    public static FakeLlmBehavior ReplyTokens(params string[] tokens) => new() { Tokens = tokens };

    public static FakeLlmBehavior EchoLastUserMessage() => new() { Echo = true };

    public static FakeLlmBehavior Error(int status, string? message = null, string? type = null) =>
        new() { ErrorStatus = status, ErrorMessage = message ?? DefaultErrorMessage(status), ErrorType = type };

    public static FakeLlmBehavior Redirect(string location, int status = 307) => new() { RedirectLocation = location, ErrorStatus = status };

    public static FakeLlmBehavior StallAfter(int tokens, TimeSpan? duration = null) =>
        new() { Fault = FakeLlmFault.Stall, FaultAfterTokens = tokens, StallDuration = duration };

    public static FakeLlmBehavior MalformedAfter(int tokens) => new() { Fault = FakeLlmFault.MalformedChunk, FaultAfterTokens = tokens };

    public static FakeLlmBehavior DropAfter(int tokens) => new() { Fault = FakeLlmFault.DropConnection, FaultAfterTokens = tokens };

    internal static string DefaultErrorMessage(int status) => status switch
    {
        401 => "Incorrect API key provided.",
        404 => "The model does not exist.",
        429 => "Rate limit reached for requests.",
        503 => "The server is overloaded or not ready yet.",
        _ => "The server had an error while processing your request.",
    };

    internal static string DefaultErrorType(int status) => status switch
    {
        401 => "invalid_request_error",
        404 => "invalid_request_error",
        429 => "rate_limit_exceeded",
        _ when status >= 500 => "server_error",
        _ => "invalid_request_error",
    };
}
