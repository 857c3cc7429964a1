using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AngleSharp.Html.Dom;
using CharacterHub.Tests.Support;
using Dapper;
using Npgsql;

namespace CharacterHub.Tests.Integration.Chats;

internal sealed record SseEvent(string Name, string Data);

/// <summary>What the chat tests do over and over, done the way a browser (or an API client) does it.</summary>
internal static class ChatKit
{
    public static async Task<long> CreateCharacterAsync(TestClient client, string username, object body)
    {
        using var api = await ApiAsync(client, username);
        var response = await api.PostAsJsonAsync("/api/characters", body);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<long>();
    }

    public static async Task<HttpClient> ApiAsync(TestClient client, string username)
    {
        var token = await client.CreateTokenAsync(username);
        var api = new HttpClient { BaseAddress = client.Http.BaseAddress };
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return api;
    }

    public static async Task<long> StartChatAsync(TestClient client, long characterId)
    {
        var response = await client.PostFormAsync("/chats", new Dictionary<string, string>(), action: $"/chats/new?characterId={characterId}");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), await response.Content.ReadAsStringAsync());
        return long.Parse(response.Headers.Location!.ToString().Split('/').Last());
    }

    public static async Task<HttpResponseMessage> PostAsync(TestClient client, long chatId, string handler, long? messageId = null,
        IDictionary<string, string>? fields = null)
    {
        var action = $"/chats/{chatId}?handler={handler}" + (messageId is { } m ? $"&messageId={m}" : "");
        return await client.PostFormAsync($"/chats/{chatId}", fields ?? new Dictionary<string, string>(), action, htmx: true);
    }

    /// <summary>Sends a message as the composer does; returns the fragment and the reply placeholder's message id.</summary>
    public static async Task<(string Html, long ReplyId)> SendAsync(TestClient client, long chatId, string text)
    {
        var response = await PostAsync(client, chatId, "Send", fields: new Dictionary<string, string> { ["text"] = text });
        var html = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), html);
        var reply = TestClient.Parse(html).QuerySelector("article.chat-message.assistant[data-status=pending]");
        Assert.That(reply, Is.Not.Null, html);
        return (html, long.Parse(reply!.GetAttribute("data-message-id")!));
    }

    public static string StreamUrl(long chatId, long messageId) => $"/chats/{chatId}/messages/{messageId}/stream";

    /// <summary>Reads an SSE response to its end, calling <paramref name="onEvent"/> as each event arrives.</summary>
    public static async Task<List<SseEvent>> ReadEventsAsync(HttpResponseMessage response, Func<SseEvent, Task>? onEvent = null)
    {
        var events = new List<SseEvent>();
        await using var stream = await response.Content.ReadAsStreamAsync();
        using var reader = new StreamReader(stream);
        string? name = null;
        var data = new List<string>();
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal)) name = line[7..];
            else if (line.StartsWith("data: ", StringComparison.Ordinal)) data.Add(line[6..]);
            else if (line.Length == 0 && name is not null)
            {
                var e = new SseEvent(name, string.Join('\n', data));
                events.Add(e);
                if (onEvent is not null) await onEvent(e);
                name = null;
                data.Clear();
            }
        }
        return events;
    }

    public static async Task<List<SseEvent>> StreamAsync(TestClient client, long chatId, long messageId, Func<SseEvent, Task>? onEvent = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, StreamUrl(chatId, messageId));
        request.Headers.Accept.ParseAdd("text/event-stream");
        using var response = await client.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("text/event-stream"));
        Assert.That(response.Headers.GetValues("X-Accel-Buffering"), Is.EqualTo(new[] { "no" }));
        Assert.That(response.Headers.CacheControl!.NoCache, Is.True);
        return await ReadEventsAsync(response, onEvent);
    }

    public static async Task<IHtmlDocument> MessageAsync(TestClient client, long chatId, long messageId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/chats/{chatId}?handler=Message&messageId={messageId}");
        request.Headers.Add("HX-Request", "true");
        var response = await client.Http.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        return TestClient.Parse(await response.Content.ReadAsStringAsync());
    }

    internal sealed record SwipeRow(long Id, long MessageId, string Content, string Status, string Kind, string? Reason, string? Detail);

    public static async Task<List<SwipeRow>> SwipesAsync(string connectionString, long messageId)
    {
        await using var db = new NpgsqlConnection(connectionString);
        return (await db.QueryAsync<SwipeRow>(
            "select id, message_id, content, status, kind, reason, detail from interaction.message_swipes where message_id = @messageId order by id",
            new { messageId })).AsList();
    }

    public static async Task<T> ScalarAsync<T>(string connectionString, string sql, object? args = null)
    {
        await using var db = new NpgsqlConnection(connectionString);
        return (await db.ExecuteScalarAsync<T>(sql, args))!;
    }
}
