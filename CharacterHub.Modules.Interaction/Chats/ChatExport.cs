using System.Buffers;
using System.Globalization;
using System.Text;
using CharacterHub.Kernel.Contracts.Characters;
using CharacterHub.Kernel.Security;
using CharacterHub.Modules.Interaction.Personas;
using Dapper;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;
using Npgsql;

namespace CharacterHub.Modules.Interaction.Chats;

/// <summary>One exported message: every finished alternative (latest revision applied) and which one is shown.</summary>
internal sealed record ExportedMessage(long Id, string Role, DateTimeOffset CreatedAt, string[] Swipes, int ChosenIndex, long? CharacterId);

/// <summary>
/// Chat downloads: SillyTavern JSONL (<c>/chats/{id}/export?format=jsonl</c>) and a Markdown transcript
/// (<c>format=md</c>). The file is written page by page (keyset on the message id) straight into the response, so a
/// 10,000-message chat is never held in memory whole. Only what the chat shows: tombstoned messages and open replies
/// are left out.
/// </summary>
internal static class ChatExport
{
    public const int PageSize = 500;

    /// <summary>Each row carries its speaker (character_id), so a group chat's lines are named per character.</summary>
    private const string PageSql = """
        with page as (
            select m.id, m.role, m.created_at, m.chosen_swipe_id, m.character_id
            from interaction.messages m
            join interaction.message_swipes c on c.id = m.chosen_swipe_id
            where m.chat_id = @chatId and m.id > @after and c.status not in ('pending', 'streaming')
              and not exists (select 1 from interaction.message_tombstones t where t.message_id = m.id)
            order by m.id
            limit @limit)
        select p.id, p.role, p.created_at, x.swipes, x.chosen_index, p.character_id
        from page p
        cross join lateral (
            select array_agg(coalesce(r.content, s.content) order by s.id) as swipes,
                   array_position(array_agg(s.id order by s.id), p.chosen_swipe_id) - 1 as chosen_index
            from interaction.message_swipes s
            left join lateral (select r.content from interaction.message_revisions r
                               where r.swipe_id = s.id order by r.id desc limit 1) r on true
            where s.message_id = p.id and s.status not in ('pending', 'streaming')) x
        order by p.id
        """;

    private const string SpeakersSql = """
        select character_id from interaction.chat_members where chat_id = @Id
        union
        select distinct m.character_id from interaction.messages m where m.chat_id = @Id and m.character_id is not null
        """;

    public static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/chats/{chatId:long}/export", Export).RequireAuthorization();

    public static async IAsyncEnumerable<ExportedMessage> MessagesAsync(NpgsqlConnection c, long chatId,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var after = 0L;
        while (true)
        {
            var page = (await c.QueryAsync<ExportedMessage>(new CommandDefinition(PageSql, new { chatId, after, limit = PageSize },
                cancellationToken: ct))).AsList();
            foreach (var m in page) yield return m;
            if (page.Count < PageSize) yield break;
            after = page[^1].Id;
        }
    }

    private static async Task Export(long chatId, string? format, HttpContext http, ICurrentUser me, IMediator mediator, NpgsqlDataSource db)
    {
        var ct = http.RequestAborted;
        var markdown = string.Equals(format, "md", StringComparison.OrdinalIgnoreCase) || string.Equals(format, "markdown", StringComparison.OrdinalIgnoreCase);
        if (!markdown && format is not null && !string.Equals(format, "jsonl", StringComparison.OrdinalIgnoreCase))
        {
            http.Response.StatusCode = StatusCodes.Status400BadRequest;
            http.Response.ContentType = "text/plain; charset=utf-8";
            await http.Response.WriteAsync("Choose format=jsonl (SillyTavern) or format=md (Markdown).", ct);
            return;
        }
        await using var connection = await db.OpenConnectionAsync(ct);
        var chat = await ChatStore.GetChatAsync(connection, chatId, me.Id, ct: ct);
        if (chat is null)
        {
            http.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        var persona = await PersonaStore.ResolveAsync(connection, chat.Id, me.Id, me.Username ?? "User", ct);
        var character = await mediator.Send(new GetCharacterForChat(chat.CharacterId, me.Id), ct);
        var characterName = character is null ? "(unavailable character)"
            : GroupChats.DisplayName(character);
        // A group chat's speakers, by character id: its members and anyone who spoke in it (a member removed from the
        // group keeps its lines, and they stay named after it, not after the primary character). A character the user
        // can no longer read gets a neutral name.
        var names = new Dictionary<long, string> { [chat.CharacterId] = characterName };
        foreach (var memberId in await connection.QueryAsync<long>(new CommandDefinition(SpeakersSql, new { chat.Id }, cancellationToken: ct)))
        {
            if (names.ContainsKey(memberId)) continue;
            var member = await mediator.Send(new GetCharacterForChat(memberId, me.Id), ct);
            names[memberId] = member is null ? "(unavailable character)" : GroupChats.DisplayName(member);
        }
        string Speaker(ExportedMessage m) =>
            m.Role == "assistant" && m.CharacterId is { } who && names.TryGetValue(who, out var name) ? name : SpeakerName(m.Role, characterName, persona.Name);

        var response = http.Response;
        response.ContentType = markdown ? "text/markdown; charset=utf-8" : "application/jsonl; charset=utf-8";
        var disposition = new ContentDispositionHeaderValue("attachment");
        disposition.SetHttpFileName(FileName(chat.Title, markdown ? ".md" : ".jsonl"));
        response.Headers.ContentDisposition = disposition.ToString();
        response.Headers.CacheControl = "no-store";

        var messages = MessagesAsync(connection, chat.Id, ct);
        if (markdown) await WriteMarkdownAsync(response, chat, characterName, persona.Name, Speaker, messages, ct);
        else await WriteJsonlAsync(response, chat, characterName, persona.Name, Speaker, messages, ct);
        await response.BodyWriter.FlushAsync(ct);
    }

    private static string SpeakerName(string role, string characterName, string userName) =>
        role switch { "user" => userName, "system" => "System", _ => characterName };

    private static async Task WriteJsonlAsync(HttpResponse response, ChatHeader chat, string characterName, string userName,
        Func<ExportedMessage, string> speaker, IAsyncEnumerable<ExportedMessage> messages, CancellationToken ct)
    {
        var body = response.BodyWriter;
        body.Write(SillyTavernChatFormat.HeaderLine(userName, characterName, chat.CreatedAt));
        var count = 0;
        await foreach (var m in messages)
        {
            var index = Math.Clamp(m.ChosenIndex, 0, Math.Max(0, m.Swipes.Length - 1));
            SillyTavernChatFormat.WriteMessageLine(body, new StChatMessage(speaker(m),
                m.Role == "user", m.Role == "system", m.CreatedAt, m.Swipes.Length == 0 ? [""] : m.Swipes, index));
            if (++count % PageSize == 0) await body.FlushAsync(ct);
        }
    }

    private static async Task WriteMarkdownAsync(HttpResponse response, ChatHeader chat, string characterName, string userName,
        Func<ExportedMessage, string> speaker, IAsyncEnumerable<ExportedMessage> messages, CancellationToken ct)
    {
        var body = response.BodyWriter;
        var sb = new StringBuilder();
        sb.Append("# ").Append(EscapeInline(chat.Title)).Append("\n\n");
        sb.Append("Character: ").Append(EscapeInline(characterName)).Append("  \n");
        sb.Append("You: ").Append(EscapeInline(userName)).Append("  \n");
        sb.Append("Started: ").Append(chat.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture)).Append("  \n");
        sb.Append("Exported: ").Append(DateTimeOffset.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture)).Append("\n\n---\n\n");
        var count = 0;
        await foreach (var m in messages)
        {
            var text = m.Swipes.Length == 0 ? "" : m.Swipes[Math.Clamp(m.ChosenIndex, 0, m.Swipes.Length - 1)];
            sb.Append("**").Append(EscapeInline(speaker(m))).Append(":** ")
              .Append(text.ReplaceLineEndings("\n").TrimEnd()).Append("\n\n");
            if (++count % 50 == 0)
            {
                body.Write(Encoding.UTF8.GetBytes(sb.ToString()));
                sb.Clear();
                if (count % PageSize == 0) await body.FlushAsync(ct);
            }
        }
        body.Write(Encoding.UTF8.GetBytes(sb.ToString()));
    }

    /// <summary>Names and titles are plain text inside the transcript's Markdown: its emphasis characters are escaped.</summary>
    private static string EscapeInline(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var ch in s)
        {
            if (ch is '\r' or '\n') { sb.Append(' '); continue; }
            if (ch is '\\' or '*' or '_' or '`' or '[' or ']' or '#' or '<' or '>') sb.Append('\\');
            sb.Append(ch);
        }
        return sb.ToString();
    }

    /// <summary>A file name safe on any system: the title's letters, digits, '-' and '_', anything else one space (Unicode
    /// letters kept: the header carries them as filename*, with an ASCII fallback), at most 80 characters.</summary>
    public static string FileName(string title, string extension)
    {
        var sb = new StringBuilder();
        foreach (var ch in title.Normalize(NormalizationForm.FormC))
        {
            if (char.IsLetterOrDigit(ch) || ch is '-' or '_') sb.Append(ch);
            else if (sb.Length > 0 && sb[^1] != ' ') sb.Append(' ');
            if (sb.Length >= 80) break;
        }
        var name = sb.ToString().Trim();
        return (name.Length == 0 ? "chat" : name) + extension;
    }
}
