using System.ClientModel;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using OpenAI.Chat;

namespace CharacterHub.Modules.Interaction.Llm;

/// <summary>
/// Talks to one <see cref="LlmConnection"/> through the OpenAI SDK. Cheap to create (the factory caches the SDK
/// clients). No method throws for anything the endpoint does: faults come back as <see cref="LlmError"/>.
/// </summary>
internal sealed class LlmClient
{
    // Backstop for an SDK read that ignores cancellation: the wait is abandoned this long after the timer fired.
    private static readonly TimeSpan AbandonGrace = TimeSpan.FromSeconds(2);

    private readonly LlmClientFactory factory;
    private readonly LlmError? endpointProblem;

    internal LlmClient(LlmConnection connection, LlmClientFactory factory)
    {
        Connection = connection;
        this.factory = factory;
        if (EndpointGuard.CheckUrlSyntax(connection.BaseUrl) is { } problem)
        {
            endpointProblem = new LlmError(LlmErrorKind.InvalidEndpoint, problem);
        }
    }

    public LlmConnection Connection { get; }

    private string Endpoint => Connection.NormalizedBaseUrl;

    /// <summary>
    /// Streams the reply: token events in arrival order, then exactly one terminal event with all text received. A
    /// caller that stops enumerating early closes the upstream request.
    /// </summary>
    public async IAsyncEnumerable<LlmStreamEvent> StreamAsync(IReadOnlyList<LlmMessage> messages, LlmSampling? sampling = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (endpointProblem is not null)
        {
            yield return new LlmFailedEvent(endpointProblem, "");
            yield break;
        }

        var text = new StringBuilder();
        string? finishReason = null;
        LlmUsage? usage = null;
        LlmError? error = null;
        var started = Stopwatch.GetTimestamp();
        using var requestCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        IAsyncEnumerator<StreamingChatCompletionUpdate>? updates = null;
        try
        {
            try
            {
                updates = factory.Chat(Connection)
                    .CompleteChatStreamingAsync(ToSdk(messages), Options(sampling), requestCts.Token)
                    .GetAsyncEnumerator(requestCts.Token);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                error = LlmErrors.Classify(ex, Endpoint, responseStarted: false);
            }

            while (error is null && updates is not null)
            {
                var hasContent = text.Length > 0;
                var limit = hasContent ? Connection.StallTimeout : Connection.Timeout - Stopwatch.GetElapsedTime(started);
                var (more, stepError) = await NextAsync(updates, requestCts, limit, hasContent, cancellationToken);
                if (stepError is not null)
                {
                    error = stepError;
                    break;
                }
                if (!more) break;

                var update = updates.Current;
                foreach (var part in update.ContentUpdate)
                {
                    if (part.Kind != ChatMessageContentPartKind.Text || string.IsNullOrEmpty(part.Text)) continue;
                    text.Append(part.Text);
                    yield return new LlmTokenEvent(part.Text);
                }
                if (update.FinishReason is { } reason) finishReason = FinishReasonText(reason);
                if (update.Usage is { } u) usage = new LlmUsage(u.InputTokenCount, u.OutputTokenCount, u.TotalTokenCount);
            }
        }
        finally
        {
            if (updates is not null) await DisposeQuietlyAsync(updates, requestCts);
        }

        if (error is not null)
        {
            yield return new LlmFailedEvent(error, text.ToString());
        }
        else if (finishReason is null && text.Length == 0)
        {
            yield return new LlmFailedEvent(
                new LlmError(LlmErrorKind.MalformedResponse, $"{Endpoint} ended the stream without sending a reply."), "");
        }
        else
        {
            // A cleanly ended stream without a finish reason happens with some local servers; the text is kept but
            // "unknown" tells the caller nobody said the reply was finished.
            yield return new LlmCompletedEvent(text.ToString(), finishReason ?? "unknown", usage);
        }
    }

    /// <summary>One non-streamed reply, for impersonation and summaries; bounded by the connection's timeout.</summary>
    public async Task<LlmCompletion> CompleteAsync(IReadOnlyList<LlmMessage> messages, LlmSampling? sampling = null,
        CancellationToken cancellationToken = default)
    {
        if (endpointProblem is not null) return new LlmCompletion("", null, null, endpointProblem);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Connection.Timeout);
        try
        {
            ClientResult<ChatCompletion> result = await factory.Chat(Connection)
                .CompleteChatAsync(ToSdk(messages), Options(sampling), timeout.Token)
                .WaitAsync(Connection.Timeout + AbandonGrace, cancellationToken);
            var completion = result.Value;
            var text = string.Concat(completion.Content
                .Where(p => p.Kind == ChatMessageContentPartKind.Text)
                .Select(p => p.Text));
            var usage = completion.Usage is { } u ? new LlmUsage(u.InputTokenCount, u.OutputTokenCount, u.TotalTokenCount) : null;
            return new LlmCompletion(text, FinishReasonText(completion.FinishReason), usage, null);
        }
        catch (Exception ex) when (ex is OperationCanceledException or TimeoutException)
        {
            return new LlmCompletion("", null, null, cancellationToken.IsCancellationRequested
                ? Cancelled()
                : new LlmError(LlmErrorKind.Timeout, $"{Endpoint} did not answer within {Seconds(Connection.Timeout)}."));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return new LlmCompletion("", null, null, LlmErrors.Classify(ex, Endpoint, responseStarted: true));
        }
    }

    /// <summary>The model ids the endpoint offers; the "test connection" button shows the error message as is.</summary>
    public async Task<LlmModelList> ListModelsAsync(CancellationToken cancellationToken = default)
    {
        if (endpointProblem is not null) return new LlmModelList([], endpointProblem);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Connection.Timeout);
        try
        {
            var result = await factory.Models(Connection).GetModelsAsync(timeout.Token)
                .WaitAsync(Connection.Timeout + AbandonGrace, cancellationToken);
            return new LlmModelList(result.Value.Select(m => m.Id).Order(StringComparer.Ordinal).ToArray(), null);
        }
        catch (Exception ex) when (ex is OperationCanceledException or TimeoutException)
        {
            return new LlmModelList([], cancellationToken.IsCancellationRequested
                ? Cancelled()
                : new LlmError(LlmErrorKind.Timeout, $"{Endpoint} did not list its models within {Seconds(Connection.Timeout)}."));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return new LlmModelList([], LlmErrors.Classify(ex, Endpoint, responseStarted: true));
        }
    }

    internal ChatCompletionOptions Options(LlmSampling? sampling)
    {
        var s = Connection.DefaultSampling.With(sampling);
        var options = new ChatCompletionOptions
        {
            Temperature = (float?)s.Temperature,
            TopP = (float?)s.TopP,
            FrequencyPenalty = (float?)s.FrequencyPenalty,
            PresencePenalty = (float?)s.PresencePenalty,
        };
        foreach (var stop in s.Stop ?? []) options.StopSequences.Add(stop);
        if (s.MaxTokens is { } max)
        {
            if (Connection.MaxTokensField == LlmMaxTokensField.MaxCompletionTokens)
            {
                options.MaxOutputTokenCount = max;
            }
            else
            {
                // The SDK only knows max_completion_tokens; the JSON patch is its one way to send the older field.
#pragma warning disable SCME0001
                options.Patch.Set("$.max_tokens"u8, max);
#pragma warning restore SCME0001
            }
        }
        return options;
    }

    private async Task<(bool More, LlmError? Error)> NextAsync(IAsyncEnumerator<StreamingChatCompletionUpdate> updates,
        CancellationTokenSource requestCts, TimeSpan limit, bool hasContent, CancellationToken user)
    {
        if (limit <= TimeSpan.Zero) return (false, TimedOut(hasContent));
        requestCts.CancelAfter(limit);
        Task<bool>? pending = null;
        try
        {
            pending = updates.MoveNextAsync().AsTask();
            var more = await pending.WaitAsync(limit + AbandonGrace, user);
            // The consumer's own time between tokens must not count against the server.
            requestCts.CancelAfter(System.Threading.Timeout.InfiniteTimeSpan);
            return (more, null);
        }
        catch (Exception ex) when (ex is OperationCanceledException or TimeoutException)
        {
            Observe(pending);
            return (false, user.IsCancellationRequested ? Cancelled() : TimedOut(hasContent));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A network-timeout from the SDK's own read timer surfaces as a wrapped cancellation.
            if (!user.IsCancellationRequested && requestCts.IsCancellationRequested) return (false, TimedOut(hasContent));
            if (user.IsCancellationRequested) return (false, Cancelled());
            return (false, LlmErrors.Classify(ex, Endpoint, responseStarted: hasContent));
        }
    }

    private LlmError TimedOut(bool hasContent) => hasContent
        ? new LlmError(LlmErrorKind.Stalled,
            $"{Endpoint} stopped sending tokens for {Seconds(Connection.StallTimeout)}; the reply was cut off.")
        : new LlmError(LlmErrorKind.Timeout,
            $"{Endpoint} sent no token within {Seconds(Connection.Timeout)}; the model may still be loading or the server is overloaded.");

    private static LlmError Cancelled() => new(LlmErrorKind.Cancelled, "Generation was stopped.");

    private static string Seconds(TimeSpan t) => t.TotalSeconds < 10 ? $"{t.TotalSeconds:0.#} s" : $"{t.TotalSeconds:0} s";

    private static void Observe(Task? task) => task?.ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);

    private static async Task DisposeQuietlyAsync(IAsyncEnumerator<StreamingChatCompletionUpdate> updates, CancellationTokenSource requestCts)
    {
        // Cancelling first makes a still-open upstream response close instead of being drained.
        await requestCts.CancelAsync();
        try
        {
            await updates.DisposeAsync();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Disposing after a broken or abandoned read can throw; the terminal event already says what happened.
        }
    }

    private static List<ChatMessage> ToSdk(IReadOnlyList<LlmMessage> messages) => messages
        .Select(m => m.Role switch
        {
            LlmRole.System => (ChatMessage)new SystemChatMessage(m.Content),
            LlmRole.Assistant => new AssistantChatMessage(m.Content),
            _ => new UserChatMessage(m.Content),
        })
        .ToList();

    private static string FinishReasonText(ChatFinishReason reason) => reason switch
    {
        ChatFinishReason.Stop => "stop",
        ChatFinishReason.Length => "length",
        ChatFinishReason.ContentFilter => "content_filter",
        ChatFinishReason.ToolCalls => "tool_calls",
        ChatFinishReason.FunctionCall => "function_call",
        _ => reason.ToString().ToLowerInvariant(),
    };
}
