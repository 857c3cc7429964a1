using Mediator;

namespace CharacterHub.Kernel.Contracts.Interaction;

/// <summary>
/// Speaks text with the site's OpenAI-compatible text-to-speech service (configured as Tts__BaseUrl, Tts__ApiKey,
/// Tts__Model). Handled by the Interaction module, which owns the LLM and TTS clients; the Characters module asks
/// through this contract for its voice preview.
/// </summary>
public sealed record SynthesizeSpeech(string Text, string? Voice, double Speed = 1.0) : IQuery<SpeechResult>;

/// <summary>Audio, or the reason there is none (no TTS configured, upstream error) in words for the user.</summary>
public sealed record SpeechResult(byte[]? Audio, string? ContentType, string? Problem);
