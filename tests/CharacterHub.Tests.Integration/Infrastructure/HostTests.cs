using System.Net;
using System.Text.Json;

namespace CharacterHub.Tests.Integration.Infrastructure;

public sealed class HostTests : IntegrationTest
{
    [Test]
    public async Task Health_WhenDatabaseAnswers_Is200Json()
    {
        var response = await Client().GetAsync("/health");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.That(json.RootElement.GetProperty("status").GetString(), Is.EqualTo("healthy"));
        Assert.That(json.RootElement.GetProperty("database").GetString(), Is.EqualTo("up"));
    }

    [Test]
    public async Task EveryPage_CarriesSecurityHeaders_AndAStrictPolicy()
    {
        var response = await Client().GetAsync("/");
        var csp = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Multiple(() =>
        {
            Assert.That(csp, Does.Contain("script-src 'self'").And.Not.Contain("unsafe-inline"));
            Assert.That(csp, Does.Contain("frame-ancestors 'none'"));
            Assert.That(response.Headers.GetValues("X-Content-Type-Options").Single(), Is.EqualTo("nosniff"));
            Assert.That(response.Headers.GetValues("Referrer-Policy").Single(), Is.EqualTo("strict-origin-when-cross-origin"));
            Assert.That(response.Headers.Contains("X-Correlation-Id"));
        });
    }

    [Test]
    public async Task HomePage_ForAVisitor_SaysWhatTheProductDoes()
    {
        var (response, html) = await Client().GetPageAsync("/");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(html, Does.Contain("Create an account").And.Contain("role-play"));
        var doc = Support.TestClient.Parse(html);
        var nav = doc.QuerySelectorAll("nav.site-nav a").Select(a => a.TextContent.Trim()).ToList();
        Assert.That(nav, Is.EqualTo(new[] { "My characters", "Marketplace", "Chats", "Collections", "Events" }));
        Assert.That(doc.QuerySelectorAll("script:not([src])"), Is.Empty, "no inline script");
    }

    [Test]
    public async Task UnknownPage_Is404PageWithTheCorrelationId()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/no/such/page");
        request.Headers.Add("X-Correlation-Id", "test-correlation-1234");
        var response = await Client().Http.SendAsync(request);
        var html = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(html, Does.Contain("Page not found").And.Contain("test-correlation-1234"));
    }

    [Test]
    public async Task UnknownApiPath_WithToken_Is404ProblemJson()
    {
        var client = await SignedInClient("apiuser");
        var token = await client.CreateTokenAsync("apiuser");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/definitely-not-here");
        request.Headers.Authorization = new("Bearer", token);
        var response = await client.Http.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/problem+json"));
    }

    [Test]
    public async Task ApiMethodThatDoesNotExist_IsProblemJson_NamingTheFailedRequest()
    {
        var response = await Client().Http.SendAsync(new HttpRequestMessage(HttpMethod.Patch, "/api/tokens"));
        Assert.That((int)response.StatusCode, Is.EqualTo(404));
        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/problem+json"));
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.That(json.RootElement.GetProperty("instance").GetString(), Is.EqualTo("/api/tokens"));
    }

    [Test]
    public async Task OversizedBody_IsRefusedBeforeItIsRead()
    {
        // The body's size is declared up front with "Expect: 100-continue": the server must answer from the headers
        // alone, so the client never sends a byte of it. (Streaming the body instead races the server's early
        // refusal against the client's writes, which sometimes ends in a connection reset rather than the answer.)
        using var handler = new SocketsHttpHandler { Expect100ContinueTimeout = TimeSpan.FromSeconds(60) };
        using var http = new HttpClient(handler) { BaseAddress = App.BaseAddress };
        var payload = new CountingContent(2 * 1024 * 1024);
        payload.Headers.ContentType = new("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/tokens") { Content = payload };
        request.Headers.ExpectContinue = true;
        var response = await http.SendAsync(request);
        Assert.That((int)response.StatusCode, Is.EqualTo(413));
        Assert.That(payload.BytesSent, Is.Zero, "the body was read before it was refused");
    }

    private sealed class CountingContent(int length) : HttpContent
    {
        public long BytesSent;

        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            var chunk = new byte[64 * 1024];
            for (var sent = 0; sent < length; sent += chunk.Length)
            {
                await stream.WriteAsync(chunk);
                Interlocked.Add(ref BytesSent, chunk.Length);
            }
        }

        protected override bool TryComputeLength(out long size)
        {
            size = length;
            return true;
        }
    }
}
