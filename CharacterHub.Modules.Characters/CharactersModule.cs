using CharacterHub.Kernel.Modules;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CharacterHub.Modules.Characters;

/// <summary>Characters: profiles, cards, versions, templates, categories, avatars and voice. Schema "characters".</summary>
public sealed class CharactersModule : IModule
{
    public string Schema => "characters";

    public void AddServices(IServiceCollection services, IConfiguration configuration) { }

    public void MapEndpoints(IEndpointRouteBuilder api) { }

    public IEnumerable<RecurringJobDefinition> RecurringJobs => [];
}
