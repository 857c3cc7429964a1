using System.Text;
using CharacterHub.Kernel.Contracts.Characters;
using CharacterHub.Modules.Interaction.Personas;
using Dapper;
using Mediator;
using Npgsql;
using NpgsqlTypes;

namespace CharacterHub.Modules.Interaction.Chats;

internal abstract record ImportChatOutcome
{
    public sealed record Imported(long ChatId, int Messages) : ImportChatOutcome;
    public sealed record Invalid(string Problem) : ImportChatOutcome;
}

/// <summary>
/// Imports a SillyTavern chat file as a new chat with one of the caller's readable characters. All or nothing: the
/// file is parsed whole first (a problem names its line and nothing is written), then the chat, its messages and
/// their swipes are written in one transaction with binary COPY.
/// </summary>
internal sealed record ImportChat(long UserId, long CharacterId, string FileName, byte[] Data) : Mediator.ICommand<ImportChatOutcome>;

internal sealed class ImportChatHandler(NpgsqlDataSource db, IMediator mediator) : Mediator.ICommandHandler<ImportChat, ImportChatOutcome>
{
    public const string TitlePrefix = "Imported: ";

    public async ValueTask<ImportChatOutcome> Handle(ImportChat command, CancellationToken ct)
    {
        if (await mediator.Send(new GetCharacterChatVersion(command.CharacterId, command.UserId), ct) is null)
            return new ImportChatOutcome.Invalid("Choose one of your characters (or a public one) to import the chat into.");
        if (command.Data.Length == 0) return new ImportChatOutcome.Invalid("The file is empty.");
        var (file, problem) = SillyTavernChatFormat.Parse(command.Data);
        if (problem is not null) return new ImportChatOutcome.Invalid($"The chat was not imported. {Capitalize(problem.ToString())}");
        var messages = file!.Messages;

        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var persona = await connection.QuerySingleOrDefaultAsync<ChatPersona>(new CommandDefinition(
            PersonaStore.DefaultSql, new { command.UserId }, tx, cancellationToken: ct));
        var chatId = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "insert into interaction.chats (user_id, character_id, title, persona_id) values (@UserId, @CharacterId, @title, @personaId) returning id",
            new { command.UserId, command.CharacterId, title = Title(command.FileName), personaId = persona?.Id }, tx, cancellationToken: ct));

        var swipeCount = messages.Sum(m => m.Swipes.Count);
        var messageIds = await AllocateAsync(connection, tx, "interaction.messages", messages.Count, ct);
        var swipeIds = await AllocateAsync(connection, tx, "interaction.message_swipes", swipeCount, ct);
        // Messages without a readable time get the import time; their order is the file's, kept by the ids.
        var now = DateTimeOffset.UtcNow;

        await connection.ExecuteAsync(new CommandDefinition(
            "insert into interaction.chat_members (chat_id, character_id, position) values (@chatId, @CharacterId, 0)",
            new { chatId, command.CharacterId }, tx, cancellationToken: ct));
        // The character speaks every non-user, non-system line (character_id is the speaker of an assistant message).
        await using (var copy = await connection.BeginBinaryImportAsync(
            "copy interaction.messages (id, chat_id, role, content, created_at, chosen_swipe_id, character_id) from stdin (format binary)", ct))
        {
            var s = 0;
            for (var i = 0; i < messages.Count; i++)
            {
                var m = messages[i];
                await copy.StartRowAsync(ct);
                await copy.WriteAsync(messageIds[i], NpgsqlDbType.Bigint, ct);
                await copy.WriteAsync(chatId, NpgsqlDbType.Bigint, ct);
                await copy.WriteAsync(Role(m), NpgsqlDbType.Text, ct);
                await copy.WriteAsync(m.Text, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(m.SendDate ?? now, NpgsqlDbType.TimestampTz, ct);
                await copy.WriteAsync(swipeIds[s + m.SwipeId], NpgsqlDbType.Bigint, ct);
                if (Role(m) == "assistant") await copy.WriteAsync(command.CharacterId, NpgsqlDbType.Bigint, ct);
                else await copy.WriteNullAsync(ct);
                s += m.Swipes.Count;
            }
            await copy.CompleteAsync(ct);
        }
        await using (var copy = await connection.BeginBinaryImportAsync(
            "copy interaction.message_swipes (id, message_id, content, status, kind, created_at, finished_at) from stdin (format binary)", ct))
        {
            var s = 0;
            for (var i = 0; i < messages.Count; i++)
            {
                var m = messages[i];
                var at = m.SendDate ?? now;
                for (var k = 0; k < m.Swipes.Count; k++)
                {
                    await copy.StartRowAsync(ct);
                    await copy.WriteAsync(swipeIds[s++], NpgsqlDbType.Bigint, ct);
                    await copy.WriteAsync(messageIds[i], NpgsqlDbType.Bigint, ct);
                    await copy.WriteAsync(m.Swipes[k], NpgsqlDbType.Text, ct);
                    await copy.WriteAsync(SwipeStatus.Complete, NpgsqlDbType.Text, ct);
                    await copy.WriteAsync(Kind(m, i, k), NpgsqlDbType.Text, ct);
                    await copy.WriteAsync(at, NpgsqlDbType.TimestampTz, ct);
                    await copy.WriteAsync(at, NpgsqlDbType.TimestampTz, ct);
                }
            }
            await copy.CompleteAsync(ct);
        }
        await ChatStore.RecordInteractionAsync(connection, tx, command.CharacterId, command.UserId, chatId, "chat_imported", ct);
        await tx.CommitAsync(ct);
        return new ImportChatOutcome.Imported(chatId, messages.Count);
    }

    /// <summary>Ids drawn from the table's identity sequence, ascending, so the file's order is the chat's order.
    /// COPY writes supplied identity values as given (like OVERRIDING SYSTEM VALUE).</summary>
    private static async Task<long[]> AllocateAsync(NpgsqlConnection c, NpgsqlTransaction tx, string table, int count, CancellationToken ct)
    {
        var ids = (await c.QueryAsync<long>(new CommandDefinition(
            "select nextval(pg_get_serial_sequence(@table, 'id')) from generate_series(1, @count)", new { table, count }, tx,
            cancellationToken: ct))).ToArray();
        Array.Sort(ids);
        return ids;
    }

    private static string Role(StChatMessage m) => m.IsSystem ? "system" : m.IsUser ? "user" : "assistant";

    /// <summary>The swipe kinds the chat knows: a user's words, a greeting (assistant lines before the first user line),
    /// or a reply and its regenerations.</summary>
    private static string Kind(StChatMessage m, int index, int swipe) =>
        m.IsUser && !m.IsSystem ? "user" : IsGreeting(index, m) ? "greeting" : swipe == 0 ? "reply" : "regenerate";

    private static bool IsGreeting(int index, StChatMessage m) => index == 0 && !m.IsUser && !m.IsSystem;

    private static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];

    /// <summary>"Imported: " and the upload's file name: no folders, no control characters, whitespace collapsed,
    /// 200 characters in all.</summary>
    public static string Title(string fileName)
    {
        var name = fileName.Replace('\\', '/');
        name = name[(name.LastIndexOf('/') + 1)..];
        var sb = new StringBuilder();
        foreach (var ch in name)
        {
            if (char.IsControl(ch) || char.IsWhiteSpace(ch) || char.GetUnicodeCategory(ch) is System.Globalization.UnicodeCategory.Format)
            {
                if (sb.Length > 0 && sb[^1] != ' ') sb.Append(' ');
            }
            else sb.Append(ch);
        }
        var clean = sb.ToString().Trim();
        if (clean.Length == 0) clean = "chat.jsonl";
        var title = TitlePrefix + clean;
        if (title.Length > 200)
        {
            title = title[..200];
            if (char.IsHighSurrogate(title[^1])) title = title[..^1];
        }
        return title;
    }
}

/// <summary>The characters the import form offers: the caller's own and shared ones, and those they already chat with.</summary>
internal sealed record GetImportCharacters(long UserId, long? AlsoId) : IQuery<IReadOnlyList<ImportCharacterChoice>>;

internal sealed class GetImportCharactersHandler(NpgsqlDataSource db, IMediator mediator) : IQueryHandler<GetImportCharacters, IReadOnlyList<ImportCharacterChoice>>
{
    public async ValueTask<IReadOnlyList<ImportCharacterChoice>> Handle(GetImportCharacters query, CancellationToken ct)
    {
        List<long> chatting;
        await using (var connection = await db.OpenConnectionAsync(ct))
        {
            chatting = (await connection.QueryAsync<long>(new CommandDefinition(
                "select distinct character_id from interaction.chats where user_id = @UserId limit 500", query, cancellationToken: ct))).AsList();
        }
        if (query.AlsoId is { } also) chatting.Add(also);
        return await mediator.Send(new ListCharactersForChat(query.UserId, chatting), ct);
    }
}
