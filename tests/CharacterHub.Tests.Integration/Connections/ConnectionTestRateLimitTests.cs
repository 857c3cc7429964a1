using System.Net;
using System.Text.Json.Nodes;
using CharacterHub.FakeLlm;
using CharacterHub.Tests.Support;
using static CharacterHub.Tests.Integration.Connections.ConnectionApiKit;
using static CharacterHub.Tests.Integration.Connections.ConnectionKit;

namespace CharacterHub.Tests.Integration.Connections;

/// <summary>"Test connection" is limited per user, on the page and in the API together; its own host with a limit of 3.</summary>
public sealed class ConnectionTestRateLimitTests : IntegrationTest
{
    private readonly List<IDisposable> owned = [];

    [TearDown]
    public void DisposeOwned()
    {
        foreach (var d in owned) d.Dispose();
        owned.Clear();
    }

    [Test]
    public async Task FourthTestInAMinute_IsRefused_OnThePageAndAsA429Problem_AndReachesNoServer()
    {
        await using var model = await FakeLlmServer.StartAsync();
        await using var host = await TestApp.StartAsync(Database.ConnectionString, settings: new Dictionary<string, string?>
        {
            ["Llm:AllowPrivateEndpoints"] = "true", ["RateLimits:ConnectionTestPerMinute"] = "3",
        });
        model.Models = ["alpha"];
        var (page, api) = await UserAsync(host, "tina", owned);
        var saved = (await CreateAsync(api, Body("Mine", model.BaseUrl, "alpha")))["id"]!.GetValue<long>();
        var unsaved = new JsonObject { ["base_url"] = model.BaseUrl };

        // A test refused before anything goes out (no URL) does not count.
        var blank = await (await TestAsync(page, "")).Content.ReadAsStringAsync();
        Assert.That(blank, Does.Contain("Enter the base URL first"));

        // Three tests, through the page and both API routes: one count per user.
        Assert.That(await (await TestAsync(page, model.BaseUrl)).Content.ReadAsStringAsync(), Does.Contain("Connected."));
        Assert.That((await JsonAsync(await api.PostAsync($"{Api}/{saved}/test", null), HttpStatusCode.OK))["ok"]!.GetValue<bool>(), Is.True);
        Assert.That((await JsonAsync(await PostAsync(api, $"{Api}/test", unsaved), HttpStatusCode.OK))["ok"]!.GetValue<bool>(), Is.True);

        var limited = await api.PostAsync($"{Api}/{saved}/test", null);
        var problem = await JsonAsync(limited, HttpStatusCode.TooManyRequests);
        Assert.That(limited.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/problem+json"));
        Assert.That(problem["status"]!.GetValue<int>(), Is.EqualTo(429));
        Assert.That(problem["detail"]!.GetValue<string>(), Does.Contain("3 times a minute"));
        var retryAfter = int.Parse(limited.Headers.GetValues("Retry-After").Single());
        Assert.That(retryAfter, Is.InRange(1, 60));
        Assert.That((await PostAsync(api, $"{Api}/test", unsaved)).StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));

        // The page says it in words where the result would be (htmx swaps 200s), and without JS in the whole page.
        var fragment = await TestAsync(page, model.BaseUrl);
        var html = await fragment.Content.ReadAsStringAsync();
        Assert.That(fragment.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(TestClient.Parse(html).QuerySelector(".connection-test-limited")!.TextContent,
            Does.Contain("Not tested").And.Contain("3 times a minute").And.Contain("Wait"));
        var noJs = await page.PostFormAsync(Page, Fields("Typed", model.BaseUrl), $"{Page}?handler=Test", htmx: false);
        var noJsHtml = await noJs.Content.ReadAsStringAsync();
        Assert.That(noJs.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(TestClient.Parse(noJsHtml).QuerySelector("#connection-test .connection-test-limited"), Is.Not.Null, noJsHtml);

        Assert.That(model.Requests.Count(r => r.Path == "/v1/models"), Is.EqualTo(3), "refused tests never reach the server");

        // Another user has a count of their own.
        var (otherPage, _) = await UserAsync(host, "uwe", owned);
        Assert.That(await (await TestAsync(otherPage, model.BaseUrl)).Content.ReadAsStringAsync(), Does.Contain("Connected."));
    }
}
