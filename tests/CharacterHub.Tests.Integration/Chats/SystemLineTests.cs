using CharacterHub.FakeLlm;
using CharacterHub.Tests.Support;
using static CharacterHub.Tests.Integration.ChatTools.ChatToolsKit;
using static CharacterHub.Tests.Integration.Chats.ChatKit;

namespace CharacterHub.Tests.Integration.Chats;

/// <summary>
/// System lines of a chat imported from SillyTavern (<c>is_system</c>): notes for the reader, as in SillyTavern. The
/// page shows them as notes, not as the character's words, and no prompt ever carries them.
/// </summary>
public sealed class SystemLineTests : IntegrationTest
{
    private const string Note = "NOTE-7Q: the reader bookmarked this scene.";
    private FakeModelHost host = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => host = await FakeModelHost.StartAsync(Database.ConnectionString);

    [OneTimeTearDown]
    public async Task StopAsync() => await host.DisposeAsync();

    [TearDown]
    public void ResetHost() => host.Reset();

    private async Task<(TestClient Client, long ChatId)> ImportedChatAsync(string username)
    {
        var client = host.CreateClient();
        await client.RegisterAsync(username);
        var characterId = await CreateCharacterAsync(client, username, Card());
        var file = Jsonl(
            """{"user_name":"Ann","character_name":"Mira","create_date":"2026-11-24@01h23m45s","chat_metadata":{}}""",
            """{"name":"Mira","is_user":false,"is_system":false,"mes":"The lamp is lit."}""",
            """{"name":"Ann","is_user":true,"is_system":false,"mes":"Can I come up?"}""",
            $$"""{"name":"System","is_user":false,"is_system":true,"mes":"{{Note}} <script>alert(1)</script>"}""",
            """{"name":"Mira","is_user":false,"is_system":false,"mes":"Mind the stairs."}""");
        return (client, await ImportOkAsync(client, characterId, file, "Mira.jsonl"));
    }

    [Test]
    public async Task SystemLine_IsNeverSentToTheModel_TheRestOfTheHistoryIs()
    {
        var (client, chatId) = await ImportedChatAsync("noter");
        host.Model.Script(FakeLlmBehavior.Reply("Up you come."));
        var (_, replyId) = await SendAsync(client, chatId, "Thanks!");
        await StreamAsync(client, chatId, replyId);

        var sent = host.Model.ChatRequests.Single().Body!.Value.GetProperty("messages").ToString();
        Assert.That(sent, Does.Contain("The lamp is lit.").And.Contain("Can I come up?").And.Contain("Mind the stairs.").And.Contain("Thanks!"));
        Assert.That(sent, Does.Not.Contain("NOTE-7Q"), "a system line is a note for the reader, never part of the prompt");

        // Regenerating and continuing build their prompts from the same history.
        var regenerated = await PostAsync(client, chatId, "Regenerate", replyId);
        var pending = TestClient.Parse(await regenerated.Content.ReadAsStringAsync()).QuerySelector("article[data-status=pending]");
        Assert.That(pending, Is.Not.Null);
        await StreamAsync(client, chatId, replyId);
        Assert.That(host.Model.ChatRequests, Has.Count.EqualTo(2));
        Assert.That(host.Model.ChatRequests[^1].Body!.Value.GetProperty("messages").ToString(), Does.Not.Contain("NOTE-7Q"));
    }

    [Test]
    public async Task SystemLine_IsShownAsANote_NotAsTheCharacter()
    {
        var (client, chatId) = await ImportedChatAsync("reader");
        var page = TestClient.Parse((await client.GetPageAsync($"/chats/{chatId}")).Body);
        var messages = page.QuerySelectorAll("article.chat-message").ToList();
        Assert.That(messages, Has.Count.EqualTo(4));

        var note = messages[2];
        Assert.That(note.ClassList, Does.Contain("chat-system-note").And.Contain("system"));
        Assert.That(note.QuerySelector(".chat-text")!.TextContent, Does.Contain(Note));
        Assert.That(note.QuerySelector(".chat-speaker strong")!.TextContent, Is.EqualTo("Note"), "not shown as Mira's line");
        Assert.That(note.QuerySelector(".chat-note-badge")!.TextContent, Does.Contain("not sent to the model"));
        Assert.That(note.QuerySelector("script"), Is.Null, "rendered sanitized");
        // Only the system line is styled as a note; the character's lines are hers.
        Assert.That(page.QuerySelectorAll("article.chat-system-note"), Has.Length.EqualTo(1));
        Assert.That(messages[0].QuerySelector(".chat-speaker strong")!.TextContent, Is.EqualTo("Mira"));
        Assert.That(note.QuerySelector("[hx-post*='handler=Regenerate']"), Is.Null, "a note is not a reply to regenerate");

        // The fragment an htmx refresh fetches is the same note.
        var fragment = await MessageAsync(client, chatId, long.Parse(note.GetAttribute("data-message-id")!));
        Assert.That(fragment.QuerySelector("article")!.ClassList, Does.Contain("chat-system-note"));
    }
}
