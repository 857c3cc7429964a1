using CharacterHub.Modules.Characters.Avatars;
using SkiaSharp;

namespace CharacterHub.Tests.Unit.Avatars;

public sealed class AvatarPngTests
{
    private static SKBitmap Decode(byte[] png) => SKBitmap.Decode(png) ?? throw new AssertionException("not a decodable PNG");

    private static int DifferentPixels(byte[] a, byte[] b)
    {
        using var x = Decode(a);
        using var y = Decode(b);
        var count = 0;
        for (var j = 0; j < x.Height; j++)
            for (var i = 0; i < x.Width; i++)
                if (x.GetPixel(i, j) != y.GetPixel(i, j)) count++;
        return count;
    }

    [TestCase(64)]
    [TestCase(128)]
    [TestCase(512)]
    [TestCase(1024)]
    public void ToPng_DecodesAtTheRequestedSize(int size)
    {
        var png = AvatarRenderer.ToPng(AvatarParameters.Default, Expression.Neutral, size);
        Assert.That(png[..8], Is.EqualTo(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }));
        using var bitmap = Decode(png);
        Assert.That((bitmap.Width, bitmap.Height), Is.EqualTo((size, size)));
    }

    [TestCase(0)]
    [TestCase(63)]
    [TestCase(1025)]
    [TestCase(-5)]
    public void ToPng_SizeOutsideRange_IsRefused(int size)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => AvatarRenderer.ToPng(AvatarParameters.Default, Expression.Neutral, size));
    }

    [Test]
    public void ToPng_UndefinedExpression_IsRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => AvatarRenderer.ToPng(AvatarParameters.Default, (Expression)42, 128));
    }

    [Test]
    public void ToPng_SameInputs_GiveIdenticalBytes()
    {
        var p = AvatarParameters.Random(5);
        Assert.That(AvatarRenderer.ToPng(p, Expression.Fear, 256), Is.EqualTo(AvatarRenderer.ToPng(p with { }, Expression.Fear, 256)));
    }

    [Test]
    public void ToPng_EveryExpressionVisiblyDiffersFromNeutral()
    {
        foreach (var p in new[] { AvatarParameters.Default, AvatarParameters.Random(11) })
        {
            var neutral = AvatarRenderer.ToPng(p, Expression.Neutral, 128);
            foreach (var e in Enum.GetValues<Expression>().Skip(1))
            {
                // More than a stray antialiasing fringe: at least ~1% of a 128 px image changes.
                Assert.That(DifferentPixels(neutral, AvatarRenderer.ToPng(p, e, 128)), Is.GreaterThan(160), e.ToString());
            }
        }
    }

    [Test]
    public void ToPng_DrawsTheSameSceneAsTheSvg()
    {
        // Solid background and a known skin tone: the corner pixel is the background and the cheek is skin.
        var p = AvatarParameters.Default with
        {
            Background = BackgroundStyle.Solid,
            BackgroundColor = AvatarColor.FromHex("#102030"),
            SkinTone = AvatarColor.FromHex("#c08060"),
            Accessories = Accessories.None,
        };
        var svg = AvatarRenderer.ToSvg(p);
        Assert.That(svg, Does.Contain("fill=\"#102030\""));
        Assert.That(svg, Does.Contain("fill=\"#c08060\""));

        using var bitmap = Decode(AvatarRenderer.ToPng(p, Expression.Neutral, 512));
        Assert.That(bitmap.GetPixel(3, 3), Is.EqualTo(new SKColor(0x10, 0x20, 0x30)));
        Assert.That(bitmap.GetPixel(256 - 60, 330), Is.EqualTo(new SKColor(0xc0, 0x80, 0x60)), "cheek");
    }

    [Test]
    public void ToPng_EveryOptionRendersWithoutException()
    {
        foreach (var p in AvatarSvgTests.EveryOption())
        {
            using var bitmap = Decode(AvatarRenderer.ToPng(p, Expression.Thinking, 64));
            Assert.That(bitmap.Width, Is.EqualTo(64));
        }
    }

    [Test]
    public void ExpressionSet_HasNineDistinctPngsInOrder()
    {
        var set = AvatarRenderer.ExpressionSet(AvatarParameters.Random(21), 96);
        Assert.That(set.Select(s => s.Expression), Is.EqualTo(Enum.GetValues<Expression>()));
        Assert.That(set.Select(s => Convert.ToBase64String(s.Png)).Distinct().Count(), Is.EqualTo(9));
        foreach (var item in set)
        {
            using var bitmap = Decode(item.Png);
            Assert.That(bitmap.Width, Is.EqualTo(96));
        }
    }
}
