using System.Net;
using AngleSharp.Html.Dom;
using CharacterHub.Tests.Support;

namespace CharacterHub.Tests.Integration.Connections;

/// <summary>The connection form posted the way the page's htmx form posts it, with the antiforgery token.</summary>
internal static class ConnectionKit
{
    public const string Page = "/settings/connections";

    /// <summary>A public documentation address (TEST-NET-3): passes the address check without any DNS lookup.</summary>
    public const string PublicUrl = "http://203.0.113.10/v1";

    public static Dictionary<string, string> Fields(string name, string baseUrl, string model = "some-model", string apiKey = "",
        bool makeDefault = false) => new()
    {
        ["name"] = name, ["baseUrl"] = baseUrl, ["apiKey"] = apiKey, ["model"] = model, ["contextSize"] = "8192",
        ["temperature"] = "", ["topP"] = "", ["maxTokens"] = "", ["frequencyPenalty"] = "", ["presencePenalty"] = "", ["stop"] = "",
        ["makeDefault"] = makeDefault ? "true" : "",
    };

    public static Task<HttpResponseMessage> SaveAsync(TestClient client, IDictionary<string, string> fields, long? connectionId = null,
        bool htmx = true) =>
        client.PostFormAsync(Page, fields, $"{Page}?handler=Save" + (connectionId is { } id ? $"&connectionId={id}" : ""), htmx);

    /// <summary>Creates a connection and returns its id, read from the list fragment the save answers with.</summary>
    public static async Task<long> CreateAsync(TestClient client, IDictionary<string, string> fields)
    {
        var response = await SaveAsync(client, fields);
        var html = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), html);
        var item = Items(TestClient.Parse(html)).LastOrDefault(li => li.QuerySelector(".connection-name")!.TextContent == fields["name"]);
        Assert.That(item, Is.Not.Null, html);
        return long.Parse(item!.GetAttribute("data-connection-id")!);
    }

    /// <summary>The user's own connections in the list (the site default row has no id).</summary>
    public static IEnumerable<AngleSharp.Dom.IElement> Items(IHtmlDocument doc) => doc.QuerySelectorAll("li.connection[data-connection-id]");

    public static Task<HttpResponseMessage> ActAsync(TestClient client, string handler, string connectionId, IDictionary<string, string>? fields = null) =>
        client.PostFormAsync(Page, fields ?? new Dictionary<string, string>(), $"{Page}?handler={handler}&connectionId={Uri.EscapeDataString(connectionId)}", htmx: true);

    public static Task<HttpResponseMessage> TestAsync(TestClient client, string baseUrl, string apiKey = "", long? connectionId = null) =>
        client.PostFormAsync(Page, new Dictionary<string, string> { ["baseUrl"] = baseUrl, ["apiKey"] = apiKey },
            $"{Page}?handler=Test" + (connectionId is { } id ? $"&connectionId={id}" : ""), htmx: true);

    public static Task<HttpResponseMessage> SelectAsync(TestClient client, long chatId, string connectionId) =>
        client.PostFormAsync($"/chats/{chatId}", new Dictionary<string, string> { ["connectionId"] = connectionId },
            $"/chats/{chatId}?handler=Connection", htmx: true);
}
