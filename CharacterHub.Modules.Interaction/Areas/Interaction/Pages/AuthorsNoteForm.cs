using System.Globalization;
using CharacterHub.Modules.Interaction.Chats;
using Mediator;

namespace CharacterHub.Modules.Interaction.Areas.Interaction.Pages;

/// <summary>The author's note form under "Chat options": what is saved, or what was typed with why it was refused.</summary>
internal sealed record AuthorsNoteForm(long ChatId, string Text, string Depth, string Role, string? Problem, bool Saved = false)
{
    public static AuthorsNoteForm From(AuthorsNoteView? note, long chatId) => note is null
        ? new AuthorsNoteForm(chatId, "", "4", "system", null)
        : new AuthorsNoteForm(chatId, note.Text, note.Depth.ToString(CultureInfo.InvariantCulture), note.Role, null);

    /// <summary>Null when the chat is not the caller's (404).</summary>
    public static async Task<AuthorsNoteForm?> SaveAsync(IMediator mediator, long userId, long chatId, string? text, string? depth, string? role,
        CancellationToken ct)
    {
        var typed = new AuthorsNoteForm(chatId, text ?? "", depth ?? "", role ?? "system", null);
        // The depth is read here rather than by model binding, so "abc" or a 30-digit number is a message, not a 400.
        if (!int.TryParse(depth, NumberStyles.Integer, CultureInfo.InvariantCulture, out var d))
        {
            if (await mediator.Send(new GetAuthorsNote(chatId, userId), ct) is null) return null;
            return typed with { Problem = $"The depth must be a whole number from 0 to {PromptOptionValues.MaxDepth}." };
        }
        return await mediator.Send(new SetAuthorsNote(chatId, userId, text ?? "", d, role ?? "system"), ct) switch
        {
            AuthorsNoteOutcome.Saved saved => From(saved.Note, chatId) with { Saved = true },
            AuthorsNoteOutcome.Invalid invalid => typed with { Problem = invalid.Problem },
            _ => null,
        };
    }
}
