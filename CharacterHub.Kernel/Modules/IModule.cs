using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CharacterHub.Kernel.Modules;

/// <summary>
/// What the host needs to know about a feature module. Each module has exactly one implementation,
/// named &lt;Name&gt;Module, so that Program.cs reads like a table of contents.
/// </summary>
public interface IModule
{
    /// <summary>The PostgreSQL schema the module owns; its migrations live in db/migrations/&lt;Schema&gt;/.</summary>
    string Schema { get; }

    void AddServices(IServiceCollection services, IConfiguration configuration);

    /// <summary>Minimal-API endpoints: <paramref name="app"/> for site paths (images, downloads; cookie auth),
    /// <paramref name="api"/> for /api (token auth, problem responses). Razor pages are discovered by the host.</summary>
    void MapEndpoints(IEndpointRouteBuilder app, IEndpointRouteBuilder api);

    /// <summary>Recurring jobs, registered idempotently at start-up by every process.</summary>
    IEnumerable<RecurringJobDefinition> RecurringJobs { get; }
}

/// <summary>A recurring background job: a thin wrapper that sends <paramref name="Command"/> through the mediator.</summary>
public sealed record RecurringJobDefinition(string Id, string Cron, Mediator.ICommand Command);
