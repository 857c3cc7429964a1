namespace CharacterHub.Web.Infrastructure.Database;

/// <summary>What start-up found: scripts that were pending and not applied. Non-empty means the site refuses to serve.</summary>
public sealed class MigrationState(IReadOnlyList<string> pending)
{
    public IReadOnlyList<string> Pending { get; } = pending;
    public bool IsReady => Pending.Count == 0;
}

/// <summary>While migrations are pending (Production, where they are not applied automatically) every request but
/// /health gets a 503 that says what to do.</summary>
public sealed class PendingMigrationsGate(RequestDelegate next, MigrationState state)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (state.IsReady || context.Request.Path.StartsWithSegments("/health"))
        {
            await next(context);
            return;
        }
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.Headers.RetryAfter = "30";
        await context.Response.WriteAsync(
            $"CharacterHub is not serving: {state.Pending.Count} database migration(s) are pending " +
            $"(first: {state.Pending[0]}). Run 'CharacterHub.Web --migrate' (or './characterhub run', which does it) and start again.");
    }
}
