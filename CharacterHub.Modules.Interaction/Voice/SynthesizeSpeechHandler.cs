using CharacterHub.Kernel.Contracts.Interaction;
using CharacterHub.Modules.Interaction.Llm;
using Mediator;
using Microsoft.Extensions.Configuration;

namespace CharacterHub.Modules.Interaction.Voice;

/// <summary>Text to speech through the site's trusted TTS endpoint (Tts__BaseUrl, Tts__ApiKey, Tts__Model, Tts__Voice).</summary>
internal sealed class SynthesizeSpeechHandler(IConfiguration configuration, LlmClientFactory factory) : IQueryHandler<SynthesizeSpeech, SpeechResult>
{
    public const int MaxCharacters = 1_000;

    public async ValueTask<SpeechResult> Handle(SynthesizeSpeech query, CancellationToken ct)
    {
        var section = configuration.GetSection("Tts");
        var baseUrl = section["BaseUrl"];
        if (string.IsNullOrWhiteSpace(baseUrl))
            return new SpeechResult(null, null, "No text-to-speech service is configured on this site; the browser's voices still work.");
        var text = query.Text.Length > MaxCharacters ? query.Text[..MaxCharacters] : query.Text;
        if (string.IsNullOrWhiteSpace(text)) return new SpeechResult(null, null, "There is nothing to say.");

        var connection = new LlmConnection(baseUrl, section["ApiKey"] ?? "", section["Model"] ?? "tts-1") { Trusted = true };
        var tts = factory.CreateTts(connection, section["Voice"] ?? "alloy");
        var result = await tts.SynthesizeAsync(text, string.IsNullOrWhiteSpace(query.Voice) ? null : query.Voice, "mp3", ct);
        return result.Succeeded && result.Audio is not null
            ? new SpeechResult(result.Audio.ToArray(), result.ContentType, null)
            : new SpeechResult(null, null, $"The text-to-speech service failed: {result.Error?.Message}");
    }
}
