using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CharacterHub.FakeLlm;

/// <summary>
/// An OpenAI-compatible HTTP server on 127.0.0.1 (random port) for tests and benchmarks: the real OpenAI SDK talks to
/// it over real sockets. Endpoints: <c>GET /v1/models</c>, <c>POST /v1/chat/completions</c> (JSON or SSE when
/// <c>stream: true</c>), <c>POST /v1/audio/speech</c>.
/// <para>
/// Each chat request takes the next behaviour from <see cref="Enqueue"/>'s queue, or else asks the script set by
/// <see cref="Script(FakeLlmBehavior)"/>. Everything is safe to use from concurrent requests and tests, and no
/// request blocks a thread, so hundreds of slow streams can run at once.
/// </para>
/// <para>
/// Streaming format: one <c>chat.completion.chunk</c> per token (the first carries <c>role: "assistant"</c>), then a
/// chunk with an empty delta and the finish reason, which also carries <c>usage</c> when the request asked for
/// <c>stream_options.include_usage</c>, then <c>data: [DONE]</c>.
/// </para>
/// <para>
/// Speech: <c>response_format</c> "wav" (also the default here, unlike OpenAI whose default is mp3) returns a 24 kHz
/// 16-bit mono WAV with a quiet 440 Hz tone, about 40 ms per input character (0.1 s to 2 s); "pcm" returns the same
/// samples without the header; "mp3" returns silent MPEG-1 Layer III frames (valid frame headers, <c>audio/mpeg</c>).
/// Other formats get a 400.
/// </para>
/// </summary>
public sealed partial class FakeLlmServer : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly byte[] DataPrefix = "data: "u8.ToArray();
    private static readonly byte[] EventEnd = "\n\n"u8.ToArray();
    private static readonly TimeSpan DropGrace = TimeSpan.FromMilliseconds(200);

    private readonly WebApplication app;
    private readonly CancellationTokenSource stopping = new();
    private readonly ConcurrentQueue<FakeLlmBehavior> queue = new();
    private readonly ConcurrentQueue<RecordedRequest> requests = new();
    private readonly ConcurrentQueue<double> answerTimes = new();
    private static readonly object ArrivedKey = new();
    private Func<RecordedRequest, FakeLlmBehavior> script = _ => new FakeLlmBehavior();
    private volatile string? apiKey;
    private volatile IReadOnlyList<string> models = ["fake-model", "fake-model-large"];
    private int activeStreams;
    private int peakStreams;
    private int completionCounter;
    private int disposed;

    private readonly StrongBox<int> connections;

    private FakeLlmServer(WebApplication app, StrongBox<int> connections)
    {
        this.app = app;
        this.connections = connections;
    }

    /// <summary>TCP connections accepted so far.</summary>
    public int ConnectionCount => Volatile.Read(ref connections.Value);

    /// <summary>The server root, e.g. <c>http://127.0.0.1:41234</c> (no trailing slash, no <c>/v1</c>).</summary>
    public string BaseUrl { get; private set; } = "";

    public Uri BaseAddress => new(BaseUrl + "/");

    public int Port => BaseAddress.Port;

    /// <summary>When set, every request must carry <c>Authorization: Bearer {ApiKey}</c> or gets an OpenAI-style 401.</summary>
    public string? ApiKey
    {
        get => apiKey;
        set => apiKey = value;
    }

    /// <summary>Model ids listed by <c>GET /v1/models</c>.</summary>
    public IReadOnlyList<string> Models
    {
        get => models;
        set => models = value.ToArray();
    }

    /// <summary>Every request received so far, in arrival order.</summary>
    public IReadOnlyList<RecordedRequest> Requests => requests.ToArray();

    public IReadOnlyList<RecordedRequest> ChatRequests => requests.Where(r => r.Path == "/v1/chat/completions").ToArray();

    /// <summary>Chat completions being answered right now.</summary>
    public int ActiveRequests => Volatile.Read(ref activeStreams);

    /// <summary>The most chat completions that were being answered at the same time.</summary>
    public int PeakConcurrentRequests => Volatile.Read(ref peakStreams);

    public static async Task<FakeLlmServer> StartAsync(string? apiKey = null, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(FakeLlmServer).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        // The test host's bin folder holds the web app's appsettings (AllowedHosts, URLs); none of it applies here,
        // and host filtering would turn away the made-up host names the SSRF tests resolve to loopback.
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["AllowedHosts"] = "*" });
        builder.Logging.ClearProviders();
        var connections = new StrongBox<int>();
        builder.WebHost.ConfigureKestrel(k =>
        {
            // Counted at the TCP level, so a test can prove a refused endpoint was never even connected to.
            k.Listen(IPAddress.Loopback, 0, listen => listen.Use(next => connection =>
            {
                Interlocked.Increment(ref connections.Value);
                return next(connection);
            }));
            // Benchmarks open many slow streams from one client; Kestrel must not shed them.
            k.Limits.MaxConcurrentConnections = null;
            k.Limits.MaxConcurrentUpgradedConnections = null;
            k.Limits.MinResponseDataRate = null;
        });

        var app = builder.Build();
        var server = new FakeLlmServer(app, connections) { apiKey = apiKey };
        app.Use(server.RecordAndAuthorizeAsync);
        app.MapGet("/v1/models", server.ListModelsAsync);
        app.MapPost("/v1/chat/completions", server.ChatCompletionsAsync);
        app.MapPost("/v1/audio/speech", server.SpeechAsync);

        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>()
            .Addresses.First();
        server.BaseUrl = address.TrimEnd('/');
        return server;
    }

    /// <summary>The behaviour for every chat request that finds the queue empty.</summary>
    public void Script(FakeLlmBehavior behavior) => Volatile.Write(ref script, _ => behavior);

    /// <summary>Chooses the behaviour from the request itself (body, headers), for tests that mix requests.</summary>
    public void Script(Func<RecordedRequest, FakeLlmBehavior> chooser) => Volatile.Write(ref script, chooser);

    /// <summary>Behaviours used once each, in order, by the next chat requests; then the script applies again.</summary>
    public void Enqueue(params FakeLlmBehavior[] behaviors)
    {
        foreach (var b in behaviors) queue.Enqueue(b);
    }

    public void ClearRequests() => requests.Clear();

    /// <summary>When set, each chat completion's own time is kept for <see cref="TakeAnswerTimes"/>.</summary>
    public bool RecordAnswerTimes { get; set; }

    /// <summary>
    /// The model's own time per chat completion since the last call, in completion order, in milliseconds: from the
    /// moment the server has the request's headers (its body is read and parsed inside this time, as any upstream
    /// must) until the last byte of the answer has been handed to the socket, as a server would report it in a
    /// Server-Timing header. A benchmark subtracts it to get what the client alone costs.
    /// </summary>
    public IReadOnlyList<double> TakeAnswerTimes()
    {
        var times = new List<double>();
        while (answerTimes.TryDequeue(out var t)) times.Add(t);
        return times;
    }

    public async ValueTask DisposeAsync()
    {
        // Tests dispose explicitly inside an await-using scope; the second call must be harmless.
        if (Interlocked.Exchange(ref disposed, 1) == 1) return;
        // Stalled streams wait on this token; without it StopAsync would wait for them until its timeout.
        await stopping.CancelAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await app.StopAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
        }
        await app.DisposeAsync();
        stopping.Dispose();
    }

    private async Task RecordAndAuthorizeAsync(HttpContext context, RequestDelegate next)
    {
        context.Items[ArrivedKey] = Stopwatch.GetTimestamp();
        var request = context.Request;
        JsonElement? body = null;
        if (request.ContentLength is > 0 || request.Headers.TransferEncoding.Count > 0)
        {
            if (request.ContentType?.Contains("json", StringComparison.OrdinalIgnoreCase) == true)
            {
                try
                {
                    using var doc = await JsonDocument.ParseAsync(request.Body, cancellationToken: context.RequestAborted);
                    body = doc.RootElement.Clone();
                }
                catch (JsonException)
                {
                    await WriteErrorAsync(context, 400, "We could not parse the JSON body of your request.", "invalid_request_error", null);
                    return;
                }
            }
        }

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in request.Headers)
        {
            headers[name] = name.Equals("Authorization", StringComparison.OrdinalIgnoreCase)
                ? RecordedRequest.RedactedAuthorization
                : values.ToString();
        }
        var recorded = new RecordedRequest(request.Method, request.Path.Value ?? "", headers, body, DateTimeOffset.UtcNow);
        requests.Enqueue(recorded);
        context.Items[typeof(RecordedRequest)] = recorded;

        var key = apiKey;
        if (!string.IsNullOrEmpty(key) && request.Headers.Authorization.ToString() != "Bearer " + key)
        {
            await WriteErrorAsync(context, 401, "Incorrect API key provided. You can find your API key in your account settings.",
                "invalid_request_error", "invalid_api_key");
            return;
        }
        await next(context);
    }

    private Task ListModelsAsync(HttpContext context)
    {
        var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var payload = new
        {
            @object = "list",
            data = models.Select(id => new { id, @object = "model", created, owned_by = "characterhub-fake" }),
        };
        return WriteJsonAsync(context, 200, payload);
    }

    private async Task ChatCompletionsAsync(HttpContext context)
    {
        var recorded = (RecordedRequest)context.Items[typeof(RecordedRequest)]!;
        if (recorded.Body is not { ValueKind: JsonValueKind.Object } body || !body.TryGetProperty("messages", out var messages)
            || messages.ValueKind != JsonValueKind.Array)
        {
            await WriteErrorAsync(context, 400, "'messages' is a required property.", "invalid_request_error", null);
            return;
        }

        var behavior = queue.TryDequeue(out var next) ? next : Volatile.Read(ref script)(recorded);
        var now = Interlocked.Increment(ref activeStreams);
        UpdatePeak(now);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping.Token);
        var started = (long)context.Items[ArrivedKey]!;
        try
        {
            await AnswerAsync(context, body, messages, behavior, cts.Token);
            if (RecordAnswerTimes)
            {
                // The answer's end (the chunked body's terminator) is the model's last byte.
                await context.Response.CompleteAsync();
                answerTimes.Enqueue(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            // The client left or the server is stopping: drop the connection rather than finish a reply nobody reads.
            context.Abort();
        }
        finally
        {
            Interlocked.Decrement(ref activeStreams);
        }
    }

    private async Task AnswerAsync(HttpContext context, JsonElement body, JsonElement messages, FakeLlmBehavior behavior,
        CancellationToken ct)
    {
        if (behavior.HeaderDelay > TimeSpan.Zero) await Task.Delay(behavior.HeaderDelay, ct);

        if (behavior.RedirectLocation is { } location)
        {
            context.Response.StatusCode = behavior.ErrorStatus ?? 307;
            context.Response.Headers.Location = location;
            return;
        }
        if (behavior.ErrorStatus is { } status)
        {
            await WriteErrorAsync(context, status, behavior.ErrorMessage, behavior.ErrorType ?? FakeLlmBehavior.DefaultErrorType(status),
                null);
            return;
        }

        var model = body.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : "fake-model";
        var tokens = behavior.Tokens ?? Tokenize(behavior.Echo ? "Echo: " + LastUserText(messages) : behavior.Text);
        var id = "chatcmpl-fake-" + Interlocked.Increment(ref completionCounter).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var usage = new { prompt_tokens = CountPromptTokens(messages), completion_tokens = tokens.Count, total_tokens = 0 };
        usage = usage with { total_tokens = usage.prompt_tokens + usage.completion_tokens };

        var stream = body.TryGetProperty("stream", out var s) && s.ValueKind == JsonValueKind.True;
        if (!stream)
        {
            await AnswerWholeAsync(context, behavior, model, tokens, id, created, usage, ct);
            return;
        }

        var includeUsage = body.TryGetProperty("stream_options", out var so) && so.ValueKind == JsonValueKind.Object
            && so.TryGetProperty("include_usage", out var iu) && iu.ValueKind == JsonValueKind.True;

        var response = context.Response;
        response.StatusCode = 200;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        await response.StartAsync(ct);
        await response.Body.FlushAsync(ct);

        if (behavior.FirstTokenDelay > TimeSpan.Zero) await Task.Delay(behavior.FirstTokenDelay, ct);

        var interval = behavior.TokensPerSecond > 0 ? TimeSpan.FromSeconds(1 / behavior.TokensPerSecond) : TimeSpan.Zero;
        var clock = Stopwatch.StartNew();
        for (var i = 0; i <= tokens.Count; i++)
        {
            if (behavior.Fault != FakeLlmFault.None && i == behavior.FaultAfterTokens)
            {
                switch (behavior.Fault)
                {
                    case FakeLlmFault.Stall:
                        await Task.Delay(behavior.StallDuration ?? Timeout.InfiniteTimeSpan, ct);
                        clock.Restart();
                        interval = TimeSpan.Zero;
                        break;
                    case FakeLlmFault.MalformedChunk:
                        await WriteRawEventAsync(response, "{\"id\":\"" + id + "\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":", ct);
                        await WriteRawEventAsync(response, "[DONE]", ct);
                        return;
                    case FakeLlmFault.DropConnection:
                        // Abort resets the socket, and a reset can discard bytes the client has not read yet; the
                        // pause lets the tokens already sent arrive, as they would before a real mid-stream drop.
                        await Task.Delay(DropGrace, ct);
                        context.Abort();
                        return;
                }
            }
            if (i == tokens.Count) break;

            if (interval > TimeSpan.Zero)
            {
                // Scheduled against the start, not the previous token, so the rate does not drift under load.
                var due = interval * i - clock.Elapsed;
                if (due > TimeSpan.Zero) await Task.Delay(due, ct);
            }
            object delta = i == 0 ? new { role = "assistant", content = tokens[i] } : new { content = tokens[i] };
            await WriteEventAsync(response, Chunk(id, created, model, delta, null), ct);
        }

        var final = new Dictionary<string, object?>
        {
            ["id"] = id,
            ["object"] = "chat.completion.chunk",
            ["created"] = created,
            ["model"] = model,
            ["choices"] = new[] { new { index = 0, delta = new { }, finish_reason = behavior.FinishReason } },
        };
        if (includeUsage) final["usage"] = usage;
        await WriteEventAsync(response, final, ct);
        await WriteRawEventAsync(response, "[DONE]", ct);
    }

    private static async Task AnswerWholeAsync(HttpContext context, FakeLlmBehavior behavior, string model,
        IReadOnlyList<string> tokens, string id, long created, object usage, CancellationToken ct)
    {
        var delay = behavior.FirstTokenDelay;
        if (behavior.TokensPerSecond > 0) delay += TimeSpan.FromSeconds(tokens.Count / behavior.TokensPerSecond);
        if (delay > TimeSpan.Zero) await Task.Delay(delay, ct);

        switch (behavior.Fault)
        {
            case FakeLlmFault.Stall:
                await Task.Delay(behavior.StallDuration ?? Timeout.InfiniteTimeSpan, ct);
                break;
            case FakeLlmFault.MalformedChunk:
                context.Response.StatusCode = 200;
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync("{\"id\":\"" + id + "\",\"choices\":[{\"message\":", ct);
                return;
            case FakeLlmFault.DropConnection:
                context.Abort();
                return;
        }

        var payload = new
        {
            id,
            @object = "chat.completion",
            created,
            model,
            choices = new[]
            {
                new { index = 0, message = new { role = "assistant", content = string.Concat(tokens) }, finish_reason = behavior.FinishReason },
            },
            usage,
        };
        await WriteJsonAsync(context, 200, payload);
    }

    private async Task SpeechAsync(HttpContext context)
    {
        var recorded = (RecordedRequest)context.Items[typeof(RecordedRequest)]!;
        if (recorded.Body is not { ValueKind: JsonValueKind.Object } body || !body.TryGetProperty("input", out var inputElement)
            || inputElement.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(inputElement.GetString()))
        {
            await WriteErrorAsync(context, 400, "'input' is a required non-empty string.", "invalid_request_error", null);
            return;
        }
        var format = body.TryGetProperty("response_format", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString()! : "wav";
        var seconds = Math.Clamp(inputElement.GetString()!.Length * 0.04, 0.1, 2.0);
        var (bytes, contentType) = format switch
        {
            "wav" => (FakeAudio.Wav(seconds), "audio/wav"),
            "pcm" => (FakeAudio.Pcm(seconds), "audio/pcm"),
            "mp3" => (FakeAudio.Mp3(seconds), "audio/mpeg"),
            _ => (null, ""),
        };
        if (bytes is null)
        {
            await WriteErrorAsync(context, 400, $"The fake server does not produce '{format}' audio; use wav, pcm or mp3.",
                "invalid_request_error", null);
            return;
        }
        context.Response.StatusCode = 200;
        context.Response.ContentType = contentType;
        context.Response.ContentLength = bytes.Length;
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
    }

    private void UpdatePeak(int now)
    {
        var peak = Volatile.Read(ref peakStreams);
        while (now > peak)
        {
            var seen = Interlocked.CompareExchange(ref peakStreams, now, peak);
            if (seen == peak) return;
            peak = seen;
        }
    }

    private static object Chunk(string id, long created, string model, object delta, string? finishReason) => new
    {
        id,
        @object = "chat.completion.chunk",
        created,
        model,
        choices = new[] { new { index = 0, delta, finish_reason = finishReason } },
    };

    private static async Task WriteEventAsync(HttpResponse response, object payload, CancellationToken ct)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(payload, Json);
        var frame = new byte[DataPrefix.Length + json.Length + EventEnd.Length];
        DataPrefix.CopyTo(frame, 0);
        json.CopyTo(frame, DataPrefix.Length);
        EventEnd.CopyTo(frame, DataPrefix.Length + json.Length);
        await response.Body.WriteAsync(frame, ct);
        await response.Body.FlushAsync(ct);
    }

    private static async Task WriteRawEventAsync(HttpResponse response, string data, CancellationToken ct)
    {
        await response.Body.WriteAsync(Encoding.UTF8.GetBytes("data: " + data + "\n\n"), ct);
        await response.Body.FlushAsync(ct);
    }

    private static Task WriteJsonAsync(HttpContext context, int status, object payload)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return context.Response.Body.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(payload, Json), context.RequestAborted).AsTask();
    }

    private static Task WriteErrorAsync(HttpContext context, int status, string message, string type, string? code) =>
        WriteJsonAsync(context, status, new { error = new { message, type, param = (string?)null, code } });

    /// <summary>Word-level tokens that keep their leading whitespace, so concatenating them gives back the text.</summary>
    public static IReadOnlyList<string> Tokenize(string text) =>
        TokenPattern().Matches(text).Select(x => x.Value).ToArray() is { Length: > 0 } t ? t : [text];

    private static string LastUserText(JsonElement messages)
    {
        for (var i = messages.GetArrayLength() - 1; i >= 0; i--)
        {
            var message = messages[i];
            if (message.TryGetProperty("role", out var role) && role.GetString() == "user" && message.TryGetProperty("content", out var content))
            {
                return ContentText(content);
            }
        }
        return "";
    }

    private static string ContentText(JsonElement content) => content.ValueKind switch
    {
        JsonValueKind.String => content.GetString() ?? "",
        // Content parts: the SDK sends [{ "type": "text", "text": "..." }] for multi-part messages.
        JsonValueKind.Array => string.Concat(content.EnumerateArray()
            .Where(p => p.TryGetProperty("text", out _))
            .Select(p => p.GetProperty("text").GetString())),
        _ => "",
    };

    private static int CountPromptTokens(JsonElement messages) =>
        messages.EnumerateArray().Sum(m => m.TryGetProperty("content", out var c) ? Tokenize(ContentText(c)).Count + 4 : 4);

    [GeneratedRegex(@"\s*\S+|\s+", RegexOptions.CultureInvariant)]
    private static partial Regex TokenPattern();
}
