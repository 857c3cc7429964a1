using System.Reflection;
using DbUp;
using DbUp.Engine;
using DbUp.Engine.Output;
using Npgsql;

namespace CharacterHub.Web.Infrastructure.Database;

/// <summary>
/// Applies db/migrations/&lt;schema&gt;/NNNN_name.sql with DbUp, one journal per schema, schemas in a fixed order.
/// Several processes may start at once: a PostgreSQL advisory lock lets one migrate while the others wait.
/// </summary>
public sealed class DatabaseMigrator(string connectionString, ILogger logger)
{
    /// <summary>Order matters only for readability: no schema references another's tables.</summary>
    public static readonly IReadOnlyList<string> Schemas = ["accounts", "characters", "interaction", "memory", "marketplace"];

    private const long AdvisoryLockKey = 0x43_48_4D_49_47; // "CHMIG"

    public static IReadOnlyList<SqlScript> ScriptsFor(string schema)
    {
        var assembly = typeof(DatabaseMigrator).Assembly;
        var prefix = $"migrations/{schema}/";
        return assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(n => new SqlScript($"{schema}/{n[prefix.Length..]}", Read(assembly, n)))
            .ToList();
    }

    private static string Read(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Creates the database if needed and applies every pending script (or those <paramref name="include"/>
    /// accepts, by name: tests use it to stop before a reshaping migration). Returns the scripts applied.</summary>
    public IReadOnlyList<string> Migrate(Func<string, bool>? include = null)
    {
        var log = new DbUpLogger(logger);
        EnsureDatabase.For.PostgresqlDatabase(connectionString, log);

        using var lockConnection = new NpgsqlConnection(connectionString);
        lockConnection.Open();
        using (var cmd = new NpgsqlCommand($"select pg_advisory_lock({AdvisoryLockKey})", lockConnection)) cmd.ExecuteNonQuery();
        try
        {
            var applied = new List<string>();
            foreach (var schema in Schemas)
            {
                // The journal lives in the module's schema, and DbUp 7 does not create that schema itself.
                using (var create = new NpgsqlCommand($"create schema if not exists {schema}", lockConnection)) create.ExecuteNonQuery();
                var result = Engine(schema, log, include).PerformUpgrade();
                if (!result.Successful)
                    throw new InvalidOperationException(
                        $"Migration {result.ErrorScript?.Name ?? "(unknown)"} failed: {result.Error?.Message}", result.Error);
                applied.AddRange(result.Scripts.Select(s => s.Name));
            }
            return applied;
        }
        finally
        {
            using var unlock = new NpgsqlCommand($"select pg_advisory_unlock({AdvisoryLockKey})", lockConnection);
            unlock.ExecuteNonQuery();
        }
    }

    /// <summary>Scripts not yet applied; an unreachable or missing database counts every script as pending.</summary>
    public IReadOnlyList<string> Pending()
    {
        var log = new DbUpLogger(logger, quiet: true);
        var pending = new List<string>();
        foreach (var schema in Schemas)
            pending.AddRange(Engine(schema, log).GetScriptsToExecute().Select(s => s.Name));
        return pending;
    }

    private UpgradeEngine Engine(string schema, IUpgradeLog log, Func<string, bool>? include = null) =>
        DeployChanges.To
            .PostgresqlDatabase(connectionString)
            .WithScripts(ScriptsFor(schema).Where(s => include?.Invoke(s.Name) ?? true))
            .JournalToPostgresqlTable(schema, "schemaversions")
            .WithTransactionPerScript()
            .LogTo(log)
            .Build();

    private sealed class DbUpLogger(ILogger logger, bool quiet = false) : IUpgradeLog
    {
        public void LogTrace(string format, params object[] args) => logger.LogTrace(format, args);
        public void LogDebug(string format, params object[] args) => logger.LogDebug(format, args);
        public void LogInformation(string format, params object[] args)
        {
            if (quiet) logger.LogDebug(format, args); else logger.LogInformation(format, args);
        }
        public void LogWarning(string format, params object[] args) => logger.LogWarning(format, args);
        public void LogError(string format, params object[] args) => logger.LogError(format, args);
        public void LogError(Exception ex, string format, params object[] args) => logger.LogError(ex, format, args);
    }
}
