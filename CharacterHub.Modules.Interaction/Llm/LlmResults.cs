namespace CharacterHub.Modules.Interaction.Llm;

internal enum LlmErrorKind
{
    /// <summary>The server answered with an HTTP error status (see <see cref="LlmError.StatusCode"/>).</summary>
    UpstreamError,

    /// <summary>No token (streaming) or no answer (non-streaming) within the connection's timeout.</summary>
    Timeout,

    /// <summary>The stream started, then no token arrived for the stall timeout.</summary>
    Stalled,

    /// <summary>The server sent something that is not a valid OpenAI-style response or chunk.</summary>
    MalformedResponse,

    /// <summary>The connection broke after the response had started.</summary>
    ConnectionLost,

    /// <summary>The server could not be reached at all (DNS, refused, TLS).</summary>
    Unreachable,

    /// <summary>The base URL is not usable (syntax or scheme).</summary>
    InvalidEndpoint,

    /// <summary><see cref="EndpointGuard"/> refused the address.</summary>
    EndpointRefused,

    /// <summary>The caller cancelled.</summary>
    Cancelled,
}

internal sealed record LlmError(LlmErrorKind Kind, string Message, int? StatusCode = null)
{
    public override string ToString() => StatusCode is { } s ? $"{Kind} ({s}): {Message}" : $"{Kind}: {Message}";
}

internal sealed record LlmUsage(int InputTokens, int OutputTokens, int TotalTokens);

/// <summary>
/// What <see cref="LlmClient.StreamAsync"/> yields: any number of <see cref="LlmTokenEvent"/>, then exactly one
/// terminal event, <see cref="LlmCompletedEvent"/> or <see cref="LlmFailedEvent"/>, both carrying the text so far.
/// </summary>
internal abstract record LlmStreamEvent;

internal sealed record LlmTokenEvent(string Text) : LlmStreamEvent;

internal sealed record LlmCompletedEvent(string Text, string FinishReason, LlmUsage? Usage) : LlmStreamEvent;

internal sealed record LlmFailedEvent(LlmError Error, string PartialText) : LlmStreamEvent;

internal sealed record LlmCompletion(string Text, string? FinishReason, LlmUsage? Usage, LlmError? Error)
{
    public bool Succeeded => Error is null;
}

internal sealed record LlmModelList(IReadOnlyList<string> Models, LlmError? Error)
{
    public bool Succeeded => Error is null;
}

internal sealed record TtsResult(BinaryData? Audio, string ContentType, LlmError? Error)
{
    public bool Succeeded => Error is null;
}
