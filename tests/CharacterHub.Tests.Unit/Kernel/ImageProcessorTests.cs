using CharacterHub.Kernel.Imaging;
using SkiaSharp;

namespace CharacterHub.Tests.Unit.Kernel;

public sealed class ImageProcessorTests
{
    [Test]
    public void Sniff_RecognisesFormatsByMagicBytes_NotByName()
    {
        Assert.That(ImageProcessor.Sniff(Encode(SKEncodedImageFormat.Png)), Is.EqualTo(ImageKind.Png));
        Assert.That(ImageProcessor.Sniff(Encode(SKEncodedImageFormat.Jpeg)), Is.EqualTo(ImageKind.Jpeg));
        Assert.That(ImageProcessor.Sniff(Encode(SKEncodedImageFormat.Webp)), Is.EqualTo(ImageKind.WebP));
        Assert.That(ImageProcessor.Sniff("GIF89a......"u8), Is.EqualTo(ImageKind.Gif));
        Assert.That(ImageProcessor.Sniff("hello"u8), Is.EqualTo(ImageKind.Unknown));
    }

    [Test]
    public void ToSquares_CropsResizesAndStripsToWebp()
    {
        var output = ImageProcessor.ToSquares(Encode(SKEncodedImageFormat.Png, 640, 480), [512, 128]);
        Assert.That(output.Select(o => o.Size), Is.EqualTo(new[] { 512, 128 }));
        using var big = SKBitmap.Decode(output[0].Data);
        using var small = SKBitmap.Decode(output[1].Data);
        Assert.That((big.Width, big.Height), Is.EqualTo((480, 480)), "never upscaled beyond the source");
        Assert.That((small.Width, small.Height), Is.EqualTo((128, 128)));
        Assert.That(ImageProcessor.Sniff(output[0].Data), Is.EqualTo(ImageKind.WebP));
    }

    [Test]
    public void ToSquares_DecompressionBomb_IsRefusedFromTheHeaderAlone()
    {
        var bomb = CharacterHub.Tests.Support.Images.PngHeaderOnly(20000, 20000);
        var e = Assert.Throws<ImageRejectedException>(() => ImageProcessor.ToSquares(bomb, [128]));
        Assert.That(e!.Message, Does.Contain("20000×20000"));
    }

    [Test]
    public void ToSquares_Garbage_IsRefusedWithAMessage()
    {
        var e = Assert.Throws<ImageRejectedException>(() => ImageProcessor.ToSquares("not an image at all"u8.ToArray(), [128]));
        Assert.That(e!.Message, Does.Contain("not a PNG"));
        var truncated = Encode(SKEncodedImageFormat.Png)[..20];
        Assert.Throws<ImageRejectedException>(() => ImageProcessor.ToSquares(truncated, [128]));
    }

    private static byte[] Encode(SKEncodedImageFormat format, int width = 32, int height = 32)
    {
        using var bitmap = new SKBitmap(width, height);
        using (var canvas = new SKCanvas(bitmap)) canvas.Clear(SKColors.SteelBlue);
        using var image = SKImage.FromBitmap(bitmap);
        return image.Encode(format, 90).ToArray();
    }
}
