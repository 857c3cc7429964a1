using System.Buffers.Binary;
using CharacterHub.Kernel.Imaging;

namespace CharacterHub.Modules.Characters.Cards;

/// <summary>Reads an image's dimensions from its header alone, so oversized images are refused before any decoder
/// allocates a pixel buffer.</summary>
internal static class ImageHeader
{
    public static bool TryGetSize(ReadOnlySpan<byte> image, out int width, out int height)
    {
        width = height = 0;
        switch (ImageProcessor.Sniff(image))
        {
            case ImageKind.Png:
                if (image.Length < 24) return false;
                width = (int)Math.Min(int.MaxValue, BinaryPrimitives.ReadUInt32BigEndian(image[16..]));
                height = (int)Math.Min(int.MaxValue, BinaryPrimitives.ReadUInt32BigEndian(image[20..]));
                return true;
            case ImageKind.Gif:
                if (image.Length < 10) return false;
                width = BinaryPrimitives.ReadUInt16LittleEndian(image[6..]);
                height = BinaryPrimitives.ReadUInt16LittleEndian(image[8..]);
                return true;
            case ImageKind.Jpeg:
                return TryJpeg(image, out width, out height);
            case ImageKind.WebP:
                return TryWebP(image, out width, out height);
            default:
                return false;
        }
    }

    private static bool TryJpeg(ReadOnlySpan<byte> jpeg, out int width, out int height)
    {
        width = height = 0;
        var position = 2;
        while (position + 4 <= jpeg.Length)
        {
            if (jpeg[position] != 0xFF) return false;
            var marker = jpeg[position + 1];
            if (marker == 0xFF) { position++; continue; }
            if (marker is 0x01 or (>= 0xD0 and <= 0xD8)) { position += 2; continue; }
            if (marker is 0xD9 or 0xDA) return false;
            var length = BinaryPrimitives.ReadUInt16BigEndian(jpeg[(position + 2)..]);
            if (length < 2) return false;
            // SOF0–SOF15 carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) share the range but do not.
            if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
            {
                if (position + 9 > jpeg.Length) return false;
                height = BinaryPrimitives.ReadUInt16BigEndian(jpeg[(position + 5)..]);
                width = BinaryPrimitives.ReadUInt16BigEndian(jpeg[(position + 7)..]);
                return true;
            }
            position += 2 + length;
        }
        return false;
    }

    private static bool TryWebP(ReadOnlySpan<byte> webp, out int width, out int height)
    {
        width = height = 0;
        if (webp.Length < 30) return false;
        var chunk = webp.Slice(12, 4);
        var data = webp[20..];
        if (chunk.SequenceEqual("VP8X"u8))
        {
            width = 1 + (data[4] | data[5] << 8 | data[6] << 16);
            height = 1 + (data[7] | data[8] << 8 | data[9] << 16);
            return true;
        }
        if (chunk.SequenceEqual("VP8L"u8))
        {
            if (data[0] != 0x2F) return false;
            var bits = BinaryPrimitives.ReadUInt32LittleEndian(data[1..]);
            width = 1 + (int)(bits & 0x3FFF);
            height = 1 + (int)((bits >> 14) & 0x3FFF);
            return true;
        }
        if (chunk.SequenceEqual("VP8 "u8))
        {
            if (data[3] != 0x9D || data[4] != 0x01 || data[5] != 0x2A) return false;
            width = BinaryPrimitives.ReadUInt16LittleEndian(data[6..]) & 0x3FFF;
            height = BinaryPrimitives.ReadUInt16LittleEndian(data[8..]) & 0x3FFF;
            return true;
        }
        return false;
    }
}
