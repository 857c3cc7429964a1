using CharacterHub.Kernel.Modules;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using CharacterHub.Modules.Interaction.Llm;
using Microsoft.Extensions.DependencyInjection;

namespace CharacterHub.Modules.Interaction;

/// <summary>Interaction: chats, personas, prompt building, LLM providers, streaming, emotions, relationships. Schema "interaction".</summary>
public sealed class InteractionModule : IModule
{
    public string Schema => "interaction";

    public void AddServices(IServiceCollection services, IConfiguration configuration) => services.AddLlmClients(configuration);

    public void MapEndpoints(IEndpointRouteBuilder app, IEndpointRouteBuilder api) { }

    public IEnumerable<RecurringJobDefinition> RecurringJobs => [];
}
