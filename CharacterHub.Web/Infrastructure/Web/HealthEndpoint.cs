using CharacterHub.Web.Infrastructure.Database;
using Npgsql;

namespace CharacterHub.Web.Infrastructure.Web;

/// <summary>GET /health: 200 when the database answers and no migration is pending, 503 otherwise.</summary>
public static class HealthEndpoint
{
    public static void Map(WebApplication app) => app.MapGet("/health", async (NpgsqlDataSource db, MigrationState migrations, CancellationToken ct) =>
    {
        string database;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(3));
            await using var cmd = db.CreateCommand("select 1");
            await cmd.ExecuteScalarAsync(timeout.Token);
            database = "up";
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or TimeoutException or System.Net.Sockets.SocketException)
        {
            database = "down";
        }
        var healthy = database == "up" && migrations.IsReady;
        return Results.Json(
            new { status = healthy ? "healthy" : "unhealthy", database, pending_migrations = migrations.Pending.Count },
            statusCode: healthy ? 200 : 503);
    }).AllowAnonymous().DisableRateLimiting();
}
