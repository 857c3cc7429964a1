using Dapper;
using Mediator;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace CharacterHub.Modules.Characters.Interop;

/// <summary>
/// Housekeeping (job "characters:purge-import-jobs"): deletes bulk import jobs that finished more than
/// <c>Import:KeepFinishedJobsDays</c> days ago (default 7), with their staged files and per-file report. Their
/// characters stay; only the job's progress page and status URL go (404 afterwards). Idempotent.
/// <see cref="OlderThanDays"/> overrides the setting (tests, a manual run from the dashboard).
/// </summary>
internal sealed record PurgeFinishedImportJobs(int? OlderThanDays = null) : Mediator.ICommand;

internal sealed class PurgeFinishedImportJobsHandler(NpgsqlDataSource db, IConfiguration configuration, ILogger<PurgeFinishedImportJobsHandler> logger)
    : Mediator.ICommandHandler<PurgeFinishedImportJobs>
{
    public const string Id = "characters:purge-import-jobs";
    public const string Cron = "41 3 * * *";
    public const string Setting = "Import:KeepFinishedJobsDays";
    public const int DefaultDays = 7;

    public async ValueTask<Unit> Handle(PurgeFinishedImportJobs command, CancellationToken ct)
    {
        var days = Math.Clamp(command.OlderThanDays ?? configuration.GetValue(Setting, DefaultDays), 0, 36_500);
        await using var connection = await db.OpenConnectionAsync(ct);
        // import_job_files go with their job (on delete cascade). Jobs still queued or running are never touched.
        var purged = await connection.ExecuteAsync(new CommandDefinition(
            """
            delete from characters.import_jobs
            where status = 'done' and finished_at < now() - make_interval(days => @days)
            """, new { days }, cancellationToken: ct));
        logger.LogInformation("Purged {Jobs} import jobs finished more than {Days} days ago", purged, days);
        return Unit.Value;
    }
}
