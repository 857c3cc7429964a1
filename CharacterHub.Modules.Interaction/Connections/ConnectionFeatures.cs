using System.Globalization;
using CharacterHub.Kernel.Validation;
using CharacterHub.Modules.Interaction.Llm;
using Dapper;
using Mediator;
using Npgsql;

namespace CharacterHub.Modules.Interaction.Connections;

// The connection slice's requests. Each takes the user id: a connection that is not the caller's does not exist (404).

internal sealed record ListConnections(long UserId) : IQuery<IReadOnlyList<ConnectionView>>;

internal sealed class ListConnectionsHandler(NpgsqlDataSource db) : IQueryHandler<ListConnections, IReadOnlyList<ConnectionView>>
{
    public async ValueTask<IReadOnlyList<ConnectionView>> Handle(ListConnections query, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await ConnectionStore.ListAsync(connection, query.UserId, ct);
    }
}

internal sealed record GetConnection(long UserId, long ConnectionId) : IQuery<ConnectionView?>;

internal sealed class GetConnectionHandler(NpgsqlDataSource db) : IQueryHandler<GetConnection, ConnectionView?>
{
    public async ValueTask<ConnectionView?> Handle(GetConnection query, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await ConnectionStore.GetAsync(connection, query.ConnectionId, query.UserId, ct);
    }
}

/// <summary>The connection form as typed: every field a string, so a wrong type is a message beside the field rather
/// than a binding failure. <see cref="ApiKey"/> blank keeps the saved key; <see cref="ClearApiKey"/> removes it.
/// <see cref="MaxTokensField"/> is the wire name of the reply-limit field ("max_tokens" or "max_completion_tokens";
/// blank is "max_tokens").</summary>
internal sealed record ConnectionInput(
    string Name, string BaseUrl, string ApiKey, bool ClearApiKey, string Model, string ContextSize, string Temperature,
    string TopP, string MaxTokens, string MaxTokensField, string FrequencyPenalty, string PresencePenalty, string Stop, bool MakeDefault)
{
    public static ConnectionInput From(ConnectionView c) => new(c.Name, c.BaseUrl, "", false, c.Model,
        c.ContextSize.ToString(CultureInfo.InvariantCulture), Text(c.Temperature), Text(c.TopP),
        c.MaxTokens?.ToString(CultureInfo.InvariantCulture) ?? "", c.MaxTokensField, Text(c.FrequencyPenalty), Text(c.PresencePenalty),
        ConnectionRules.StopText(c.StopStrings), c.IsDefault);

    public static ConnectionInput Empty(bool makeDefault) =>
        new("", "", "", false, "", ConnectionRules.DefaultContextSize.ToString(CultureInfo.InvariantCulture), "", "", "",
            ConnectionRules.MaxTokensFieldName, "", "", "", makeDefault);

    private static string Text(double? value) => value?.ToString("0.###", CultureInfo.InvariantCulture) ?? "";
}

/// <summary>A valid form, parsed.</summary>
internal sealed record ConnectionValues(string Name, string BaseUrl, string? ApiKey, string Model, int ContextSize, double? Temperature,
    double? TopP, int? MaxTokens, LlmMaxTokensField MaxTokensField, double? FrequencyPenalty, double? PresencePenalty, string[] Stop)
{
    /// <summary>The wire name, as stored in <c>max_tokens_field</c>.</summary>
    public string MaxTokensFieldName => ConnectionRules.NameOf(MaxTokensField);
}

/// <summary>The limits of a connection and the parsing of the form, shared by save and the page's field hints.</summary>
internal static class ConnectionRules
{
    public const int MaxNameLength = 64, MaxBaseUrlLength = 2048, MaxApiKeyLength = 4096, MaxModelLength = 200;
    public const int MinContextSize = 512, MaxContextSize = 2_000_000, DefaultContextSize = 8192;
    public const int MaxReplyTokens = 100_000, MaxStopStrings = 8, MaxStopLength = 50;

    /// <summary>The reply-limit field's names as they go out on the wire, in the database, the form and the API.</summary>
    public const string MaxTokensFieldName = "max_tokens", MaxCompletionTokensFieldName = "max_completion_tokens";

    public static string NameOf(LlmMaxTokensField field) =>
        field == LlmMaxTokensField.MaxCompletionTokens ? MaxCompletionTokensFieldName : MaxTokensFieldName;

    /// <summary>The field for a wire name; blank is the default (<c>max_tokens</c>); null for anything else.</summary>
    public static LlmMaxTokensField? ParseMaxTokensField(string? text) => text?.Trim() switch
    {
        null or "" or MaxTokensFieldName => LlmMaxTokensField.MaxTokens,
        MaxCompletionTokensFieldName => LlmMaxTokensField.MaxCompletionTokens,
        _ => null,
    };

    public const string StopControlMessage = "Stop strings cannot contain control characters other than line breaks (\\n) and tabs (\\t).";

    /// <summary>Stop strings are typed one per line; <c>\n</c> and <c>\t</c> stand for a line break and a tab (a stop
    /// string such as "\nUser:" is common) and <c>\\</c> for a backslash.</summary>
    public static string StopText(IEnumerable<string> stop) =>
        string.Join("\n", stop.Select(s => s.Replace("\\", "\\\\").Replace("\n", "\\n").Replace("\t", "\\t")));

    public static string[] ParseStop(string text) => text.ReplaceLineEndings("\n").Split('\n')
        .Where(line => line.Length > 0)
        .Select(Unescape)
        .ToArray();

    private static string Unescape(string line)
    {
        var sb = new System.Text.StringBuilder(line.Length);
        for (var i = 0; i < line.Length; i++)
        {
            if (line[i] == '\\' && i + 1 < line.Length && line[i + 1] is 'n' or 't' or '\\')
            {
                sb.Append(line[++i] switch { 'n' => '\n', 't' => '\t', _ => '\\' });
            }
            else sb.Append(line[i]);
        }
        return sb.ToString();
    }

    /// <summary>Syntax and ranges only; the address check needs the network and is done by the caller.</summary>
    public static (ConnectionValues? Values, FieldErrors Errors) Validate(ConnectionInput input)
    {
        var errors = new FieldErrors();
        var name = input.Name.Trim();
        if (name.Length == 0) errors.Add("Name", "Give the connection a name.");
        else if (name.Length > MaxNameLength) errors.Add("Name", $"A name can be at most {MaxNameLength} characters.");
        else if (name.Any(char.IsControl)) errors.Add("Name", "A name cannot contain control characters.");

        var baseUrl = input.BaseUrl.Trim();
        if (baseUrl.Length == 0) errors.Add("BaseUrl", "Enter the server's base URL, e.g. https://api.openai.com/v1 or http://localhost:11434.");
        else if (baseUrl.Length > MaxBaseUrlLength) errors.Add("BaseUrl", $"A base URL can be at most {MaxBaseUrlLength:N0} characters.");
        else if (baseUrl.Any(char.IsControl)) errors.Add("BaseUrl", "A base URL cannot contain control characters.");
        else if (EndpointGuard.CheckUrlSyntax(baseUrl) is { } urlProblem) errors.Add("BaseUrl", urlProblem);

        var apiKey = input.ApiKey.Trim();
        if (apiKey.Length > MaxApiKeyLength) errors.Add("ApiKey", $"An API key can be at most {MaxApiKeyLength:N0} characters.");
        else if (apiKey.Any(ch => char.IsWhiteSpace(ch) || char.IsControl(ch))) errors.Add("ApiKey", "An API key has no spaces or line breaks.");

        var model = input.Model.Trim();
        if (model.Length == 0) errors.Add("Model", "Enter the model name (\"Test connection\" lists what the server offers).");
        else if (model.Length > MaxModelLength) errors.Add("Model", $"A model name can be at most {MaxModelLength} characters.");
        else if (model.Any(char.IsControl)) errors.Add("Model", "A model name cannot contain control characters.");

        var contextSize = Int(errors, "ContextSize", input.ContextSize, MinContextSize, MaxContextSize, "The context size", DefaultContextSize)!.Value;
        var temperature = Real(errors, "Temperature", input.Temperature, 0, 2, "Temperature");
        var topP = Real(errors, "TopP", input.TopP, 0, 1, "Top P");
        var maxTokens = Int(errors, "MaxTokens", input.MaxTokens, 1, MaxReplyTokens, "Max tokens", null);
        var maxTokensField = ParseMaxTokensField(input.MaxTokensField);
        if (maxTokensField is null)
            errors.Add("MaxTokensField", $"The reply limit is sent as \"{MaxTokensFieldName}\" or \"{MaxCompletionTokensFieldName}\".");
        var frequency = Real(errors, "FrequencyPenalty", input.FrequencyPenalty, -2, 2, "The frequency penalty");
        var presence = Real(errors, "PresencePenalty", input.PresencePenalty, -2, 2, "The presence penalty");

        var stop = ParseStop(input.Stop);
        if (stop.Length > MaxStopStrings) errors.Add("Stop", $"At most {MaxStopStrings} stop strings, one per line.");
        else if (stop.FirstOrDefault(s => s.Length > MaxStopLength) is { } tooLong)
            errors.Add("Stop", $"A stop string can be at most {MaxStopLength} characters; \"{Shorten(tooLong)}\" is {tooLong.Length}.");
        else if (stop.Any(s => s.Any(ch => char.IsControl(ch) && ch is not '\n' and not '\t')))
            errors.Add("Stop", StopControlMessage);
        else if (stop.Distinct(StringComparer.Ordinal).Count() != stop.Length) errors.Add("Stop", "Each stop string only once.");

        if (!errors.IsEmpty) return (null, errors);
        return (new ConnectionValues(name, baseUrl, apiKey.Length == 0 ? null : apiKey, model, contextSize, temperature, topP,
            maxTokens, maxTokensField!.Value, frequency, presence, stop), errors);
    }

    private static string Shorten(string s) => s.Length > 20 ? s[..20] + "…" : s;

    private static double? Real(FieldErrors errors, string field, string text, double min, double max, string label)
    {
        text = text.Trim();
        if (text.Length == 0) return null;
        if (text.Length > 32 || !double.TryParse(text.Replace(',', '.'), NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            || !double.IsFinite(value))
        {
            errors.Add(field, $"{label} must be a number between {min} and {max}, or blank for the server's default.");
            return null;
        }
        if (value < min || value > max)
        {
            errors.Add(field, $"{label} must be between {min} and {max}; {value.ToString(CultureInfo.InvariantCulture)} is out of range.");
            return null;
        }
        return value;
    }

    private static int? Int(FieldErrors errors, string field, string text, int min, int max, string label, int? blank)
    {
        text = text.Trim().Replace(",", "").Replace("_", "").Replace(" ", "");
        if (text.Length == 0) return blank;
        var range = $"between {min.ToString("N0", CultureInfo.InvariantCulture)} and {max.ToString("N0", CultureInfo.InvariantCulture)}";
        if (!long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
        {
            errors.Add(field, $"{label} must be a whole number {range}{(blank is null ? ", or blank for the server's default" : "")}.");
            return blank ?? 0;
        }
        if (value < min || value > max)
        {
            errors.Add(field, $"{label} must be {range}.");
            return blank ?? 0;
        }
        return (int)value;
    }
}

internal abstract record SaveConnectionOutcome
{
    public sealed record Saved(long ConnectionId) : SaveConnectionOutcome;
    public sealed record Invalid(FieldErrors Errors) : SaveConnectionOutcome;
    /// <summary>Someone saved the connection since the form was opened: nothing was written; the saved version is shown.</summary>
    public sealed record Conflict(ConnectionView Current) : SaveConnectionOutcome;
    public sealed record NotFound : SaveConnectionOutcome;
}

/// <summary>Creates (no id) or edits a connection. An edit names the <paramref name="Version"/> it started from.</summary>
internal sealed record SaveConnection(long UserId, long? ConnectionId, int? Version, ConnectionInput Input) : ICommand<SaveConnectionOutcome>;

internal sealed class SaveConnectionHandler(NpgsqlDataSource db, ConnectionKeys keys, ConnectionAddressCheck addresses)
    : ICommandHandler<SaveConnection, SaveConnectionOutcome>
{
    private const string InsertSql = """
        insert into interaction.llm_connections (user_id, name, base_url, api_key_protected, model, context_size, temperature,
            top_p, max_tokens, max_tokens_field, frequency_penalty, presence_penalty, stop_strings, is_default)
        values (@UserId, @Name, @BaseUrl, @ProtectedKey, @Model, @ContextSize, @Temperature, @TopP, @MaxTokens, @MaxTokensField,
            @FrequencyPenalty, @PresencePenalty, @Stop, @MakeDefault)
        returning id
        """;

    private const string UpdateSql = """
        update interaction.llm_connections
        set name = @Name, base_url = @BaseUrl, model = @Model, context_size = @ContextSize, temperature = @Temperature, top_p = @TopP,
            max_tokens = @MaxTokens, max_tokens_field = @MaxTokensField, frequency_penalty = @FrequencyPenalty, presence_penalty = @PresencePenalty, stop_strings = @Stop,
            api_key_protected = case when @ReplaceKey then @ProtectedKey else api_key_protected end,
            is_default = @MakeDefault, version = version + 1, updated_at = now()
        where id = @ConnectionId and user_id = @UserId and version = @Version
        """;

    public async ValueTask<SaveConnectionOutcome> Handle(SaveConnection command, CancellationToken ct)
    {
        var (values, errors) = ConnectionRules.Validate(command.Input);
        if (values is null) return new SaveConnectionOutcome.Invalid(errors);
        // Refused now with words; the guard refuses again on every connection the server later makes.
        if (await addresses.ProblemAsync(values.BaseUrl, ct) is { } refused) return new SaveConnectionOutcome.Invalid(FieldErrors.One("BaseUrl", refused));

        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await ConnectionStore.LockUserAsync(connection, tx, command.UserId, ct);
        if (command.ConnectionId is { } id)
        {
            var current = await ConnectionStore.GetAsync(connection, id, command.UserId, ct, tx);
            if (current is null) return new SaveConnectionOutcome.NotFound();
            if (command.Version != current.Version) return new SaveConnectionOutcome.Conflict(current);
        }
        if (await NameTakenAsync(connection, tx, command.UserId, values.Name, command.ConnectionId, ct))
            return new SaveConnectionOutcome.Invalid(FieldErrors.One("Name", $"You already have a connection named \"{values.Name}\"."));
        if (command.Input.MakeDefault) await ConnectionStore.ClearDefaultAsync(connection, tx, command.UserId, ct);

        var replaceKey = values.ApiKey is not null || command.Input.ClearApiKey;
        var args = new
        {
            command.UserId, command.ConnectionId, command.Version, values.Name, values.BaseUrl, values.Model, values.ContextSize,
            values.Temperature, values.TopP, values.MaxTokens, MaxTokensField = values.MaxTokensFieldName, values.FrequencyPenalty,
            values.PresencePenalty, values.Stop,
            command.Input.MakeDefault, ReplaceKey = replaceKey,
            ProtectedKey = values.ApiKey is { } key ? keys.Protect(key) : null,
        };
        long savedId;
        if (command.ConnectionId is { } existing)
        {
            if (await connection.ExecuteAsync(new CommandDefinition(UpdateSql, args, tx, cancellationToken: ct)) == 0)
            {
                // Only reachable if the row changed between the read above and the update, which the lock prevents
                // for this user's own writes; answer as a conflict with whatever is saved now.
                var now = await ConnectionStore.GetAsync(connection, existing, command.UserId, ct, tx);
                return now is null ? new SaveConnectionOutcome.NotFound() : new SaveConnectionOutcome.Conflict(now);
            }
            savedId = existing;
        }
        else
        {
            savedId = await connection.ExecuteScalarAsync<long>(new CommandDefinition(InsertSql, args, tx, cancellationToken: ct));
        }
        await tx.CommitAsync(ct);
        return new SaveConnectionOutcome.Saved(savedId);
    }

    private static Task<bool> NameTakenAsync(NpgsqlConnection c, NpgsqlTransaction tx, long userId, string name, long? exceptId, CancellationToken ct) =>
        c.ExecuteScalarAsync<bool>(new CommandDefinition(
            """
            select exists (select 1 from interaction.llm_connections
                           where user_id = @userId and lower(name) = lower(@name) and (@exceptId::bigint is null or id <> @exceptId))
            """, new { userId, name, exceptId }, tx, cancellationToken: ct));
}

internal sealed record DeleteConnection(long ConnectionId, long UserId) : ICommand<bool>;

internal sealed class DeleteConnectionHandler(NpgsqlDataSource db) : ICommandHandler<DeleteConnection, bool>
{
    public async ValueTask<bool> Handle(DeleteConnection command, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        // Chats that used it fall back to the default connection (on delete set null).
        return await connection.ExecuteAsync(new CommandDefinition(
            "delete from interaction.llm_connections where id = @ConnectionId and user_id = @UserId", command, cancellationToken: ct)) > 0;
    }
}

internal sealed record MakeDefaultConnection(long ConnectionId, long UserId) : ICommand<bool>;

internal sealed class MakeDefaultConnectionHandler(NpgsqlDataSource db) : ICommandHandler<MakeDefaultConnection, bool>
{
    public async ValueTask<bool> Handle(MakeDefaultConnection command, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await ConnectionStore.LockUserAsync(connection, tx, command.UserId, ct);
        await ConnectionStore.ClearDefaultAsync(connection, tx, command.UserId, ct);
        var changed = await connection.ExecuteAsync(new CommandDefinition(
            "update interaction.llm_connections set is_default = true, updated_at = now() where id = @ConnectionId and user_id = @UserId",
            command, tx, cancellationToken: ct));
        // Not the caller's connection: roll back, so the old default stays.
        if (changed == 0) return false;
        await tx.CommitAsync(ct);
        return true;
    }
}

internal abstract record TestConnectionOutcome
{
    public sealed record Listed(IReadOnlyList<string> Models) : TestConnectionOutcome;
    public sealed record Failed(string Problem) : TestConnectionOutcome;
    public sealed record NotFound : TestConnectionOutcome;

    /// <summary>The user has used up this minute's tests; nothing was sent anywhere.</summary>
    public sealed record RateLimited(int PerMinute, TimeSpan RetryAfter) : TestConnectionOutcome
    {
        public int RetryAfterSeconds => Math.Max(1, (int)Math.Ceiling(RetryAfter.TotalSeconds));

        public string Problem => $"You can test connections {PerMinute} times a minute. Wait {RetryAfterSeconds} s, then try again.";
    }
}

/// <summary>
/// "Test connection": asks the server for its models with what the form holds. A blank key on an existing
/// connection uses its saved key (<paramref name="ConnectionId"/> must then be the caller's).
/// </summary>
internal sealed record TestConnection(long UserId, long? ConnectionId, string BaseUrl, string ApiKey, bool ClearApiKey)
    : ICommand<TestConnectionOutcome>;

internal sealed class TestConnectionHandler(NpgsqlDataSource db, ConnectionKeys keys, ConnectionAddressCheck addresses,
    LlmClientFactory factory, LlmSiteSettings site, ConnectionTestLimiter limiter) : ICommandHandler<TestConnection, TestConnectionOutcome>
{
    /// <summary>A settings page waits for this answer; a server that has not listed its models by then will not.</summary>
    private static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(15);

    public async ValueTask<TestConnectionOutcome> Handle(TestConnection command, CancellationToken ct)
    {
        var apiKey = command.ApiKey.Trim();
        if (command.ConnectionId is { } id)
        {
            await using var connection = await db.OpenConnectionAsync(ct);
            var saved = await ConnectionStore.GetSecretAsync(connection, id, command.UserId, ct);
            if (saved is null) return new TestConnectionOutcome.NotFound();
            if (apiKey.Length == 0 && !command.ClearApiKey && saved.ApiKeyProtected is { } stored)
            {
                apiKey = keys.Unprotect(stored) ?? "";
            }
        }
        var baseUrl = command.BaseUrl.Trim();
        if (baseUrl.Length == 0) return new TestConnectionOutcome.Failed("Enter the base URL first.");
        if (baseUrl.Length > ConnectionRules.MaxBaseUrlLength) return new TestConnectionOutcome.Failed("The base URL is too long.");
        if (apiKey.Length > ConnectionRules.MaxApiKeyLength || apiKey.Any(ch => char.IsWhiteSpace(ch) || char.IsControl(ch)))
            return new TestConnectionOutcome.Failed("The API key is not valid: it must be one line without spaces, at most 4,096 characters.");
        if (EndpointGuard.CheckUrlSyntax(baseUrl) is { } syntax) return new TestConnectionOutcome.Failed(syntax);
        // Counted from here on: a typo caught above costs nothing, while the host lookup and the request below go out
        // to an address the user chose.
        if (limiter.TryTake(command.UserId) is { } wait) return new TestConnectionOutcome.RateLimited(limiter.PerMinute, wait);
        if (await addresses.ProblemAsync(baseUrl, ct) is { } refused) return new TestConnectionOutcome.Failed(refused);

        var timeout = site.DefaultConnection?.Timeout is { } t && t < MaxWait ? t : MaxWait;
        var client = factory.Create(new LlmConnection(baseUrl, apiKey, "models") { Timeout = timeout, Trusted = false });
        var result = await client.ListModelsAsync(ct);
        if (result.Error is { } error)
        {
            // Some servers quote the key they rejected; the page must not show it back.
            var message = apiKey.Length >= 4 ? error.Message.Replace(apiKey, "***", StringComparison.Ordinal) : error.Message;
            return new TestConnectionOutcome.Failed(message);
        }
        return new TestConnectionOutcome.Listed(result.Models.Take(500).ToArray());
    }
}

/// <summary>The save-time address check: refuses a base URL whose host resolves to a loopback, private, link-local or
/// metadata address unless the site allows private endpoints. Null when acceptable.</summary>
internal sealed class ConnectionAddressCheck(EndpointGuard guard)
{
    private static readonly TimeSpan DnsWait = TimeSpan.FromSeconds(10);

    public async Task<string?> ProblemAsync(string baseUrl, CancellationToken ct)
    {
        if (guard.AllowPrivateEndpoints) return null;
        try
        {
            return await guard.CheckAsync(baseUrl, ct).WaitAsync(DnsWait, ct);
        }
        catch (TimeoutException)
        {
            return "The base URL's host name did not resolve in time; check it and try again.";
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException)
        {
            return "The base URL's host name is not valid.";
        }
        catch (System.Net.Sockets.SocketException)
        {
            return "The base URL's host name could not be looked up; check it and try again.";
        }
    }
}

/// <summary>Chooses the connection a chat's turns use; null follows the user's default. Only the caller's own chat and
/// connection: anything else changes nothing and answers false (404).</summary>
internal sealed record SetChatConnection(long ChatId, long UserId, long? ConnectionId) : ICommand<bool>;

internal sealed class SetChatConnectionHandler(NpgsqlDataSource db) : ICommandHandler<SetChatConnection, bool>
{
    private const string Sql = """
        update interaction.chats set connection_id = @ConnectionId
        where id = @ChatId and user_id = @UserId
          and (@ConnectionId::bigint is null
               or exists (select 1 from interaction.llm_connections l where l.id = @ConnectionId and l.user_id = @UserId))
        """;

    public async ValueTask<bool> Handle(SetChatConnection command, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(Sql, command, cancellationToken: ct)) == 1;
    }
}

/// <summary>What the chat's "Model" selector shows: the chat's choice, the user's connections, and what "Default" means.</summary>
internal sealed record ChatConnectionChoice(long ChatId, long? ConnectionId, IReadOnlyList<ConnectionView> Connections, string DefaultLabel);

internal sealed record GetChatConnectionChoice(long ChatId, long UserId) : IQuery<ChatConnectionChoice?>;

internal sealed class GetChatConnectionChoiceHandler(NpgsqlDataSource db, LlmSiteSettings site)
    : IQueryHandler<GetChatConnectionChoice, ChatConnectionChoice?>
{
    public async ValueTask<ChatConnectionChoice?> Handle(GetChatConnectionChoice query, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var chat = await connection.QuerySingleOrDefaultAsync<(long Id, long? ConnectionId)>(new CommandDefinition(
            "select id, connection_id from interaction.chats where id = @ChatId and user_id = @UserId", query, cancellationToken: ct));
        if (chat.Id == 0) return null;
        var connections = await ConnectionStore.ListAsync(connection, query.UserId, ct);
        var label = connections.FirstOrDefault(c => c.IsDefault) is { } mine
            ? $"Default: {mine.Name} ({mine.Model})"
            : site.DefaultConnection is { } siteDefault ? $"Default: site model ({siteDefault.Model})" : "Default: offline responder";
        return new ChatConnectionChoice(chat.Id, chat.ConnectionId, connections, label);
    }
}
