using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using CharacterHub.Modules.Characters.Cards;
using static CharacterHub.Tests.Unit.Cards.CardTestFiles;

namespace CharacterHub.Tests.Unit.Cards;

public sealed class CharxTests
{
    private static byte[] CardWithAssets(params (string Type, string Uri, string Name, string Ext)[] assets)
    {
        var json = JsonNode.Parse(V3Json("Charx"))!;
        json["data"]!["assets"] = new JsonArray(assets.Select(a => (JsonNode)new JsonObject
            { ["type"] = a.Type, ["uri"] = a.Uri, ["name"] = a.Name, ["ext"] = a.Ext }).ToArray());
        return Encoding.UTF8.GetBytes(json.ToJsonString());
    }

    [TestCase("embeded://assets/icon/images/main.png")]
    [TestCase("embedded://assets/icon/images/main.png")]
    [TestCase("__asset:assets/icon/images/main.png")]
    public void Read_Charx_FindsMainIconForEveryEmbeddedSpelling(string uri)
    {
        var icon = Png(4, 4);
        var zip = Zip(("card.json", CardWithAssets(("icon", uri, "main", "png"))), ("assets/icon/images/main.png", icon), ("module.risum", [9, 9]));
        var result = CardReader.Read(zip, "x.charx");
        Assert.That(result.Error, Is.Null);
        Assert.That(result.Container, Is.EqualTo(CardContainer.Charx));
        Assert.That(result.Avatar!.Value.ToArray(), Is.EqualTo(icon));
        Assert.That(result.FindFile(uri)!.Value.ToArray(), Is.EqualTo(icon));
        Assert.That(result.Files.Select(f => f.Path), Is.EquivalentTo(new[] { "assets/icon/images/main.png", "module.risum" }));
    }

    [Test]
    public void Read_CharxIconOverThePixelLimit_IsRefused()
    {
        var huge = Concat([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], Ihdr(20_000, 20_000), Chunk("IEND", []));
        var zip = Zip(("card.json", CardWithAssets(("icon", "embeded://i.png", "main", "png"))), ("i.png", huge));
        Assert.That(CardReader.Read(zip, "x.charx").Error, Does.Contain("20000×20000"));
    }

    [Test]
    public void Read_JpegWithCharxAppended_ReadsTheZipAndKeepsTheJpegAsAvatar()
    {
        byte[] jpeg = [0xFF, 0xD8, 0xFF, 0xC0, 0, 11, 8, 0, 2, 0, 2, 1, 1, 0x11, 0, 0x50, 0x4B, 0x03, 0xFF, 0xD9];
        var zip = Zip(("card.json", CardWithAssets(("icon", "ccdefault:", "main", "jpeg"))));
        var result = CardReader.Read(Concat(jpeg, zip), "card.jpg");
        Assert.That(result.Error, Is.Null);
        Assert.That(result.Container, Is.EqualTo(CardContainer.JpegCharx));
        Assert.That(result.Card!.Name, Is.EqualTo("Charx"));
        Assert.That(result.Avatar!.Value.ToArray(), Is.EqualTo(jpeg));
    }

    [Test]
    public void Read_JpegWithCharxWhoseOffsetsCountTheJpeg_IsReadAsAWhole()
    {
        byte[] jpeg = [0xFF, 0xD8, 0xFF, 0xC0, 0, 11, 8, 0, 2, 0, 2, 1, 1, 0x11, 0, 0xFF, 0xD9];
        using var output = new MemoryStream();
        output.Write(jpeg);
        // Writing the zip into the same stream makes its offsets absolute, as `zip -A` leaves them.
        using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        using (var s = zip.CreateEntry("card.json").Open())
            s.Write(CardWithAssets());
        var result = CardReader.Read(output.ToArray(), "card.jpeg");
        Assert.That(result.Error, Is.Null);
        Assert.That(result.Container, Is.EqualTo(CardContainer.JpegCharx));
        Assert.That(result.Avatar!.Value.ToArray(), Is.EqualTo(jpeg));
    }

    [Test]
    public void WriteCharx_PutsAssetsUnderTypedFoldersAndRewritesUris()
    {
        var card = new CharacterCard
        {
            Name = "W",
            Assets =
            [
                new CardAsset { Type = "icon", Uri = "embedded://old/face.png", Name = "main", Ext = "png" },
                new CardAsset { Type = "emotion", Uri = "__asset:3", Name = "happy/../x", Ext = "webp" },
                new CardAsset { Type = "background", Uri = "https://example.org/bg.png", Name = "bg", Ext = "png" },
                new CardAsset { Type = "x_voice", Uri = "embeded://v.mp3", Name = "hello", Ext = "mp3" },
            ],
        };
        CardFile[] files = [new("old/face.png", Png()), new("3", new byte[] { 1, 2 }), new("v.mp3", new byte[] { 3 }), new("module.risum", new byte[] { 4 })];
        var charx = CardWriter.WriteCharx(card, files);

        using var zip = new ZipArchive(new MemoryStream(charx));
        Assert.That(zip.Entries.Select(e => e.FullName), Is.EqualTo(new[]
        {
            "card.json", "assets/icon/images/main.png", "assets/emotion/images/happyx.webp", "assets/x_voice/audio/hello.mp3", "module.risum",
        }));
        var back = CardReader.Read(charx, "w.charx");
        Assert.That(back.Card!.Assets!.Select(a => a.Uri), Is.EqualTo(new[]
        {
            "embeded://assets/icon/images/main.png", "embeded://assets/emotion/images/happyx.webp", "https://example.org/bg.png", "embeded://assets/x_voice/audio/hello.mp3",
        }));
        Assert.That(back.FindFile(back.Card.Assets![1].Uri)!.Value.ToArray(), Is.EqualTo(new byte[] { 1, 2 }));
        Assert.That(back.Avatar!.Value.ToArray(), Is.EqualTo(files[0].Data.ToArray()));
    }
}
