using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using CharacterHub.Tests.Support;
using Dapper;
using Npgsql;
using static CharacterHub.Tests.Integration.Chats.ChatKit;

namespace CharacterHub.Tests.Integration.ChatTools;

/// <summary>Branch, export and import, done the way the pages do them.</summary>
internal static class ChatToolsKit
{
    public static object Card(string name = "Mira", string visibility = "private") => new
    {
        name, description = "A lighthouse keeper.", first_message = "Welcome to the lighthouse, {{user}}.",
        alternate_greetings = new[] { "Storm's coming, {{user}}.", "Oh! A visitor." },
        example_dialogues = "<START>\n{{user}}: Hello?\n{{char}}: *trims the lamp* \"The light never sleeps.\"",
        visibility,
    };

    /// <summary>Sends a message and lets the offline responder finish the reply; returns (user message id, reply id).</summary>
    public static async Task<(long User, long Reply)> TurnAsync(TestClient client, long chatId, string text)
    {
        var (html, replyId) = await SendAsync(client, chatId, text);
        var user = long.Parse(TestClient.Parse(html).QuerySelector("article.chat-message.user")!.GetAttribute("data-message-id")!);
        await StreamAsync(client, chatId, replyId);
        return (user, replyId);
    }

    public static async Task<long> RegenerateAsync(TestClient client, long chatId, long replyId)
    {
        var response = await PostAsync(client, chatId, "Regenerate", replyId);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        await StreamAsync(client, chatId, replyId);
        return replyId;
    }

    public static Task<HttpResponseMessage> BranchAsync(TestClient client, long chatId, long messageId, bool htmx = true) =>
        htmx ? PostAsync(client, chatId, "Branch", messageId)
             : client.PostFormAsync($"/chats/{chatId}", new Dictionary<string, string>(), $"/chats/{chatId}?handler=Branch&messageId={messageId}");

    /// <summary>Branches and returns the new chat's id (from HX-Redirect).</summary>
    public static async Task<long> BranchOkAsync(TestClient client, long chatId, long messageId)
    {
        var response = await BranchAsync(client, chatId, messageId);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NoContent), await response.Content.ReadAsStringAsync());
        var target = response.Headers.GetValues("HX-Redirect").Single();
        Assert.That(target, Does.Match(@"^/chats/\d+$"));
        return long.Parse(target.Split('/').Last());
    }

    public static async Task<(HttpResponseMessage Response, string Body)> ExportAsync(TestClient client, long chatId, string format)
    {
        var response = await client.GetAsync($"/chats/{chatId}/export?format={format}");
        return (response, await response.Content.ReadAsStringAsync());
    }

    /// <summary>The message lines of a JSONL export, parsed (the header line left out).</summary>
    public static List<JsonObject> MessageLines(string jsonl) =>
        jsonl.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();

    /// <summary>Posts the import form: the character and a file, with the form's antiforgery token.</summary>
    public static async Task<HttpResponseMessage> ImportAsync(TestClient client, string? characterId, byte[]? file, string fileName = "chat.jsonl")
    {
        var (_, html) = await client.GetPageAsync("/chats/import");
        var token = TestClient.AntiforgeryToken(html) ?? throw new InvalidOperationException("No antiforgery token on /chats/import");
        using var content = new MultipartFormDataContent { { new StringContent(token), "__RequestVerificationToken" } };
        if (characterId is not null) content.Add(new StringContent(characterId), "characterId");
        if (file is not null)
        {
            var part = new ByteArrayContent(file);
            part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            content.Add(part, "chatFile", fileName);
        }
        return await client.Http.PostAsync("/chats/import", content);
    }

    public static async Task<long> ImportOkAsync(TestClient client, long characterId, byte[] file, string fileName = "chat.jsonl")
    {
        var response = await ImportAsync(client, characterId.ToString(), file, fileName);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Redirect),
            TestClient.Parse(await response.Content.ReadAsStringAsync()).QuerySelector("#chat-import-error")?.TextContent);
        return long.Parse(response.Headers.Location!.ToString().Split('/').Last());
    }

    /// <summary>The problem the import form shows after a refused upload (200, the form again).</summary>
    public static async Task<string> ImportProblemAsync(TestClient client, string? characterId, byte[]? file, string fileName = "chat.jsonl")
    {
        var response = await ImportAsync(client, characterId, file, fileName);
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body);
        return TestClient.Parse(body).QuerySelector("#chat-import-error")?.TextContent.Trim() ?? "";
    }

    public static byte[] Jsonl(params string[] lines) => Encoding.UTF8.GetBytes(string.Join("\n", lines) + "\n");

    /// <summary>Everything the chat tables hold, as one fingerprint: a refused import or a branch must leave it as it was.</summary>
    public static async Task<string> FingerprintAsync(string connectionString, long? chatId = null)
    {
        await using var db = new NpgsqlConnection(connectionString);
        return await db.ExecuteScalarAsync<string>("""
            select concat_ws('|',
              (select string_agg(concat_ws(',', id, title, last_message_at), ';' order by id) from interaction.chats where @chatId::bigint is null or id = @chatId),
              (select string_agg(concat_ws(',', id, role, content, chosen_swipe_id), ';' order by id) from interaction.messages where @chatId::bigint is null or chat_id = @chatId),
              (select string_agg(concat_ws(',', s.id, s.content, s.status), ';' order by s.id) from interaction.message_swipes s join interaction.messages m on m.id = s.message_id where @chatId::bigint is null or m.chat_id = @chatId),
              (select count(*) from interaction.message_revisions),
              (select count(*) from interaction.message_tombstones))
            """, new { chatId }) ?? "";
    }
}
