using System.Net;
using System.Text.Json;
using CharacterHub.FakeLlm;
using CharacterHub.Tests.Integration.Chats;
using CharacterHub.Tests.Support;

namespace CharacterHub.Tests.Integration.PromptTools;

internal sealed record SentMessage(string Role, string Content);

internal static class PromptToolsKit
{
    public static List<SentMessage> Messages(RecordedRequest request) =>
        request.Body!.Value.GetProperty("messages").EnumerateArray()
            .Select(m => new SentMessage(m.GetProperty("role").GetString()!, m.GetProperty("content").ValueKind == JsonValueKind.String
                ? m.GetProperty("content").GetString()! : m.GetProperty("content").ToString()))
            .ToList();

    public static Task<HttpResponseMessage> SaveSettingsAsync(TestClient client, string storyString, string systemPrompt = "", string examples = "normal",
        bool htmx = true) =>
        client.PostFormAsync("/settings/prompt", new Dictionary<string, string>
        {
            ["storyString"] = storyString, ["systemPrompt"] = systemPrompt, ["exampleBehaviour"] = examples,
        }, "/settings/prompt?handler=Save", htmx);

    public static Task<HttpResponseMessage> SaveCharacterAsync(TestClient client, long characterId, string storyString, bool htmx = true) =>
        client.PostFormAsync("/settings/prompt", new Dictionary<string, string>
        {
            ["characterStoryString"] = storyString, ["characterId"] = characterId.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }, $"/settings/prompt?handler=Character&characterId={characterId}", htmx);

    public static Task<HttpResponseMessage> SetNoteAsync(TestClient client, long chatId, string text, string depth, string role) =>
        ChatKit.PostAsync(client, chatId, "AuthorsNote", fields: new Dictionary<string, string> { ["authorsNote"] = text, ["depth"] = depth, ["role"] = role });

    /// <summary>Asks for a draft of the user's next line, as the page's script does, and reads the whole stream.</summary>
    public static async Task<(HttpStatusCode Status, List<SseEvent> Events)> ImpersonateAsync(TestClient client, long chatId)
    {
        var response = await client.PostFormAsync($"/chats/{chatId}", new Dictionary<string, string>(), $"/chats/{chatId}/impersonate");
        if (response.StatusCode != HttpStatusCode.OK) return (response.StatusCode, []);
        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("text/event-stream"));
        return (response.StatusCode, await ChatKit.ReadEventsAsync(response));
    }

    public static string Draft(IEnumerable<SseEvent> events) =>
        string.Concat(events.Where(e => e.Name == "token").Select(e => JsonSerializer.Deserialize<string>(e.Data)));
}
