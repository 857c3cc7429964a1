using CharacterHub.Tests.Support;
using Hangfire;
using Hangfire.AspNetCore;
using Hangfire.Logging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CharacterHub.Tests.Integration.Interop;

/// <summary>
/// Hangfire keeps its storage and log provider in process-wide statics, and every host started in the process
/// overwrites them. MigrationTests starts (and disposes) a second host, after which enqueuing fails on a disposed
/// LoggerFactory and the shared host's worker backs off for minutes. Tests that need the job server point the
/// statics back at the shared host first; one host per process (production) never hits this.
/// </summary>
internal static class HangfireGlobals
{
    public static void PointAt(TestApp app)
    {
        GlobalConfiguration.Configuration.UseStorage(app.Services.GetRequiredService<JobStorage>());
        LogProvider.SetCurrentLogProvider(new AspNetCoreLogProvider(app.Services.GetRequiredService<ILoggerFactory>()));
    }
}
