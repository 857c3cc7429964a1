using System.Text;
using System.Text.Json.Nodes;
using CharacterHub.Modules.Characters.Cards;
using static CharacterHub.Tests.Unit.Cards.CardTestFiles;

namespace CharacterHub.Tests.Unit.Cards;

/// <summary>Cards as people actually write them: wrong types, missing fields, odd encodings.</summary>
public sealed class WildDataTests
{
    private static CardReadResult ReadJson(string json, string fileName = "card.json") =>
        CardReader.Read(Encoding.UTF8.GetBytes(json), fileName);

    [Test]
    public void Read_EmptyName_UsesFileNameWithoutExtension()
    {
        var result = ReadJson(V2Json(name: ""), "Lady of the Lake.json");
        Assert.That(result.Card!.Name, Is.EqualTo("Lady of the Lake"));
        Assert.That(result.Warnings, Has.Some.Contains("no name"));
    }

    [Test]
    public void Read_MissingName_InAPng_UsesFileName()
    {
        var result = CardReader.Read(Png(CardTextChunk("chara", """{"first_mes":"hi"}""")), "/uploads/Nameless.png");
        Assert.That(result.Card!.Name, Is.EqualTo("Nameless"));
    }

    [Test]
    public void Read_NumbersAsStringsEmptyStringsAndNulls_AreTolerated()
    {
        const string json = """
            {"spec":"chara_card_v2","spec_version":2,"data":{"name":"N","description":null,"first_mes":"hi",
             "tags":"a, b ,c","creator":null,"character_version":1.5,"alternate_greetings":null,
             "character_book":{"scan_depth":"","token_budget":"512","recursive_scanning":"true","entries":[
               {"keys":"x,y","content":"c","insertion_order":"12","priority":"","enabled":"false","id":"7",
                "constant":1,"use_regex":null,"case_sensitive":"no","extensions":null}]}}}
            """;
        var result = ReadJson(json);
        Assert.That(result.Error, Is.Null);
        var card = result.Card!;
        Assert.That(card.Description, Is.Empty);
        Assert.That(card.Creator, Is.Empty);
        Assert.That(card.CharacterVersion, Is.EqualTo("1.5"));
        Assert.That(card.Tags, Is.EqualTo(new[] { "a", "b", "c" }));
        Assert.That(card.AlternateGreetings, Is.Empty);
        var book = card.CharacterBook!;
        Assert.That(book.ScanDepth, Is.Null);
        Assert.That(book.TokenBudget, Is.EqualTo(512));
        Assert.That(book.RecursiveScanning, Is.True);
        var entry = book.Entries.Single();
        Assert.That(entry.Keys, Is.EqualTo(new[] { "x", "y" }));
        Assert.That(entry.InsertionOrder, Is.EqualTo(12));
        Assert.That(entry.Priority, Is.Null);
        Assert.That(entry.Enabled, Is.False);
        Assert.That(entry.Id, Is.EqualTo(LorebookEntryId.FromText("7")), "a string id stays a string");
        Assert.That(entry.Constant, Is.True);
        Assert.That(entry.UseRegex, Is.False);
        Assert.That(entry.CaseSensitive, Is.False);
        Assert.That(entry.Extensions, Is.Empty);
    }

    [TestCase("\"3.0\"", 3)]
    [TestCase("3", 3)]
    [TestCase("\"3\"", 3)]
    [TestCase("3.1", 3)]
    [TestCase("\"2.0\"", 2)]
    [TestCase("2", 2)]
    public void Read_SpecVersion_IsComparedAsANumber(string version, int major)
    {
        var expected = major == 3 ? CardSpec.V3 : CardSpec.V2;
        var json = $$$"""{"spec":"chara_card_v2","spec_version":{{{version}}},"data":{"name":"N"}}""";
        Assert.That(ReadJson(json).Spec, Is.EqualTo(expected));
    }

    [Test]
    public void Read_Utf8BomAndCrlf_AreAccepted()
    {
        var bytes = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes("{\r\n  \"name\": \"Bom\",\r\n  \"first_mes\": \"a\\r\\nb\"\r\n}\r\n")).ToArray();
        var result = CardReader.Read(bytes, "x.json");
        Assert.That(result.Card!.Name, Is.EqualTo("Bom"));
        Assert.That(result.Card.FirstMessage, Is.EqualTo("a\r\nb"));
    }

    [Test]
    public void Read_BomInsideBase64Payload_IsAccepted()
    {
        var payload = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes(V2Json("Bommed"))).ToArray();
        var png = Png(TextChunk("chara", Convert.ToBase64String(payload)));
        Assert.That(CardReader.Read(png, "x.png").Card!.Name, Is.EqualTo("Bommed"));
    }

    [Test]
    public void Read_Pygmalion_MapsItsFieldNames()
    {
        var result = ReadJson("""{"char_name":"Pyg","char_persona":"persona","char_greeting":"hello","example_dialogue":"ex","world_scenario":"world","extra":42}""");
        Assert.That(result.Spec, Is.EqualTo(CardSpec.Pygmalion));
        var card = result.Card!;
        Assert.That((card.Name, card.Description, card.FirstMessage, card.MessageExamples, card.Scenario),
            Is.EqualTo(("Pyg", "persona", "hello", "ex", "world")));
        Assert.That((int)card.UnknownTopLevel["extra"]!, Is.EqualTo(42));
    }

    [Test]
    public void Read_UnknownKeysAtEveryLevel_AreWrittenBackVerbatim()
    {
        const string json = """
            {"spec":"chara_card_v3","spec_version":"3.0","top":{"x":[1,2,{"y":null}]},"data":{"name":"N","mine":"yes",
             "extensions":{"deep":{"a":[true,1.25e3]}},"assets":[{"type":"icon","uri":"ccdefault:","name":"main","ext":"png","hash":"h"}],
             "character_book":{"bookkey":1,"entries":[{"keys":["k"],"content":"c","extensions":{},"enabled":true,"insertion_order":0,
               "use_regex":false,"entrykey":{"z":"z"},"id":"abc"}]}}}
            """;
        var original = JsonNode.Parse(json)!;
        var card = ReadJson(json).Card!;
        Assert.That(card.UnknownTopLevel.ContainsKey("top"), Is.True);
        Assert.That(card.UnknownData.ContainsKey("mine"), Is.True);
        Assert.That(card.CharacterBook!.Unknown.ContainsKey("bookkey"), Is.True);
        Assert.That(card.CharacterBook.Entries[0].Unknown.ContainsKey("entrykey"), Is.True);
        Assert.That(card.Assets![0].Unknown.ContainsKey("hash"), Is.True);
        JsonAssert.ContainsAll(original, CardWriter.ToJsonObject(card, CardSpec.V3));
    }

    [Test]
    public void Read_WronglyTypedExtensions_IsKeptAsideWithAWarning()
    {
        var result = ReadJson("""{"spec":"chara_card_v2","spec_version":"2.0","data":{"name":"N","extensions":"oops"}}""");
        Assert.That(result.Card!.Extensions, Is.Empty);
        Assert.That((string)result.Card.UnknownData["_invalid_extensions"]!, Is.EqualTo("oops"));
        Assert.That(result.Warnings, Has.Some.Contains("extensions"));
    }

    [Test]
    public void Read_V3OnlyFields_AreTyped()
    {
        const string json = """
            {"spec":"chara_card_v3","spec_version":"3.0","data":{"name":"N","nickname":"Nicky","creator_notes_multilingual":{"en":"hi","ja":"やあ"},
             "source":["https://example.org/x"],"group_only_greetings":["g1"],"creation_date":1700000000,"modification_date":"1700000001"}}
            """;
        var card = ReadJson(json).Card!;
        Assert.That(card.Nickname, Is.EqualTo("Nicky"));
        Assert.That(card.CreatorNotesMultilingual!["ja"], Is.EqualTo("やあ"));
        Assert.That(card.Source, Is.EqualTo(new[] { "https://example.org/x" }));
        Assert.That(card.GroupOnlyGreetings, Is.EqualTo(new[] { "g1" }));
        Assert.That(card.CreationDate, Is.EqualTo(1700000000));
        Assert.That(card.ModificationDate, Is.EqualTo(1700000001));
    }

    [Test]
    public void Write_V2_KeepsV3OnlyFieldsInsideData()
    {
        var card = new CharacterCard { Name = "N", Nickname = "Nick", Source = ["s"], GroupOnlyGreetings = ["g"], CreationDate = 5 };
        var v2 = CardWriter.ToJsonObject(card, CardSpec.V2);
        Assert.That((string)v2["spec"]!, Is.EqualTo("chara_card_v2"));
        Assert.That((string)v2["data"]!["nickname"]!, Is.EqualTo("Nick"));
        var back = CardReader.Read(CardWriter.WriteJson(card, CardSpec.V2), "x.json").Card!;
        Assert.That(back.Nickname, Is.EqualTo("Nick"));
        Assert.That(back.CreationDate, Is.EqualTo(5));
        Assert.That(back.Source, Is.EqualTo(new[] { "s" }));
        Assert.That(back.GroupOnlyGreetings, Is.EqualTo(new[] { "g" }));
    }

    [Test]
    public void Write_V1MirrorKeysAtTheRoot_FollowEdits()
    {
        var json = """{"spec":"chara_card_v2","spec_version":"2.0","name":"Old","data":{"name":"Old"}}""";
        var card = ReadJson(json).Card!;
        card.Name = "New";
        Assert.That((string)CardWriter.ToJsonObject(card, CardSpec.V2)["name"]!, Is.EqualTo("New"));
    }

    [Test]
    public void Read_HostileHtmlInFields_IsKeptAsPlainText()
    {
        var card = ReadJson(V2Json(name: "<script>alert(1)</script>")).Card!;
        Assert.That(card.Name, Is.EqualTo("<script>alert(1)</script>"), "escaping is the renderer's job; the codec must not mangle text");
        var written = Encoding.UTF8.GetString(CardWriter.WriteJson(card, CardSpec.V3));
        Assert.That(written, Does.Not.Contain("<script>"), "written JSON escapes HTML-sensitive characters");
    }
}
