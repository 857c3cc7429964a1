using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using CharacterHub.Tests.Support;
using Dapper;
using Npgsql;

namespace CharacterHub.Tests.Integration.Accounts;

public sealed class TokenTests : IntegrationTest
{
    [Test]
    public async Task PostApiTokens_WithCredentials_Returns201AndAWorkingToken()
    {
        await Client().RegisterAsync("mia");
        var api = Client();
        var response = await api.Http.PostAsJsonAsync("/api/tokens", new { username = "mia", password = "correct horse battery", name = "cli" });
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        var token = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;
        Assert.That(token, Does.StartWith("chp_"));

        var me = await Get(api, "/api/me", token);
        Assert.That(me.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await me.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("username").GetString(), Is.EqualTo("mia"));

        await using var db = new NpgsqlConnection(Database.ConnectionString);
        var stored = await db.QuerySingleAsync<(byte[] Hash, string Prefix)>("select token_hash, token_prefix from accounts.personal_access_tokens");
        Assert.That(stored.Hash, Has.Length.EqualTo(32), "only the SHA-256 is stored");
        Assert.That(stored.Prefix, Is.EqualTo(token[..10]));
    }

    [Test]
    public async Task Api_WithoutOrWithBadToken_Is401ProblemJson()
    {
        var client = Client();
        var anonymous = await client.GetAsync("/api/me");
        Assert.That(anonymous.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(anonymous.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/problem+json"));
        Assert.That((await anonymous.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetInt32(), Is.EqualTo(401));

        var bad = await Get(client, "/api/me", "chp_thisisnotarealtoken");
        Assert.That(bad.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(bad.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/problem+json"));
    }

    [Test]
    public async Task Api_DoesNotAcceptTheSiteCookie()
    {
        var client = await SignedInClient("noah");
        var response = await client.GetAsync("/api/me");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "cookies never authenticate /api (no CSRF there)");
    }

    [Test]
    public async Task PostApiTokens_WithWrongPassword_Is401()
    {
        await Client().RegisterAsync("olga");
        var response = await Client().Http.PostAsJsonAsync("/api/tokens", new { username = "olga", password = "wrong password", name = "x" });
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/problem+json"));
    }

    [Test]
    public async Task AccountPage_CreatesTokenShownOnce_AndRevokeStopsIt()
    {
        var client = await SignedInClient("pete");
        var created = await client.PostFormAsync("/account", new Dictionary<string, string> { ["TokenName"] = "backup script", ["TokenExpiresInDays"] = "30" },
            action: "/account?handler=CreateToken", htmx: true);
        var fragment = await created.Content.ReadAsStringAsync();
        var token = TestClient.Parse(fragment).QuerySelector("#new-token")!.TextContent.Trim();
        Assert.That(token, Does.StartWith("chp_"));
        Assert.That((await Get(client, "/api/me", token)).StatusCode, Is.EqualTo(HttpStatusCode.OK));

        var (_, page) = await client.GetPageAsync("/account");
        Assert.That(page, Does.Not.Contain(token), "the token is never shown again");
        Assert.That(page, Does.Contain("backup script").And.Contain("expires"));

        await using var db = new NpgsqlConnection(Database.ConnectionString);
        var id = await db.ExecuteScalarAsync<long>("select id from accounts.personal_access_tokens");
        await client.PostFormAsync("/account", new Dictionary<string, string> { ["tokenId"] = id.ToString() }, action: "/account?handler=RevokeToken");
        Assert.That((await Get(client, "/api/me", token)).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task RevokeToken_OfAnotherUser_DoesNothing()
    {
        var owner = await SignedInClient("quinn");
        var token = await owner.CreateTokenAsync("quinn");
        var other = await SignedInClient("rosa");
        await using var db = new NpgsqlConnection(Database.ConnectionString);
        var id = await db.ExecuteScalarAsync<long>("select id from accounts.personal_access_tokens");
        await other.PostFormAsync("/account", new Dictionary<string, string> { ["tokenId"] = id.ToString() }, action: "/account?handler=RevokeToken");
        Assert.That((await Get(owner, "/api/me", token)).StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task ExpiredToken_IsRefused()
    {
        var client = await SignedInClient("sam");
        var token = await client.CreateTokenAsync("sam");
        await using var db = new NpgsqlConnection(Database.ConnectionString);
        await db.ExecuteAsync("update accounts.personal_access_tokens set expires_at = now() - interval '1 second'");
        Assert.That((await Get(client, "/api/me", token)).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    private static Task<HttpResponseMessage> Get(TestClient client, string url, string token)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client.Http.SendAsync(request);
    }
}
