using CharacterHub.FakeLlm;
using CharacterHub.Modules.Interaction.Llm;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CharacterHub.Tests.Llm;

public sealed class LlmRegistrationTests
{
    [Test]
    public async Task Registered_clients_use_the_configured_guard_and_site_connection()
    {
        await using var server = await FakeLlmServer.StartAsync();
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Llm:AllowedHosts:0"] = "llm.lan",
                ["Llm:BaseUrl"] = server.BaseUrl,
                ["Llm:Model"] = "house-model",
            })
            .Build();
        await using var provider = new ServiceCollection()
            .AddLlmClients(configuration)
            .BuildServiceProvider();
        var factory = provider.GetRequiredService<LlmClientFactory>();
        var settings = provider.GetRequiredService<LlmSiteSettings>();

        var site = await LlmTestBase.CollectAsync(factory.Create(settings.DefaultConnection!).StreamAsync(LlmTestBase.Hello));
        var user = await LlmTestBase.CollectAsync(factory.Create(new LlmConnection(server.BaseUrl, "", "m")).StreamAsync(LlmTestBase.Hello));

        Assert.That(factory.Guard.AllowPrivateEndpoints, Is.False);
        Assert.That(site.Terminal, Is.TypeOf<LlmCompletedEvent>(), site.Terminal.ToString());
        Assert.That(user.Failed.Error.Kind, Is.EqualTo(LlmErrorKind.EndpointRefused));
        Assert.That(server.ChatRequests.Single().Body!.Value.GetProperty("model").GetString(), Is.EqualTo("house-model"));
    }
}
