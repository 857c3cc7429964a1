using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;
using Npgsql;

namespace CharacterHub.Web.Infrastructure.Database;

/// <summary>
/// The key that encrypts the Data Protection key ring before it is stored in PostgreSQL
/// (<c>DataProtection:KeyEncryptionKey</c>, 32 random bytes in base64). With it, a copy of the database alone (a
/// dump, a replica, a backup) no longer opens the API keys, cookies and tokens the ring protects: that also takes this
/// key, which lives only in the site's configuration. Without it the ring is stored as Data Protection writes it.
/// </summary>
public sealed class KeyEncryptionKey
{
    public const string Setting = "DataProtection:KeyEncryptionKey";

    private KeyEncryptionKey(byte[] key)
    {
        Key = key;
        // Names the key in each stored element without revealing it, so a wrong key is told apart from damage.
        Id = Convert.ToHexStringLower(SHA256.HashData(key))[..16];
    }

    public byte[] Key { get; }

    public string Id { get; }

    /// <summary>The configured key; null when none is set. A value that is not 32 bytes of base64 stops the start with
    /// a message saying so (a typo must not silently store the ring unencrypted).</summary>
    public static KeyEncryptionKey? FromConfiguration(IConfiguration configuration)
    {
        var value = configuration[Setting];
        if (string.IsNullOrWhiteSpace(value)) return null;
        byte[] key;
        try
        {
            key = Convert.FromBase64String(value.Trim());
        }
        catch (FormatException)
        {
            throw new InvalidOperationException($"{Setting} must be base64 (32 random bytes, e.g. from `openssl rand -base64 32`).");
        }
        if (key.Length != 32)
            throw new InvalidOperationException($"{Setting} must be 32 bytes in base64 (it decodes to {key.Length}); `openssl rand -base64 32` makes one.");
        return new KeyEncryptionKey(key);
    }

    public static KeyEncryptionKey FromBytes(byte[] key) =>
        key.Length == 32 ? new KeyEncryptionKey(key) : throw new ArgumentException("A key encryption key is 32 bytes.", nameof(key));
}

/// <summary>Encrypts each new key of the ring with AES-256-GCM under the <see cref="KeyEncryptionKey"/>.</summary>
public sealed class AesGcmXmlEncryptor(KeyEncryptionKey kek) : IXmlEncryptor
{
    internal static readonly byte[] Purpose = "CharacterHub.DataProtection.KeyRing.v1"u8.ToArray();

    public EncryptedXmlInfo Encrypt(XElement plaintextElement)
    {
        var plain = Encoding.UTF8.GetBytes(plaintextElement.ToString(SaveOptions.DisableFormatting));
        var sealedBytes = new byte[AesGcm.NonceByteSizes.MaxSize + AesGcm.TagByteSizes.MaxSize + plain.Length];
        var nonce = sealedBytes.AsSpan(0, AesGcm.NonceByteSizes.MaxSize);
        var tag = sealedBytes.AsSpan(nonce.Length, AesGcm.TagByteSizes.MaxSize);
        RandomNumberGenerator.Fill(nonce);
        using (var aes = new AesGcm(kek.Key, tag.Length))
            aes.Encrypt(nonce, plain, sealedBytes.AsSpan(nonce.Length + tag.Length), tag, Purpose);
        CryptographicOperations.ZeroMemory(plain);
        var element = new XElement("encryptedKey",
            new XComment(" This key is encrypted with DataProtection:KeyEncryptionKey (AES-256-GCM). "),
            new XAttribute("kek", kek.Id),
            new XElement("value", Convert.ToBase64String(sealedBytes)));
        return new EncryptedXmlInfo(element, typeof(AesGcmXmlDecryptor));
    }
}

/// <summary>Opens what <see cref="AesGcmXmlEncryptor"/> sealed; Data Protection creates it by type name when it reads
/// the ring, with the site's services.</summary>
public sealed class AesGcmXmlDecryptor(IServiceProvider services) : IXmlDecryptor
{
    public XElement Decrypt(XElement encryptedElement)
    {
        var kek = services.GetService<KeyEncryptionKey>()
            ?? throw new CryptographicException(
                $"This Data Protection key was stored encrypted, and {KeyEncryptionKey.Setting} is not configured. Set it to the key the site used.");
        var id = (string?)encryptedElement.Attribute("kek");
        if (id != kek.Id)
            throw new CryptographicException(
                $"This Data Protection key was encrypted with another {KeyEncryptionKey.Setting} (id {id}; the configured one is {kek.Id}).");
        var sealedBytes = Convert.FromBase64String((string?)encryptedElement.Element("value") ?? "");
        var nonceLength = AesGcm.NonceByteSizes.MaxSize;
        var tagLength = AesGcm.TagByteSizes.MaxSize;
        if (sealedBytes.Length < nonceLength + tagLength) throw new CryptographicException("The encrypted Data Protection key is truncated.");
        var plain = new byte[sealedBytes.Length - nonceLength - tagLength];
        using (var aes = new AesGcm(kek.Key, tagLength))
            aes.Decrypt(sealedBytes.AsSpan(0, nonceLength), sealedBytes.AsSpan(nonceLength + tagLength), sealedBytes.AsSpan(nonceLength, tagLength),
                plain, AesGcmXmlEncryptor.Purpose);
        try
        {
            return XElement.Parse(Encoding.UTF8.GetString(plain));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain);
        }
    }
}

public static class KeyRingEncryption
{
    /// <summary>Stores the key ring in PostgreSQL, encrypted when <see cref="KeyEncryptionKey.Setting"/> is set.</summary>
    public static void AddKeyRing(this IServiceCollection services, IConfiguration configuration)
    {
        var kek = KeyEncryptionKey.FromConfiguration(configuration);
        if (kek is not null) services.AddSingleton(kek);
        services.AddOptions<KeyManagementOptions>()
            .Configure<NpgsqlDataSource>((o, db) =>
            {
                o.XmlRepository = new PostgresXmlRepository(db);
                if (kek is not null) o.XmlEncryptor = new AesGcmXmlEncryptor(kek);
            });
    }
}
