using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CharacterHub.Modules.Interaction.Chats;
using CharacterHub.Tests.Support;
using Dapper;
using Mediator;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace CharacterHub.Benchmarks;

/// <summary>
/// Issue 5's streaming figures, through the real host over HTTP with the fake model in its own process:
/// (1) time to first token the site adds over the upstream's own, for the interact API's SSE and for the chat page's
/// send-then-stream, and (2) 500 chats streaming at once from an upstream that writes 20 tokens a second each:
/// errors (anything but a complete reply with every token, in order) and the benchmark process's peak resident memory
/// (site and its 500 clients together, so an upper bound for the site alone).
/// </summary>
internal sealed class ChatStreamsBench : IBenchmark
{
    private const int DefaultStreams = 500;
    private const int ReplyTokens = 100;
    private const double TokensPerSecond = 20;
    private const int FirstTokenMs = 150;
    private const int TtftSamples = 40;
    private static readonly TimeSpan WarmupLimit = TimeSpan.FromSeconds(120);
    // Fewer methods than this compiled over the last 3 s of warm-up: the JIT has settled.
    private const int JitSettled = 30;

    public string Name => "chat-streams";
    public string Description => "500 concurrent streaming chats (fake upstream, 20 tokens/s each) and time to first token added";

    public async Task<IReadOnlyList<Measurement>> RunAsync(BenchContext context)
    {
        var cs = context.RequireDatabase();
        var streams = context.Args.Count > 0 ? int.Parse(context.Args[0], System.Globalization.CultureInfo.InvariantCulture) : DefaultStreams;
        var reply = string.Join(' ', Enumerable.Range(0, ReplyTokens).Select(i => $"word{i}"));
        await using var model = await ExternalFakeLlm.StartAsync(reply, TokensPerSecond, FirstTokenMs);
        await using var app = await BenchHost.StartAsync(cs, model.BaseUrl);

        var username = $"bench_streams_{DateTime.UtcNow:yyyyMMddHHmmss}";
        using var web = app.CreateClient();
        await web.RegisterAsync(username, "bench password 123");
        await web.LoginAsync(username, "bench password 123");
        var token = await web.CreateTokenAsync(username, "bench password 123", "bench");
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue, PooledConnectionLifetime = TimeSpan.FromMinutes(10) };
        using var api = new HttpClient(handler) { BaseAddress = app.BaseAddress, Timeout = TimeSpan.FromMinutes(5) };
        api.DefaultRequestHeaders.Authorization = new("Bearer", token);
        var created = await api.PostAsJsonAsync("/api/characters", new
        {
            name = "Mira", description = "A lighthouse keeper who talks to ships.", personality = new { summary = "calm, dry humour" },
            scenario = "A stormy night at the lighthouse.", first_message = "The lamp is lit, {{user}}.",
        });
        if (!created.IsSuccessStatusCode) throw new InvalidOperationException("creating the character failed: " + await created.Content.ReadAsStringAsync());
        var characterId = (await created.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<long>();
        long userId;
        await using (var c = new NpgsqlConnection(cs))
            userId = await c.ExecuteScalarAsync<long>("select id from accounts.users where username = @username", new { username });

        async Task<long> NewChat()
        {
            using var scope = app.Services.CreateScope();
            return (await scope.ServiceProvider.GetRequiredService<IMediator>().Send(new CreateChat(userId, characterId, username)))!.Value;
        }

        // ---- time to first token: the upstream's own, then through the site ----
        using var direct = new HttpClient { BaseAddress = new Uri(model.BaseUrl) };
        async Task<double> UpstreamTtft()
        {
            var body = JsonSerializer.Serialize(new { model = "bench-model", stream = true, messages = new[] { new { role = "user", content = "Hello there." } } });
            var start = Stopwatch.GetTimestamp();
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            using var response = await direct.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            var first = await FirstDataAsync(response, "\"content\":\"word", start);
            return first;
        }
        async Task<double> ApiTtft(long chatId)
        {
            var start = Stopwatch.GetTimestamp();
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/characters/{characterId}/interact")
            {
                Content = JsonContent.Create(new { message = "How is the sea tonight?", conversation_id = chatId }),
            };
            request.Headers.Accept.ParseAdd("text/event-stream");
            using var response = await api.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            return await FirstDataAsync(response, "event: token", start);
        }
        string? antiforgery = null;
        async Task<double> PageTtft(long chatId)
        {
            antiforgery ??= TestClient.AntiforgeryToken((await web.GetPageAsync($"/chats/{chatId}")).Body);
            var start = Stopwatch.GetTimestamp();
            using var send = new HttpRequestMessage(HttpMethod.Post, $"/chats/{chatId}?handler=Send")
            {
                Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = antiforgery!, ["text"] = "How is the sea tonight?" }),
            };
            send.Headers.Add("HX-Request", "true");
            using var sent = await web.Http.SendAsync(send);
            var html = await sent.Content.ReadAsStringAsync();
            var replyId = TestClient.Parse(html).QuerySelector("article.chat-message.assistant[data-status=pending]")?.GetAttribute("data-message-id")
                ?? throw new InvalidOperationException("no pending reply in the send fragment: " + html[..Math.Min(300, html.Length)]);
            using var stream = new HttpRequestMessage(HttpMethod.Get, $"/chats/{chatId}/messages/{replyId}/stream");
            stream.Headers.Accept.ParseAdd("text/event-stream");
            using var response = await web.Http.SendAsync(stream, HttpCompletionOption.ResponseHeadersRead);
            return await FirstDataAsync(response, "event: token", start);
        }

        var ttftChat = await NewChat();
        var pageChat = await NewChat();
        // Warm-up until the JIT settles: a site that has been serving for a while runs its optimised code, and turns
        // measured while the runtime is still compiling pay for it on these 2 cores (see chat-turn). Eight chats of each
        // kind at once, so the couple of thousand requests this takes fit in well under a minute.
        var warmChats = new long[16];
        for (var i = 0; i < warmChats.Length; i++) warmChats[i] = await NewChat();
        var warmClock = Stopwatch.StartNew();
        var warmRequests = 0;
        var lastCompiled = System.Runtime.JitInfo.GetCompiledMethodCount();
        var lastCheck = TimeSpan.Zero;
        while (warmClock.Elapsed < WarmupLimit)
        {
            await Task.WhenAll(warmChats.Select((chat, i) => i < 8 ? ApiTtft(chat) : PageTtft(chat)));
            warmRequests += warmChats.Length;
            if (warmClock.Elapsed - lastCheck < TimeSpan.FromSeconds(3)) continue;
            var compiled = System.Runtime.JitInfo.GetCompiledMethodCount();
            if (warmClock.Elapsed > TimeSpan.FromSeconds(10) && compiled - lastCompiled < JitSettled) break;
            (lastCompiled, lastCheck) = (compiled, warmClock.Elapsed);
        }
        for (var i = 0; i < 10; i++) { await UpstreamTtft(); await ApiTtft(ttftChat); await PageTtft(pageChat); }
        List<double> upstream = [], viaApi = [], viaPage = [];
        for (var i = 0; i < TtftSamples; i++)
        {
            upstream.Add(await UpstreamTtft());
            viaApi.Add(await ApiTtft(ttftChat));
            viaPage.Add(await PageTtft(pageChat));
        }
        upstream.Sort(); viaApi.Sort(); viaPage.Sort();
        var up50 = Stats.Percentile(upstream, 50);
        var apiAdded = Stats.Percentile(viaApi, 50) - up50;
        var pageAdded = Stats.Percentile(viaPage, 50) - up50;

        // ---- 500 at once ----
        // Opened now: while the site's pool is full of streams there may be no connection slot left for the benchmark.
        await using var counting = new NpgsqlConnection(cs);
        await counting.OpenAsync();
        var chats = new long[streams];
        for (var i = 0; i < streams; i++) chats[i] = await NewChat();
        using var process = Process.GetCurrentProcess();
        long peakRss = 0;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                process.Refresh();
                peakRss = Math.Max(peakRss, process.WorkingSet64);
                try { await Task.Delay(100, sampling.Token); } catch (OperationCanceledException) { }
            }
        });
        GC.Collect();
        process.Refresh();
        var rssBefore = process.WorkingSet64;
        var cpuBefore = process.TotalProcessorTime;
        var errors = new List<string>();
        var durations = new double[streams];
        var expectedTokens = ReplyTokens;
        var wall = Stopwatch.StartNew();
        await Task.WhenAll(chats.Select((chatId, i) => Task.Run(async () =>
        {
            var start = Stopwatch.GetTimestamp();
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/characters/{characterId}/interact")
                {
                    Content = JsonContent.Create(new { message = $"Stream {i}: tell me about the ships.", conversation_id = chatId }),
                };
                request.Headers.Accept.ParseAdd("text/event-stream");
                using var response = await api.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
                if (!response.IsSuccessStatusCode)
                {
                    lock (errors) errors.Add($"stream {i}: HTTP {(int)response.StatusCode}");
                    return;
                }
                var (tokens, done) = await ReadAllAsync(response);
                var text = string.Concat(tokens);
                if (tokens.Count != expectedTokens || text.Trim() != reply || done?["status"]?.GetValue<string>() != SwipeStatus.Complete)
                    lock (errors) errors.Add($"stream {i}: {tokens.Count} tokens, status {done?["status"]}, detail {done?["detail"]}");
            }
            catch (Exception ex)
            {
                lock (errors) errors.Add($"stream {i}: {ex.GetType().Name}: {ex.Message}");
            }
            finally
            {
                durations[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }
        })));
        wall.Stop();
        var cpu = (process.TotalProcessorTime - cpuBefore).TotalSeconds;
        await sampling.CancelAsync();
        await sampler;
        var saved = await counting.ExecuteScalarAsync<int>("""
                select count(*) from interaction.message_swipes s join interaction.messages m on m.id = s.message_id
                where m.chat_id = any(@chats) and s.kind = 'reply' and s.status = 'complete' and length(s.content) > 0
                """, new { chats });
        foreach (var e in errors.Take(10)) Console.WriteLine("   error: " + e);
        Array.Sort(durations);
        var ideal = FirstTokenMs + (ReplyTokens / TokensPerSecond * 1000);
        return
        [
            new($"upstream's own time to first token p50 (fake, {FirstTokenMs} ms delay)", up50, "ms"),
            new("warm-up before the time-to-first-token samples (until the JIT settled)", warmRequests, "requests"),
            new("  warm-up wall time", warmClock.Elapsed.TotalSeconds, "s"),
            new("interact API (SSE): time to first token p50", Stats.Percentile(viaApi, 50), "ms"),
            new("interact API (SSE): time to first token p95", Stats.Percentile(viaApi, 95), "ms"),
            new("interact API: time to first token added over the upstream (p50)", apiAdded, "ms", "≤ 10 ms", apiAdded <= 10),
            new("chat page (send, then stream): time to first token p50", Stats.Percentile(viaPage, 50), "ms"),
            new("chat page (send, then stream): time to first token p95", Stats.Percentile(viaPage, 95), "ms"),
            new("chat page: time to first token added over the upstream (p50)", pageAdded, "ms", "≤ 10 ms", pageAdded <= 10),
            new($"{streams} concurrent streams: errors", errors.Count, "", "0", errors.Count == 0),
            new($"{streams} concurrent streams: complete replies saved", saved, ""),
            new($"{streams} concurrent streams: peak RSS (site + its {streams} clients, one process)", peakRss / 1048576.0, "MiB", "≤ 1024 MiB", peakRss <= 1024L * 1048576),
            new("  RSS before the streams", rssBefore / 1048576.0, "MiB"),
            new($"  one stream start to end p50 (ideal {ideal:0} ms)", Stats.Percentile(durations, 50), "ms"),
            new("  one stream start to end p95", Stats.Percentile(durations, 95), "ms"),
            new("  all streams, wall time", wall.Elapsed.TotalMilliseconds, "ms"),
            new("  process CPU during the streams (site + clients)", cpu, "s"),
        ];
    }

    /// <summary>Milliseconds from <paramref name="start"/> until a line containing <paramref name="marker"/> arrives.
    /// The reader then leaves (the caller disposes the response), as a closed tab would: the site saves what it had.</summary>
    private static async Task<double> FirstDataAsync(HttpResponseMessage response, string marker, long start)
    {
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"HTTP {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        await using var stream = await response.Content.ReadAsStreamAsync();
        using var reader = new StreamReader(stream);
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.Contains(marker, StringComparison.Ordinal)) return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        throw new InvalidOperationException("the stream ended without a token");
    }

    private static async Task<(List<string> Tokens, JsonNode? Done)> ReadAllAsync(HttpResponseMessage response)
    {
        await using var stream = await response.Content.ReadAsStreamAsync();
        using var reader = new StreamReader(stream);
        var tokens = new List<string>();
        JsonNode? done = null;
        string? name = null;
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal)) name = line[7..];
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                var data = JsonNode.Parse(line[6..]);
                if (name == "token") tokens.Add(data!["text"]!.GetValue<string>());
                else if (name == "done") done = data;
            }
        }
        return (tokens, done);
    }
}
