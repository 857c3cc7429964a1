using CharacterHub.Kernel.Modules;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CharacterHub.Modules.Marketplace;

/// <summary>Marketplace: listings, search, ratings and reviews, collections, events, creator pages. Schema "marketplace".</summary>
public sealed class MarketplaceModule : IModule
{
    public string Schema => "marketplace";

    public void AddServices(IServiceCollection services, IConfiguration configuration) { }

    public void MapEndpoints(IEndpointRouteBuilder app, IEndpointRouteBuilder api) { }

    public IEnumerable<RecurringJobDefinition> RecurringJobs => [];
}
