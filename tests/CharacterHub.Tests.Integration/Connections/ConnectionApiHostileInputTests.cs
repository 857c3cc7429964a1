using System.Net;
using System.Text.Json.Nodes;
using static CharacterHub.Tests.Integration.Connections.ConnectionApiKit;
using static CharacterHub.Tests.Integration.Connections.ConnectionKit;

namespace CharacterHub.Tests.Integration.Connections;

/// <summary>Whatever a client sends to /api/connections: never a 5xx, a problem document, and nothing saved changes.</summary>
public sealed class ConnectionApiHostileInputTests : IntegrationTest
{
    private readonly List<IDisposable> owned = [];

    [TearDown]
    public void DisposeOwned()
    {
        foreach (var d in owned) d.Dispose();
        owned.Clear();
    }

    private static readonly string[] Bodies =
    [
        "", "null", "[]", "\"a string\"", "42", "{", "{\"name\": }", "not json at all", "{\"name\":\"a\",\"name\":\"b\"}",
        // Wrong JSON types, field by field.
        """{"name": 5, "base_url": "http://203.0.113.10", "model": "m"}""",
        """{"name": "n", "base_url": ["http://203.0.113.10"], "model": "m"}""",
        """{"name": "n", "base_url": "http://203.0.113.10", "model": {"id": "m"}}""",
        """{"name": "n", "base_url": "http://203.0.113.10", "model": "m", "api_key": 12345}""",
        """{"name": "n", "base_url": "http://203.0.113.10", "model": "m", "context_size": "8192"}""",
        """{"name": "n", "base_url": "http://203.0.113.10", "model": "m", "context_size": 8192.5}""",
        """{"name": "n", "base_url": "http://203.0.113.10", "model": "m", "context_size": 99999999999999999999999999999}""",
        """{"name": "n", "base_url": "http://203.0.113.10", "model": "m", "temperature": 1e400}""",
        """{"name": "n", "base_url": "http://203.0.113.10", "model": "m", "temperature": true}""",
        """{"name": "n", "base_url": "http://203.0.113.10", "model": "m", "max_tokens": -1}""",
        """{"name": "n", "base_url": "http://203.0.113.10", "model": "m", "max_tokens_field": 1}""",
        """{"name": "n", "base_url": "http://203.0.113.10", "model": "m", "stop": "END"}""",
        """{"name": "n", "base_url": "http://203.0.113.10", "model": "m", "stop": [1, 2]}""",
        """{"name": "n", "base_url": "http://203.0.113.10", "model": "m", "stop": ["a\rb"]}""",
        """{"name": "n", "base_url": "http://203.0.113.10", "model": "m", "stop": [""]}""",
        """{"name": "n", "base_url": "http://203.0.113.10", "model": "m", "is_default": "yes"}""",
        """{"name": "\ud800", "base_url": "http://203.0.113.10", "model": "m"}""",
        """{"name": "n\u0000", "base_url": "http://203.0.113.10\u0000", "model": "m"}""",
        """{"name": "n", "base_url": "http://203.0.113.10", "model": "m", "version": "1"}""",
        """{"name": "n", "base_url": "http://203.0.113.10", "model": "m", "version": 99999999999999999999}""",
    ];

    [Test]
    public async Task MalformedBodies_On_CreateUpdateAndTest_Are400Problems_AndChangeNothing()
    {
        var (_, api) = await UserAsync(App, "hostile", owned);
        var id = (await CreateAsync(api, Body("Kept", PublicUrl, apiKey: "sk-kept")))["id"]!.GetValue<long>();
        var before = await SnapshotAsync(Database.ConnectionString);

        foreach (var body in Bodies)
        {
            foreach (var (method, url) in new[] { (HttpMethod.Post, Api), (HttpMethod.Put, $"{Api}/{id}"), (HttpMethod.Post, $"{Api}/test") })
            {
                var response = await SendJsonAsync(api, method, url, body);
                var text = await response.Content.ReadAsStringAsync();
                var label = $"{method} {url} {body}";
                Assert.That((int)response.StatusCode, Is.LessThan(500), label + " → " + text);
                // The unsaved test only reads base_url and api_key: a body it can use is a test, which is a 200 verdict.
                if (response.StatusCode == HttpStatusCode.OK && url.EndsWith("/test", StringComparison.Ordinal)) continue;
                Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), label + " → " + text);
                Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/problem+json"), label);
            }
        }
        Assert.That(await SnapshotAsync(Database.ConnectionString), Is.EqualTo(before));
    }

    [Test]
    public async Task WrongTypes_NameTheField()
    {
        var (_, api) = await UserAsync(App, "typed", owned);
        var body = new JsonObject
        {
            ["name"] = 5, ["base_url"] = PublicUrl, ["model"] = "m", ["context_size"] = "8192", ["temperature"] = true,
            ["stop"] = "END", ["is_default"] = "yes", ["max_tokens_field"] = 2,
        };
        var errors = await FieldErrorsAsync(await PostAsync(api, Api, body));
        Assert.That(errors.Select(e => e.Key), Is.EquivalentTo(new[] { "name", "context_size", "temperature", "stop", "is_default", "max_tokens_field" }));
        Assert.That(FirstError(errors, "context_size"), Does.Contain("must be a number"));
    }

    [Test]
    public async Task HugeStrings_AreRefusedWithAMessage_NeverStored()
    {
        var (_, api) = await UserAsync(App, "huge", owned);
        var big = new string('x', 60_000);
        var errors = await FieldErrorsAsync(await PostAsync(api, Api, Body(big[..5_000], "http://203.0.113.10/" + big[..3_000], big[..1_000], big[..5_000])));
        Assert.That(FirstError(errors, "name"), Does.Contain("at most 64"));
        Assert.That(FirstError(errors, "base_url"), Does.Contain("at most 2,048"));
        Assert.That(FirstError(errors, "model"), Does.Contain("at most 200"));
        Assert.That(FirstError(errors, "api_key"), Does.Contain("at most 4,096"));

        // Over the body limit: refused before it is read, as a problem.
        var tooLarge = await PostAsync(api, Api, Body(new string('x', 200_000), PublicUrl));
        Assert.That((int)tooLarge.StatusCode, Is.EqualTo(413).Or.EqualTo(400), await tooLarge.Content.ReadAsStringAsync());
        Assert.That(tooLarge.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        Assert.That(await CountAsync(Database.ConnectionString), Is.Zero);
    }

    [TestCase("99999999999999999999999")]
    [TestCase("-1")]
    [TestCase("0")]
    [TestCase("abc")]
    [TestCase("1.5")]
    [TestCase("9223372036854775807")]
    public async Task OddIds_Are404Problems(string id)
    {
        var (_, api) = await UserAsync(App, "ids", owned);
        await CreateAsync(api, Body("Kept", PublicUrl));
        var before = await SnapshotAsync(Database.ConnectionString);
        var edit = Body("Changed", PublicUrl);
        edit["version"] = 1;

        var responses = new[]
        {
            await api.GetAsync($"{Api}/{id}"),
            await SendJsonAsync(api, HttpMethod.Put, $"{Api}/{id}", edit.ToJsonString()),
            await api.DeleteAsync($"{Api}/{id}"),
            await api.PostAsync($"{Api}/{id}/default", null),
            await api.PostAsync($"{Api}/{id}/test", null),
        };
        foreach (var response in responses)
        {
            var label = $"{response.RequestMessage!.Method} {response.RequestMessage.RequestUri}";
            Assert.That((int)response.StatusCode, Is.EqualTo(404).Or.EqualTo(405), label + " " + await response.Content.ReadAsStringAsync());
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json").Or.Null, label);
        }
        Assert.That(await SnapshotAsync(Database.ConnectionString), Is.EqualTo(before));
    }
}
