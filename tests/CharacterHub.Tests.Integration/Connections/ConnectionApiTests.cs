using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using CharacterHub.Tests.Support;
using static CharacterHub.Tests.Integration.Connections.ConnectionApiKit;
using static CharacterHub.Tests.Integration.Connections.ConnectionKit;

namespace CharacterHub.Tests.Integration.Connections;

/// <summary>/api/connections on the shared host: no site model, private endpoints not allowed.</summary>
public sealed class ConnectionApiTests : IntegrationTest
{
    private const string Key = "sk-api-secret-5f1d9c";
    private readonly List<IDisposable> owned = [];

    [TearDown]
    public void DisposeOwned()
    {
        foreach (var d in owned) d.Dispose();
        owned.Clear();
    }

    [Test]
    public async Task Crud_CreatesReadsUpdatesMakesDefaultAndDeletes_AndNeverReturnsTheKey()
    {
        var (_, api) = await UserAsync(App, "ada", owned);
        var body = Body("Router", PublicUrl, "gpt-4o-mini", Key);
        body["temperature"] = 0.7;
        body["max_tokens"] = 512;
        body["max_tokens_field"] = "max_completion_tokens";
        body["stop"] = new JsonArray("\nUser:", "END");

        var response = await PostAsync(api, Api, body);
        var created = await JsonAsync(response, HttpStatusCode.Created);
        var id = created["id"]!.GetValue<long>();
        Assert.That(response.Headers.Location!.ToString(), Is.EqualTo($"/api/connections/{id}"));
        Assert.Multiple(() =>
        {
            Assert.That(created["name"]!.GetValue<string>(), Is.EqualTo("Router"));
            Assert.That(created["base_url"]!.GetValue<string>(), Is.EqualTo(PublicUrl));
            Assert.That(created["model"]!.GetValue<string>(), Is.EqualTo("gpt-4o-mini"));
            Assert.That(created["has_api_key"]!.GetValue<bool>(), Is.True);
            Assert.That(created.ContainsKey("api_key"), Is.False);
            Assert.That(created["context_size"]!.GetValue<int>(), Is.EqualTo(8192));
            Assert.That(created["temperature"]!.GetValue<double>(), Is.EqualTo(0.7));
            Assert.That(created["top_p"], Is.Null);
            Assert.That(created["max_tokens"]!.GetValue<int>(), Is.EqualTo(512));
            Assert.That(created["max_tokens_field"]!.GetValue<string>(), Is.EqualTo("max_completion_tokens"));
            Assert.That(created["stop"]!.AsArray().Select(s => s!.GetValue<string>()), Is.EqualTo(new[] { "\nUser:", "END" }));
            Assert.That(created["is_default"]!.GetValue<bool>(), Is.False);
            Assert.That(created["version"]!.GetValue<int>(), Is.EqualTo(1));
        });

        var list = await (await api.GetAsync(Api)).Content.ReadAsStringAsync();
        var one = await (await api.GetAsync($"{Api}/{id}")).Content.ReadAsStringAsync();
        foreach (var text in new[] { list, one })
        {
            Assert.That(text, Does.Not.Contain(Key));
            Assert.That(text, Does.Not.Contain("\"api_key\""), "only has_api_key");
        }
        Assert.That(JsonNode.Parse(list)!.AsArray().Select(c => c!["id"]!.GetValue<long>()), Is.EqualTo(new[] { id }));
        Assert.That(JsonNode.Parse(one)!["name"]!.GetValue<string>(), Is.EqualTo("Router"));
        var stored = await Chats.ChatKit.ScalarAsync<string>(Database.ConnectionString, "select api_key_protected from interaction.llm_connections");
        Assert.That(stored, Is.Not.Null.And.Not.Contain(Key), "the key is stored encrypted");

        // PUT replaces the fields; the key is kept because it is not sent.
        var update = Body("Router 2", "https://203.0.113.11", "gpt-4o");
        update.Remove("api_key");
        update["version"] = 1;
        update["max_tokens"] = 256;
        var updated = await JsonAsync(await PutAsync(api, id, update), HttpStatusCode.OK);
        Assert.Multiple(() =>
        {
            Assert.That(updated["name"]!.GetValue<string>(), Is.EqualTo("Router 2"));
            Assert.That(updated["base_url"]!.GetValue<string>(), Is.EqualTo("https://203.0.113.11"));
            Assert.That(updated["version"]!.GetValue<int>(), Is.EqualTo(2));
            Assert.That(updated["has_api_key"]!.GetValue<bool>(), Is.True, "an omitted api_key keeps the saved one");
            Assert.That(updated["temperature"], Is.Null, "PUT replaces: an omitted sampling field is the server's default again");
            Assert.That(updated["max_tokens_field"]!.GetValue<string>(), Is.EqualTo("max_tokens"));
            Assert.That(updated["stop"]!.AsArray(), Is.Empty);
        });

        var second = await CreateAsync(api, Body("Local", "http://203.0.113.12:11434", "llama3"));
        var secondId = second["id"]!.GetValue<long>();
        var madeDefault = await JsonAsync(await api.PostAsync($"{Api}/{secondId}/default", null), HttpStatusCode.OK);
        Assert.That(madeDefault["is_default"]!.GetValue<bool>(), Is.True);
        await JsonAsync(await api.PostAsync($"{Api}/{id}/default", null), HttpStatusCode.OK);
        var defaults = JsonNode.Parse(await api.GetStringAsync(Api))!.AsArray()
            .ToDictionary(c => c!["id"]!.GetValue<long>(), c => c!["is_default"]!.GetValue<bool>());
        Assert.That(defaults, Is.EqualTo(new Dictionary<long, bool> { [id] = true, [secondId] = false }), "one default at a time");

        // is_default left out of a PUT leaves it as it is; null removes the key.
        var keep = Body("Router 2", "https://203.0.113.11", "gpt-4o", apiKey: null);
        keep["version"] = updated["version"]!.GetValue<int>();
        var afterPut = await JsonAsync(await PutAsync(api, id, keep), HttpStatusCode.OK);
        Assert.That(afterPut["is_default"]!.GetValue<bool>(), Is.True);
        Assert.That(afterPut["has_api_key"]!.GetValue<bool>(), Is.False, "api_key: null removes the saved key");

        Assert.That((await api.DeleteAsync($"{Api}/{id}")).StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        var gone = await api.GetAsync($"{Api}/{id}");
        Assert.That(gone.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(gone.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/problem+json"));
        Assert.That((await api.DeleteAsync($"{Api}/{id}")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(await CountAsync(Database.ConnectionString), Is.EqualTo(1));
    }

    [Test]
    public async Task AnotherUsersConnection_Is404ForEveryVerb_AndNothingChanges()
    {
        var (_, owner) = await UserAsync(App, "olga", owned);
        var (_, other) = await UserAsync(App, "mallory", owned);
        var theirs = await CreateAsync(owner, Body("Olga's", PublicUrl, apiKey: Key));
        var id = theirs["id"]!.GetValue<long>();
        var before = await SnapshotAsync(Database.ConnectionString);

        var edit = Body("Stolen", PublicUrl, apiKey: "sk-mallory");
        edit["version"] = 1;
        edit["is_default"] = true;
        var responses = new[]
        {
            await other.GetAsync($"{Api}/{id}"),
            await PutAsync(other, id, edit),
            await other.DeleteAsync($"{Api}/{id}"),
            await other.PostAsync($"{Api}/{id}/default", null),
            await other.PostAsync($"{Api}/{id}/test", null),
        };
        foreach (var response in responses)
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), response.RequestMessage!.Method + " " + response.RequestMessage.RequestUri);
            Assert.That(await response.Content.ReadAsStringAsync(), Does.Not.Contain("Olga"));
        }
        Assert.That(JsonNode.Parse(await other.GetStringAsync(Api))!.AsArray(), Is.Empty, "another user's list is their own");
        Assert.That(await SnapshotAsync(Database.ConnectionString), Is.EqualTo(before));
    }

    [Test]
    public async Task StaleVersion_Is409ProblemWithTheCurrentConnection_AndNothingIsOverwritten()
    {
        var (_, api) = await UserAsync(App, "vic", owned);
        var id = (await CreateAsync(api, Body("Mine", PublicUrl)))["id"]!.GetValue<long>();
        var first = Body("First edit", PublicUrl);
        first["version"] = 1;
        await JsonAsync(await PutAsync(api, id, first), HttpStatusCode.OK);
        var before = await SnapshotAsync(Database.ConnectionString);

        var late = Body("Late edit", PublicUrl);
        late["version"] = 1;
        var response = await PutAsync(api, id, late);
        var problem = await JsonAsync(response, HttpStatusCode.Conflict);
        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/problem+json"));
        Assert.That(problem["status"]!.GetValue<int>(), Is.EqualTo(409));
        Assert.That(problem["current"]!["name"]!.GetValue<string>(), Is.EqualTo("First edit"));
        Assert.That(problem["current"]!["version"]!.GetValue<int>(), Is.EqualTo(2));
        Assert.That(await SnapshotAsync(Database.ConnectionString), Is.EqualTo(before));

        var noVersion = Body("No version", PublicUrl);
        var errors = await FieldErrorsAsync(await PutAsync(api, id, noVersion));
        Assert.That(FirstError(errors, "version"), Does.Contain("Send the version"));
        Assert.That(await SnapshotAsync(Database.ConnectionString), Is.EqualTo(before));
    }

    [TestCase("ftp://example.com/v1", "Only http and https")]
    [TestCase("not a url", "not an absolute URL")]
    [TestCase("http://user:pw@203.0.113.10/v1", "credentials")]
    [TestCase("http://127.0.0.1:11434", "loopback")]
    [TestCase("http://10.1.2.3:8080/v1", "private")]
    [TestCase("http://169.254.169.254/latest", "Refused to connect")]
    [TestCase("http://[::1]:8080", "loopback")]
    public async Task BadOrPrivateBaseUrl_Is400NamingBaseUrl_OnCreateAndUpdate(string baseUrl, string expected)
    {
        var (_, api) = await UserAsync(App, "bob", owned);
        var errors = await FieldErrorsAsync(await PostAsync(api, Api, Body("Bad", baseUrl)));
        Assert.That(FirstError(errors, "base_url"), Does.Contain(expected));
        Assert.That(await CountAsync(Database.ConnectionString), Is.Zero);

        var id = (await CreateAsync(api, Body("Good", PublicUrl)))["id"]!.GetValue<long>();
        var before = await SnapshotAsync(Database.ConnectionString);
        var edit = Body("Good", baseUrl);
        edit["version"] = 1;
        errors = await FieldErrorsAsync(await PutAsync(api, id, edit));
        Assert.That(FirstError(errors, "base_url"), Does.Contain(expected));
        Assert.That(await SnapshotAsync(Database.ConnectionString), Is.EqualTo(before));
    }

    [Test]
    public async Task TestBeforeSaving_RefusesAPrivateAddress_WithoutContactingIt()
    {
        var (_, api) = await UserAsync(App, "pia", owned);
        var result = await JsonAsync(await PostAsync(api, $"{Api}/test", new JsonObject { ["base_url"] = "http://127.0.0.1:9/v1" }),
            HttpStatusCode.OK);
        Assert.That(result["ok"]!.GetValue<bool>(), Is.False);
        Assert.That(result["problem"]!.GetValue<string>(), Does.Contain("loopback").And.Contain("Refused to connect"));
        Assert.That(result["models"]!.AsArray(), Is.Empty);
    }

    [Test]
    public async Task Validation_UsesThePagesRules_WithSnakeCaseFieldNames()
    {
        var (_, api) = await UserAsync(App, "val", owned);
        var body = new JsonObject
        {
            ["name"] = new string('n', 65), ["base_url"] = PublicUrl, ["model"] = "", ["api_key"] = "two words",
            ["context_size"] = 100, ["temperature"] = 2.5, ["top_p"] = 1.5, ["max_tokens"] = 100001, ["max_tokens_field"] = "max_length",
            ["frequency_penalty"] = -3, ["presence_penalty"] = 2.0000001, ["stop"] = new JsonArray(Enumerable.Range(1, 9).Select(i => (JsonNode?)$"S{i}").ToArray()),
        };
        var errors = await FieldErrorsAsync(await PostAsync(api, Api, body));
        Assert.Multiple(() =>
        {
            Assert.That(FirstError(errors, "name"), Does.Contain("at most 64"));
            Assert.That(FirstError(errors, "model"), Does.Contain("Enter the model name"));
            Assert.That(FirstError(errors, "api_key"), Does.Contain("no spaces"));
            Assert.That(FirstError(errors, "context_size"), Does.Contain("between 512 and 2,000,000"));
            Assert.That(FirstError(errors, "temperature"), Does.Contain("between 0 and 2"));
            Assert.That(FirstError(errors, "top_p"), Does.Contain("between 0 and 1"));
            Assert.That(FirstError(errors, "max_tokens"), Does.Contain("between 1 and 100,000"));
            Assert.That(FirstError(errors, "max_tokens_field"), Does.Contain("max_completion_tokens"));
            Assert.That(FirstError(errors, "frequency_penalty"), Does.Contain("between -2 and 2"));
            Assert.That(FirstError(errors, "presence_penalty"), Does.Contain("between -2 and 2"));
            Assert.That(FirstError(errors, "stop"), Does.Contain("At most 8"));
        });

        await CreateAsync(api, Body("Taken", PublicUrl));
        errors = await FieldErrorsAsync(await PostAsync(api, Api, Body("TAKEN", PublicUrl)));
        Assert.That(FirstError(errors, "name"), Does.Contain("already have a connection named"));
        Assert.That(await CountAsync(Database.ConnectionString), Is.EqualTo(1));
    }

    [Test]
    public async Task TheApi_WantsABearerToken_NotTheSiteCookie()
    {
        var page = await SignedInClient("cookie");
        var response = await page.Http.GetAsync(Api);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "a cookie alone cannot call the API, so no antiforgery is needed");
        using var anonymous = new HttpClient { BaseAddress = App.BaseAddress };
        Assert.That((await anonymous.PostAsync(Api, new StringContent("{}"))).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        using var wrong = new HttpClient { BaseAddress = App.BaseAddress };
        wrong.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "chp_not-a-token");
        Assert.That((await wrong.GetAsync(Api)).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(await CountAsync(Database.ConnectionString), Is.Zero);
    }

    [Test]
    public async Task ThePage_AndTheApi_ShowTheSameConnection_IncludingTheReplyLimitField()
    {
        var (page, api) = await UserAsync(App, "pat", owned);
        var fields = Fields("From the page", PublicUrl, model: "o3-mini");
        fields["maxTokensField"] = "max_completion_tokens";
        var id = await CreateAsync(page, fields);
        var json = JsonNode.Parse(await api.GetStringAsync($"{Api}/{id}"))!;
        Assert.That(json["max_tokens_field"]!.GetValue<string>(), Is.EqualTo("max_completion_tokens"));

        var edit = TestClient.Parse((await page.GetPageAsync($"{Page}?edit={id}")).Body);
        Assert.That(edit.QuerySelector("#connection-max-tokens-field option[selected]")!.GetAttribute("value"), Is.EqualTo("max_completion_tokens"));
        var list = TestClient.Parse((await page.GetPageAsync(Page)).Body);
        Assert.That(Items(list).Single().TextContent, Does.Contain("max_completion_tokens"));

        var update = Body("From the page", PublicUrl, "llama3");
        update.Remove("api_key");
        update["version"] = json["version"]!.GetValue<int>();
        update["max_tokens_field"] = "max_tokens";
        await JsonAsync(await PutAsync(api, id, update), HttpStatusCode.OK);
        edit = TestClient.Parse((await page.GetPageAsync($"{Page}?edit={id}")).Body);
        Assert.That(edit.QuerySelector("#connection-max-tokens-field option[selected]")!.GetAttribute("value"), Is.EqualTo("max_tokens"));

        // The page refuses an unknown field name beside the select, and saves nothing.
        var before = await SnapshotAsync(Database.ConnectionString);
        var bad = Fields("From the page", PublicUrl, model: "llama3");
        bad["maxTokensField"] = "max_new_tokens";
        bad["version"] = "2";
        var doc = TestClient.Parse(await (await SaveAsync(page, bad, id)).Content.ReadAsStringAsync());
        Assert.That(doc.QuerySelector("#connection-max-tokens-field-error")!.TextContent, Does.Contain("max_completion_tokens"));
        Assert.That(await SnapshotAsync(Database.ConnectionString), Is.EqualTo(before));
    }
}
