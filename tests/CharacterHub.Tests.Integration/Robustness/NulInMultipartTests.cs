using System.Net;
using CharacterHub.Tests.Support;
using Dapper;
using Npgsql;
using static CharacterHub.Tests.Integration.Personas.PersonaKit;

namespace CharacterHub.Tests.Integration.Robustness;

/// <summary>A NUL in a multipart form's text field (PostgreSQL cannot store one in text) is refused in words, never a
/// 500, and nothing is saved.</summary>
public sealed class NulInMultipartTests : IntegrationTest
{
    [Test]
    public async Task PersonaForm_WithANulInTheName_IsRefusedInWords_AndNothingIsSaved()
    {
        var client = await SignedInClient("nul");
        var response = await SaveAsync(client, "Ada\0Lovelace", "A description.");
        var body = await response.Content.ReadAsStringAsync();
        Assert.That((int)response.StatusCode, Is.LessThan(500), body);
        Assert.That(body, Does.Contain("invalid character"));
        await using var db = new NpgsqlConnection(Database.ConnectionString);
        Assert.That(await db.ExecuteScalarAsync<long>("select count(*) from interaction.personas"), Is.Zero);
    }

    [Test]
    public async Task PersonaForm_WithoutHtmx_ShowsTheErrorPageWithTheReason()
    {
        var client = await SignedInClient("nul2");
        var response = await SaveAsync(client, "Ada", "Line one\0line two", htmx: false);
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), body);
        Assert.That(TestClient.Parse(body).QuerySelector("h1")?.TextContent, Does.Contain("invalid character"));
        await using var db = new NpgsqlConnection(Database.ConnectionString);
        Assert.That(await db.ExecuteScalarAsync<long>("select count(*) from interaction.personas"), Is.Zero);
    }
}
