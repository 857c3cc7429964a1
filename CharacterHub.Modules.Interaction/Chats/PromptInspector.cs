using System.Text.Json;
using System.Text.Json.Serialization;
using CharacterHub.Modules.Interaction.Llm;
using CharacterHub.Modules.Interaction.Prompting;
using Dapper;
using Mediator;
using Npgsql;

namespace CharacterHub.Modules.Interaction.Chats;

/// <summary>One section of a sent prompt. <see cref="Role"/> is set on the sections that were sent as messages (in
/// order they are exactly the messages the model got); nested sections and notices are shown for reference only.
/// A chat message's section is saved as a reference, <see cref="SwipeId"/> (plus the <see cref="Prefix"/> it was sent
/// with), instead of a second copy of its text: swipes are written once, so the text read back is the text sent.
/// <see cref="Text"/> is null in storage then and filled in when the record is read.</summary>
internal sealed record InspectedSection(string Kind, string Label, string? Text, int Tokens, bool Nested, string? Role, string? Name,
    bool Truncated = false, long? SwipeId = null, string? Prefix = null);

/// <summary>A lorebook entry that fired, and why.</summary>
internal sealed record InspectedLore(string Book, string Entry, string Why, string Position, int Tokens);

/// <summary>
/// What one generation used, saved with the reply for the prompt inspector. A model reply has the sections it sent;
/// an offline reply has no model prompt, only what the offline responder drew on.
/// </summary>
internal sealed record InspectedPrompt(
    string Model,
    bool Offline,
    int ContextSize,
    int MaxReplyTokens,
    int TotalTokens,
    int DroppedHistoryMessages,
    bool ExamplesDropped,
    string? TemplateError,
    IReadOnlyList<InspectedSection> Sections,
    IReadOnlyList<InspectedLore> Lore,
    IReadOnlyList<string> LoreNotes,
    IReadOnlyList<string> OfflineSources)
{
    /// <summary>A section's text is kept up to this many characters (a message's own limit): the token counts stay
    /// exact, and a huge context cannot make every saved reply huge.</summary>
    public const int MaxSectionText = 20_000;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new SectionConverter() },
    };

    /// <summary>
    /// A chat message's section (a reference, see <see cref="InspectedSection"/>) is written as a short array,
    /// <c>[label, tokens, role, name, swipeId, prefix]</c>: a long chat sends a couple of hundred of them with every reply,
    /// and as objects they were most of the record. Everything else is written as an object; both read back.
    /// </summary>
    private sealed class SectionConverter : JsonConverter<InspectedSection>
    {
        private static readonly JsonSerializerOptions Plain = new(JsonSerializerDefaults.Web)
        {
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        };

        public override InspectedSection? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType != JsonTokenType.StartArray) return JsonSerializer.Deserialize<InspectedSection>(ref reader, Plain);
            var parts = JsonSerializer.Deserialize<JsonElement[]>(ref reader, Plain) ?? [];
            string? Str(int i) => i < parts.Length && parts[i].ValueKind == JsonValueKind.String ? parts[i].GetString() : null;
            long? Num(int i) => i < parts.Length && parts[i].ValueKind == JsonValueKind.Number ? parts[i].GetInt64() : null;
            return new InspectedSection(nameof(PromptSectionKind.History), Str(0) ?? "", null, (int)(Num(1) ?? 0), false, Str(2), Str(3),
                SwipeId: Num(4), Prefix: Str(5));
        }

        public override void Write(Utf8JsonWriter writer, InspectedSection value, JsonSerializerOptions options)
        {
            if (value is not { Text: null, SwipeId: { } swipeId, Kind: nameof(PromptSectionKind.History), Nested: false })
            {
                JsonSerializer.Serialize(writer, value, Plain);
                return;
            }
            writer.WriteStartArray();
            writer.WriteStringValue(value.Label);
            writer.WriteNumberValue(value.Tokens);
            if (value.Role is null) writer.WriteNullValue(); else writer.WriteStringValue(value.Role);
            if (value.Name is null) writer.WriteNullValue(); else writer.WriteStringValue(value.Name);
            writer.WriteNumberValue(swipeId);
            if (value.Prefix is not null) writer.WriteStringValue(value.Prefix);
            writer.WriteEndArray();
        }
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static InspectedPrompt? FromJson(string? json) => json is null ? null : JsonSerializer.Deserialize<InspectedPrompt>(json, Json);

    public static InspectedPrompt From(BuiltPrompt prompt, string model, LlmConnection connection)
    {
        var sections = new List<InspectedSection>(prompt.Sections.Count);
        var sent = 0;
        foreach (var s in prompt.Sections)
        {
            // Non-nested, non-notice sections are the pieces in prompt order, one per message.
            PromptMessage? message = !s.Nested && s.Kind != PromptSectionKind.Notice && sent < prompt.Messages.Count ? prompt.Messages[sent++] : null;
            var role = message is null ? null : RoleName(message.Role);
            if (s.Source is { } source)
            {
                sections.Add(new InspectedSection(s.Kind.ToString(), s.Label, null, s.Tokens, s.Nested, role, message?.Name,
                    SwipeId: source.SwipeId, Prefix: source.Prefix.Length == 0 ? null : source.Prefix));
                continue;
            }
            var truncated = s.Text.Length > MaxSectionText;
            sections.Add(new InspectedSection(s.Kind.ToString(), s.Label, truncated ? s.Text[..MaxSectionText] : s.Text, s.Tokens, s.Nested,
                role, message?.Name, truncated));
        }
        var lore = prompt.ActivatedEntries.Select(a => new InspectedLore(
            a.BookName,
            a.Entry.Comment.Length > 0 ? a.Entry.Comment : $"entry {a.Entry.Id}",
            a.Activation switch
            {
                LoreActivation.Constant => "always on (constant)",
                LoreActivation.Recursion => $"key \"{a.MatchedKey}\" found in another entry's text",
                _ => a.MatchedSecondaryKey is null ? $"key \"{a.MatchedKey}\" found in the chat" : $"key \"{a.MatchedKey}\" and \"{a.MatchedSecondaryKey}\" found in the chat",
            },
            a.Entry.Position.ToString(), a.Tokens)).ToList();
        return new InspectedPrompt(model, false, connection.ContextSize, connection.DefaultSampling.MaxTokens ?? 512, prompt.TotalTokens,
            prompt.DroppedHistoryMessages, prompt.ExamplesDropped, prompt.TemplateError?.Message, sections, lore,
            Notes(prompt.LoreNotes), []);
    }

    /// <summary>Most of a big book's notes share a reason ("the budget was used up"): one line per reason naming its
    /// entries (the first <see cref="MaxNamesPerNote"/>) reads better and keeps a reply's record small.</summary>
    public const int MaxNamesPerNote = 40;

    internal static List<string> Notes(IReadOnlyList<LoreNote> notes) => notes
        .GroupBy(n => n.Message)
        .Select(g =>
        {
            var names = g.Select(n => n.Entry.Comment.Length > 0 ? n.Entry.Comment : "entry " + n.Entry.Id).Distinct().ToList();
            if (names.Count == 1) return $"{names[0]}: {g.Key}";
            var shown = string.Join(", ", names.Take(MaxNamesPerNote));
            return names.Count > MaxNamesPerNote
                ? $"{g.Key} ({names.Count} entries: {shown} and {names.Count - MaxNamesPerNote} more)"
                : $"{g.Key} ({names.Count} entries: {shown})";
        })
        .ToList();

    public static InspectedPrompt ForOffline(OfflineReply reply) =>
        new("offline", true, 0, 0, 0, 0, false, null, [], [], [], reply.Sources);

    /// <summary>The swipes whose text this record refers to.</summary>
    public IEnumerable<long> ReferencedSwipes() => Sections.Where(s => s.Text is null && s.SwipeId is not null).Select(s => s.SwipeId!.Value);

    /// <summary>This record with the referred texts filled in (a swipe no longer there is said so).</summary>
    public InspectedPrompt WithTexts(IReadOnlyDictionary<long, string> swipes) => this with
    {
        Sections = Sections.Select(s => s.Text is null && s.SwipeId is { } id
            ? s with { Text = swipes.TryGetValue(id, out var text) ? (s.Prefix ?? "") + text : "(this message is no longer in the chat)" }
            : s).ToList(),
    };

    public static string RoleName(ChatRole role) => role switch { ChatRole.User => "user", ChatRole.Assistant => "assistant", _ => "system" };
}

/// <summary>The inspector's view of one message: the message, and what its shown reply was written from (null when
/// nothing was recorded: a greeting, a user message, or a reply written before prompts were kept).</summary>
internal sealed record PromptInspection(ChatMessageView Message, InspectedPrompt? Prompt);

internal sealed record GetPromptInspection(long ChatId, long UserId, long MessageId) : IQuery<PromptInspection?>;

internal sealed class GetPromptInspectionHandler(NpgsqlDataSource db, PromptRecords records) : IQueryHandler<GetPromptInspection, PromptInspection?>
{
    public async ValueTask<PromptInspection?> Handle(GetPromptInspection query, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        if (await ChatStore.GetChatAsync(connection, query.ChatId, query.UserId, ct: ct) is null) return null;
        var message = await ChatStore.MessageAsync(connection, query.ChatId, query.MessageId, ct: ct);
        if (message is null) return null;
        // A reply that finished a moment ago may still have its record queued in this process.
        await records.WhenSavedAsync(message.SwipeId, TimeSpan.FromSeconds(2), ct);
        var json = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            "select prompt::text from interaction.swipe_prompts where swipe_id = @SwipeId", new { message.SwipeId }, cancellationToken: ct));
        var prompt = InspectedPrompt.FromJson(json);
        if (prompt?.ReferencedSwipes().ToArray() is { Length: > 0 } ids)
        {
            // Only this chat's swipes (the record is the user's, but a reference is checked like any other id).
            var texts = (await connection.QueryAsync<(long Id, string Content)>(new CommandDefinition(
                """
                select s.id, s.content from interaction.message_swipes s join interaction.messages m on m.id = s.message_id
                where s.id = any(@ids) and m.chat_id = @ChatId
                """, new { ids, query.ChatId }, cancellationToken: ct))).ToDictionary(r => r.Id, r => r.Content);
            prompt = prompt.WithTexts(texts);
        }
        return new PromptInspection(message, prompt);
    }
}
