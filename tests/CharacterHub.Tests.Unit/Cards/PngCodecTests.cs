using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using System.Text;
using System.Text.Json.Nodes;
using CharacterHub.Modules.Characters.Cards;
using static CharacterHub.Tests.Unit.Cards.CardTestFiles;

namespace CharacterHub.Tests.Unit.Cards;

public sealed class PngCodecTests
{
    private static CharacterCard Card(string name = "Ava") => new() { Name = name, FirstMessage = "Hi" };

    [Test]
    public void WritePng_InsertsCharaThenCcv3JustBeforeIend_AndKeepsOtherChunksInOrder()
    {
        var png = Png(TextChunk("Comment", "made by hand"), Chunk("tIME", new byte[7]));
        var written = CardWriter.WritePng(Card(), png);
        Assert.That(Chunks(written).Select(c => c.Type),
            Is.EqualTo(new[] { "IHDR", "IDAT", "tEXt", "tIME", "tEXt", "tEXt", "IEND" }));
        var texts = Chunks(written).Where(c => c.Type == "tEXt").Select(c => Encoding.Latin1.GetString(c.Data).Split('\0')[0]).ToArray();
        Assert.That(texts, Is.EqualTo(new[] { "Comment", "chara", "ccv3" }));
    }

    [Test]
    public void WritePng_RemovesOldCardChunksOfAnyCaseAndKind()
    {
        var itxt = Chunk("iTXt", [.. "CCV3"u8, 0, 0, 0, 0, 0, .. "e30="u8]);
        var png = Png(CardTextChunk("Chara", V2Json("Old")), itxt, CardTextChunk("chara", V2Json("Older")));
        var written = CardWriter.WritePng(Card("New"), png);
        var cardChunks = Chunks(written).Where(c => c.Type is "tEXt" or "iTXt").ToList();
        Assert.That(cardChunks, Has.Count.EqualTo(2));
        Assert.That(CardReader.Read(written, "x.png").Card!.Name, Is.EqualTo("New"));
    }

    [Test]
    public void WritePng_WritesCorrectBigEndianCrcForEveryChunk()
    {
        var written = CardWriter.WritePng(Card(), Png());
        var i = 8;
        while (i < written.Length)
        {
            var length = (int)BinaryPrimitives.ReadUInt32BigEndian(written.AsSpan(i));
            var expected = Crc32.HashToUInt32(written.AsSpan(i + 4, length + 4));
            Assert.That(BinaryPrimitives.ReadUInt32BigEndian(written.AsSpan(i + 8 + length)), Is.EqualTo(expected));
            i += 12 + length;
        }
        Assert.That(i, Is.EqualTo(written.Length));
    }

    [Test]
    public void WritePng_StoresBase64OfUtf8Json_AndNonAsciiSurvives()
    {
        var card = Card("Ærøskøbing 猫娘 🐱");
        card.Description = "Zoë says \"héllo\" & <b>bye</b>";
        var written = CardWriter.WritePng(card, Png());
        var chara = Chunks(written).First(c => c.Type == "tEXt" && Encoding.Latin1.GetString(c.Data).StartsWith("chara\0", StringComparison.Ordinal));
        var base64 = Encoding.ASCII.GetString(chara.Data, 6, chara.Data.Length - 6);
        Assert.That(base64, Does.Match("^[A-Za-z0-9+/]+=*$"));
        var json = JsonNode.Parse(Convert.FromBase64String(base64))!;
        Assert.That((string)json["data"]!["name"]!, Is.EqualTo("Ærøskøbing 猫娘 🐱"));
        Assert.That(Encoding.UTF8.GetString(Convert.FromBase64String(base64)), Does.Contain("猫娘"), "stored as UTF-8, not \\u escapes");
        var read = CardReader.Read(written, "x.png").Card!;
        Assert.That(read.Name, Is.EqualTo(card.Name));
        Assert.That(read.Description, Is.EqualTo(card.Description));
    }

    [Test]
    public void WritePng_OnANonPng_ThrowsArgumentExceptionWithReason()
    {
        var e = Assert.Throws<ArgumentException>(() => CardWriter.WritePng(Card(), "GIF89a not a png"u8.ToArray()));
        Assert.That(e!.Message, Does.Contain("not a PNG"));
    }

    [TestCase("chara")]
    [TestCase("CHARA")]
    [TestCase("Chara")]
    [TestCase("cCv3")]
    public void Read_KeywordIsMatchedCaseInsensitively(string keyword)
    {
        var result = CardReader.Read(Png(CardTextChunk(keyword, V2Json("Case"))), "x.png");
        Assert.That(result.Card?.Name, Is.EqualTo("Case"));
    }

    [Test]
    public void Read_PrefersCcv3EvenWhenCharaComesFirst()
    {
        var png = Png(CardTextChunk("chara", V2Json("Two")), CardTextChunk("ccv3", V3Json("Three")));
        var result = CardReader.Read(png, "x.png");
        Assert.That(result.Card!.Name, Is.EqualTo("Three"));
        Assert.That(result.Spec, Is.EqualTo(CardSpec.V3));
    }

    [Test]
    public void Read_WhenCcv3IsDamaged_FallsBackToCharaWithAWarning()
    {
        var png = Png(TextChunk("ccv3", "!!!not base64!!!"), CardTextChunk("chara", V2Json("Backup")));
        var result = CardReader.Read(png, "x.png");
        Assert.That(result.Card!.Name, Is.EqualTo("Backup"));
        Assert.That(result.Warnings, Has.Some.Contains("base64"));
    }

    [Test]
    public void Read_DuplicateCharaChunks_TakesTheFirst()
    {
        var png = Png(CardTextChunk("chara", V2Json("First")), CardTextChunk("chara", V2Json("Second")));
        Assert.That(CardReader.Read(png, "x.png").Card!.Name, Is.EqualTo("First"));
    }

    [Test]
    public void Read_ZtxtAndCompressedItxtChunks_AreInflated()
    {
        var json = Encoding.UTF8.GetBytes(V2Json("Zipped"));
        var base64 = Encoding.ASCII.GetBytes(Convert.ToBase64String(json));
        var ztxt = Chunk("zTXt", [.. "chara"u8, 0, 0, .. Deflate(base64)]);
        Assert.That(CardReader.Read(Png(ztxt), "x.png").Card!.Name, Is.EqualTo("Zipped"));
        var itxt = Chunk("iTXt", [.. "ccv3"u8, 0, 1, 0, .. "en"u8, 0, 0, .. Deflate(json)]);
        Assert.That(CardReader.Read(Png(itxt), "x.png").Card!.Name, Is.EqualTo("Zipped"), "iTXt may hold raw JSON");
    }

    [Test]
    public void Read_Base64WithLineBreaksOrUrlSafeAlphabet_IsAccepted()
    {
        var json = Encoding.UTF8.GetBytes(V2Json("Wrapped ~~~>>>???"));
        var wrapped = Convert.ToBase64String(json, Base64FormattingOptions.InsertLineBreaks);
        Assert.That(CardReader.Read(Png(TextChunk("chara", wrapped)), "x.png").Card!.Name, Is.EqualTo("Wrapped ~~~>>>???"));
        var urlSafe = Convert.ToBase64String(json).Replace('+', '-').Replace('/', '_').TrimEnd('=');
        Assert.That(CardReader.Read(Png(TextChunk("chara", urlSafe)), "x.png").Card!.Name, Is.EqualTo("Wrapped ~~~>>>???"));
    }

    [Test]
    public void Read_RisuAssetChunks_BecomeFilesResolvableByAssetUri()
    {
        var v3 = JsonNode.Parse(V3Json("Risu"))!;
        v3["data"]!["assets"] = new JsonArray(new JsonObject { ["type"] = "emotion", ["uri"] = "__asset:0", ["name"] = "happy", ["ext"] = "png" });
        var asset = Png(3, 3);
        var png = Png(CardTextChunk("ccv3", v3.ToJsonString()), TextChunk("chara-ext-asset_:0", Convert.ToBase64String(asset)));
        var result = CardReader.Read(png, "x.png");
        Assert.That(result.Files.Single().Path, Is.EqualTo("0"));
        Assert.That(result.FindFile("__asset:0")!.Value.ToArray(), Is.EqualTo(asset));
    }

    private static byte[] Deflate(byte[] data)
    {
        using var output = new MemoryStream();
        using (var z = new ZLibStream(output, CompressionLevel.Optimal, leaveOpen: true)) z.Write(data);
        return output.ToArray();
    }
}
