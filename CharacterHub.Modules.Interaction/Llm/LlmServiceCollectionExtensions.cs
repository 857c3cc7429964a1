using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CharacterHub.Modules.Interaction.Llm;

/// <summary>Site-wide LLM settings read from the "Llm" configuration section.</summary>
internal sealed record LlmSiteSettings(bool AllowPrivateEndpoints, IReadOnlyList<string> AllowedHosts, LlmConnection? DefaultConnection)
{
    /// <summary>
    /// Keys: AllowPrivateEndpoints (bool, default false), AllowedHosts (array of host names exempt from the guard),
    /// and the trusted site connection itself (BaseUrl, ApiKey, Model, ...: see <see cref="LlmConnection.FromConfiguration"/>).
    /// </summary>
    public static LlmSiteSettings From(IConfiguration configuration)
    {
        var section = configuration.GetSection("Llm");
        return new LlmSiteSettings(
            section.GetValue("AllowPrivateEndpoints", false),
            section.GetSection("AllowedHosts").Get<string[]>() ?? [],
            LlmConnection.FromConfiguration(section)); // Llm__BaseUrl, Llm__ApiKey, Llm__Model as the site default
    }
}

internal static class LlmServiceCollectionExtensions
{
    /// <summary>Registers the settings, the guard and the client factory as singletons (the factory owns the HTTP pools).</summary>
    public static IServiceCollection AddLlmClients(this IServiceCollection services, IConfiguration configuration)
    {
        var settings = LlmSiteSettings.From(configuration);
        services.AddSingleton(settings);
        services.AddSingleton(new EndpointGuard(settings.AllowPrivateEndpoints, settings.AllowedHosts));
        services.AddSingleton<LlmClientFactory>();
        return services;
    }
}
