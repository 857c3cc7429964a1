using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using CharacterHub.Tests.Support;

namespace CharacterHub.Tests.Integration.Connections;

/// <summary>/api/connections as a client with a personal access token calls it.</summary>
internal static class ConnectionApiKit
{
    public const string Api = "/api/connections";

    /// <summary>A signed-in page client and an API client (Bearer token) for the same new user.</summary>
    public static async Task<(TestClient Page, HttpClient Api)> UserAsync(TestApp app, string username, List<IDisposable> owned)
    {
        var page = app.CreateClient();
        owned.Add(page);
        await page.RegisterAsync(username);
        var api = await Chats.ChatKit.ApiAsync(page, username);
        owned.Add(api);
        return (page, api);
    }

    public static JsonObject Body(string name, string baseUrl, string model = "some-model", string? apiKey = null) => new()
    {
        ["name"] = name, ["base_url"] = baseUrl, ["model"] = model, ["api_key"] = apiKey,
    };

    public static Task<HttpResponseMessage> SendJsonAsync(HttpClient api, HttpMethod method, string url, string json)
    {
        var request = new HttpRequestMessage(method, url) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        // A body the API may refuse for its size is refused from the headers: waiting for that answer ("Expect:
        // 100-continue") keeps the client from racing it with its writes, which can end in a broken pipe instead.
        if (json.Length > 16 * 1024) request.Headers.ExpectContinue = true;
        return api.SendAsync(request);
    }

    public static Task<HttpResponseMessage> PostAsync(HttpClient api, string url, JsonNode body) =>
        SendJsonAsync(api, HttpMethod.Post, url, body.ToJsonString());

    public static Task<HttpResponseMessage> PutAsync(HttpClient api, long id, JsonNode body) =>
        SendJsonAsync(api, HttpMethod.Put, $"{Api}/{id}", body.ToJsonString());

    public static async Task<JsonObject> CreateAsync(HttpClient api, JsonObject body)
    {
        var response = await PostAsync(api, Api, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), text);
        return JsonNode.Parse(text)!.AsObject();
    }

    public static async Task<JsonObject> JsonAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(expected), text);
        return JsonNode.Parse(text)!.AsObject();
    }

    /// <summary>A 400 problem document's field errors, asserting its shape.</summary>
    public static async Task<JsonObject> FieldErrorsAsync(HttpResponseMessage response)
    {
        var problem = await JsonAsync(response, HttpStatusCode.BadRequest);
        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/problem+json"));
        Assert.That(problem["status"]!.GetValue<int>(), Is.EqualTo(400));
        return problem["errors"]!.AsObject();
    }

    public static string FirstError(JsonObject errors, string field) =>
        errors[field] is JsonArray messages ? messages[0]!.GetValue<string>() : throw new AssertionException($"no error for {field}: {errors}");

    public static Task<long> CountAsync(string connectionString) =>
        Chats.ChatKit.ScalarAsync<long>(connectionString, "select count(*) from interaction.llm_connections");

    /// <summary>Every column of every connection, to prove a refused request changed nothing.</summary>
    public static Task<string> SnapshotAsync(string connectionString) =>
        Chats.ChatKit.ScalarAsync<string>(connectionString, """
            select coalesce(string_agg(concat_ws('|', id, user_id, name, base_url, api_key_protected, model, context_size, temperature,
                top_p, max_tokens, max_tokens_field, frequency_penalty, presence_penalty, stop_strings::text, is_default, version),
                ';' order by id), '') from interaction.llm_connections
            """);
}
