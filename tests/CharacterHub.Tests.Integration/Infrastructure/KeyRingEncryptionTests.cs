using System.Security.Cryptography;
using System.Xml.Linq;
using CharacterHub.Tests.Support;
using CharacterHub.Web.Infrastructure.Database;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CharacterHub.Tests.Integration.Infrastructure;

/// <summary>With DataProtection:KeyEncryptionKey set, the key ring is stored encrypted, so the database alone no
/// longer opens what it protects (users' API keys among it).</summary>
public sealed class KeyRingEncryptionTests
{
    private sealed class MemoryRepository : IXmlRepository
    {
        public readonly List<XElement> Stored = [];
        public IReadOnlyCollection<XElement> GetAllElements() => Stored.ToList();
        public void StoreElement(XElement element, string friendlyName) => Stored.Add(element);
    }

    private static IDataProtector Protector(MemoryRepository repository, KeyEncryptionKey? kek)
    {
        var services = new ServiceCollection();
        if (kek is not null) services.AddSingleton(kek);
        services.AddDataProtection().SetApplicationName("CharacterHub");
        services.Configure<KeyManagementOptions>(o =>
        {
            o.XmlRepository = repository;
            if (kek is not null) o.XmlEncryptor = new AesGcmXmlEncryptor(kek);
        });
        return services.BuildServiceProvider().GetRequiredService<IDataProtectionProvider>().CreateProtector("test.api-key");
    }

    private static KeyEncryptionKey NewKey() => KeyEncryptionKey.FromBytes(RandomNumberGenerator.GetBytes(32));

    [Test]
    public void The_stored_ring_holds_no_key_in_the_clear_and_opens_only_with_the_same_key()
    {
        var repository = new MemoryRepository();
        var kek = NewKey();
        var secret = Protector(repository, kek).Protect("sk-very-secret");

        var stored = string.Concat(repository.Stored.Select(e => e.ToString()));
        Assert.That(stored, Does.Contain("encryptedKey").And.Not.Contain("<masterKey"), "no key material in the clear");

        Assert.That(Protector(repository, kek).Unprotect(secret), Is.EqualTo("sk-very-secret"), "another process with the key opens it");
        Assert.Catch<CryptographicException>(() => Protector(repository, null).Unprotect(secret), "the database alone does not");
        Assert.Catch<CryptographicException>(() => Protector(repository, NewKey()).Unprotect(secret), "nor does another key");
    }

    [Test]
    public void A_tampered_ring_entry_is_refused()
    {
        var repository = new MemoryRepository();
        var kek = NewKey();
        var secret = Protector(repository, kek).Protect("sk-very-secret");
        var value = repository.Stored[0].Descendants("value").First(v => v.Parent?.Name == "encryptedKey");
        var bytes = Convert.FromBase64String(value.Value);
        bytes[^1] ^= 1;
        value.Value = Convert.ToBase64String(bytes);
        Assert.Catch<CryptographicException>(() => Protector(repository, kek).Unprotect(secret));
    }

    [TestCase("not base64!", "must be base64")]
    [TestCase("c2hvcnQ=", "must be 32 bytes")]
    public void A_malformed_key_stops_the_start_with_a_message(string value, string message)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [KeyEncryptionKey.Setting] = value }).Build();
        var error = Assert.Throws<InvalidOperationException>(() => KeyEncryptionKey.FromConfiguration(configuration));
        Assert.That(error!.Message, Does.Contain(message));
    }

    [Test]
    public async Task The_site_encrypts_its_ring_when_the_key_is_configured()
    {
        await using var app = await TestApp.StartAsync(IntegrationFixture.Database.ConnectionString, settings: new Dictionary<string, string?>
        {
            [KeyEncryptionKey.Setting] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        });
        var options = app.Services.GetRequiredService<IOptions<KeyManagementOptions>>().Value;
        Assert.That(options.XmlEncryptor, Is.InstanceOf<AesGcmXmlEncryptor>());
        Assert.That(options.XmlRepository, Is.InstanceOf<PostgresXmlRepository>());
    }
}
