using OpenAI.Audio;

namespace CharacterHub.Modules.Interaction.Llm;

/// <summary>
/// Text to speech through an OpenAI-compatible <c>/v1/audio/speech</c> endpoint (the connection's model is the TTS
/// model, e.g. tts-1). Same guard, caching and no-throw contract as <see cref="LlmClient"/>.
/// </summary>
internal sealed class TtsClient
{
    private readonly LlmClientFactory factory;
    private readonly string defaultVoice;

    internal TtsClient(LlmConnection connection, LlmClientFactory factory, string defaultVoice)
    {
        Connection = connection;
        this.factory = factory;
        this.defaultVoice = defaultVoice;
    }

    public LlmConnection Connection { get; }

    /// <param name="voice">Voice id as the server knows it (alloy, nova, ...); null for the default voice.</param>
    /// <param name="format">mp3, opus, aac, flac, wav or pcm.</param>
    public async Task<TtsResult> SynthesizeAsync(string text, string? voice = null, string format = "mp3",
        CancellationToken cancellationToken = default)
    {
        if (EndpointGuard.CheckUrlSyntax(Connection.BaseUrl) is { } problem)
        {
            return new TtsResult(null, "", new LlmError(LlmErrorKind.InvalidEndpoint, problem));
        }
        var endpoint = Connection.NormalizedBaseUrl;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Connection.Timeout);
        try
        {
            var options = new SpeechGenerationOptions { ResponseFormat = new GeneratedSpeechFormat(format) };
            var result = await factory.Audio(Connection)
                .GenerateSpeechAsync(text, new GeneratedSpeechVoice(voice ?? defaultVoice), options, timeout.Token)
                .WaitAsync(Connection.Timeout + TimeSpan.FromSeconds(2), cancellationToken);
            var contentType = result.GetRawResponse().Headers.TryGetValue("Content-Type", out var ct) && ct is not null
                ? ct
                : ContentTypeFor(format);
            return new TtsResult(result.Value, contentType, null);
        }
        catch (Exception ex) when (ex is OperationCanceledException or TimeoutException)
        {
            return new TtsResult(null, "", cancellationToken.IsCancellationRequested
                ? new LlmError(LlmErrorKind.Cancelled, "Speech synthesis was stopped.")
                : new LlmError(LlmErrorKind.Timeout, $"{endpoint} did not return audio within {Connection.Timeout.TotalSeconds:0} s."));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return new TtsResult(null, "", LlmErrors.Classify(ex, endpoint, responseStarted: true));
        }
    }

    private static string ContentTypeFor(string format) => format switch
    {
        "mp3" => "audio/mpeg",
        "opus" => "audio/ogg",
        "aac" => "audio/aac",
        "flac" => "audio/flac",
        "wav" => "audio/wav",
        _ => "application/octet-stream",
    };
}
