using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CharacterHub.Modules.Interaction.Chats;
using CharacterHub.Tests.Support;
using Dapper;
using Mediator;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace CharacterHub.Benchmarks;

/// <summary>
/// Issue 5's "a 10,000-message chat opens (latest page rendered) in ≤ 200 ms; older messages load on scroll": the
/// chat page and the "load older" fragment of a 10,000-message chat (every reply with three swipes, some edited, some
/// deleted), requested over loopback HTTP from the real host, so the figure includes auth, the queries, Markdown and
/// role-play rendering and the network stack.
/// </summary>
internal sealed class ChatOpenBench : IBenchmark
{
    private const int Messages = 10_000;
    private const int Iterations = 200;

    public string Name => "chat-open";
    public string Description => "a 10,000-message chat: latest page and older pages (real host, HTTP)";

    public async Task<IReadOnlyList<Measurement>> RunAsync(BenchContext context)
    {
        var cs = context.RequireDatabase();
        await using var app = await BenchHost.StartAsync(cs);
        var username = $"bench_open_{DateTime.UtcNow:yyyyMMddHHmmss}";
        using var web = app.CreateClient();
        await web.RegisterAsync(username, "bench password 123");
        var token = await web.CreateTokenAsync(username, "bench password 123", "bench");
        using var api = new HttpClient { BaseAddress = app.BaseAddress };
        api.DefaultRequestHeaders.Authorization = new("Bearer", token);
        var created = await api.PostAsJsonAsync("/api/characters", new
        {
            name = "Orin", description = "A cartographer of impossible places.", first_message = "Maps are promises, {{user}}.",
        });
        if (!created.IsSuccessStatusCode) throw new InvalidOperationException(await created.Content.ReadAsStringAsync());
        var characterId = (await created.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<long>();
        await using var connection = new NpgsqlConnection(cs);
        var userId = await connection.ExecuteScalarAsync<long>("select id from accounts.users where username = @username", new { username });
        long chatId;
        using (var scope = app.Services.CreateScope())
            chatId = (await scope.ServiceProvider.GetRequiredService<IMediator>().Send(new CreateChat(userId, characterId, username)))!.Value;
        var seed = Stopwatch.StartNew();
        await SeedAsync(connection, chatId);
        seed.Stop();

        async Task Open(int _)
        {
            var (response, html) = await web.GetPageAsync($"/chats/{chatId}");
            if (response.StatusCode != HttpStatusCode.OK || !html.Contains("Load older messages", StringComparison.Ordinal))
                throw new InvalidOperationException($"the chat page answered {(int)response.StatusCode}");
        }
        // Older pages from random points of the chat, as a reader scrolling back would ask for them.
        var ids = (await connection.QueryAsync<long>("select id from interaction.messages where chat_id = @chatId order by id", new { chatId })).ToArray();
        var random = new Random(7);
        async Task Older(int _)
        {
            var before = ids[random.Next(100, ids.Length)];
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/chats/{chatId}?handler=Older&before={before}");
            request.Headers.Add("HX-Request", "true");
            using var response = await web.Http.SendAsync(request);
            var html = await response.Content.ReadAsStringAsync();
            if (response.StatusCode != HttpStatusCode.OK || !html.Contains("chat-message", StringComparison.Ordinal))
                throw new InvalidOperationException($"the older page answered {(int)response.StatusCode}");
        }
        for (var i = 0; i < 30; i++) { await Open(i); await Older(i); }
        var open = await Stats.TimeAsync(Iterations, Open);
        var older = await Stats.TimeAsync(Iterations, Older);
        var (_, page) = await web.GetPageAsync($"/chats/{chatId}");
        var shown = TestClient.Parse(page).QuerySelectorAll("article.chat-message").Length;
        return
        [
            new($"seeding {Messages:N0} messages (3 swipes per reply)", seed.Elapsed.TotalMilliseconds, "ms"),
            new($"messages rendered on the opened page (page size {ChatStore.PageSize})", shown, ""),
            new("open the chat (latest page) p50", Stats.Percentile(open, 50), "ms"),
            new("open the chat (latest page) p95", Stats.Percentile(open, 95), "ms", "≤ 200 ms", Stats.Percentile(open, 95) <= 200),
            new("load older (htmx fragment, random point) p50", Stats.Percentile(older, 50), "ms"),
            new("load older (htmx fragment, random point) p95", Stats.Percentile(older, 95), "ms", "≤ 200 ms", Stats.Percentile(older, 95) <= 200),
        ];
    }

    private static async Task SeedAsync(NpgsqlConnection connection, long chatId)
    {
        await connection.OpenAsync();
        await using var tx = await connection.BeginTransactionAsync();
        await connection.ExecuteAsync("""
            insert into interaction.messages (chat_id, role, content, created_at)
            select @chatId, case when n % 2 = 0 then 'user' else 'assistant' end,
                   'Message ' || n || ': *she unrolls the map* "Here, past the **river**, is where the road forgets itself." ' || repeat('More words about the journey. ', 8),
                   now() - make_interval(mins => @count - n)
            from generate_series(1, @count) n order by n
            """, new { chatId, count = Messages }, tx);
        // Replies get three alternatives (the last one shown), user messages one.
        await connection.ExecuteAsync("""
            insert into interaction.message_swipes (message_id, content, status, kind, finished_at)
            select m.id, m.content || case when k > 1 then ' (alternative ' || k || ')' else '' end, 'complete',
                   case when m.role = 'user' then 'user' when k = 1 then 'reply' else 'regenerate' end, now()
            from interaction.messages m cross join generate_series(1, 3) k
            where m.chat_id = @chatId and m.chosen_swipe_id is null and (m.role = 'assistant' or k = 1)
            order by m.id, k
            """, new { chatId }, tx);
        await connection.ExecuteAsync("""
            update interaction.messages m set chosen_swipe_id = (select max(s.id) from interaction.message_swipes s where s.message_id = m.id)
            where m.chat_id = @chatId and m.chosen_swipe_id is null
            """, new { chatId }, tx);
        // Every 50th message edited, every 97th deleted.
        await connection.ExecuteAsync("""
            insert into interaction.message_revisions (swipe_id, content)
            select chosen_swipe_id, 'Edited: ' || content from interaction.messages where chat_id = @chatId and id % 50 = 0
            """, new { chatId }, tx);
        await connection.ExecuteAsync("""
            insert into interaction.message_tombstones (message_id)
            select id from interaction.messages where chat_id = @chatId and id % 97 = 0
            """, new { chatId }, tx);
        await tx.CommitAsync();
        await connection.ExecuteAsync("analyze interaction.messages; analyze interaction.message_swipes; analyze interaction.message_revisions");
    }
}
