using CharacterHub.FakeLlm;
using CharacterHub.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using static CharacterHub.Tests.Integration.Chats.ChatKit;
using static CharacterHub.Tests.Integration.Personas.PersonaKit;

namespace CharacterHub.Tests.Integration.Personas;

/// <summary>What reaches the model: a host with the fake OpenAI-compatible server as its site model.</summary>
public sealed class PersonaPromptTests : IntegrationTest
{
    private FakeModelHost host = null!;
    private FakeLlmServer server => host.Model;

    [OneTimeSetUp]
    public async Task StartAsync() => host = await FakeModelHost.StartAsync(Database.ConnectionString);

    [OneTimeTearDown]
    public async Task StopAsync() => await host.DisposeAsync();

    [TearDown]
    public void ResetHost() => host.Reset();

    [Test]
    public async Task Prompt_UsesTheChatsPersona_NameForUser_AndDescriptionAsPersona()
    {
        var client = host.CreateClient();
        await client.RegisterAsync("sam");
        await CreateAsync(client, "Captain Ada", "Ada is a retired starship captain who cannot stand tea.");
        var bob = await CreateAsync(client, "Bob", "Bob sells lighthouse lamps.");
        var characterId = await CreateCharacterAsync(client, "sam", new
        {
            name = "Vex", description = "Vex owes {{user}} a favour.", first_message = "You again.",
        });
        var chatId = await StartChatAsync(client, characterId);
        server.Script(FakeLlmBehavior.EchoLastUserMessage());

        var (_, replyId) = await SendAsync(client, chatId, "Remember me?");
        await StreamAsync(client, chatId, replyId);
        var prompt = server.ChatRequests[^1].Body!.Value.GetProperty("messages").ToString();
        Assert.That(prompt, Does.Contain("Ada is a retired starship captain who cannot stand tea.").And.Contain("Vex owes Captain Ada a favour."));

        // Switching the chat's persona changes the next turn's prompt.
        await PostAsync(client, chatId, "Persona", fields: new Dictionary<string, string> { ["personaId"] = bob.ToString() });
        var (_, next) = await SendAsync(client, chatId, "And now?");
        await StreamAsync(client, chatId, next);
        prompt = server.ChatRequests[^1].Body!.Value.GetProperty("messages").ToString();
        Assert.That(prompt, Does.Contain("Bob sells lighthouse lamps.").And.Contain("Vex owes Bob a favour.").And.Not.Contain("starship"));
    }
}
