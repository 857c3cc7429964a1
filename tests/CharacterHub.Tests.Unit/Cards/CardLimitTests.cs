using System.Buffers.Binary;
using System.Text;
using CharacterHub.Modules.Characters.Cards;
using static CharacterHub.Tests.Unit.Cards.CardTestFiles;

namespace CharacterHub.Tests.Unit.Cards;

/// <summary>Every limit and every kind of damage gives one clear error, never an exception.</summary>
public sealed class CardLimitTests
{
    private static string Error(byte[] file, string name = "card.png", CardLimits? limits = null)
    {
        var result = CardReader.Read(file, name, limits);
        Assert.That(result.Success, Is.False, "expected a refusal");
        Assert.That(result.Card, Is.Null);
        return result.Error!;
    }

    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    [Test]
    public void Read_FileOverTheSizeLimit_IsRefusedBeforeParsing()
    {
        Assert.That(Error(new byte[20 * 1024 * 1024 + 1]), Does.Contain("20 MB"));
        Assert.That(Error(Png(CardTextChunk("chara", V2Json())), limits: new CardLimits { MaxFileBytes = 100 }), Does.Contain("at most 100 bytes"));
        Assert.That(CardReader.Read(new ReadOnlySpan<byte>(new byte[200]), "x.png", new CardLimits { MaxFileBytes = 100 }).Error, Does.Contain("at most"));
    }

    [Test]
    public void Read_ChunkDeclaringMoreThanTheChunkLimit_IsRefusedBeforeItIsRead()
    {
        // The file is tiny: the refusal must come from the declared length, not from reading 2 GB.
        var header = new byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(header, 0x7FFF_FFF0);
        Encoding.ASCII.GetBytes("tEXt", header.AsSpan(4));
        var file = Concat(PngSignature, Ihdr(2, 2), header, new byte[64]);
        Assert.That(Error(file), Does.Contain("\"tEXt\" declares 2048 MB").And.Contains("16 MB per chunk"));
    }

    [Test]
    public void Read_TextChunksOverTheirTotal_AreRefused()
    {
        var png = Png(TextChunk("a", new string('x', 80)), TextChunk("b", new string('y', 80)), CardTextChunk("chara", V2Json()));
        Assert.That(Error(png, limits: new CardLimits { MaxPngTextBytes = 150 }), Does.Contain("text chunks add up"));
    }

    [Test]
    public void Read_TooManyChunks_AreRefused()
    {
        var chunks = Enumerable.Range(0, 20).Select(_ => Chunk("tIME", new byte[7])).ToArray();
        Assert.That(Error(Png(chunks), limits: new CardLimits { MaxPngChunks = 10 }), Does.Contain("more than 10 chunks"));
    }

    [Test]
    public void Read_BadCrc_NamesTheChunk()
    {
        var png = Png(CardTextChunk("chara", V2Json()));
        png[^13] ^= 0xFF; // last byte of the tEXt chunk's CRC
        Assert.That(Error(png), Does.Contain("\"tEXt\" fails its CRC check"));
    }

    [Test]
    public void Read_MissingIend_IsReportedAsTruncated()
    {
        var png = Png(CardTextChunk("chara", V2Json()));
        Assert.That(Error(png[..^12]), Does.Contain("ends before its IEND"));
    }

    [Test]
    public void Read_TruncatedPng_IsReported()
    {
        var png = Png(CardTextChunk("chara", V2Json()));
        Assert.That(Error(png[..(png.Length - 40)]), Does.Contain("truncated"));
    }

    [Test]
    public void Read_PngWithoutIhdrFirst_IsDamaged()
    {
        var file = Concat(PngSignature, CardTextChunk("chara", V2Json()), Chunk("IEND", []));
        Assert.That(Error(file), Does.Contain("IHDR"));
    }

    [Test]
    public void Read_InvalidBase64_IsReported()
    {
        Assert.That(Error(Png(TextChunk("chara", "this is *not* base64"))), Does.Contain("not valid base64"));
    }

    [Test]
    public void Read_InvalidJsonInChunk_SaysWhere()
    {
        var e = Error(Png(TextChunk("chara", Convert.ToBase64String("{\"name\": \"x\",\n oops}"u8.ToArray()))));
        Assert.That(e, Does.Contain("not valid JSON").And.Contains("line 2"));
    }

    [Test]
    public void Read_InvalidUtf8InJson_IsReported()
    {
        Assert.That(Error([.. "{\"name\":\""u8, 0xC3, 0x28, .. "\"}"u8], "x.json"), Does.Contain("not valid UTF-8"));
    }

    [Test]
    public void Read_CardJsonOverItsLimit_IsRefusedBeforeDecoding()
    {
        var limits = new CardLimits { MaxCardJsonBytes = 1000 };
        var big = V2Json(name: new string('n', 2000));
        Assert.That(Error(Png(CardTextChunk("chara", big)), limits: limits), Does.Contain("larger than 1000 bytes"));
        Assert.That(Error(Encoding.UTF8.GetBytes(big), "x.json", limits), Does.Contain("at most 1000 bytes"));
    }

    [Test]
    public void Read_ImageOverThePixelLimit_IsRefusedFromTheHeader()
    {
        var file = Concat(PngSignature, Ihdr(10_000, 10_000), CardTextChunk("chara", V2Json()), Chunk("IEND", []));
        Assert.That(Error(file), Does.Contain("10000×10000").And.Contains("50 megapixels"));
    }

    [Test]
    public void Read_JpegOverThePixelLimit_IsRefusedFromItsSofHeader()
    {
        byte[] jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 0, 0, 0xFF, 0xC0, 0, 11, 8, 0x27, 0x10, 0x27, 0x10, 1, 1, 0x11, 0, 0xFF, 0xD9];
        Assert.That(Error(jpeg, "x.jpg"), Does.Contain("10000×10000"));
    }

    [TestCase(new byte[] { 0x52, 0x49, 0x46, 0x46, 0, 0, 0, 0, 0x57, 0x45, 0x42, 0x50, 0x56, 0x50, 0x38, 0x58, 10, 0, 0, 0, 0, 0, 0, 0, 0x0F, 0x27, 0, 0x0F, 0x27, 0, 0, 0 }, 10_000, 10_000)]
    [TestCase(new byte[] { 0x52, 0x49, 0x46, 0x46, 0, 0, 0, 0, 0x57, 0x45, 0x42, 0x50, 0x56, 0x50, 0x38, 0x4C, 5, 0, 0, 0, 0x2F, 0x3F, 0xC0, 0x0F, 0, 0, 0, 0, 0, 0 }, 64, 64)]
    [TestCase(new byte[] { 0x52, 0x49, 0x46, 0x46, 0, 0, 0, 0, 0x57, 0x45, 0x42, 0x50, 0x56, 0x50, 0x38, 0x20, 10, 0, 0, 0, 0, 0, 0, 0x9D, 0x01, 0x2A, 0x20, 0x03, 0x58, 0x02, 0, 0 }, 800, 600)]
    [TestCase(new byte[] { 0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x40, 0x01, 0xF0, 0x00 }, 320, 240)]
    public void ImageHeader_ReadsSizeWithoutDecoding(byte[] header, int width, int height)
    {
        Assert.That(ImageHeader.TryGetSize(header, out var w, out var h), Is.True);
        Assert.That((w, h), Is.EqualTo((width, height)));
    }

    [Test]
    public void Read_WebPNamedPng_SaysWhatItIs()
    {
        byte[] webp = [.. "RIFF"u8, 0, 0, 0, 0, .. "WEBPVP8 "u8, .. new byte[20]];
        Assert.That(Error(webp, "card.png"), Is.EqualTo("This is a WebP image, not a PNG; no card data found."));
    }

    [Test]
    public void Read_JpegAndGifNamedPng_SayWhatTheyAre()
    {
        Assert.That(Error([0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 0, 0, 0xFF, 0xD9], "card.png"), Is.EqualTo("This is a JPEG image, not a PNG; no card data found."));
        Assert.That(Error("GIF89a\x01\0\x01\0\0\0\0"u8.ToArray(), "card.png"), Is.EqualTo("This is a GIF image, not a PNG; no card data found."));
    }

    [Test]
    public void Read_PngWithoutCardChunk_SaysSo()
    {
        Assert.That(Error(Png(TextChunk("Software", "paint"))), Does.Contain("no character card"));
    }

    [TestCase(new byte[0], "empty")]
    [TestCase(new byte[] { 1, 2, 3, 4, 5 }, "not a character card")]
    [TestCase(new byte[] { 0x5B, 0x5D }, "not a character card")]
    public void Read_NotACardAtAll_IsRefused(byte[] file, string expected)
    {
        Assert.That(Error(file, "x.bin"), Does.Contain(expected));
    }

    [TestCase("{}", "holds no character")]
    [TestCase("{\"spec\":\"chara_card_v2\",\"spec_version\":\"2.0\"}", "no \"data\" object")]
    [TestCase("{\"spec\":\"lorebook_v3\",\"data\":{\"entries\":[]}}", "lorebook")]
    [TestCase("{\"name\":\"a\",\"name\":\"b\"", "not valid JSON")]
    public void Read_JsonThatIsNotACard_IsRefused(string json, string expected)
    {
        Assert.That(Error(Encoding.UTF8.GetBytes(json), "x.json"), Does.Contain(expected));
    }

    // ------------------------------------------------------------------ CHARX

    private static byte[] CardJsonBytes => Encoding.UTF8.GetBytes(V3Json("Zipped"));

    [Test]
    public void Read_CharxWithTooManyEntries_IsRefusedFromTheEndRecord()
    {
        var entries = Enumerable.Range(0, 1001).Select(i => ($"assets/other/other/{i}.txt", new byte[] { 1 })).Prepend(("card.json", CardJsonBytes)).ToArray();
        Assert.That(Error(Zip(entries), "x.charx"), Does.Contain("1002 files; at most 1000"));
    }

    [Test]
    public void Read_CharxExpandingOverTheTotal_IsRefusedWhileInflating()
    {
        var random = new byte[30_000];
        new Random(1).NextBytes(random);
        var zip = Zip(("card.json", CardJsonBytes), ("assets/a.bin", random));
        Assert.That(Error(zip, "x.charx", new CardLimits { MaxCharxUncompressedBytes = 20_000 }), Does.Contain("expands to more than"));
    }

    [Test]
    public void Read_CharxZipBomb_IsRefused()
    {
        var zip = Zip(("card.json", CardJsonBytes), ("assets/bomb.bin", new byte[8 * 1024 * 1024]));
        Assert.That(zip.Length, Is.LessThan(100_000), "the fixture really is a bomb");
        Assert.That(Error(zip, "x.charx"), Does.Contain("zip bomb"));
    }

    [Test]
    public void Read_CharxWhoseHeaderUnderstatesTheSize_IsStoppedByTheRealCount()
    {
        var random = new byte[50_000];
        new Random(2).NextBytes(random);
        var zip = Zip(("card.json", CardJsonBytes), ("assets/liar.bin", random));
        // Rewrite every declared uncompressed size of the second entry (local header and central directory) to 10.
        var name = "assets/liar.bin"u8;
        for (var i = 0; i < zip.Length - 4; i++)
        {
            var sig = BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(i));
            if (sig == 0x04034B50 && zip.AsSpan(i + 30).StartsWith(name)) BinaryPrimitives.WriteUInt32LittleEndian(zip.AsSpan(i + 22), 10);
            if (sig == 0x02014B50 && zip.AsSpan(i + 46).StartsWith(name)) BinaryPrimitives.WriteUInt32LittleEndian(zip.AsSpan(i + 24), 10);
        }
        var result = CardReader.Read(zip, "x.charx", new CardLimits { MaxCharxUncompressedBytes = 20_000 });
        // Either refused, or (what ZipArchive does) cut at the declared size: never more than the limit in memory.
        if (result.Success) Assert.That(result.Files.Sum(f => f.Data.Length), Is.LessThanOrEqualTo(20_000));
        else Assert.That(result.Error, Does.Contain("more than").Or.Contains("damaged"));
    }

    [TestCase("../evil.txt")]
    [TestCase("assets/../../evil.txt")]
    [TestCase("/etc/passwd")]
    [TestCase("assets\\icon\\x.png")]
    [TestCase("C:/windows/x.png")]
    public void Read_CharxWithUnsafeEntryName_IsRefused(string name)
    {
        var zip = Zip(("card.json", CardJsonBytes), (name, new byte[] { 1 }));
        Assert.That(Error(zip, "x.charx"), Does.Contain("unsafe file name"));
    }

    [Test]
    public void Read_CharxWithoutCardJson_SaysSo()
    {
        Assert.That(Error(Zip(("other.json", CardJsonBytes)), "x.charx"), Does.Contain("no card.json"));
    }

    [Test]
    public void Read_DamagedZip_IsReported()
    {
        var zip = Zip(("card.json", CardJsonBytes));
        Assert.That(Error(zip[..(zip.Length / 2)], "x.charx"), Does.Contain("damaged").Or.Contains("could not be read"));
    }

    [Test]
    public void Read_CardJsonInCharxOverItsLimit_IsRefused()
    {
        var zip = Zip(("card.json", Encoding.UTF8.GetBytes(V3Json(new string('a', 5000)))));
        Assert.That(Error(zip, "x.charx", new CardLimits { MaxCardJsonBytes = 1000 }), Does.Contain("card.json").And.Contains("larger than"));
    }
}
