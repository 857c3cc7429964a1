using Npgsql;
using Respawn;
using Respawn.Graph;

namespace CharacterHub.Tests.Support;

/// <summary>
/// One database per test assembly inside the throwaway cluster that `./characterhub test` starts
/// (CHARACTERHUB_TEST_DB is its connection string without a database). Respawn empties the module schemas between
/// tests but keeps migration journals, the Data Protection key ring and Hangfire's schema.
/// </summary>
public sealed class TestDatabase
{
    public const string EnvironmentVariable = "CHARACTERHUB_TEST_DB";
    private static readonly string[] ModuleSchemas = ["accounts", "characters", "interaction", "memory", "marketplace"];

    private Respawner? respawner;

    public TestDatabase(string name)
    {
        var server = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrWhiteSpace(server))
            throw new InvalidOperationException(
                $"{EnvironmentVariable} is not set. Run the tests with ./characterhub test, which starts a throwaway PostgreSQL.");
        Server = server;
        ConnectionString = new NpgsqlConnectionStringBuilder(server) { Database = name, Pooling = true }.ConnectionString;
    }

    public string Server { get; }
    public string ConnectionString { get; }

    /// <summary>Drops and re-creates the database so every run starts from nothing (migrations run on first use).</summary>
    public async Task RecreateAsync()
    {
        var name = new NpgsqlConnectionStringBuilder(ConnectionString).Database!;
        await using var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(Server) { Database = "postgres", Pooling = false }.ConnectionString);
        await admin.OpenAsync();
        await using (var drop = new NpgsqlCommand($"drop database if exists \"{name}\" with (force)", admin)) await drop.ExecuteNonQueryAsync();
        await using (var create = new NpgsqlCommand($"create database \"{name}\"", admin)) await create.ExecuteNonQueryAsync();
    }

    /// <summary>Empties every module table (after the host has migrated the database).</summary>
    public async Task ResetAsync()
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        respawner ??= await Respawner.CreateAsync(connection, new RespawnerOptions
        {
            DbAdapter = DbAdapter.Postgres,
            SchemasToInclude = ModuleSchemas,
            // Journals, the key ring and reference data seeded by migrations survive; everything users make goes.
            TablesToIgnore =
            [
                .. ModuleSchemas.Select(s => new Table(s, "schemaversions")), new Table("accounts", "data_protection_keys"),
                new Table("characters", "categories"),
            ],
            WithReseed = true,
        });
        await respawner.ResetAsync(connection);
    }
}
