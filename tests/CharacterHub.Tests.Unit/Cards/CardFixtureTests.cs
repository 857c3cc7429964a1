using System.Text.Json.Nodes;
using CharacterHub.Modules.Characters.Cards;

namespace CharacterHub.Tests.Unit.Cards;

/// <summary>Real cards made by other tools: import what they hold, and export it again without losing a key.</summary>
public sealed class CardFixtureTests
{
    private static CardReadResult ReadFixture(string name)
    {
        var result = CardReader.Read(CardTestFiles.Load(name), name);
        Assert.That(result.Error, Is.Null, name);
        return result;
    }

    /// <summary>What every PNG fixture must give back: its fields as the file holds them, and its image unchanged.</summary>
    private static void AssertMatchesOracle(string fixture, CardReadResult result)
    {
        var file = CardTestFiles.Load(fixture);
        var original = CardTestFiles.PreferredCardJson(file);
        var data = original["data"] as JsonObject ?? original;
        var card = result.Card!;
        Assert.Multiple(() =>
        {
            Assert.That(card.Name, Is.EqualTo((string)data["name"]!));
            Assert.That(card.FirstMessage, Is.EqualTo((string)data["first_mes"]!));
            Assert.That(card.Description, Is.EqualTo((string)data["description"]!));
            Assert.That(card.AlternateGreetings, Is.EqualTo(
                (data["alternate_greetings"] as JsonArray)?.Select(g => (string)g!).ToArray() ?? []));
            Assert.That(result.Container, Is.EqualTo(CardContainer.Png));
            Assert.That(result.Avatar!.Value.ToArray(), Is.EqualTo(file), "the avatar is the PNG itself, byte for byte");
            var book = data["character_book"] as JsonObject;
            Assert.That(card.CharacterBook?.Entries.Count, Is.EqualTo((book?["entries"] as JsonArray)?.Count));
            if (book is not null)
                for (var i = 0; i < card.CharacterBook!.Entries.Count; i++)
                {
                    var entry = card.CharacterBook.Entries[i];
                    Assert.That(entry.Content, Is.EqualTo((string)book["entries"]![i]!["content"]!));
                    Assert.That(entry.Keys, Is.EqualTo(book["entries"]![i]!["keys"]!.AsArray().Select(k => (string)k!).ToArray()));
                }
        });
    }

    [Test]
    public void Read_ChoralV3Only_ReadsTheCcv3Chunk()
    {
        var result = ReadFixture("choral_Default-chan_v3only.png");
        AssertMatchesOracle("choral_Default-chan_v3only.png", result);
        Assert.That(result.Spec, Is.EqualTo(CardSpec.V3));
        Assert.That(result.Card!.Name, Is.EqualTo("Default-chan"));
        Assert.That(result.Card.AlternateGreetings, Has.Count.EqualTo(2));
        Assert.That(result.Card.Tags, Is.EqualTo(new[] { "Cute", "Girlfriend", "Cozy", "Interactive Simulation", "Video Games" }));
    }

    [Test]
    public void Read_ChubExport_KeepsChubExtensionAndDataAvatar()
    {
        var result = ReadFixture("llamacpp_Shodan_v2_chub.png");
        AssertMatchesOracle("llamacpp_Shodan_v2_chub.png", result);
        Assert.That(result.Spec, Is.EqualTo(CardSpec.V2));
        Assert.That(result.Card!.Name, Is.EqualTo("Shodan"));
        Assert.That(result.Card.Extensions["chub"], Is.InstanceOf<JsonObject>());
        Assert.That(result.Card.Extensions["chub"]!.AsObject().ContainsKey("expressions"), Is.True, "null values are kept");
        Assert.That(result.Card.UnknownData.ContainsKey("avatar"), Is.True);
    }

    [Test]
    public void Read_SkynetV1_KeepsTheForeignMetadataObject()
    {
        var result = ReadFixture("llamacpp_Skynet_v1_zoltan.png");
        AssertMatchesOracle("llamacpp_Skynet_v1_zoltan.png", result);
        Assert.That(result.Spec, Is.EqualTo(CardSpec.V1));
        Assert.That(result.Card!.FirstMessage, Is.EqualTo("How can I help you today User."));
        Assert.That(result.Card.UnknownTopLevel["metadata"], Is.InstanceOf<JsonObject>());
    }

    [Test]
    public void Read_RisuYuzu_IgnoresThe34MbPrivateChunk()
    {
        var result = ReadFixture("risu_sample_yuzu_v1+risuai.png");
        AssertMatchesOracle("risu_sample_yuzu_v1+risuai.png", result);
        Assert.That(result.Spec, Is.EqualTo(CardSpec.V1));
        Assert.That(result.Card!.Name, Is.EqualTo("Yuzu, the shy cat girl maid"));
        Assert.That(result.Card.UnknownTopLevel.Select(p => p.Key), Is.SupersetOf(new[] { "avatar", "chat", "create_date", "talkativeness" }));
    }

    [Test]
    public void Read_CodingSensei_KeepsDepthPrompt()
    {
        var result = ReadFixture("st_default_CodingSensei.png");
        AssertMatchesOracle("st_default_CodingSensei.png", result);
        Assert.That(result.Card!.Name, Is.EqualTo("Coding Sensei"));
        Assert.That(result.Card.FirstMessage, Does.Contain("\r\n"), "CRLF survives untouched");
        Assert.That((int)result.Card.Extensions["depth_prompt"]!["depth"]!, Is.EqualTo(4));
        Assert.That((string)result.Card.Extensions["depth_prompt"]!["role"]!, Is.EqualTo("system"));
    }

    [Test]
    public void Read_FluxTheCat_ReadsV2()
    {
        var result = ReadFixture("st_default_FluxTheCat.png");
        AssertMatchesOracle("st_default_FluxTheCat.png", result);
        Assert.That(result.Card!.Name, Is.EqualTo("Flux the Cat"));
        Assert.That(result.Spec, Is.EqualTo(CardSpec.V2));
        Assert.That(result.Card.Description, Does.Contain("\u00a0"), "a no-break space is not normalised away");
    }

    [Test]
    public void Read_Seraphina2023_ReadsItsFourLorebookEntries()
    {
        var result = ReadFixture("st_default_Seraphina_2023-07.png");
        AssertMatchesOracle("st_default_Seraphina_2023-07.png", result);
        var book = result.Card!.CharacterBook!;
        Assert.That(book.Entries, Has.Count.EqualTo(4));
        Assert.That(book.Entries[0].Keys, Is.EqualTo(new[] { "eldoria", "wood", "forest", "magical forest" }));
        Assert.That(book.Entries[0].Id, Is.EqualTo(LorebookEntryId.FromNumber(0)));
        Assert.That(book.Entries[0].InsertionOrder, Is.EqualTo(100));
        Assert.That(book.Entries[0].Position, Is.EqualTo("before_char"));
        Assert.That(book.Entries[0].Extensions.ContainsKey("probability"), Is.True);
    }

    [Test]
    public void Read_WhenPngHasCcv3AndChara_PrefersCcv3()
    {
        var result = ReadFixture("st_default_Seraphina_2024-09-28.png");
        AssertMatchesOracle("st_default_Seraphina_2024-09-28.png", result);
        Assert.That(result.Spec, Is.EqualTo(CardSpec.V3));
        var entry = result.Card!.CharacterBook!.Entries[0];
        Assert.That(entry.UseRegex, Is.True);
        Assert.That(entry.Selective, Is.True);
        Assert.That(entry.Extensions.Select(p => p.Key), Has.Member("delay_until_recursion"));
        Assert.That(result.Card.GroupOnlyGreetings, Is.Empty);
    }

    [Test]
    public void Read_AquaV1Png_ReadsFlatFields()
    {
        var result = ReadFixture("st_legacy_Aqua_v1.png");
        AssertMatchesOracle("st_legacy_Aqua_v1.png", result);
        Assert.That(result.Spec, Is.EqualTo(CardSpec.V1));
        Assert.That(result.Card!.Name, Is.EqualTo("Aqua"));
    }

    [Test]
    public void Read_AquaV1Json_ReadsFlatJsonWithoutScenario()
    {
        var file = CardTestFiles.Load("st_legacy_Aqua_v1.json");
        var original = JsonNode.Parse(file)!.AsObject();
        var result = CardReader.Read(file, "st_legacy_Aqua_v1.json");
        Assert.That(result.Error, Is.Null);
        Assert.That(result.Container, Is.EqualTo(CardContainer.Json));
        Assert.That(result.Spec, Is.EqualTo(CardSpec.V1));
        Assert.That(result.Card!.Name, Is.EqualTo("Aqua"));
        Assert.That(result.Card.FirstMessage, Is.EqualTo((string)original["first_mes"]!));
        Assert.That(result.Card.Description, Is.EqualTo((string)original["description"]!));
        Assert.That(result.Card.Scenario, Is.Empty);
        Assert.That(result.Avatar, Is.Null);
    }

    [Test]
    public void ReadLorebook_EldoriaWorldInfo_ConvertsFourEntries()
    {
        var file = CardTestFiles.Load("st_Eldoria_worldinfo.json");
        var original = JsonNode.Parse(file)!["entries"]!.AsObject();
        var result = LorebookReader.Read(file, "st_Eldoria_worldinfo.json");
        Assert.That(result.Error, Is.Null);
        var book = result.Lorebook!;
        Assert.That(book.Name, Is.EqualTo("st_Eldoria_worldinfo"));
        Assert.That(book.Entries, Has.Count.EqualTo(4));
        foreach (var (entry, (uid, wi)) in book.Entries.Zip(original))
        {
            Assert.That(entry.Id!.Value.ToString(), Is.EqualTo(uid));
            Assert.That(entry.Content, Is.EqualTo((string)wi!["content"]!));
            Assert.That(entry.Keys, Is.EqualTo(wi["key"]!.AsArray().Select(k => (string)k!).ToArray()));
            Assert.That(entry.InsertionOrder, Is.EqualTo((int)wi["order"]!));
            Assert.That(entry.Enabled, Is.EqualTo(!(bool)wi["disable"]!));
            Assert.That(JsonNode.DeepEquals(entry.Extensions["position"], wi["position"]), Is.True);
        }
        Assert.That(CardReader.Read(file, "st_Eldoria_worldinfo.json").Error, Does.Contain("lorebook"),
            "a character import of a world info file says what it is");
    }

    [Test]
    public void ReadLorebook_EldoriaWorldInfo_SurvivesLorebookV3RoundTrip()
    {
        var first = LorebookReader.Read(CardTestFiles.Load("st_Eldoria_worldinfo.json"), "Eldoria.json").Lorebook!;
        var written = CardWriter.WriteLorebookJson(first);
        Assert.That((string)JsonNode.Parse(written)!["spec"]!, Is.EqualTo("lorebook_v3"));
        var second = LorebookReader.Read(written, "other.json").Lorebook!;
        Assert.That(JsonNode.DeepEquals(CardJson.LorebookToJson(first), CardJson.LorebookToJson(second)), Is.True);
    }

    // ------------------------------------------------------------------ round trips

    [TestCaseSource(typeof(CardTestFiles), nameof(CardTestFiles.PngFixtures))]
    public void RoundTrip_PngFixture_KeepsEveryOriginalFieldAndUnknownKey(string fixture)
    {
        var file = CardTestFiles.Load(fixture);
        var first = CardReader.Read(file, fixture);
        Assert.That(first.Error, Is.Null);

        var exported = CardWriter.WritePng(first.Card!, file);
        var chunks = CardTestFiles.CardChunks(exported);
        Assert.That(chunks.Keys, Is.EquivalentTo(new[] { "chara", "ccv3" }));
        Assert.That((string)chunks["chara"]["spec"]!, Is.EqualTo("chara_card_v2"));
        Assert.That((string)chunks["chara"]["spec_version"]!, Is.EqualTo("2.0"));
        Assert.That((string)chunks["ccv3"]["spec"]!, Is.EqualTo("chara_card_v3"));
        Assert.That((string)chunks["ccv3"]["spec_version"]!, Is.EqualTo("3.0"));

        var original = CardTestFiles.PreferredCardJson(file);
        foreach (var written in chunks.Values)
            AssertKeepsOriginal(original, written);

        // The image and every foreign chunk (the risuai one included) are copied byte for byte.
        var imageBefore = CardTestFiles.Chunks(file).Where(c => !IsCardChunk(c)).ToList();
        var imageAfter = CardTestFiles.Chunks(exported).Where(c => !IsCardChunk(c)).ToList();
        Assert.That(imageAfter.Select(c => c.Type), Is.EqualTo(imageBefore.Select(c => c.Type)));
        for (var i = 0; i < imageBefore.Count; i++) Assert.That(imageAfter[i].Data, Is.EqualTo(imageBefore[i].Data));

        var second = CardReader.Read(exported, fixture);
        Assert.That(second.Error, Is.Null);
        Assert.That(JsonNode.DeepEquals(CardWriter.ToJsonObject(first.Card!, CardSpec.V3), CardWriter.ToJsonObject(second.Card!, CardSpec.V3)),
            Is.True, "import → export → import gives the same card");
    }

    [Test]
    public void RoundTrip_AquaJson_KeepsEveryOriginalFieldAsV2AndV3()
    {
        var file = CardTestFiles.Load("st_legacy_Aqua_v1.json");
        var original = JsonNode.Parse(file)!.AsObject();
        var card = CardReader.Read(file, "Aqua.json").Card!;
        foreach (var spec in new[] { CardSpec.V2, CardSpec.V3 })
        {
            var written = JsonNode.Parse(CardWriter.WriteJson(card, spec))!.AsObject();
            AssertKeepsOriginal(original, written);
            var again = CardReader.Read(CardWriter.WriteJson(card, spec), "x.json");
            Assert.That(again.Spec, Is.EqualTo(spec));
            Assert.That(JsonNode.DeepEquals(CardWriter.ToJsonObject(again.Card!, spec), written), Is.True);
        }
    }

    [TestCaseSource(typeof(CardTestFiles), nameof(CardTestFiles.PngFixtures))]
    public void RoundTrip_PngFixtureThroughCharx_KeepsFieldsAndAvatar(string fixture)
    {
        var file = CardTestFiles.Load(fixture);
        var first = CardReader.Read(file, fixture);
        var charx = CardWriter.WriteCharx(first.Card!, first.Files, first.Avatar);
        var second = CardReader.Read(charx, "card.charx");
        Assert.That(second.Error, Is.Null);
        Assert.That(second.Container, Is.EqualTo(CardContainer.Charx));
        Assert.That(second.Spec, Is.EqualTo(CardSpec.V3));
        Assert.That(second.Avatar!.Value.ToArray(), Is.EqualTo(file));
        var before = CardWriter.ToJsonObject(first.Card!, CardSpec.V3);
        var after = CardWriter.ToJsonObject(second.Card!, CardSpec.V3);
        // The only addition is the asset entry that points at the embedded avatar.
        after["data"]!.AsObject().Remove("assets");
        before["data"]!.AsObject().Remove("assets");
        Assert.That(JsonNode.DeepEquals(before, after), Is.True);
    }

    private static bool IsCardChunk((string Type, byte[] Data) chunk)
    {
        if (chunk.Type != "tEXt") return false;
        var keyword = System.Text.Encoding.Latin1.GetString(chunk.Data, 0, Array.IndexOf(chunk.Data, (byte)0));
        return keyword is "chara" or "ccv3";
    }

    /// <summary>V1 fields land in <c>data</c>; V1's other root keys stay at the root; V2/V3 keep their shape.</summary>
    private static void AssertKeepsOriginal(JsonObject original, JsonObject written)
    {
        if (original["data"] is JsonObject)
        {
            var withoutSpec = (JsonObject)original.DeepClone();
            withoutSpec.Remove("spec");
            withoutSpec.Remove("spec_version");
            JsonAssert.ContainsAll(withoutSpec, written);
            return;
        }
        string[] v1Fields = ["name", "description", "personality", "scenario", "first_mes", "mes_example"];
        foreach (var (key, value) in original)
        {
            var target = v1Fields.Contains(key) ? written["data"]![key] : written[key];
            Assert.That(JsonNode.DeepEquals(value, target), Is.True, $"{key}: {value?.ToJsonString()} became {target?.ToJsonString()}");
        }
    }
}
