using System.Text.Encodings.Web;
using System.Text.Json;
using CharacterHub.Kernel.Security;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace CharacterHub.Modules.Interaction.Chats;

/// <summary>The reply stream for the chat page (SSE for htmx-ext-sse) and the interact API (JSON or SSE).</summary>
internal static class ChatEndpoints
{
    public const string GenerationPolicy = "generation";

    public static void Map(IEndpointRouteBuilder app, IEndpointRouteBuilder api)
    {
        app.MapGet("/chats/{chatId:long}/messages/{messageId:long}/stream", StreamForPage)
            .RequireAuthorization()
            .RequireRateLimiting(GenerationPolicy);
        api.MapPost("/characters/{id:long}/interact", Interact).RequireRateLimiting(GenerationPolicy);
        Impersonation.Map(app);
    }

    /// <summary>
    /// Streams the message's pending reply as "token" events (HTML-encoded, ready to append), then always one "done"
    /// event carrying the outcome in words: without it EventSource would reconnect, and a reconnect must never
    /// generate again (the claim makes a second request find nothing pending, and it gets "done" at once).
    /// </summary>
    private static async Task StreamForPage(long chatId, long messageId, HttpContext http, ICurrentUser me, IMediator mediator,
        ChatGenerator generator)
    {
        var ct = http.RequestAborted;
        // The claim is the check: a reply that is the user's and still pending starts at once (no read first); the
        // stream opens as soon as it is claimed. Only when nothing was claimed does it matter whether the message
        // exists (a reconnect after the reply ended gets "done"; someone else's message is a 404).
        var outcome = await generator.RunAsync(chatId, messageId, me.Id, me.Username ?? "User",
            token => WriteEventAsync(http, "token", HtmlEncoder.Default.Encode(token).Replace("&#xA;", "<br>", StringComparison.Ordinal), ct), ct,
            onClaimed: () =>
            {
                StartEventStream(http);
                return new ValueTask(http.Response.Body.FlushAsync(ct));
            });
        if (outcome is null)
        {
            if (!await mediator.Send(new ChatMessageExists(chatId, me.Id, messageId), ct))
            {
                http.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }
            StartEventStream(http);
        }
        var words = outcome is null ? "" : outcome.Detail ?? (outcome.Status == SwipeStatus.Offline ? "offline reply" : "complete");
        await TryWriteEventAsync(http, "done", HtmlEncoder.Default.Encode(words), ct);
    }

    /// <summary>The closing event, unless the reader already left (then there is nobody to tell; the reply is saved).</summary>
    internal static async Task TryWriteEventAsync(HttpContext http, string name, string data, CancellationToken ct)
    {
        if (ct.IsCancellationRequested) return;
        try
        {
            await WriteEventAsync(http, name, data, ct);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException)
        {
        }
    }

    internal sealed record InteractBody(string? Message, long? ConversationId);

    private static async Task<IResult> Interact(long id, HttpContext http, ICurrentUser me, IMediator mediator, ChatGenerator generator)
    {
        var ct = http.RequestAborted;
        InteractBody? body;
        try
        {
            body = await http.Request.ReadFromJsonAsync<InteractBody>(ApiJson, ct);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            return Results.Problem(statusCode: 400, title: "The body must be JSON: {\"message\": \"...\", \"conversation_id\": 123}.");
        }
        if (string.IsNullOrWhiteSpace(body?.Message)) return Results.Problem(statusCode: 400, title: "\"message\" is required.");

        long chatId;
        if (body.ConversationId is { } conversation)
        {
            var chat = await mediator.Send(new GetConversationInfo(conversation, me.Id), ct);
            if (chat is null || chat.CharacterId != id) return Results.Problem(statusCode: 404, title: "No such conversation with this character.");
            if (chat.Members > 1)
                return Results.Problem(statusCode: 400, title: "That conversation is a group chat; the interact API talks with one character. Continue it on the site.");
            chatId = conversation;
        }
        else
        {
            var created = await mediator.Send(new CreateChat(me.Id, id, me.Username ?? "User"), ct);
            if (created is null) return Results.Problem(statusCode: 404, title: "No such character.");
            chatId = created.Value;
        }

        var sent = await mediator.Send(new SendMessage(chatId, me.Id, body.Message), ct);
        switch (sent)
        {
            case SendOutcome.Invalid invalid:
                return Results.Problem(statusCode: 400, title: invalid.Problem);
            case SendOutcome.NotFound:
                return Results.Problem(statusCode: 404, title: "No such conversation.");
        }
        if (((SendOutcome.Sent)sent).Message.Reply is not { } reply) return Results.Problem(statusCode: 409, title: "Nobody is set to reply in this conversation.");

        if (http.Request.Headers.Accept.Any(a => a?.Contains("text/event-stream", StringComparison.OrdinalIgnoreCase) == true))
        {
            StartEventStream(http);
            var streamed = await generator.RunAsync(chatId, reply.Id, me.Id, me.Username ?? "User",
                token => WriteEventAsync(http, "token", JsonSerializer.Serialize(new { text = token }, ApiJson), ct), ct);
            await TryWriteEventAsync(http, "done", JsonSerializer.Serialize(Result(chatId, reply.Id, streamed), ApiJson), ct);
            return Results.Empty;
        }
        var outcome = await generator.RunAsync(chatId, reply.Id, me.Id, me.Username ?? "User", _ => ValueTask.CompletedTask, ct);
        return Results.Json(Result(chatId, reply.Id, outcome), ApiJson);
    }

    private static object Result(long chatId, long messageId, GenerationOutcome? outcome) => new
    {
        conversation_id = chatId,
        message_id = messageId,
        content = outcome?.Content ?? "",
        status = outcome?.Status ?? SwipeStatus.Partial,
        reason = outcome?.Reason,
        detail = outcome?.Detail,
    };

    private static readonly JsonSerializerOptions ApiJson = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    internal static void StartEventStream(HttpContext http)
    {
        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = "text/event-stream; charset=utf-8";
        http.Response.Headers.CacheControl = "no-cache";
        // Reverse proxies (nginx) buffer responses unless told not to; a buffered stream arrives all at once.
        http.Response.Headers["X-Accel-Buffering"] = "no";
        http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResponseBodyFeature>()?.DisableBuffering();
    }

    /// <summary>One SSE event; a value with line breaks becomes several data lines, which EventSource joins again.</summary>
    internal static async ValueTask WriteEventAsync(HttpContext http, string name, string data, CancellationToken ct)
    {
        var text = $"event: {name}\ndata: {data.ReplaceLineEndings("\ndata: ")}\n\n";
        await http.Response.WriteAsync(text, ct);
        await http.Response.Body.FlushAsync(ct);
    }
}
