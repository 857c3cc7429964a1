using System.ClientModel;
using System.ClientModel.Primitives;
using System.Collections.Concurrent;
using OpenAI;
using OpenAI.Audio;
using OpenAI.Chat;
using OpenAI.Models;

namespace CharacterHub.Modules.Interaction.Llm;

/// <summary>
/// Hands out <see cref="LlmClient"/> and <see cref="TtsClient"/> for connections, and owns what is costly to build:
/// two HTTP stacks (guarded for user endpoints, plain for the trusted site connection) and one SDK client per
/// (endpoint, key, model, timeout). SDK clients are thread-safe, so one instance serves every chat. Register as a
/// singleton.
/// </summary>
internal sealed class LlmClientFactory : IDisposable
{
    private readonly HttpClient guardedHttp;
    private readonly HttpClient trustedHttp;
    private readonly HttpClientPipelineTransport guardedTransport;
    private readonly HttpClientPipelineTransport trustedTransport;
    private readonly ConcurrentDictionary<ClientKey, object> clients = new();

    public LlmClientFactory(EndpointGuard guard)
    {
        Guard = guard;
        // Timeouts are enforced per call by the SDK's NetworkTimeout and by LlmClient's stall/first-token timers.
        guardedHttp = new HttpClient(guard.CreateHandler()) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
        trustedHttp = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(2) })
        {
            Timeout = System.Threading.Timeout.InfiniteTimeSpan,
        };
        guardedTransport = new HttpClientPipelineTransport(guardedHttp);
        trustedTransport = new HttpClientPipelineTransport(trustedHttp);
    }

    public EndpointGuard Guard { get; }

    public LlmClient Create(LlmConnection connection) => new(connection, this);

    public TtsClient CreateTts(LlmConnection connection, string defaultVoice = "alloy") => new(connection, this, defaultVoice);

    internal ChatClient Chat(LlmConnection c) =>
        (ChatClient)clients.GetOrAdd(Key(c, "chat"), static (k, s) => new ChatClient(k.Model, s.Credential, s.Options), Settings(c));

    internal OpenAIModelClient Models(LlmConnection c) =>
        (OpenAIModelClient)clients.GetOrAdd(Key(c, "models"), static (_, s) => new OpenAIModelClient(s.Credential, s.Options), Settings(c));

    internal AudioClient Audio(LlmConnection c) =>
        (AudioClient)clients.GetOrAdd(Key(c, "audio"), static (k, s) => new AudioClient(k.Model, s.Credential, s.Options), Settings(c));

    public void Dispose()
    {
        guardedHttp.Dispose();
        trustedHttp.Dispose();
    }

    private static ClientKey Key(LlmConnection c, string kind) =>
        new(kind, c.NormalizedBaseUrl, c.ApiKey, c.Model, c.Timeout, c.StallTimeout, c.Trusted);

    private ClientSettings Settings(LlmConnection c) => new(
        // The SDK refuses an empty key; local servers ignore whatever is sent.
        new ApiKeyCredential(string.IsNullOrEmpty(c.ApiKey) ? "none" : c.ApiKey),
        new OpenAIClientOptions
        {
            Endpoint = new Uri(c.NormalizedBaseUrl + "/v1"),
            // LlmClient's own first-token, stall and call timers must fire first: they know which of those happened.
            // The SDK's timer stays as a backstop for anything they do not cover.
            NetworkTimeout = (c.Timeout > c.StallTimeout ? c.Timeout : c.StallTimeout) + TimeSpan.FromSeconds(5),
            // A retried stream would replay tokens the user already saw, and a 429 should reach the user now.
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            Transport = c.Trusted ? trustedTransport : guardedTransport,
        });

    private readonly record struct ClientKey(string Kind, string BaseUrl, string ApiKey, string Model, TimeSpan Timeout,
        TimeSpan StallTimeout, bool Trusted);

    private sealed record ClientSettings(ApiKeyCredential Credential, OpenAIClientOptions Options);
}
