using CharacterHub.Kernel.Modules;
using CharacterHub.Modules.Interaction.Chats;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using CharacterHub.Modules.Interaction.Llm;
using Microsoft.Extensions.DependencyInjection;

namespace CharacterHub.Modules.Interaction;

/// <summary>Interaction: chats, personas, prompt building, LLM providers, streaming, emotions, relationships. Schema "interaction".</summary>
public sealed class InteractionModule : IModule
{
    public string Schema => "interaction";

    public void AddServices(IServiceCollection services, IConfiguration configuration)
    {
        services.AddLlmClients(configuration);
        // One prompt builder per process: its compiled-lorebook cache is what keeps big lorebooks cheap per turn.
        services.AddSingleton<ChatPrompting>();
        services.AddSingleton<ChatCharacters>();
        services.AddSingleton<HistoryCache>();
        services.AddSingleton(ReplyLiveness.From(configuration));
        services.AddSingleton<StopSignals>();
        services.AddSingleton<PromptRecords>();
        services.AddHostedService(sp => sp.GetRequiredService<PromptRecords>());
        services.AddScoped<ChatGenerator>();
        services.AddSingleton<Connections.ConnectionKeys>();
        services.AddSingleton<Connections.ConnectionAddressCheck>();
        services.AddSingleton<Connections.ConnectionTestLimiter>();
        services.AddSingleton<Connections.ChatConnectionResolver>();
        services.AddScoped<GroupChats>();
    }

    public void MapEndpoints(IEndpointRouteBuilder app, IEndpointRouteBuilder api)
    {
        ChatEndpoints.Map(app, api);
        ChatExport.Map(app);
        Personas.PersonaEndpoints.Map(app);
        Connections.ConnectionsApi.Map(api);
    }

    public IEnumerable<RecurringJobDefinition> RecurringJobs =>
    [
        new(Connections.CloseAbandonedRepliesHandler.Id, Connections.CloseAbandonedRepliesHandler.Cron, new Connections.CloseAbandonedReplies()),
    ];
}
