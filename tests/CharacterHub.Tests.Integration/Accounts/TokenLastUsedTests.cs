using System.Net;
using System.Net.Http.Headers;
using CharacterHub.Tests.Support;
using Dapper;
using Npgsql;

namespace CharacterHub.Tests.Integration.Accounts;

/// <summary>A token's "last used" time: set by its first use, then written at most once a minute (the lookup and the
/// write are one statement).</summary>
public sealed class TokenLastUsedTests : IntegrationTest
{
    private static async Task<HttpStatusCode> MeAsync(TestClient client, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/me");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return (await client.Http.SendAsync(request)).StatusCode;
    }

    [Test]
    public async Task LastUsed_IsSetOnFirstUse_ThenAtMostOnceAMinute()
    {
        var client = Client();
        await client.RegisterAsync("lou");
        var token = await client.CreateTokenAsync("lou");
        await using var db = new NpgsqlConnection(Database.ConnectionString);
        Assert.That(await db.ExecuteScalarAsync<DateTime?>("select last_used_at from accounts.personal_access_tokens"), Is.Null);

        Assert.That(await MeAsync(client, token), Is.EqualTo(HttpStatusCode.OK));
        var first = await db.ExecuteScalarAsync<DateTime?>("select last_used_at from accounts.personal_access_tokens");
        Assert.That(first, Is.Not.Null);

        Assert.That(await MeAsync(client, token), Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await db.ExecuteScalarAsync<DateTime?>("select last_used_at from accounts.personal_access_tokens"), Is.EqualTo(first), "not rewritten within the minute");

        // A minute later it moves again.
        await db.ExecuteAsync("update accounts.personal_access_tokens set last_used_at = now() - interval '2 minutes'");
        Assert.That(await MeAsync(client, token), Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await db.ExecuteScalarAsync<DateTime?>("select last_used_at from accounts.personal_access_tokens"), Is.GreaterThan(first!.Value.AddSeconds(-1)));

        // Revoked: refused, and nothing written.
        await db.ExecuteAsync("update accounts.personal_access_tokens set revoked_at = now(), last_used_at = null");
        Assert.That(await MeAsync(client, token), Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(await db.ExecuteScalarAsync<DateTime?>("select last_used_at from accounts.personal_access_tokens"), Is.Null);
    }
}
