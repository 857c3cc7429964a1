using System.Security.Cryptography;
using CharacterHub.Modules.Interaction.Llm;
using Dapper;
using Microsoft.AspNetCore.DataProtection;
using Npgsql;

namespace CharacterHub.Modules.Interaction.Connections;

/// <summary>
/// A connection as its owner sees it. It has no key field on purpose: pages and fragments are built from this type,
/// so neither the key nor its ciphertext can reach HTML; <see cref="HasApiKey"/> is all a page learns.
/// </summary>
internal sealed record ConnectionView(long Id, string Name, string BaseUrl, bool HasApiKey, string Model, int ContextSize,
    double? Temperature, double? TopP, int? MaxTokens, double? FrequencyPenalty, double? PresencePenalty, string[] StopStrings,
    bool IsDefault, int Version, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, string MaxTokensField)
{
    /// <summary>The field the reply limit goes out as (<c>max_tokens_field</c> holds only the two known names).</summary>
    public LlmMaxTokensField ReplyLimitField => ConnectionRules.ParseMaxTokensField(MaxTokensField) ?? LlmMaxTokensField.MaxTokens;
}

/// <summary>What a turn needs: the view plus the protected key, read only by the resolver and "test connection".</summary>
internal sealed record ConnectionSecretRow(long Id, string BaseUrl, string? ApiKeyProtected, string Model, int ContextSize,
    double? Temperature, double? TopP, int? MaxTokens, double? FrequencyPenalty, double? PresencePenalty, string[] StopStrings,
    string MaxTokensField);

/// <summary>Encrypts API keys with ASP.NET Data Protection (its key ring is persisted in the database by the host, so
/// every node can read what another wrote).</summary>
internal sealed class ConnectionKeys(IDataProtectionProvider provider)
{
    private readonly IDataProtector protector = provider.CreateProtector("CharacterHub.Interaction.LlmConnections.ApiKey");

    public string Protect(string apiKey) => protector.Protect(apiKey);

    /// <summary>The key, or null when the ciphertext can no longer be read (the key ring was lost or rotated away).</summary>
    public string? Unprotect(string protectedKey)
    {
        try
        {
            return protector.Unprotect(protectedKey);
        }
        catch (CryptographicException)
        {
            return null;
        }
    }
}

/// <summary>The connection SQL shared by the settings page, the chat's model selector and the resolver. Every
/// statement takes the user id: a connection that is not yours does not exist.</summary>
internal static class ConnectionStore
{
    private const string ViewColumns = """
        select id, name, base_url, api_key_protected is not null as has_api_key, model, context_size, temperature, top_p,
               max_tokens, frequency_penalty, presence_penalty, stop_strings, is_default, version, created_at, updated_at,
               max_tokens_field
        from interaction.llm_connections
        """;

    public const string SecretColumns = """
        id, base_url, api_key_protected, model, context_size, temperature, top_p, max_tokens, frequency_penalty,
        presence_penalty, stop_strings, max_tokens_field
        """;

    public static async Task<IReadOnlyList<ConnectionView>> ListAsync(NpgsqlConnection c, long userId, CancellationToken ct) =>
        (await c.QueryAsync<ConnectionView>(new CommandDefinition(
            $"{ViewColumns} where user_id = @userId order by is_default desc, lower(name), id", new { userId }, cancellationToken: ct))).AsList();

    public static Task<ConnectionView?> GetAsync(NpgsqlConnection c, long connectionId, long userId, CancellationToken ct,
        NpgsqlTransaction? tx = null) =>
        c.QuerySingleOrDefaultAsync<ConnectionView>(new CommandDefinition(
            $"{ViewColumns} where id = @connectionId and user_id = @userId", new { connectionId, userId }, tx, cancellationToken: ct));

    public static Task<ConnectionSecretRow?> GetSecretAsync(NpgsqlConnection c, long connectionId, long userId, CancellationToken ct) =>
        c.QuerySingleOrDefaultAsync<ConnectionSecretRow>(new CommandDefinition(
            $"select {SecretColumns} from interaction.llm_connections where id = @connectionId and user_id = @userId",
            new { connectionId, userId }, cancellationToken: ct));

    /// <summary>The connection a chat's turn uses: the chat's own, else the user's default; no row when neither exists
    /// (then the site default applies). Parameters @chatId, @userId; run in a turn's one batch of reads.</summary>
    public static readonly string ForChatSql = $"""
        select {string.Join(", ", SecretColumns.Split(',', StringSplitOptions.TrimEntries).Select(col => "l." + col))}
        from interaction.chats ch
        join interaction.llm_connections l on l.user_id = ch.user_id
            and l.id = coalesce(ch.connection_id, (select d.id from interaction.llm_connections d where d.user_id = ch.user_id and d.is_default))
        where ch.id = @chatId and ch.user_id = @userId
        """;

    /// <summary>Serialises the user's default-changing writes, as the persona slice does: two concurrent "make default"
    /// then both succeed, the later one winning, instead of one failing on the partial unique index.</summary>
    public static Task LockUserAsync(NpgsqlConnection c, NpgsqlTransaction tx, long userId, CancellationToken ct) =>
        c.ExecuteAsync(new CommandDefinition(
            "select pg_advisory_xact_lock(hashtext('interaction.llm_connections'), hashtext(@userId::text))", new { userId }, tx, cancellationToken: ct));

    public static Task ClearDefaultAsync(NpgsqlConnection c, NpgsqlTransaction tx, long userId, CancellationToken ct) =>
        c.ExecuteAsync(new CommandDefinition(
            "update interaction.llm_connections set is_default = false, updated_at = now() where user_id = @userId and is_default",
            new { userId }, tx, cancellationToken: ct));
}
