using System.Net;
using CharacterHub.Kernel.Jobs;
using CharacterHub.Web.Accounts;
using Dapper;
using Hangfire;
using Hangfire.Storage;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace CharacterHub.Tests.Integration.Infrastructure;

public sealed class JobTests : IntegrationTest
{
    [Test]
    public void RecurringPurgeJob_IsRegisteredAtStartUp()
    {
        using var connection = App.Services.GetRequiredService<JobStorage>().GetConnection();
        var job = connection.GetRecurringJobs().SingleOrDefault(j => j.Id == "accounts:purge-expired-tokens");
        Assert.That(job, Is.Not.Null);
        Assert.That(job!.Job.Type, Is.EqualTo(typeof(MediatorJob)));
        Assert.That(job.Job.Args[0], Is.TypeOf<PurgeExpiredTokens>());
    }

    [Test]
    public async Task PurgeJob_RunByTheHangfireServer_DeletesLongExpiredTokensOnly()
    {
        var client = await SignedInClient("tina");
        await client.CreateTokenAsync("tina", name: "old");
        await client.CreateTokenAsync("tina", name: "fresh");
        await using var db = new NpgsqlConnection(Database.ConnectionString);
        await db.ExecuteAsync("update accounts.personal_access_tokens set expires_at = now() - interval '31 days' where name = 'old'");

        var jobs = App.Services.GetRequiredService<IBackgroundJobClient>();
        var id = jobs.Enqueue<MediatorJob>(j => j.Run(new PurgeExpiredTokens(), CancellationToken.None));
        var monitor = App.Services.GetRequiredService<JobStorage>().GetMonitoringApi();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        string? state = null;
        while (DateTime.UtcNow < deadline)
        {
            state = monitor.JobDetails(id)?.History.FirstOrDefault()?.StateName;
            if (state is "Succeeded" or "Failed") break;
            await Task.Delay(100);
        }
        Assert.That(state, Is.EqualTo("Succeeded"));
        var names = (await db.QueryAsync<string>("select name from accounts.personal_access_tokens")).ToList();
        Assert.That(names, Is.EqualTo(new[] { "fresh" }));
    }

    [Test]
    public async Task JobsDashboard_IsForAdminsOnly()
    {
        var admin = await SignedInClient("admin1");     // first user: admin
        var user = await SignedInClient("regular1");
        Assert.That((await admin.GetAsync("/admin/jobs")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((int)(await user.GetAsync("/admin/jobs")).StatusCode, Is.AnyOf(401, 403));
        Assert.That((int)(await Client().GetAsync("/admin/jobs")).StatusCode, Is.AnyOf(401, 403));
    }
}
