using System.Text.Json;
using CharacterHub.Modules.Characters.Avatars;
using CsCheck;

namespace CharacterHub.Tests.Unit.Avatars;

public sealed class AvatarParametersTests
{
    private static Dictionary<string, string?> Form(params (string Key, string? Value)[] fields) =>
        fields.ToDictionary(f => f.Key, f => f.Value);

    [Test]
    public void Parse_EmptyForm_GivesTheDefaultsWithoutErrors()
    {
        var result = AvatarParameters.Parse(Form());
        Assert.That(result.IsValid, Is.True);
        Assert.That(result.Parameters, Is.EqualTo(AvatarParameters.Default));
    }

    [Test]
    public void Parse_BlankFieldsAndUnknownKeys_AreIgnored()
    {
        var result = AvatarParameters.Parse(Form(
            (AvatarFields.HairStyle, "  "), (AvatarFields.EyeColor, null), ("__RequestVerificationToken", "abc")));
        Assert.That(result.IsValid, Is.True);
        Assert.That(result.Parameters, Is.EqualTo(AvatarParameters.Default));
    }

    [Test]
    public void Parse_ReadsEveryField()
    {
        var result = AvatarParameters.Parse(Form(
            (AvatarFields.FaceShape, "heart"), (AvatarFields.SkinTone, "umber"), (AvatarFields.EyeShape, "almond"),
            (AvatarFields.EyeColor, "#3F8A4F"), (AvatarFields.BrowStyle, "angled"), (AvatarFields.MouthStyle, "smirk"),
            (AvatarFields.HairStyle, "ponytail"), (AvatarFields.HairColor, "#c8622b"),
            (AvatarFields.Accessories, "round_glasses, cat_ears,halo"), (AvatarFields.ShirtColor, "#112233"),
            (AvatarFields.AccentColor, "#445566"), (AvatarFields.Background, "stripes"),
            (AvatarFields.BackgroundColor, "#ffffff"), (AvatarFields.BackgroundColor2, "#000000")));

        Assert.That(result.Errors, Is.Empty);
        var p = result.Parameters;
        Assert.That(p.FaceShape, Is.EqualTo(FaceShape.Heart));
        Assert.That(p.SkinTone, Is.EqualTo(AvatarColor.FromHex("#6e4229")));
        Assert.That(p.EyeShape, Is.EqualTo(EyeShape.Almond));
        Assert.That(p.EyeColor.ToString(), Is.EqualTo("#3f8a4f"), "colours are normalised to lower case");
        Assert.That(p.BrowStyle, Is.EqualTo(BrowStyle.Angled));
        Assert.That(p.MouthStyle, Is.EqualTo(MouthStyle.Smirk));
        Assert.That(p.HairStyle, Is.EqualTo(HairStyle.Ponytail));
        Assert.That(p.Accessories, Is.EqualTo(Accessories.RoundGlasses | Accessories.CatEars | Accessories.Halo));
        Assert.That(p.Background, Is.EqualTo(BackgroundStyle.Stripes));
        Assert.That(p.BackgroundColor2, Is.EqualTo(new AvatarColor(0, 0, 0)));
    }

    [TestCase("red\" onload=\"alert(1)")]
    [TestCase("url(javascript:alert(1))")]
    [TestCase("red")]
    [TestCase("#fff")]
    [TestCase("#12345g")]
    [TestCase("#1234567")]
    [TestCase("rgb(1,2,3)")]
    [TestCase("#123456;background:url(x)")]
    public void Parse_HostileOrMalformedColour_IsRefusedWithAMessageAndKeepsTheDefault(string hostile)
    {
        var result = AvatarParameters.Parse(Form((AvatarFields.HairColor, hostile)));
        Assert.That(result.IsValid, Is.False);
        Assert.That(result.Errors[AvatarFields.HairColor], Does.Contain("#rrggbb"));
        Assert.That(result.Errors[AvatarFields.HairColor], Does.Not.Contain(hostile), "input is not echoed into messages");
        Assert.That(result.Parameters.HairColor, Is.EqualTo(AvatarParameters.Default.HairColor));
    }

    [TestCase(AvatarFields.FaceShape, "triangle", "Face shape")]
    [TestCase(AvatarFields.HairStyle, "3", "Hair style")]
    [TestCase(AvatarFields.EyeShape, "Round\" onmouseover=\"x", "Eye shape")]
    [TestCase(AvatarFields.Background, "image", "Background")]
    [TestCase(AvatarFields.SkinTone, "green", "Skin tone")]
    public void Parse_UnknownChoice_IsRefusedWithTheAllowedValues(string field, string value, string label)
    {
        var result = AvatarParameters.Parse(Form((field, value)));
        Assert.That(result.Errors.Keys, Is.EqualTo(new[] { field }));
        Assert.That(result.Errors[field], Does.StartWith(label));
        Assert.That(result.Parameters, Is.EqualTo(AvatarParameters.Default));
    }

    [Test]
    public void Parse_NamesAreCaseInsensitiveAndTrimmed()
    {
        var p = AvatarParameters.Parse(Form((AvatarFields.HairStyle, " Curly "), (AvatarFields.SkinTone, "LAVENDER"))).Parameters;
        Assert.That(p.HairStyle, Is.EqualTo(HairStyle.Curly));
        Assert.That(p.SkinTone, Is.EqualTo(AvatarColor.FromHex("#c9b6f2")));
    }

    [Test]
    public void Parse_Accessories_NoneAndUnknownAndBothGlasses()
    {
        Assert.That(AvatarParameters.Parse(Form((AvatarFields.Accessories, "none"))).Parameters.Accessories, Is.EqualTo(Accessories.None));

        var unknown = AvatarParameters.Parse(Form((AvatarFields.Accessories, "hat,jetpack")));
        Assert.That(unknown.Errors[AvatarFields.Accessories], Does.Contain("cat_ears"));
        Assert.That(unknown.Parameters.Accessories, Is.EqualTo(Accessories.None));

        var both = AvatarParameters.Parse(Form((AvatarFields.Accessories, "glasses,round_glasses")));
        Assert.That(both.Errors[AvatarFields.Accessories], Does.Contain("not both"));
        Assert.That(both.Parameters.Accessories, Is.EqualTo(Accessories.RoundGlasses));

        var flood = AvatarParameters.Parse(Form((AvatarFields.Accessories, string.Join(",", Enumerable.Repeat("hat", 100)))));
        Assert.That(flood.IsValid, Is.False);
    }

    [Test]
    public void ToDictionary_UsesSnakeCaseKeysAndValuesForEveryField()
    {
        var dict = (AvatarParameters.Default with { Accessories = Accessories.CatEars | Accessories.RoundGlasses }).ToDictionary();
        Assert.That(dict.Keys, Is.EquivalentTo(AvatarFields.All));
        Assert.That(dict[AvatarFields.Accessories], Is.EqualTo("round_glasses,cat_ears"));
        Assert.That(dict[AvatarFields.SkinTone], Is.EqualTo("sand"), "palette tones are stored by name");
        Assert.That(dict.Keys.Concat(dict.Values).All(s => s == s.ToLowerInvariant()), Is.True);
    }

    [Test]
    public void ToDictionary_ThenParse_RoundTripsEveryRandomAvatar()
    {
        Gen.Int.Sample(seed =>
        {
            var original = AvatarParameters.Random(seed);
            var back = AvatarParameters.Parse(original.ToDictionary().ToDictionary(p => p.Key, p => (string?)p.Value));
            Assert.That(back.Errors, Is.Empty);
            Assert.That(back.Parameters, Is.EqualTo(original));
        }, iter: 300);
    }

    [Test]
    public void Json_RoundTripsIncludingCustomSkinTone()
    {
        var original = AvatarParameters.Default with
        {
            SkinTone = AvatarColor.FromHex("#123456"),
            HairStyle = HairStyle.Undercut,
            Accessories = Accessories.Hat | Accessories.Scar,
        };
        var json = original.ToJson();
        using (var doc = JsonDocument.Parse(json))
        {
            Assert.That(doc.RootElement.GetProperty("skin_tone").GetString(), Is.EqualTo("#123456"));
            Assert.That(doc.RootElement.GetProperty("hair_style").GetString(), Is.EqualTo("undercut"));
        }
        var back = AvatarParameters.FromJson(json);
        Assert.That(back.IsValid, Is.True);
        Assert.That(back.Parameters, Is.EqualTo(original));
    }

    [Test]
    public void FromJson_DamagedDocument_IsAnErrorNotAnException()
    {
        var result = AvatarParameters.FromJson("{\"hair_color\": 12");
        Assert.That(result.IsValid, Is.False);
        Assert.That(result.Parameters, Is.EqualTo(AvatarParameters.Default));
    }

    [Test]
    public void Random_IsReproducibleBySeedAndVaries()
    {
        Assert.That(AvatarParameters.Random(42), Is.EqualTo(AvatarParameters.Random(42)));
        var distinct = Enumerable.Range(0, 20).Select(AvatarParameters.Random).Distinct().Count();
        Assert.That(distinct, Is.EqualTo(20));
        Assert.That(Enumerable.Range(0, 200).Select(AvatarParameters.Random)
            .All(p => !(p.Has(Accessories.Glasses) && p.Has(Accessories.RoundGlasses))), Is.True);
    }

    [Test]
    public void AvatarColor_AcceptsOnlySixDigitHex()
    {
        Assert.That(AvatarColor.TryParse("#A1b2C3", out var c), Is.True);
        Assert.That(c.ToString(), Is.EqualTo("#a1b2c3"));
        foreach (var bad in new[] { null, "", "a1b2c3", "#a1b2c", "# a1b2c", "#a1b2c3 ", "#ａ1b2c3", "#-1b2c3" })
            Assert.That(AvatarColor.TryParse(bad, out _), Is.False, bad ?? "null");
    }
}
