using System.Text;
using System.Text.RegularExpressions;
using CharacterHub.Modules.Interaction.Llm;
using Mediator;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace CharacterHub.Modules.Interaction.Chats;

/// <summary>How a generation ended, as saved.</summary>
internal sealed record GenerationOutcome(long ChatId, long MessageId, long SwipeId, string Content, string Status, string? Reason, string? Detail);

/// <summary>
/// Runs one claimed generation inside the request that streams it: builds the prompt, streams from the site's model
/// (or the offline responder), hands each token to the caller, and saves the text once at the end with how it ended.
/// Nothing outlives the request and nothing lives in process memory another node would need: the claim, the stop
/// flag and the result are all rows.
/// </summary>
internal sealed partial class ChatGenerator(
    NpgsqlDataSource db, IMediator mediator, ChatCharacters characters, LlmClientFactory factory, Connections.ChatConnectionResolver connections, ChatPrompting prompting,
    StopSignals stopSignals, PromptRecords records, ILogger<ChatGenerator> log, GroupChats groups, HistoryCache historyCache)
{
    /// <summary>How often the streaming request looks for a stop pressed on any node.</summary>
    public static readonly TimeSpan StopPollInterval = TimeSpan.FromMilliseconds(250);

    public async Task<GenerationOutcome?> RunAsync(long chatId, long messageId, long userId, string userName,
        Func<string, ValueTask> onToken, CancellationToken aborted, Func<ValueTask>? onClaimed = null)
    {
        GenerationClaim? claim;
        TurnContext? turn;
        Exception? loadError;
        string? prefix = null;
        // The card's version check (a round trip of its own, on another connection) runs beside the claim when this
        // process knows who spoke last in the chat; it is always either used or let go below.
        var early = characters.StartEarly(mediator, chatId, userId, aborted);
        var earlyTaken = false;
        try
        {
            await using var connection = await db.OpenConnectionAsync(aborted);
            // The claim and the turn's reads in one round trip; read per turn, so a persona, note or model switched
            // mid-chat applies from the next reply on. Not cancelled by the browser leaving: once claimed, the reply
            // must be finished below, whatever happens.
            (claim, turn, loadError) = await TurnContextStore.ClaimAndLoadAsync(connection, chatId, messageId, userId, userName,
                connections.SiteContextSize, CancellationToken.None, historyCache);
        }
        catch
        {
            early?.Forget();
            throw;
        }
        if (claim is null)
        {
            early?.Forget();
            return null;
        }

        var text = new StringBuilder();
        string status = SwipeStatus.Complete, model = "", finishReason = "";
        string? reason = null, detail = null;
        int? promptTokens = null, completionTokens = null;
        InspectedPrompt? inspected = null; // what was sent, for the prompt inspector; saved after the reply
        using var stop = new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(aborted, stop.Token);
        var watcher = stopSignals.Watch(claim.SwipeId, stop);
        try
        {
            // Claimed: from here on every way out saves how the reply ended.
            if (loadError is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(loadError);
            if (claim.ContinuesSwipeId is { } baseSwipe)
            {
                await using var connection = await db.OpenConnectionAsync(CancellationToken.None);
                prefix = await ChatStore.SwipeTextAsync(connection, baseSwipe, CancellationToken.None) ?? "";
            }
            if (onClaimed is not null) await onClaimed();
            earlyTaken = true;
            var character = await characters.Take(early, mediator, chatId, claim.CharacterId, userId, linked.Token);
            if (character is null)
            {
                (status, reason, detail) = (SwipeStatus.Partial, "character_unavailable", "The character is no longer available to you, so it cannot reply.");
            }
            else
            {
                var (persona, options, page) = (turn!.Persona, turn.Options, turn.History);
                var characterName = GroupChats.DisplayName(character);
                // In a group chat the speaker's card carries the group and the others' lines carry their names.
                var group = claim.Members > 1 ? await groups.PromptAsync(chatId, claim.CharacterId, userId, linked.Token) : null;
                if (group is not null) character = group.Shape(character);
                var history = group?.History(page, persona.Name) ?? ChatPrompting.History(page, characterName, persona.Name);
                if (prefix is not null)
                {
                    // A continuation shows the model its own unfinished reply as the last turn and appends to it.
                    history.Add(new Prompting.HistoryMessage(Prompting.ChatRole.Assistant, characterName, prefix, DateTimeOffset.UtcNow));
                    text.Append(prefix);
                }

                // The chat's connection, else the user's default, else the site's; none: the offline responder.
                if (connections.Resolve(turn.Connection) is { } connectionSettings)
                {
                    model = connectionSettings.Model;
                    var prompt = prompting.Build(character, persona.ToPrompt(), history, chatId, connectionSettings, options);
                    promptTokens = prompt.TotalTokens;
                    inspected = InspectedPrompt.From(prompt, model, connectionSettings);
                    await foreach (var e in factory.Create(connectionSettings).StreamAsync(ChatPrompting.ToLlm(prompt), null, linked.Token))
                    {
                        switch (e)
                        {
                            case LlmTokenEvent token:
                                text.Append(token.Text);
                                await onToken(token.Text);
                                break;
                            case LlmCompletedEvent done:
                                finishReason = done.FinishReason;
                                completionTokens = done.Usage?.OutputTokens;
                                if (done.Usage is { } usage) promptTokens = usage.InputTokens;
                                break;
                            case LlmFailedEvent failed:
                                (status, reason, detail) = Describe(failed.Error, stop.IsCancellationRequested);
                                break;
                        }
                    }
                }
                else
                {
                    model = "offline";
                    status = SwipeStatus.Offline;
                    var reply = prompting.Offline.Respond(ChatPrompting.Character(character), persona.ToPrompt(),
                        history, ChatPrompting.Lorebooks(character), unchecked((int)chatId));
                    inspected = InspectedPrompt.ForOffline(reply);
                    // Sent word by word like a model's tokens, so the page has one code path for both.
                    foreach (Match word in Words().Matches((prefix is null ? "" : " ") + reply.Text))
                    {
                        linked.Token.ThrowIfCancellationRequested();
                        text.Append(word.Value);
                        await onToken(word.Value);
                    }
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // Cancelled by the stop watcher, or the browser went away (the token write failed or the request aborted).
            (status, reason, detail) = stop.IsCancellationRequested && !aborted.IsCancellationRequested
                ? (SwipeStatus.Partial, "stopped", "You stopped the reply; what was written so far is kept.")
                : BrowserGone;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            log.LogError(ex, "Generation for chat {ChatId} message {MessageId} failed", chatId, messageId);
            (status, reason, detail) = (SwipeStatus.Partial, "failed", "Something went wrong on our side while writing the reply; the error was logged.");
        }
        finally
        {
            watcher.Dispose();
            if (!earlyTaken) early?.Forget();
        }

        if (status == SwipeStatus.Partial && reason is "browser_gone")
            log.LogInformation("Chat {ChatId} message {MessageId}: the browser went away after {Chars} characters", chatId, messageId, text.Length);
        var content = text.ToString();
        var swipeId = claim.SwipeId;
        // Saved whatever happened to the request: the reader may be gone, the words are not.
        bool saved;
        await using (var connection = await db.OpenConnectionAsync(CancellationToken.None))
        {
            var finish = finishReason.Length == 0 ? null : finishReason;
            saved = await ChatStore.FinishAsync(connection, chatId, swipeId, content, status, reason, detail, model, finish, promptTokens, completionTokens);
            // Nothing saved: the swipe was closed as abandoned meanwhile; the text is kept as a new swipe instead (rare,
            // so its inspector record simply rides in that statement).
            if (!saved)
                swipeId = await LateReplies.KeepAsync(connection, chatId, swipeId, content, status, reason, detail, model, finish, promptTokens, completionTokens, inspected?.ToJson()) ?? swipeId;
        }
        if (saved && inspected is not null) records.Save(swipeId, inspected);
        // A group turn goes on with the next queued speaker (before "done", so the page finds its pending reply).
        if (claim is { Kind: "reply", Queued: true })
        {
            try
            {
                await groups.AdvanceAsync(chatId, messageId, status is SwipeStatus.Complete or SwipeStatus.Offline, CancellationToken.None);
            }
            catch (NpgsqlException ex)
            {
                // The reply is saved; only the rest of the group's round is lost ("let X speak" or a new message goes on).
                log.LogWarning(ex, "Chat {ChatId}: could not start the next group reply after message {MessageId}", chatId, messageId);
            }
        }
        return new GenerationOutcome(chatId, messageId, swipeId, content, status, reason, detail);
    }

    private static readonly (string, string?, string?) BrowserGone =
        (SwipeStatus.Partial, "browser_gone", "The page was closed or lost its connection before the reply finished; what arrived is kept.");

    private static (string Status, string? Reason, string? Detail) Describe(LlmError error, bool stopped) => error.Kind switch
    {
        LlmErrorKind.Cancelled when stopped => (SwipeStatus.Partial, "stopped", "You stopped the reply; what was written so far is kept."),
        LlmErrorKind.Cancelled => BrowserGone,
        LlmErrorKind.UpstreamError => (SwipeStatus.Partial, "upstream_error", $"The model server answered with an error. {error.Message}"),
        LlmErrorKind.Timeout => (SwipeStatus.Partial, "timeout", $"The model took too long to answer. {error.Message}"),
        LlmErrorKind.Stalled => (SwipeStatus.Partial, "stalled", $"The model stopped sending text part-way. {error.Message}"),
        LlmErrorKind.MalformedResponse => (SwipeStatus.Partial, "malformed", $"The model server sent something that is not a valid reply. {error.Message}"),
        LlmErrorKind.ConnectionLost => (SwipeStatus.Partial, "connection_lost", $"The connection to the model server broke. {error.Message}"),
        LlmErrorKind.Unreachable => (SwipeStatus.Partial, "unreachable", $"The model server could not be reached. {error.Message}"),
        _ => (SwipeStatus.Partial, "refused", $"The model server's address was refused. {error.Message}"),
    };

    [GeneratedRegex(@"\s*\S+\s*")]
    private static partial Regex Words();
}
