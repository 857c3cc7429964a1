using CharacterHub.Tests.Support;
using CharacterHub.Web.Infrastructure.Database;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace CharacterHub.Tests.Integration.Infrastructure;

public sealed class MigrationTests
{
    [Test]
    public async Task Migrate_OnEmptyDatabase_AppliesEveryScriptThenIsANoOp()
    {
        var db = new TestDatabase("characterhub_migrations");
        await db.RecreateAsync();
        var migrator = new DatabaseMigrator(db.ConnectionString, NullLogger.Instance);

        var expected = DatabaseMigrator.Schemas.Sum(s => DatabaseMigrator.ScriptsFor(s).Count);
        Assert.That(migrator.Pending(), Has.Count.EqualTo(expected));

        var first = migrator.Migrate();
        Assert.That(first, Has.Count.EqualTo(expected));
        Assert.That(expected, Is.GreaterThanOrEqualTo(5), "every module schema has at least its first migration");

        var second = migrator.Migrate();
        Assert.That(second, Is.Empty, "a second run applies nothing");
        Assert.That(migrator.Pending(), Is.Empty);

        await using var connection = new NpgsqlConnection(db.ConnectionString);
        var schemas = (await connection.QueryAsync<string>(
            "select schema_name from information_schema.schemata where schema_name = any(@names)",
            new { names = DatabaseMigrator.Schemas.ToArray() })).ToList();
        Assert.That(schemas, Is.EquivalentTo(DatabaseMigrator.Schemas));
        foreach (var schema in DatabaseMigrator.Schemas)
        {
            var journaled = await connection.ExecuteScalarAsync<long>($"select count(*) from {schema}.schemaversions");
            Assert.That(journaled, Is.EqualTo(DatabaseMigrator.ScriptsFor(schema).Count), $"{schema} has its own journal");
        }
    }

    [Test]
    public void EveryMigration_IsNamedNNNN_snake_case()
    {
        foreach (var schema in DatabaseMigrator.Schemas)
        {
            var scripts = DatabaseMigrator.ScriptsFor(schema);
            Assert.That(scripts, Is.Not.Empty, $"{schema} has migrations");
            foreach (var script in scripts)
                Assert.That(script.Name, Does.Match($"^{schema}/[0-9]{{4}}_[a-z0-9_]+\\.sql$"));
        }
    }

    [Test]
    public async Task Production_WithPendingMigrations_RefusesToServeAndSaysWhy()
    {
        var db = new TestDatabase("characterhub_pending");
        await db.RecreateAsync();
        await using var app = await TestApp.StartAsync(db.ConnectionString, environment: "Production",
            settings: new Dictionary<string, string?> { ["AllowedHosts"] = "*" });
        using var client = app.CreateClient();

        var page = await client.GetAsync("/");
        Assert.That((int)page.StatusCode, Is.EqualTo(503));
        Assert.That(await page.Content.ReadAsStringAsync(), Does.Contain("migration").And.Contain("--migrate"));

        var health = await client.GetAsync("/health");
        Assert.That((int)health.StatusCode, Is.EqualTo(503));
        Assert.That(await health.Content.ReadAsStringAsync(), Does.Contain("\"pending_migrations\""));
    }
}
