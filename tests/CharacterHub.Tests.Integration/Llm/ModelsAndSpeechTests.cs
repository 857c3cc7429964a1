using System.Diagnostics;
using CharacterHub.FakeLlm;
using CharacterHub.Modules.Interaction.Llm;

namespace CharacterHub.Tests.Llm;

public sealed class ModelsAndSpeechTests : LlmTestBase
{
    [Test]
    public async Task Listing_models_returns_the_ids_the_server_offers()
    {
        Server.Models = ["mistral-7b", "llama-3-8b"];

        var models = await Client().ListModelsAsync();

        Assert.That(models.Error, Is.Null);
        Assert.That(models.Models, Is.EqualTo(new[] { "llama-3-8b", "mistral-7b" }));
        Assert.That(Server.Requests.Single().Path, Is.EqualTo("/v1/models"));
    }

    [Test]
    public async Task Testing_a_connection_with_a_wrong_key_says_the_key_was_rejected()
    {
        Server.ApiKey = "sk-right";

        var models = await Client(Connection() with { ApiKey = "sk-wrong" }).ListModelsAsync();

        Assert.That(models.Error!.StatusCode, Is.EqualTo(401));
        Assert.That(models.Error.Message, Does.StartWith("The server rejected the API key."));
    }

    [Test]
    public async Task Testing_a_connection_to_a_wrong_path_says_to_check_the_base_url()
    {
        var models = await Client(Connection() with { BaseUrl = Server.BaseUrl + "/api" }).ListModelsAsync();

        Assert.That(models.Error!.StatusCode, Is.EqualTo(404));
        Assert.That(models.Error.Message, Does.Contain("check the base URL"));
    }

    [Test]
    public async Task Testing_a_connection_to_a_closed_port_says_it_could_not_connect()
    {
        var closed = await FakeLlmServer.StartAsync();
        var url = closed.BaseUrl;
        await closed.DisposeAsync();

        var models = await Client(new LlmConnection(url, "", "m")).ListModelsAsync();

        Assert.That(models.Error!.Kind, Is.EqualTo(LlmErrorKind.Unreachable));
        Assert.That(models.Error.Message, Does.StartWith("Could not connect to " + url));
    }

    [Test]
    public async Task Speech_as_wav_is_a_riff_wave_file()
    {
        var tts = Factory.CreateTts(Connection("tts-1"));

        var result = await tts.SynthesizeAsync("Hello traveller.", "nova", "wav");

        Assert.That(result.Error, Is.Null);
        Assert.That(result.ContentType, Is.EqualTo("audio/wav"));
        var bytes = result.Audio!.ToArray();
        Assert.That(bytes.Length, Is.GreaterThan(44));
        Assert.That(System.Text.Encoding.ASCII.GetString(bytes, 0, 4), Is.EqualTo("RIFF"));
        Assert.That(System.Text.Encoding.ASCII.GetString(bytes, 8, 4), Is.EqualTo("WAVE"));
        var body = Server.Requests.Single().Body!.Value;
        Assert.That(body.GetProperty("input").GetString(), Is.EqualTo("Hello traveller."));
        Assert.That(body.GetProperty("voice").GetString(), Is.EqualTo("nova"));
        Assert.That(body.GetProperty("model").GetString(), Is.EqualTo("tts-1"));
    }

    [Test]
    public async Task Speech_as_mp3_starts_with_an_mpeg_frame_header()
    {
        var result = await Factory.CreateTts(Connection("tts-1")).SynthesizeAsync("Hi", format: "mp3");

        Assert.That(result.ContentType, Is.EqualTo("audio/mpeg"));
        var bytes = result.Audio!.ToArray();
        Assert.That(bytes[0], Is.EqualTo(0xFF));
        Assert.That(bytes[1] & 0xE0, Is.EqualTo(0xE0), "MPEG frame sync");
        Assert.That(Server.Requests.Single().Body!.Value.GetProperty("voice").GetString(), Is.EqualTo("alloy"));
    }

    [Test]
    public async Task Speech_errors_come_back_as_results()
    {
        var result = await Factory.CreateTts(Connection("tts-1")).SynthesizeAsync("Hi", format: "opus");

        Assert.That(result.Error!.StatusCode, Is.EqualTo(400));
        Assert.That(result.Error.Message, Does.Contain("opus"));
    }

    [Test]
    public async Task The_fake_server_starts_quickly()
    {
        var clock = Stopwatch.StartNew();
        await using var server = await FakeLlmServer.StartAsync();

        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(1)));
        Assert.That(server.BaseUrl, Does.StartWith("http://127.0.0.1:"));
    }
}
