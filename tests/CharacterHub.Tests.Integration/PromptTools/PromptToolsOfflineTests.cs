using System.Net;
using CharacterHub.Tests.Support;
using static CharacterHub.Tests.Integration.Chats.ChatKit;
using static CharacterHub.Tests.Integration.PromptTools.PromptToolsKit;

namespace CharacterHub.Tests.Integration.PromptTools;

/// <summary>Prompt tools on the shared host, which has no model: offline replies and hostile input.</summary>
public sealed class PromptToolsOfflineTests : IntegrationTest
{
    private static object Card(string name = "Mira") => new
    {
        name, description = "A lighthouse keeper.", first_message = "Welcome, {{user}}.", visibility = "private",
        example_dialogues = "<START>\n{{user}}: Hello?\n{{char}}: \"The light never sleeps.\"",
    };

    [Test]
    public async Task Impersonate_WithoutAModel_SaysItNeedsOne_AndWritesNothing()
    {
        var client = await SignedInClient("offline");
        var chatId = await StartChatAsync(client, await CreateCharacterAsync(client, "offline", Card()));
        var page = TestClient.Parse((await client.GetPageAsync($"/chats/{chatId}")).Body);
        Assert.That(page.QuerySelector("#impersonate")!.GetAttribute("data-impersonate-url"), Is.EqualTo($"/chats/{chatId}/impersonate"));
        Assert.That(page.QuerySelector("script[src*='prompt-tools']"), Is.Not.Null);

        var (status, events) = await ImpersonateAsync(client, chatId);
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(events.Single(e => e.Name == "problem").Data, Does.Contain("Impersonate needs a model connection"));
        Assert.That(events.Any(e => e.Name == "token"), Is.False);
        Assert.That(events[^1].Name, Is.EqualTo("done"));
        Assert.That(await ScalarAsync<long>(Database.ConnectionString, "select count(*) from interaction.messages where chat_id = @chatId", new { chatId }), Is.EqualTo(1));
    }

    [Test]
    public async Task Inspector_ForAnOfflineReply_SaysNoModelPromptWasSent_AndWhatItUsed()
    {
        var client = await SignedInClient("quiet");
        var chatId = await StartChatAsync(client, await CreateCharacterAsync(client, "quiet", Card()));
        var (_, replyId) = await SendAsync(client, chatId, "Hello?");
        await StreamAsync(client, chatId, replyId);
        var (response, html) = await client.GetPageAsync($"/chats/{chatId}/messages/{replyId}/prompt");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(html, Does.Contain("No model prompt was sent").And.Contain("example dialogue"));
        Assert.That(TestClient.Parse(html).QuerySelectorAll(".prompt-section"), Is.Empty);
    }

    [Test]
    public async Task AuthorsNote_HostileInput_IsAMessage_NeverA5xx_AndChangesNothing()
    {
        var client = await SignedInClient("hostile");
        var chatId = await StartChatAsync(client, await CreateCharacterAsync(client, "hostile", Card()));
        await SetNoteAsync(client, chatId, "Original note.", "3", "assistant");

        var cases = new (string Text, string Depth, string Role, string Problem)[]
        {
            ("x", "abc", "system", "whole number"),
            ("x", "99999999999999999999999", "system", "whole number"),
            ("x", "-1", "system", "0 to 100"),
            ("x", "101", "system", "0 to 100"),
            ("x", "4", "admin'; drop table interaction.chats; --", "system, user or assistant"),
            (new string('n', 5001), "4", "system", "at most 5,000"),
            ("x", "", "", "whole number"),
        };
        foreach (var (text, depth, role, problem) in cases)
        {
            var response = await SetNoteAsync(client, chatId, text, depth, role);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), $"{depth}/{role}");
            var form = TestClient.Parse(await response.Content.ReadAsStringAsync());
            Assert.That(form.QuerySelector("#authors-note-error")!.TextContent, Does.Contain(problem));
            Assert.That(form.QuerySelector("#authors-note-text")!.TextContent, Is.EqualTo(text), "what was typed stays");
        }
        Assert.That(await ScalarAsync<string>(Database.ConnectionString,
            "select authors_note || '|' || authors_note_depth || '|' || authors_note_role from interaction.chats where id = @chatId", new { chatId }),
            Is.EqualTo("Original note.|3|assistant"));

        // Without htmx an invalid note shows the whole page with the message.
        var plain = await client.PostFormAsync($"/chats/{chatId}", new Dictionary<string, string> { ["authorsNote"] = "y", ["depth"] = "500", ["role"] = "user" },
            $"/chats/{chatId}?handler=AuthorsNote");
        Assert.That(plain.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(TestClient.Parse(await plain.Content.ReadAsStringAsync()).QuerySelector("#authors-note-error")!.TextContent, Does.Contain("0 to 100"));

        // Another user's chat, or no chat at all, is 404 whatever the input.
        var other = await SignedInClient("other");
        var otherChat = await StartChatAsync(other, await CreateCharacterAsync(other, "other", Card("Nox")));
        foreach (var depth in new[] { "4", "abc" })
        {
            var foreign = await other.PostFormAsync($"/chats/{otherChat}", new Dictionary<string, string> { ["authorsNote"] = "mine now", ["depth"] = depth, ["role"] = "system" },
                $"/chats/{chatId}?handler=AuthorsNote", htmx: true);
            Assert.That(foreign.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        }
        Assert.That(await ScalarAsync<string>(Database.ConnectionString, "select authors_note from interaction.chats where id = @chatId", new { chatId }),
            Is.EqualTo("Original note."));
        Assert.That((await client.GetAsync("/chats/99999999999999999999999/messages/1/prompt")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((await client.GetAsync("/chats/abc/messages/1/prompt")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task PromptSettings_HostileInput_IsAMessage_NeverA5xx_AndSavesNothing()
    {
        var client = await SignedInClient("settler");
        var characterId = await CreateCharacterAsync(client, "settler", Card());
        var other = await SignedInClient("stranger");
        var privateCharacter = await CreateCharacterAsync(other, "stranger", Card("Secret"));

        foreach (var url in new[] { "/settings/prompt", "/settings/prompt?characterId=abc", "/settings/prompt?characterId=99999999999999999999999",
                     $"/settings/prompt?characterId={characterId}" })
        {
            Assert.That((await client.GetAsync(url)).StatusCode, Is.EqualTo(HttpStatusCode.OK), url);
        }
        // A private character of someone else cannot be picked, previewed or given a story string.
        Assert.That((await client.GetAsync($"/settings/prompt?characterId={privateCharacter}")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((await SaveCharacterAsync(client, privateCharacter, "{{char}}")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        var peek = await client.PostFormAsync("/settings/prompt", new Dictionary<string, string> { ["storyString"] = "{{description}}", ["characterId"] = privateCharacter.ToString() },
            "/settings/prompt?handler=Preview", htmx: true);
        Assert.That(peek.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));

        var responses = new List<HttpResponseMessage>
        {
            await SaveSettingsAsync(client, new string('{', 30_000)),
            await SaveSettingsAsync(client, "{{system}}", new string('s', 20_001)),
            await SaveSettingsAsync(client, "{{system}}", "", "sometimes"),
            await SaveSettingsAsync(client, "{{#each}}{{/if}}{{> x}}{{{{raw}}}}"),
            await SaveCharacterAsync(client, characterId, new string('}', 20_001)),
            await client.PostFormAsync("/settings/prompt", new Dictionary<string, string> { ["storyString"] = new string('x', 25_000) }, "/settings/prompt?handler=Preview", htmx: true),
            await client.PostFormAsync("/settings/prompt", new Dictionary<string, string> { ["characterStoryString"] = "{{char}}", ["characterId"] = "abc" },
                "/settings/prompt?handler=PreviewCharacter", htmx: true),
        };
        foreach (var r in responses) Assert.That((int)r.StatusCode, Is.LessThan(500), await r.Content.ReadAsStringAsync());
        Assert.That(responses.Take(5).Select(r => r.StatusCode), Is.All.EqualTo(HttpStatusCode.OK));
        Assert.That(await ScalarAsync<long>(Database.ConnectionString, "select count(*) from interaction.prompt_settings"), Is.Zero);
        Assert.That(await ScalarAsync<long>(Database.ConnectionString, "select count(*) from interaction.character_story_strings"), Is.Zero);
        Assert.That((await client.PostFormAsync("/settings/prompt", new Dictionary<string, string> { ["characterStoryString"] = "x" },
            "/settings/prompt?handler=Character&characterId=99999999999999999999999", htmx: true)).StatusCode, Is.LessThan(HttpStatusCode.InternalServerError));

        // Signed out: the page asks for a login instead.
        var anonymous = Client();
        var redirect = await anonymous.GetAsync("/settings/prompt");
        Assert.That(redirect.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
    }
}
