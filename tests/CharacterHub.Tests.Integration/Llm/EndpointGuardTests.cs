using System.Net;
using CharacterHub.FakeLlm;
using CharacterHub.Modules.Interaction.Llm;

namespace CharacterHub.Tests.Llm;

public sealed class EndpointGuardTests : LlmTestBase
{
    private static readonly IReadOnlyDictionary<string, string> FakeDns = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["rebind.test"] = "127.0.0.1",
        ["public.test"] = "127.0.0.1",
        ["internal.test"] = "127.0.0.1",
        ["metadata.test"] = "169.254.169.254",
        ["mixed.test"] = "203.0.113.10,10.1.2.3",
        ["model.public.test"] = "203.0.113.10",
    };

    private static Task<IPAddress[]> Resolve(string host, CancellationToken ct) =>
        FakeDns.TryGetValue(host, out var a)
            ? Task.FromResult(a.Split(',').Select(IPAddress.Parse).ToArray())
            : Dns.GetHostAddressesAsync(host, ct);

    private static LlmClientFactory GuardedFactory(params string[] allowedHosts) =>
        new(new EndpointGuard(allowPrivateEndpoints: false, allowedHosts, Resolve));

    [TestCase("http://127.0.0.1:{port}")]
    [TestCase("http://localhost:{port}")]
    [TestCase("http://[::1]:{port}")]
    [TestCase("http://rebind.test:{port}")]
    [TestCase("http://[::ffff:127.0.0.1]:{port}")]
    public async Task A_user_endpoint_on_loopback_is_refused_before_connecting(string template)
    {
        using var factory = GuardedFactory();
        var client = factory.Create(new LlmConnection(template.Replace("{port}", Server.Port.ToString()), "", "m"));

        var stream = await CollectAsync(client.StreamAsync(Hello));
        var models = await client.ListModelsAsync();
        var tts = await factory.CreateTts(new LlmConnection(template.Replace("{port}", Server.Port.ToString()), "", "tts-1"))
            .SynthesizeAsync("hi");

        Assert.That(stream.Failed.Error.Kind, Is.EqualTo(LlmErrorKind.EndpointRefused));
        Assert.That(stream.Failed.Error.Message, Does.Contain("loopback"));
        Assert.That(models.Error!.Kind, Is.EqualTo(LlmErrorKind.EndpointRefused));
        Assert.That(tts.Error!.Kind, Is.EqualTo(LlmErrorKind.EndpointRefused));
        Assert.That(Server.ConnectionCount, Is.Zero, "the server was never even connected to");
    }

    [TestCase("http://127.0.0.1:{port}")]
    [TestCase("http://localhost:{port}")]
    [TestCase("http://rebind.test:{port}")]
    public async Task The_same_endpoints_work_when_private_endpoints_are_allowed(string template)
    {
        using var factory = new LlmClientFactory(new EndpointGuard(allowPrivateEndpoints: true, resolve: Resolve));

        var result = await CollectAsync(factory.Create(new LlmConnection(template.Replace("{port}", Server.Port.ToString()), "", "m"))
            .StreamAsync(Hello));

        Assert.That(result.Terminal, Is.TypeOf<LlmCompletedEvent>(), result.Terminal.ToString());
    }

    [Test]
    public async Task A_host_on_the_allow_list_is_reachable_while_private_endpoints_stay_refused()
    {
        using var factory = GuardedFactory("rebind.test");

        var allowed = await CollectAsync(factory.Create(new LlmConnection($"http://rebind.test:{Server.Port}", "", "m")).StreamAsync(Hello));
        var refused = await CollectAsync(factory.Create(new LlmConnection(Server.BaseUrl, "", "m")).StreamAsync(Hello));

        Assert.That(allowed.Terminal, Is.TypeOf<LlmCompletedEvent>(), allowed.Terminal.ToString());
        Assert.That(refused.Failed.Error.Kind, Is.EqualTo(LlmErrorKind.EndpointRefused));
    }

    [Test]
    public async Task A_name_that_rebinds_to_loopback_after_passing_the_settings_check_is_refused_on_connect()
    {
        var lookups = 0;
        Task<IPAddress[]> Rebinding(string host, CancellationToken ct) => Task.FromResult<IPAddress[]>(
            [Interlocked.Increment(ref lookups) == 1 ? IPAddress.Parse("203.0.113.10") : IPAddress.Loopback]);
        var guard = new EndpointGuard(allowPrivateEndpoints: false, resolve: Rebinding);
        using var factory = new LlmClientFactory(guard);
        var url = $"http://flip.test:{Server.Port}";

        var check = await guard.CheckAsync(url);
        var result = await CollectAsync(factory.Create(new LlmConnection(url, "", "m")).StreamAsync(Hello));

        Assert.That(check, Is.Null, "the first answer was public");
        Assert.That(result.Failed.Error.Kind, Is.EqualTo(LlmErrorKind.EndpointRefused));
        Assert.That(result.Failed.Error.Message, Does.Contain("127.0.0.1"));
        Assert.That(Server.ConnectionCount, Is.Zero);
    }

    [Test]
    public async Task The_trusted_site_connection_skips_the_guard()
    {
        using var factory = GuardedFactory();

        var result = await CollectAsync(factory.Create(new LlmConnection(Server.BaseUrl, "", "m") { Trusted = true }).StreamAsync(Hello));

        Assert.That(result.Terminal, Is.TypeOf<LlmCompletedEvent>(), result.Terminal.ToString());
    }

    [Test]
    public async Task A_redirect_to_a_private_address_is_refused_on_connect()
    {
        await using var internalServer = await FakeLlmServer.StartAsync();
        Server.Script(FakeLlmBehavior.Redirect($"http://internal.test:{internalServer.Port}/v1/chat/completions"));
        using var factory = GuardedFactory("public.test");

        var result = await CollectAsync(factory.Create(new LlmConnection($"http://public.test:{Server.Port}", "", "m")).StreamAsync(Hello));

        Assert.That(result.Failed.Error.Kind, Is.EqualTo(LlmErrorKind.EndpointRefused), result.Failed.Error.ToString());
        Assert.That(result.Failed.Error.Message, Does.Contain("internal.test"));
        Assert.That(Server.ChatRequests, Has.Count.EqualTo(1), "the public host was asked");
        Assert.That(internalServer.ConnectionCount, Is.Zero, "the redirect target was never connected to");
    }

    [Test]
    public async Task A_redirect_between_allowed_hosts_is_followed()
    {
        await using var target = await FakeLlmServer.StartAsync();
        target.Script(FakeLlmBehavior.Reply("from the target"));
        Server.Script(FakeLlmBehavior.Redirect($"http://internal.test:{target.Port}/v1/chat/completions"));
        using var factory = GuardedFactory("public.test", "internal.test");

        var result = await CollectAsync(factory.Create(new LlmConnection($"http://public.test:{Server.Port}", "", "m")).StreamAsync(Hello));

        Assert.That(result.Completed.Text, Is.EqualTo("from the target"));
    }

    // Classification and DNS checks only: these addresses are never connected to, since tests stay on loopback.
    [TestCase("10.0.0.1", "private")]
    [TestCase("172.16.5.4", "private")]
    [TestCase("172.31.255.255", "private")]
    [TestCase("192.168.1.20", "private")]
    [TestCase("169.254.169.254", "cloud metadata")]
    [TestCase("169.254.10.1", "link-local")]
    [TestCase("100.64.0.1", "CGNAT")]
    [TestCase("0.0.0.0", "unspecified")]
    [TestCase("224.0.0.1", "multicast")]
    [TestCase("255.255.255.255", "broadcast")]
    [TestCase("127.8.9.10", "loopback")]
    [TestCase("::1", "loopback")]
    [TestCase("::", "unspecified")]
    [TestCase("fd00:ec2::254", "cloud metadata")]
    [TestCase("fd12:3456::1", "unique local")]
    [TestCase("fe80::1", "link-local")]
    [TestCase("ff02::1", "multicast")]
    [TestCase("::ffff:10.0.0.1", "private")]
    [TestCase("64:ff9b::a9fe:a9fe", "cloud metadata")]
    public void Internal_addresses_are_classified_as_forbidden(string address, string reason)
    {
        Assert.That(EndpointGuard.WhyForbidden(IPAddress.Parse(address)), Does.Contain(reason));
    }

    [TestCase("8.8.8.8")]
    [TestCase("172.32.0.1")]
    [TestCase("100.128.0.1")]
    [TestCase("203.0.113.10")]
    [TestCase("2606:4700:4700::1111")]
    public void Public_addresses_are_allowed(string address)
    {
        Assert.That(EndpointGuard.WhyForbidden(IPAddress.Parse(address)), Is.Null);
    }

    [TestCase("http://10.0.0.1:11434", "private")]
    [TestCase("http://169.254.169.254/latest", "cloud metadata")]
    [TestCase("http://metadata.test", "'metadata.test' resolves to 169.254.169.254")]
    [TestCase("https://mixed.test/v1", "10.1.2.3")]
    [TestCase("ftp://model.public.test", "Only http and https")]
    [TestCase("file:///etc/passwd", "Only http and https")]
    [TestCase("http://user:pass@model.public.test", "credentials")]
    [TestCase("not a url", "not an absolute URL")]
    public async Task The_settings_check_explains_why_an_endpoint_is_refused(string url, string expected)
    {
        var guard = new EndpointGuard(allowPrivateEndpoints: false, resolve: Resolve);

        Assert.That(await guard.CheckAsync(url), Does.Contain(expected));
    }

    [Test]
    public async Task The_settings_check_accepts_a_public_endpoint_and_private_ones_when_allowed()
    {
        Assert.That(await new EndpointGuard(false, resolve: Resolve).CheckAsync("https://model.public.test/v1"), Is.Null);
        Assert.That(await new EndpointGuard(true, resolve: Resolve).CheckAsync("http://10.0.0.1:11434"), Is.Null);
    }
}
