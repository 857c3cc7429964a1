using System.Linq.Expressions;
using CharacterHub.Kernel.Jobs;
using CharacterHub.Kernel.Modules;
using CharacterHub.Web.Accounts;
using Hangfire;
using Hangfire.Dashboard;
using Hangfire.PostgreSql;
using Mediator;

namespace CharacterHub.Web.Infrastructure.Jobs;

public static class HangfireSetup
{
    public const string DashboardPath = "/admin/jobs";

    public static void AddJobs(this IServiceCollection services, string connectionString, bool runServer, int workerCount)
    {
        services.AddHangfire(cfg => cfg
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings()
            .UsePostgreSqlStorage(o => o.UseNpgsqlConnection(connectionString),
                new PostgreSqlStorageOptions { SchemaName = "hangfire", PrepareSchemaIfNecessary = true }));
        services.AddScoped<MediatorJob>();
        if (runServer)
            services.AddHangfireServer(o =>
            {
                o.WorkerCount = workerCount;
                o.ServerName = $"{Environment.MachineName}:{Environment.ProcessId}";
            });
    }

    /// <summary>Registers (or updates) every module's recurring jobs; idempotent, so every process may call it.</summary>
    public static void RegisterRecurringJobs(IRecurringJobManager manager, IEnumerable<RecurringJobDefinition> jobs)
    {
        foreach (var job in jobs)
        {
            // Build Run<TCommand>(command, token) for the command's concrete type, so Hangfire stores that type.
            var method = typeof(MediatorJob).GetMethod(nameof(MediatorJob.Run))!.MakeGenericMethod(job.Command.GetType());
            var target = Expression.Parameter(typeof(MediatorJob), "job");
            var call = Expression.Call(target, method, Expression.Constant(job.Command, job.Command.GetType()),
                Expression.Constant(CancellationToken.None));
            var lambda = Expression.Lambda<Func<MediatorJob, Task>>(call, target);
            manager.AddOrUpdate(job.Id, lambda, job.Cron, new RecurringJobOptions { TimeZone = TimeZoneInfo.Utc });
        }
    }

    /// <summary>The host's own recurring jobs (accounts housekeeping).</summary>
    public static IEnumerable<RecurringJobDefinition> HostJobs =>
        [new RecurringJobDefinition("accounts:purge-expired-tokens", "17 * * * *", new PurgeExpiredTokens())];

    public static void MapJobsDashboard(this WebApplication app) =>
        app.UseHangfireDashboard(DashboardPath, new DashboardOptions
        {
            Authorization = [new AdminOnly()],
            DashboardTitle = "CharacterHub jobs",
            AppPath = "/",
        });

    private sealed class AdminOnly : IDashboardAuthorizationFilter
    {
        public bool Authorize(DashboardContext context)
        {
            var user = context.GetHttpContext().User;
            return user.Identity?.IsAuthenticated == true && user.IsInRole(AccountClaims.AdminRole);
        }
    }
}
