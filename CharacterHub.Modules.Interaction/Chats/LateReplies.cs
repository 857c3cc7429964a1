using Dapper;
using Npgsql;

namespace CharacterHub.Modules.Interaction.Chats;

/// <summary>
/// The final save of a generation whose swipe was closed under it (the abandoned-reply job judged the stream dead,
/// e.g. when the database was unreachable for longer than the abandon age and no heartbeat got through). The closed
/// swipe is not rewritten: it stays as the job left it, and the text the model did write becomes a new swipe of the
/// same message with how it really ended, shown in the closed one's place unless the user has since chosen another.
/// Rare by design, so it costs the normal turn nothing: it runs only when <see cref="ChatStore.FinishAsync"/> saved
/// nothing.
/// </summary>
internal static class LateReplies
{
    // Nothing is added when the late text is no more than what the closed swipe already holds (an empty reply, or a
    // continuation that appended nothing). The chat moves up the list as after any reply.
    private const string Sql = """
        with closed as (
            select s.id, s.message_id, s.kind, s.continues_swipe_id, s.started_at
            from interaction.message_swipes s
            join interaction.messages m on m.id = s.message_id
            where s.id = @swipeId and m.chat_id = @chatId and s.status not in ('pending', 'streaming')
              and s.content <> @content),
        added as (
            insert into interaction.message_swipes (message_id, content, status, kind, continues_swipe_id, reason, detail, model,
                                                    finish_reason, prompt_tokens, completion_tokens, started_at, finished_at)
            select message_id, @content, @status, kind, continues_swipe_id, @reason, @detail, @model,
                   @finishReason, @promptTokens, @completionTokens, started_at, now()
            from closed
            returning id, message_id),
        chosen as (
            update interaction.messages m set chosen_swipe_id = a.id
            from added a where m.id = a.message_id and m.chosen_swipe_id = @swipeId),
        inspected as (
            insert into interaction.swipe_prompts (swipe_id, prompt)
            select id, cast(@prompt as jsonb) from added where cast(@prompt as jsonb) is not null),
        touched as (
            update interaction.chats set last_message_at = now() where id = @chatId and exists (select 1 from added))
        select id from added
        """;

    /// <summary>Keeps the late text as a new swipe; returns its id, or null when there was nothing to keep.</summary>
    public static Task<long?> KeepAsync(NpgsqlConnection c, long chatId, long swipeId, string content, string status, string? reason,
        string? detail, string? model, string? finishReason, int? promptTokens, int? completionTokens, string? prompt) =>
        c.ExecuteScalarAsync<long?>(new CommandDefinition(Sql,
            new { chatId, swipeId, content, status, reason, detail, model, finishReason, promptTokens, completionTokens, prompt }));
}
