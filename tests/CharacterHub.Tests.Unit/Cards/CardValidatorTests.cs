using CharacterHub.Modules.Characters.Cards;

namespace CharacterHub.Tests.Unit.Cards;

public sealed class CardValidatorTests
{
    [TestCaseSource(typeof(CardTestFiles), nameof(CardTestFiles.PngFixtures))]
    public void Validate_RealFixtures_HaveNoBlockingProblems(string fixture)
    {
        var result = CardReader.Read(CardTestFiles.Load(fixture), fixture);
        Assert.That(CardValidator.Validate(result.Card!, result.Files).Where(p => p.Blocking), Is.Empty);
    }

    [Test]
    public void Validate_NameTooLongOrEmpty_Blocks()
    {
        Assert.That(CardValidator.Validate(new CharacterCard { Name = new string('a', 300), FirstMessage = "x" }, []).Single().Blocking, Is.True);
        Assert.That(CardValidator.Validate(new CharacterCard { Name = " ", FirstMessage = "x" }, []).Single().Field, Is.EqualTo("name"));
    }

    [Test]
    public void Validate_TooManyLorebookEntries_Blocks()
    {
        var card = new CharacterCard { Name = "N", FirstMessage = "x", CharacterBook = new Lorebook { Entries = [.. Enumerable.Range(0, 5).Select(_ => new LorebookEntry { Keys = ["k"] })] } };
        var problems = CardValidator.Validate(card, [], new CardLimits { MaxLorebookEntries = 3 });
        Assert.That(problems.Single().Message, Does.Contain("5 entries; at most 3"));
    }

    [Test]
    public void Validate_Assets_ReportsMissingExternalUnsafeAndAmbiguousIcons()
    {
        var card = new CharacterCard
        {
            Name = "N",
            FirstMessage = "x",
            Assets =
            [
                new CardAsset { Type = "icon", Name = "a", Uri = "embeded://assets/missing.png" },
                new CardAsset { Type = "icon", Name = "b", Uri = "https://tracker.example/p.png" },
                new CardAsset { Type = "background", Name = "c", Uri = "javascript:alert(1)" },
                new CardAsset { Type = "emotion", Name = "d", Uri = "__asset:1" },
            ],
        };
        var problems = CardValidator.Validate(card, [new CardFile("1", new byte[] { 1 })]);
        Assert.That(problems.Select(p => p.Field), Is.EqualTo(new[] { "assets[0]", "assets[1]", "assets[2]", "assets" }));
        Assert.That(problems.All(p => !p.Blocking), Is.True);
        Assert.That(problems[1].Message, Does.Contain("consent"));
    }
}
