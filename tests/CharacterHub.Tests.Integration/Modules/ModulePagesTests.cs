using System.Net;
using Dapper;
using Npgsql;

namespace CharacterHub.Tests.Integration.Modules;

/// <summary>Each module serves its page from its own schema, and only the signed-in user's rows.</summary>
public sealed class ModulePagesTests : IntegrationTest
{
    [Test]
    public async Task EachModulePage_RendersForASignedInUser()
    {
        var client = await SignedInClient("uma");
        foreach (var (path, heading) in new[]
                 {
                     ("/characters", "My characters"), ("/chats", "Chats"), ("/memories", "Memories"),
                     ("/marketplace", "Marketplace"), ("/collections", "Collections"), ("/events", "Community events"),
                 })
        {
            var (response, html) = await client.GetPageAsync(path);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), path);
            Assert.That(Support.TestClient.Parse(html).QuerySelector("h1")!.TextContent, Is.EqualTo(heading), path);
        }
    }

    [Test]
    public async Task Pages_ShowOnlyTheUsersOwnRows_AndPublicData()
    {
        var client = await SignedInClient("vera");
        await SignedInClient("walt");
        await using var db = new NpgsqlConnection(Database.ConnectionString);
        var vera = await db.ExecuteScalarAsync<long>("select id from accounts.users where username = 'vera'");
        var walt = await db.ExecuteScalarAsync<long>("select id from accounts.users where username = 'walt'");
        await db.ExecuteAsync("""
            insert into characters.characters (creator_id, name) values (@vera, 'Vera''s knight'), (@walt, 'Walt''s secret');
            insert into marketplace.listings (character_id, creator_id, name, tagline) values (1, @vera, 'Listed Knight', 'brave');
            insert into marketplace.events (title, starts_at, ends_at, created_by) values ('Spooky week', now(), now() + interval '7 days', @vera);
            """, new { vera, walt });

        var characters = (await client.GetPageAsync("/characters")).Body;
        Assert.That(characters, Does.Contain("Vera&#x27;s knight").And.Not.Contain("secret"));
        Assert.That((await Client().GetPageAsync("/marketplace")).Body, Does.Contain("Listed Knight"));
        Assert.That((await Client().GetPageAsync("/events")).Body, Does.Contain("Spooky week"));
    }
}
