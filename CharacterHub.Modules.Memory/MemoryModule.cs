using CharacterHub.Kernel.Modules;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CharacterHub.Modules.Memory;

/// <summary>Memory: memories, summarisation and consolidation jobs, retrieval. Schema "memory".</summary>
public sealed class MemoryModule : IModule
{
    public string Schema => "memory";

    public void AddServices(IServiceCollection services, IConfiguration configuration) { }

    public void MapEndpoints(IEndpointRouteBuilder app, IEndpointRouteBuilder api) { }

    public IEnumerable<RecurringJobDefinition> RecurringJobs => [];
}
