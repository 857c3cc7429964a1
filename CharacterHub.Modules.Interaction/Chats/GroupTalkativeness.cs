using System.Globalization;
using Dapper;
using Mediator;
using Npgsql;

namespace CharacterHub.Modules.Interaction.Chats;

/// <summary>
/// Sets a member's talkativeness in this chat (SillyTavern's: 0 speaks only when mentioned or when nobody else would,
/// 1 speaks up every turn in natural order). <see cref="Value"/> is what the user typed: a number from 0 to 1 (a
/// decimal comma is taken too), or empty to go back to the card's own value (else 0.5).
/// </summary>
internal sealed record SetGroupMemberTalkativeness(long ChatId, long UserId, long CharacterId, string? Value) : Mediator.ICommand<GroupOutcome>;

internal sealed class SetGroupMemberTalkativenessHandler(NpgsqlDataSource db) : Mediator.ICommandHandler<SetGroupMemberTalkativeness, GroupOutcome>
{
    public const int MaxInputLength = 20;

    public const string Problem = "Talkativeness is a number from 0 (only when mentioned) to 1 (every turn), like 0.5; leave it empty for the card's own.";

    private const string Sql = """
        update interaction.chat_members m set talkativeness = @value
        from interaction.chats c
        where c.id = m.chat_id and c.id = @ChatId and c.user_id = @UserId and m.character_id = @CharacterId
        """;

    public async ValueTask<GroupOutcome> Handle(SetGroupMemberTalkativeness command, CancellationToken ct)
    {
        if (!TryParse(command.Value, out var value)) return new GroupOutcome.Invalid(Problem);
        await using var connection = await db.OpenConnectionAsync(ct);
        // The column is real (4 bytes): the value is rounded to what it can hold, so the page shows what is stored.
        var stored = value is { } v ? (float?)(float)Math.Round(v, 3) : null;
        return await connection.ExecuteAsync(new CommandDefinition(Sql,
                new { value = stored, command.ChatId, command.UserId, command.CharacterId }, cancellationToken: ct)) == 1
            ? new GroupOutcome.Done(command.ChatId)
            : new GroupOutcome.NotFound();
    }

    /// <summary>Empty: null (the card's). Otherwise a finite number in 0..1, with a point or a comma for decimals.</summary>
    public static bool TryParse(string? text, out double? value)
    {
        value = null;
        var s = (text ?? "").Trim();
        if (s.Length == 0) return true;
        if (s.Length > MaxInputLength) return false;
        if (!double.TryParse(s.Replace(',', '.'), NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var d)
            || !double.IsFinite(d) || d is < 0 or > 1)
            return false;
        value = d;
        return true;
    }

    /// <summary>How a value is shown in the form: invariant, at most three decimals ("0.5", "0.125").</summary>
    public static string Format(double value) => Math.Round(value, 3).ToString("0.###", CultureInfo.InvariantCulture);
}
