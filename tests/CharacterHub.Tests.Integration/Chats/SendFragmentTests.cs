using System.Net.Http.Json;
using CharacterHub.Tests.Support;
using static CharacterHub.Tests.Integration.Chats.ChatKit;
using static CharacterHub.Tests.Integration.Personas.PersonaKit;

namespace CharacterHub.Tests.Integration.Chats;

/// <summary>The fragment the composer's send swaps in names both speakers right, whether the send could name them
/// from what it already knew (the chat page was open) or had to read them.</summary>
public sealed class SendFragmentTests : IntegrationTest
{
    private static string Speaker(string html, string role) =>
        TestClient.Parse(html).QuerySelector($"article.chat-message.{role} .chat-speaker strong")?.TextContent ?? "(none)";

    [Test]
    public async Task Send_NamesThePersonaAndTheCharactersNickname()
    {
        var client = await SignedInClient("ada");
        var characterId = await CreateCharacterAsync(client, "ada", new { name = "Seraphina", nickname = "Sera", description = "A guardian.", first_message = "Hello." });
        var chatId = await StartChatAsync(client, characterId);
        await client.GetPageAsync($"/chats/{chatId}");

        // No persona yet: the account name.
        var (first, _) = await SendAsync(client, chatId, "Hi there.");
        Assert.That(Speaker(first, "user"), Is.EqualTo("ada"));
        Assert.That(Speaker(first, "assistant"), Is.EqualTo("Sera"));

        // A default persona applies to the chat from the next message on, and the fragment says so.
        await CreateAsync(client, "Captain Ada", makeDefault: true);
        var (second, _) = await SendAsync(client, chatId, "It is me again.");
        Assert.That(Speaker(second, "user"), Is.EqualTo("Captain Ada"));
        Assert.That(Speaker(second, "assistant"), Is.EqualTo("Sera"));
    }

    [Test]
    public async Task Send_AfterTheCharacterIsRenamed_ShowsTheNewNameOnceATurnHasReadIt()
    {
        var client = await SignedInClient("bea");
        var characterId = await CreateCharacterAsync(client, "bea", new { name = "Mira", description = "A keeper.", first_message = "Hello." });
        var chatId = await StartChatAsync(client, characterId);
        await client.GetPageAsync($"/chats/{chatId}");
        var (sent, replyId) = await SendAsync(client, chatId, "Hello Mira.");
        Assert.That(Speaker(sent, "assistant"), Is.EqualTo("Mira"));
        await StreamAsync(client, chatId, replyId);

        using var api = await ApiAsync(client, "bea");
        var current = await api.GetFromJsonAsync<System.Text.Json.Nodes.JsonObject>($"/api/characters/{characterId}");
        current!["name"] = "Mirabel";
        var renamed = await api.PutAsJsonAsync($"/api/characters/{characterId}", current);
        Assert.That(renamed.IsSuccessStatusCode, await renamed.Content.ReadAsStringAsync());

        // The page (and every turn) reads the card again when its version moved.
        await client.GetPageAsync($"/chats/{chatId}");
        var (after, _) = await SendAsync(client, chatId, "New name?");
        Assert.That(Speaker(after, "assistant"), Is.EqualTo("Mirabel"));
    }
}
