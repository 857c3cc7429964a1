using CharacterHub.Modules.Interaction.Llm;
using Microsoft.Extensions.Logging;

namespace CharacterHub.Modules.Interaction.Connections;

/// <summary>
/// Which connection a turn uses: the chat's own connection, else the user's default connection, else the site
/// default from configuration; null means the offline responder. Read per turn, so a switch in "Chat options" or a
/// new default applies from the next reply on.
/// </summary>
internal sealed class ChatConnectionResolver(ConnectionKeys keys, LlmSiteSettings site, ILogger<ChatConnectionResolver> log)
{
    /// <summary>The connection for a row read elsewhere (a turn reads it in its batch): the user's, else the site's.</summary>
    public LlmConnection? Resolve(ConnectionSecretRow? row) => row is null ? site.DefaultConnection : ToLlm(row);

    /// <summary>The context, in tokens, of a chat with no connection of its own (the site's model, else 8,192).</summary>
    public int SiteContextSize => site.DefaultConnection?.ContextSize ?? 8192;

    /// <summary>A user's connection: never trusted, so every request goes through the address guard; the site's
    /// configured timeouts apply to it as to the site model.</summary>
    public LlmConnection ToLlm(ConnectionSecretRow row)
    {
        var apiKey = "";
        if (row.ApiKeyProtected is { } stored)
        {
            // A lost key ring: the request goes out without a key and the server's 401 tells the user to enter it again.
            apiKey = keys.Unprotect(stored) ?? "";
            if (apiKey.Length == 0) log.LogWarning("The API key of LLM connection {ConnectionId} can no longer be decrypted", row.Id);
        }
        return new LlmConnection(row.BaseUrl, apiKey, row.Model)
        {
            ContextSize = row.ContextSize,
            MaxTokensField = ConnectionRules.ParseMaxTokensField(row.MaxTokensField) ?? LlmMaxTokensField.MaxTokens,
            Timeout = site.DefaultConnection?.Timeout ?? LlmConnection.DefaultTimeout,
            StallTimeout = site.DefaultConnection?.StallTimeout ?? LlmConnection.DefaultStallTimeout,
            DefaultSampling = new LlmSampling
            {
                Temperature = row.Temperature,
                TopP = row.TopP,
                MaxTokens = row.MaxTokens,
                FrequencyPenalty = row.FrequencyPenalty,
                PresencePenalty = row.PresencePenalty,
                Stop = row.StopStrings.Length == 0 ? null : row.StopStrings,
            },
            Trusted = false,
        };
    }
}
