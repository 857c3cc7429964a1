using CharacterHub.Tests.Support;
using CharacterHub.Web.Infrastructure.Database;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace CharacterHub.Tests.Integration.Characters;

public sealed class CharacterMigrationTests
{
    [Test]
    public async Task Migration0002_TurnsIsPublicIntoVisibility_AndKeepsOldRows()
    {
        var db = new TestDatabase("characterhub_migrate_characters");
        await db.RecreateAsync();
        var migrator = new DatabaseMigrator(db.ConnectionString, NullLogger.Instance);
        migrator.Migrate(name => !name.StartsWith("characters/", StringComparison.Ordinal) || name.StartsWith("characters/0001", StringComparison.Ordinal));

        await using var connection = new NpgsqlConnection(db.ConnectionString);
        await connection.ExecuteAsync("""
            insert into characters.characters (creator_id, name, description, is_public) values
                (1, 'Old public', 'from before', true), (1, 'Old private', '', false)
            """);

        var applied = migrator.Migrate();
        Assert.That(applied, Has.Some.StartsWith("characters/0002"));

        var rows = (await connection.QueryAsync<(string Name, string Visibility, bool IsPublic, string Description, int Version)>(
            "select name, visibility, is_public, description, version from characters.characters order by id")).ToList();
        Assert.That(rows, Is.EqualTo(new[]
        {
            ("Old public", "public", true, "from before", 1),
            ("Old private", "private", false, "", 1),
        }));
        var found = await connection.ExecuteScalarAsync<string>(
            "select name from characters.characters where search @@ to_tsquery('simple', 'befor:*')");
        Assert.That(found, Is.EqualTo("Old public"), "old rows are searchable after the migration");
    }
}
