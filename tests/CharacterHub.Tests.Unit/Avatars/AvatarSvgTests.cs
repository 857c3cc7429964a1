using System.Xml.Linq;
using CharacterHub.Modules.Characters.Avatars;
using CsCheck;

namespace CharacterHub.Tests.Unit.Avatars;

public sealed class AvatarSvgTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    // Everything the writer is allowed to emit; anything else (script, image, use, a, foreignObject...) is a bug.
    private static readonly HashSet<string> AllowedElements =
        ["svg", "title", "defs", "linearGradient", "stop", "clipPath", "g", "path", "rect", "circle", "ellipse"];

    internal static IEnumerable<AvatarParameters> EveryOption()
    {
        var d = AvatarParameters.Default;
        foreach (var v in Enum.GetValues<FaceShape>()) yield return d with { FaceShape = v };
        foreach (var v in Enum.GetValues<EyeShape>()) yield return d with { EyeShape = v };
        foreach (var v in Enum.GetValues<BrowStyle>()) yield return d with { BrowStyle = v };
        foreach (var v in Enum.GetValues<MouthStyle>()) yield return d with { MouthStyle = v };
        foreach (var v in Enum.GetValues<HairStyle>()) yield return d with { HairStyle = v };
        foreach (var v in Enum.GetValues<BackgroundStyle>()) yield return d with { Background = v };
        foreach (var v in Enum.GetValues<Accessories>()) yield return d with { Accessories = v };
        yield return d with { Accessories = Enum.GetValues<Accessories>().Aggregate((a, b) => a | b) & ~Accessories.Glasses };
        foreach (var (_, tone) in AvatarPalettes.SkinTones) yield return d with { SkinTone = tone };
    }

    private static void AssertSafe(string svg)
    {
        var doc = XDocument.Parse(svg);
        var root = doc.Root!;
        Assert.That(root.Name, Is.EqualTo(Svg + "svg"));
        Assert.That(root.Attribute("viewBox")?.Value, Is.EqualTo("0 0 512 512"));
        Assert.That(root.Element(Svg + "title")?.Value, Does.StartWith("Avatar"));

        foreach (var element in root.DescendantsAndSelf())
        {
            Assert.That(element.Name.Namespace, Is.EqualTo(Svg));
            Assert.That(AllowedElements, Does.Contain(element.Name.LocalName));
            foreach (var attribute in element.Attributes().Where(a => !a.IsNamespaceDeclaration))
            {
                Assert.That(attribute.Name.LocalName, Does.Not.StartWith("on").IgnoreCase);
                Assert.That(attribute.Name.LocalName, Does.Not.Contain("href").IgnoreCase);
                Assert.That(attribute.Name.LocalName, Is.Not.EqualTo("style"));
                if (attribute.Value.Contains("url(", StringComparison.Ordinal))
                    Assert.That(attribute.Value, Does.Match(@"^url\(#av[0-9a-f]{10}-[cg]\d+\)$"), "only references to ids in this document");
            }
        }

        Assert.That(svg, Does.Not.Contain("<script").IgnoreCase);
        Assert.That(svg, Does.Not.Contain("foreignObject").IgnoreCase);
        Assert.That(svg, Does.Not.Contain("href").IgnoreCase);
        Assert.That(svg, Does.Not.Contain("javascript").IgnoreCase);
        Assert.That(svg, Does.Not.Match(@"\son\w+\s*="));
    }

    [Test]
    public void ToSvg_EveryOptionAndExpression_IsSafeWellFormedSvg()
    {
        foreach (var p in EveryOption())
            foreach (var e in Enum.GetValues<Expression>())
                AssertSafe(AvatarRenderer.ToSvg(p, e));
    }

    [Test]
    public void ToSvg_RandomAvatars_AreSafeWellFormedSvg()
    {
        Gen.Int.Sample(seed => AssertSafe(AvatarRenderer.ToSvg(AvatarParameters.Random(seed), (Expression)(Math.Abs(seed % 9)))), iter: 200);
    }

    [Test]
    public void ToSvg_HostileFormValues_NeverReachTheMarkup()
    {
        var hostile = new Dictionary<string, string?>();
        foreach (var field in AvatarFields.All)
            hostile[field] = "red\" onload=\"alert(1)\"><script>alert(2)</script><foreignObject>url(javascript:alert(3))";

        var result = AvatarParameters.Parse(hostile);
        Assert.That(result.Errors.Keys, Is.EquivalentTo(AvatarFields.All));

        var svg = AvatarRenderer.ToSvg(result.Parameters, Expression.Joy);
        AssertSafe(svg);
        Assert.That(svg, Does.Not.Contain("alert"));
        Assert.That(svg, Is.EqualTo(AvatarRenderer.ToSvg(AvatarParameters.Default, Expression.Joy)));
    }

    [Test]
    public void ToSvg_ArbitraryStringsInEveryField_NeverThrowAndStaySafe()
    {
        Gen.String.Array[AvatarFields.All.Count].Sample(values =>
        {
            var form = AvatarFields.All.Select((f, i) => (f, values[i])).ToDictionary(x => x.f, x => (string?)x.Item2);
            var svg = AvatarRenderer.ToSvg(AvatarParameters.Parse(form).Parameters);
            AssertSafe(svg);
        }, iter: 200);
    }

    [Test]
    public void ToSvg_EveryExpressionDiffersFromNeutral()
    {
        foreach (var p in new[] { AvatarParameters.Default, AvatarParameters.Random(7) })
        {
            var neutral = AvatarRenderer.ToSvg(p, Expression.Neutral);
            var all = Enum.GetValues<Expression>().Select(e => AvatarRenderer.ToSvg(p, e)).ToArray();
            Assert.That(all.Distinct().Count(), Is.EqualTo(all.Length), "every expression looks different from every other");
            Assert.That(all.Skip(1), Has.None.EqualTo(neutral));
        }
    }

    [Test]
    public void ToSvg_IdsDifferBetweenAvatarsSoSeveralCanBeInlinedInOnePage()
    {
        static HashSet<string> Ids(string svg) =>
            XDocument.Parse(svg).Descendants().Select(e => e.Attribute("id")?.Value).OfType<string>().ToHashSet();

        var joy = Ids(AvatarRenderer.ToSvg(AvatarParameters.Default, Expression.Joy));
        var anger = Ids(AvatarRenderer.ToSvg(AvatarParameters.Default, Expression.Anger));
        var other = Ids(AvatarRenderer.ToSvg(AvatarParameters.Random(1), Expression.Joy));
        Assert.That(joy, Has.Count.GreaterThanOrEqualTo(3), "title, background gradient, mouth clip");
        Assert.That(joy.Overlaps(anger), Is.False);
        Assert.That(joy.Overlaps(other), Is.False);

        var doc = XDocument.Parse(AvatarRenderer.ToSvg(AvatarParameters.Default, Expression.Joy));
        var references = doc.Descendants().SelectMany(e => e.Attributes())
            .Where(a => a.Value.StartsWith("url(#", StringComparison.Ordinal) || a.Name.LocalName == "aria-labelledby")
            .Select(a => a.Value.StartsWith("url(#", StringComparison.Ordinal) ? a.Value[5..^1] : a.Value);
        Assert.That(references, Is.SubsetOf(joy), "every reference points at an id in the same document");
    }

    [Test]
    public void ToSvg_TitleNamesTheExpression()
    {
        var doc = XDocument.Parse(AvatarRenderer.ToSvg(AvatarParameters.Default, Expression.Sadness));
        Assert.That(doc.Root!.Element(Svg + "title")!.Value, Is.EqualTo("Avatar showing sadness"));
    }

    [Test]
    public void ToSvg_SameInputs_GiveIdenticalOutput()
    {
        var p = AvatarParameters.Random(99);
        Assert.That(AvatarRenderer.ToSvg(p, Expression.Love), Is.EqualTo(AvatarRenderer.ToSvg(p with { }, Expression.Love)));
    }

    [Test]
    public void ToSvg_ParametersChangeTheOutput()
    {
        var d = AvatarParameters.Default;
        var baseline = AvatarRenderer.ToSvg(d);
        Assert.That(AvatarRenderer.ToSvg(d with { HairColor = AvatarColor.FromHex("#ff00ff") }), Does.Contain("#ff00ff"));
        foreach (var changed in new[]
                 {
                     d with { FaceShape = FaceShape.Long }, d with { EyeShape = EyeShape.Narrow }, d with { BrowStyle = BrowStyle.Thick },
                     d with { MouthStyle = MouthStyle.Smirk }, d with { HairStyle = HairStyle.Spiky }, d with { Accessories = Accessories.Horns },
                     d with { Background = BackgroundStyle.Checks },
                 })
            Assert.That(AvatarRenderer.ToSvg(changed), Is.Not.EqualTo(baseline), changed.ToJson());
    }

    [Test]
    public void ExpressionSetSvg_HasAllNineInOrder()
    {
        var set = AvatarRenderer.ExpressionSetSvg(AvatarParameters.Default);
        Assert.That(set.Select(s => s.Expression), Is.EqualTo(Enum.GetValues<Expression>()));
        foreach (var item in set) AssertSafe(item.Svg);
    }

    [Test]
    public void Format_RefusesNonFiniteNumbersAndNeverWritesMinusZero()
    {
        Assert.That(SvgAvatarWriter.Format(-0.001), Is.EqualTo("0"));
        Assert.That(SvgAvatarWriter.Format(12.345678), Is.EqualTo("12.35"));
        Assert.Throws<InvalidOperationException>(() => SvgAvatarWriter.Format(double.NaN));
        Assert.Throws<InvalidOperationException>(() => SvgAvatarWriter.Format(double.PositiveInfinity));
    }

    [Test]
    public void CacheKey_ChangesWithParametersAndExpressionOnly()
    {
        var p = AvatarParameters.Random(3);
        Assert.That(AvatarRenderer.CacheKey(p, Expression.Joy), Is.EqualTo(AvatarRenderer.CacheKey(p with { }, Expression.Joy)));
        Assert.That(AvatarRenderer.CacheKey(p, Expression.Joy), Is.Not.EqualTo(AvatarRenderer.CacheKey(p, Expression.Anger)));
        Assert.That(AvatarRenderer.CacheKey(p, Expression.Joy),
            Is.Not.EqualTo(AvatarRenderer.CacheKey(p with { HairColor = new AvatarColor(1, 2, 3) }, Expression.Joy)));
        Assert.That(AvatarRenderer.CacheKey(p, Expression.Joy), Does.Match("^[0-9a-f]{16}$"));
    }
}
