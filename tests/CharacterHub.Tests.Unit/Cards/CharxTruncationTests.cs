using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using CharacterHub.Modules.Characters.Cards;
using static CharacterHub.Tests.Unit.Cards.CardTestFiles;

namespace CharacterHub.Tests.Unit.Cards;

/// <summary>
/// CHARX entries whose headers lie about their size: ZipArchive reads what the central directory says and stops there
/// without an error, so a card (or one of its files) would come in cut short. Each must be refused, saying why.
/// </summary>
public sealed class CharxTruncationTests
{
    private const string Asset = "assets/other/other/notes.txt";
    private static readonly byte[] CardJson = Encoding.UTF8.GetBytes(V3Json("Zipped"));
    private static readonly byte[] AssetData = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 200).Select(i => $"line {i};")));

    /// <summary>Stored (not deflated) entries, so a shorter declared size cuts the data exactly there.</summary>
    public static byte[] StoredZip(params (string Name, byte[] Data)[] entries)
    {
        using var output = new MemoryStream();
        using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var (name, data) in entries)
            {
                using var s = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
                s.Write(data);
            }
        return output.ToArray();
    }

    /// <summary>Rewrites the declared sizes (compressed and uncompressed) of <paramref name="entry"/> in the chosen headers.</summary>
    public static byte[] Understate(byte[] zip, string entry, uint size, bool local, bool central)
    {
        var copy = (byte[])zip.Clone();
        var name = Encoding.UTF8.GetBytes(entry);
        for (var i = 0; i < copy.Length - 46; i++)
        {
            var sig = BinaryPrimitives.ReadUInt32LittleEndian(copy.AsSpan(i));
            if (local && sig == 0x04034B50 && copy.AsSpan(i + 30).StartsWith(name))
            {
                BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(i + 18), size);
                BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(i + 22), size);
            }
            if (central && sig == 0x02014B50 && copy.AsSpan(i + 46).StartsWith(name))
            {
                BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(i + 20), size);
                BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(i + 24), size);
            }
        }
        return copy;
    }

    private static void AssertRefusedAsNotWhole(byte[] zip, string entry)
    {
        var result = CardReader.Read(zip, "x.charx");
        Assert.That(result.Success, Is.False,
            $"a cut entry was accepted: {string.Join(", ", result.Files.Select(f => $"{f.Path}={f.Data.Length} bytes"))}");
        Assert.That(result.Error, Does.Contain($"\"{entry}\" is not whole").And.Contain("Nothing was imported"));
    }

    [Test]
    public void Read_IntactStoredCharx_IsReadWhole()
    {
        var result = CardReader.Read(StoredZip(("card.json", CardJson), (Asset, AssetData)), "x.charx");
        Assert.That(result.Success, Is.True, result.Error);
        Assert.That(result.Files.Single(f => f.Path == Asset).Data.ToArray(), Is.EqualTo(AssetData));
    }

    [Test]
    public void Read_AssetWhoseHeadersBothUnderstateItsSize_IsRefused_NotImportedCutShort()
    {
        var zip = Understate(StoredZip(("card.json", CardJson), (Asset, AssetData)), Asset, (uint)AssetData.Length / 2, local: true, central: true);
        AssertRefusedAsNotWhole(zip, Asset);
    }

    [Test]
    public void Read_CardJsonWhoseHeadersBothUnderstateItsSize_IsRefusedAsNotWhole()
    {
        var zip = Understate(StoredZip(("card.json", CardJson), (Asset, AssetData)), "card.json", (uint)CardJson.Length - 10, local: true, central: true);
        AssertRefusedAsNotWhole(zip, "card.json");
    }

    [TestCase(true, false)]
    [TestCase(false, true)]
    public void Read_EntryWhoseLocalHeaderAndDirectoryDisagree_IsRefused(bool local, bool central)
    {
        // ZipArchive reads by the central directory, streaming readers by the local header: two readers, two cards.
        var zip = Understate(StoredZip(("card.json", CardJson), (Asset, AssetData)), Asset, 100, local, central);
        AssertRefusedAsNotWhole(zip, Asset);
    }

    [Test]
    public void Read_EntryWhoseBytesDoNotMatchTheirChecksum_IsRefused()
    {
        var zip = StoredZip(("card.json", CardJson), (Asset, AssetData));
        var at = zip.AsSpan().IndexOf("line 100;"u8);
        zip[at] = (byte)'L';
        AssertRefusedAsNotWhole(zip, Asset);
    }

    [Test]
    public void Read_DeflatedCardJsonWhoseCompressedSizeIsUnderstated_IsRefused()
    {
        var zip = Zip(("card.json", CardJson), (Asset, AssetData));
        var result = CardReader.Read(Understate(zip, "card.json", 40, local: true, central: true), "x.charx");
        Assert.That(result.Success, Is.False);
        Assert.That(result.Error, Does.Contain("damaged"));
    }
}
