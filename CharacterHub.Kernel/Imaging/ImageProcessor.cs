using SkiaSharp;

namespace CharacterHub.Kernel.Imaging;

public enum ImageKind { Unknown, Png, Jpeg, Gif, WebP }

/// <summary>Why an uploaded image was refused, in words a user can act on.</summary>
public sealed class ImageRejectedException(string message) : Exception(message);

public sealed record ProcessedImage(int Size, byte[] Data, string ContentType);

/// <summary>
/// Decodes an untrusted upload and re-encodes it as square thumbnails. Re-encoding strips every metadata chunk
/// (EXIF, GPS, text) and anything smuggled after the image data. The pixel count is read from the header and
/// checked before anything is decoded, so a 20000×20000 "bomb" costs nothing.
/// </summary>
public static class ImageProcessor
{
    public const long DefaultMaxPixels = 50_000_000;

    public static ImageKind Sniff(ReadOnlySpan<byte> head)
    {
        if (head.Length >= 8 && head[..8].SequenceEqual(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }))
            return ImageKind.Png;
        if (head.Length >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF) return ImageKind.Jpeg;
        if (head.Length >= 6 && head[0] == 'G' && head[1] == 'I' && head[2] == 'F' && head[3] == '8') return ImageKind.Gif;
        if (head.Length >= 12 && head[0] == 'R' && head[1] == 'I' && head[2] == 'F' && head[3] == 'F'
            && head[8] == 'W' && head[9] == 'E' && head[10] == 'B' && head[11] == 'P') return ImageKind.WebP;
        return ImageKind.Unknown;
    }

    /// <summary>Center-crops to a square and encodes one WebP per requested size (never upscaling past the source).</summary>
    public static IReadOnlyList<ProcessedImage> ToSquares(byte[] data, IReadOnlyList<int> sizes, long maxPixels = DefaultMaxPixels,
        SKEncodedImageFormat format = SKEncodedImageFormat.Webp, int quality = 86)
    {
        if (Sniff(data) == ImageKind.Unknown)
            throw new ImageRejectedException("That file is not a PNG, JPEG, WebP or GIF image.");

        using var stream = new SKMemoryStream(data);
        using var codec = SKCodec.Create(stream)
            ?? throw new ImageRejectedException("The image could not be read: it is damaged or truncated.");
        var info = codec.Info;
        if (info.Width <= 0 || info.Height <= 0)
            throw new ImageRejectedException("The image has no pixels.");
        if ((long)info.Width * info.Height > maxPixels)
            throw new ImageRejectedException(
                $"The image is {info.Width}×{info.Height} pixels; at most {maxPixels / 1_000_000} megapixels are accepted.");

        var decodeInfo = new SKImageInfo(info.Width, info.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var bitmap = new SKBitmap(decodeInfo);
        var result = codec.GetPixels(decodeInfo, bitmap.GetPixels());
        if (result is not (SKCodecResult.Success or SKCodecResult.IncompleteInput))
            throw new ImageRejectedException("The image could not be decoded: it is damaged.");

        var side = Math.Min(info.Width, info.Height);
        var crop = SKRectI.Create((info.Width - side) / 2, (info.Height - side) / 2, side, side);
        using var square = new SKBitmap(side, side, SKColorType.Rgba8888, SKAlphaType.Premul);
        using (var canvas = new SKCanvas(square))
        {
            canvas.Clear(SKColors.Transparent);
            canvas.DrawBitmap(bitmap, crop, SKRect.Create(0, 0, side, side));
        }

        var contentType = format switch
        {
            SKEncodedImageFormat.Png => "image/png",
            SKEncodedImageFormat.Jpeg => "image/jpeg",
            _ => "image/webp",
        };
        var output = new List<ProcessedImage>(sizes.Count);
        foreach (var requested in sizes)
        {
            var size = Math.Min(requested, side);
            using var resized = square.Resize(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Premul),
                new SKSamplingOptions(SKCubicResampler.Mitchell));
            using var image = SKImage.FromBitmap(resized);
            using var encoded = image.Encode(format, quality);
            output.Add(new ProcessedImage(requested, encoded.ToArray(), contentType));
        }
        return output;
    }
}
