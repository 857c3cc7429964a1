using Microsoft.Extensions.Configuration;

namespace CharacterHub.Modules.Interaction.Llm;

internal enum LlmRole
{
    System,
    User,
    Assistant,
}

/// <summary>Which JSON field carries the reply length limit.</summary>
internal enum LlmMaxTokensField
{
    /// <summary><c>max_tokens</c>: understood by llama.cpp, KoboldCpp, Ollama, LM Studio, vLLM, OpenRouter and OpenAI's non-reasoning models.</summary>
    MaxTokens,

    /// <summary><c>max_completion_tokens</c>: what OpenAI's reasoning models require; not every local server knows it.</summary>
    MaxCompletionTokens,
}

internal sealed record LlmMessage(LlmRole Role, string Content)
{
    public static LlmMessage System(string content) => new(LlmRole.System, content);

    public static LlmMessage User(string content) => new(LlmRole.User, content);

    public static LlmMessage Assistant(string content) => new(LlmRole.Assistant, content);
}

/// <summary>Sampling settings; a null field is left out of the request so the server's own default applies.</summary>
internal sealed record LlmSampling
{
    public double? Temperature { get; init; }
    public double? TopP { get; init; }
    public int? MaxTokens { get; init; }
    public double? FrequencyPenalty { get; init; }
    public double? PresencePenalty { get; init; }
    public IReadOnlyList<string>? Stop { get; init; }

    public static LlmSampling None { get; } = new();

    /// <summary>Fields set in <paramref name="overrides"/> win over this instance's.</summary>
    public LlmSampling With(LlmSampling? overrides) => overrides is null ? this : new LlmSampling
    {
        Temperature = overrides.Temperature ?? Temperature,
        TopP = overrides.TopP ?? TopP,
        MaxTokens = overrides.MaxTokens ?? MaxTokens,
        FrequencyPenalty = overrides.FrequencyPenalty ?? FrequencyPenalty,
        PresencePenalty = overrides.PresencePenalty ?? PresencePenalty,
        Stop = overrides.Stop ?? Stop,
    };
}

/// <summary>
/// One OpenAI-compatible endpoint and model. <see cref="BaseUrl"/> may be given with or without a trailing
/// <c>/v1</c> or <c>/</c>; <see cref="ApiKey"/> may be empty for local servers.
/// </summary>
internal sealed record LlmConnection(string BaseUrl, string ApiKey, string Model)
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(120);
    public static readonly TimeSpan DefaultStallTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The model's context window in tokens, for prompt budgeting.</summary>
    public int ContextSize { get; init; } = 8192;

    public LlmSampling DefaultSampling { get; init; } = LlmSampling.None;

    public LlmMaxTokensField MaxTokensField { get; init; } = LlmMaxTokensField.MaxTokens;

    /// <summary>Longest wait for the first token of a stream, or for a whole non-streamed answer.</summary>
    public TimeSpan Timeout { get; init; } = DefaultTimeout;

    /// <summary>Longest silence between two tokens once a stream has started.</summary>
    public TimeSpan StallTimeout { get; init; } = DefaultStallTimeout;

    /// <summary>
    /// Set only for the site's own connection read from configuration: the operator chose it, so it may point at a
    /// private address without passing <see cref="EndpointGuard"/>. Never set it for user-supplied connections.
    /// </summary>
    public bool Trusted { get; init; }

    /// <summary>The base URL without trailing slashes, <c>/v1</c> or a pasted <c>/chat/completions</c>.</summary>
    public string NormalizedBaseUrl => NormalizeBaseUrl(BaseUrl);

    public static string NormalizeBaseUrl(string baseUrl)
    {
        var url = baseUrl.Trim().TrimEnd('/');
        foreach (var suffix in (string[])["/chat/completions", "/completions", "/models"])
        {
            if (url.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)) url = url[..^suffix.Length].TrimEnd('/');
        }
        if (url.EndsWith("/v1", StringComparison.OrdinalIgnoreCase)) url = url[..^3];
        return url.TrimEnd('/');
    }

    /// <summary>
    /// The site default connection, section keys: BaseUrl, ApiKey, Model, ContextSize, TimeoutSeconds,
    /// StallTimeoutSeconds, MaxTokensField (MaxTokens or MaxCompletionTokens), Temperature, TopP, MaxTokens, FrequencyPenalty, PresencePenalty, Stop (array).
    /// Returns null when no BaseUrl is configured.
    /// </summary>
    public static LlmConnection? FromConfiguration(IConfigurationSection section)
    {
        var baseUrl = section["BaseUrl"];
        if (string.IsNullOrWhiteSpace(baseUrl)) return null;
        return new LlmConnection(baseUrl, section["ApiKey"] ?? "", section["Model"] ?? "default")
        {
            ContextSize = section.GetValue("ContextSize", 8192),
            Timeout = TimeSpan.FromSeconds(section.GetValue("TimeoutSeconds", DefaultTimeout.TotalSeconds)),
            StallTimeout = TimeSpan.FromSeconds(section.GetValue("StallTimeoutSeconds", DefaultStallTimeout.TotalSeconds)),
            MaxTokensField = section.GetValue("MaxTokensField", LlmMaxTokensField.MaxTokens),
            DefaultSampling = new LlmSampling
            {
                Temperature = section.GetValue<double?>("Temperature"),
                TopP = section.GetValue<double?>("TopP"),
                MaxTokens = section.GetValue<int?>("MaxTokens"),
                FrequencyPenalty = section.GetValue<double?>("FrequencyPenalty"),
                PresencePenalty = section.GetValue<double?>("PresencePenalty"),
                Stop = section.GetSection("Stop").Get<string[]>(),
            },
            Trusted = true,
        };
    }
}
