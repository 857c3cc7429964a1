using System.Text.Json;
using CharacterHub.Kernel.Security;
using CharacterHub.Modules.Interaction.Llm;
using CharacterHub.Modules.Interaction.Prompting;
using Mediator;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace CharacterHub.Modules.Interaction.Chats;

/// <summary>
/// "Impersonate": the model drafts the user's next line, as the user's persona, from the chat so far. The draft is
/// streamed into the composer and never saved as a message: the user edits it and sends it like anything they wrote.
/// A POST with the antiforgery token (it spends the site's model), answered as server-sent events: "token" events
/// carry JSON strings of text, "problem" carries words to show, and "done" always ends the stream.
/// </summary>
internal static class Impersonation
{
    /// <summary>SillyTavern's impersonation prompt, sent as the last system instruction.</summary>
    public const string Instruction =
        "[Write your next reply from the point of view of {{user}}, using the chat history so far as a guideline for the writing style of {{user}}. " +
        "Don't write as {{char}} or system. Don't describe actions of {{char}}.]";

    public const string NeedsModel =
        "Impersonate needs a model connection: no model is configured on this site, and the offline responder only speaks as the character.";

    public static void Map(IEndpointRouteBuilder app) =>
        app.MapPost("/chats/{chatId:long}/impersonate", ImpersonateAsync)
            .RequireAuthorization()
            .RequireRateLimiting(ChatEndpoints.GenerationPolicy)
            .DisableAntiforgery(); // validated below, so a bad token is an answer in words rather than the generic 400

    /// <summary>The messages for a draft of the user's next line: this chat's prompt (the same builder and settings as
    /// a reply) with the impersonation instruction appended.</summary>
    public static IReadOnlyList<LlmMessage> Messages(BuiltPrompt prompt, string characterName, string userName) =>
    [
        .. ChatPrompting.ToLlm(prompt),
        new LlmMessage(LlmRole.System, Instruction.Replace("{{user}}", userName, StringComparison.Ordinal).Replace("{{char}}", characterName, StringComparison.Ordinal)),
    ];

    private static async Task ImpersonateAsync(long chatId, HttpContext http, ICurrentUser me, IMediator mediator, IAntiforgery antiforgery,
        NpgsqlDataSource db, ChatCharacters characters, ChatPrompting prompting, LlmClientFactory factory, Connections.ChatConnectionResolver connections,
        ILoggerFactory logs)
    {
        var ct = http.RequestAborted;
        if (!await antiforgery.IsRequestValidAsync(http))
        {
            http.Response.StatusCode = StatusCodes.Status400BadRequest;
            http.Response.ContentType = "text/plain; charset=utf-8";
            await http.Response.WriteAsync("The page is out of date: reload it and try again.", ct);
            return;
        }
        ChatHeader? chat;
        TurnContext? turn = null;
        await using (var connection = await db.OpenConnectionAsync(ct))
        {
            chat = await ChatStore.GetChatAsync(connection, chatId, me.Id, ct: ct);
            // What a reply's turn reads (persona, prompt options, model connection, history), read the same way.
            if (chat is not null)
                turn = await TurnContextStore.LoadAsync(connection, chatId, me.Id, long.MaxValue, me.Username ?? "User",
                    connections.SiteContextSize, ct);
        }
        if (chat is null || turn is null)
        {
            http.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        ChatEndpoints.StartEventStream(http);
        // The same model the chat's replies use: the chat's connection, the user's default, else the site's.
        if (connections.Resolve(turn.Connection) is not { } model)
        {
            await ChatEndpoints.WriteEventAsync(http, "problem", NeedsModel, ct);
            await ChatEndpoints.WriteEventAsync(http, "done", "", ct);
            return;
        }
        try
        {
            var character = await characters.GetAsync(mediator, chat.CharacterId, me.Id, ct);
            if (character is null)
            {
                await ChatEndpoints.WriteEventAsync(http, "problem", "The character is no longer available to you.", ct);
            }
            else
            {
                var (persona, options, page) = (turn.Persona, turn.Options, turn.History);
                await using (var connection = await db.OpenConnectionAsync(ct))
                {
                    await ChatStore.RecordInteractionAsync(connection, null, chat.CharacterId, me.Id, chatId, "impersonate", ct);
                }
                var characterName = GroupChats.DisplayName(character);
                var history = ChatPrompting.History(page, characterName, persona.Name);
                var prompt = prompting.Build(character, persona.ToPrompt(), history, chatId, model, options);
                await foreach (var e in factory.Create(model).StreamAsync(Messages(prompt, characterName, persona.Name), null, ct))
                {
                    switch (e)
                    {
                        case LlmTokenEvent token:
                            await ChatEndpoints.WriteEventAsync(http, "token", JsonSerializer.Serialize(token.Text), ct);
                            break;
                        case LlmFailedEvent failed when failed.Error.Kind != LlmErrorKind.Cancelled:
                            await ChatEndpoints.WriteEventAsync(http, "problem", $"The draft could not be written: {failed.Error.Message}", ct);
                            break;
                    }
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            return; // the page went away: nobody to tell, nothing saved
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            logs.CreateLogger(typeof(Impersonation)).LogError(ex, "Impersonation for chat {ChatId} failed", chatId);
            await ChatEndpoints.TryWriteEventAsync(http, "problem", "Something went wrong on our side while writing the draft; the error was logged.", ct);
        }
        await ChatEndpoints.TryWriteEventAsync(http, "done", "", ct);
    }
}
