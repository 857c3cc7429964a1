using System.Buffers;
using System.Buffers.Binary;
using System.Buffers.Text;
using System.IO.Compression;
using System.IO.Hashing;
using System.Text;

namespace CharacterHub.Modules.Characters.Cards;

/// <summary>A chunk's place in the file: <see cref="Start"/> is its length field, the data follows 8 bytes later.</summary>
internal readonly record struct PngChunk(int Start, int Length, uint Type)
{
    public int DataStart => Start + 8;
    public int End => Start + 12 + Length;
    public string TypeName => Encoding.ASCII.GetString([(byte)(Type >> 24), (byte)(Type >> 16), (byte)(Type >> 8), (byte)Type]);
}

/// <summary>A text chunk's keyword and where its (possibly compressed) text lies.</summary>
internal readonly record struct PngTextChunk(string Keyword, PngChunk Chunk, int TextStart, int TextLength, bool Compressed);

/// <summary>
/// PNG chunk walking and rewriting without decoding the image. Every length is checked against the limits and
/// the bytes left before anything is read, and every CRC is verified, so damaged files fail with a reason.
/// </summary>
internal static class PngCodec
{
    public static ReadOnlySpan<byte> Signature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    public const uint Ihdr = 0x49484452, Iend = 0x49454E44, Text = 0x74455874, ZText = 0x7A545874, IText = 0x69545874;

    public static List<PngChunk> ReadChunks(ReadOnlySpan<byte> png, CardLimits limits)
    {
        if (!png.StartsWith(Signature)) throw new CardReadException("The file is not a PNG image (its signature is wrong).");
        var chunks = new List<PngChunk>(16);
        var position = Signature.Length;
        long textBytes = 0;
        while (true)
        {
            if (png.Length - position < 12)
                throw new CardReadException("The PNG file is truncated: it ends before its IEND chunk.");
            var length = BinaryPrimitives.ReadUInt32BigEndian(png[position..]);
            var type = BinaryPrimitives.ReadUInt32BigEndian(png[(position + 4)..]);
            var name = new PngChunk(position, 0, type).TypeName;
            if (length > limits.MaxPngChunkBytes)
                throw new CardReadException($"The PNG chunk \"{name}\" declares {CardJson.Size(length)}; at most {CardJson.Size(limits.MaxPngChunkBytes)} per chunk is accepted.");
            if (length > png.Length - position - 12)
                throw new CardReadException($"The PNG file is truncated: chunk \"{name}\" declares {CardJson.Size(length)} but the file ends first.");
            if (type is Text or ZText or IText && (textBytes += length) > limits.MaxPngTextBytes)
                throw new CardReadException($"The PNG's text chunks add up to more than {CardJson.Size(limits.MaxPngTextBytes)}.");
            if (chunks.Count >= limits.MaxPngChunks)
                throw new CardReadException($"The PNG has more than {limits.MaxPngChunks} chunks.");

            var chunk = new PngChunk(position, (int)length, type);
            var stored = BinaryPrimitives.ReadUInt32BigEndian(png[(chunk.DataStart + chunk.Length)..]);
            if (Crc32.HashToUInt32(png.Slice(position + 4, chunk.Length + 4)) != stored)
                throw new CardReadException($"The PNG is damaged: chunk \"{name}\" fails its CRC check.");
            if (chunks.Count == 0 && (type != Ihdr || length != 13))
                throw new CardReadException("The PNG is damaged: it does not start with an IHDR header chunk.");
            chunks.Add(chunk);
            position = chunk.End;
            // Bytes after IEND are not part of the image; some tools append data there and it is ignored.
            if (type == Iend) return chunks;
        }
    }

    /// <summary>Finds tEXt, zTXt and iTXt chunks and splits off their keyword (Latin-1, 1–79 bytes).</summary>
    public static List<PngTextChunk> TextChunks(ReadOnlySpan<byte> png, List<PngChunk> chunks)
    {
        var list = new List<PngTextChunk>();
        foreach (var chunk in chunks)
        {
            if (chunk.Type is not (Text or ZText or IText)) continue;
            var data = png.Slice(chunk.DataStart, chunk.Length);
            var nul = data.IndexOf((byte)0);
            if (nul is <= 0 or > 79) continue;
            var keyword = Encoding.Latin1.GetString(data[..nul]);
            var rest = nul + 1;
            var compressed = false;
            if (chunk.Type == ZText)
            {
                if (rest >= data.Length || data[rest] != 0) continue;
                rest++;
                compressed = true;
            }
            else if (chunk.Type == IText)
            {
                if (data.Length - rest < 2) continue;
                compressed = data[rest] == 1;
                if (compressed && data[rest + 1] != 0) continue;
                rest += 2;
                var language = data[rest..].IndexOf((byte)0);
                if (language < 0) continue;
                rest += language + 1;
                var translated = data[rest..].IndexOf((byte)0);
                if (translated < 0) continue;
                rest += translated + 1;
            }
            list.Add(new PngTextChunk(keyword, chunk, chunk.DataStart + rest, chunk.Length - rest, compressed));
        }
        return list;
    }

    /// <summary>
    /// Returns the text of a chunk as bytes in a pooled buffer (caller returns it). Compressed text is inflated
    /// with a hard ceiling so a tiny zTXt cannot expand into gigabytes.
    /// </summary>
    public static byte[] ExtractText(ReadOnlySpan<byte> png, PngTextChunk text, int maxBytes, int reportedLimit, out int length)
    {
        var source = png.Slice(text.TextStart, text.TextLength);
        if (!text.Compressed)
        {
            if (source.Length > maxBytes) throw TooBig(reportedLimit);
            var copy = ArrayPool<byte>.Shared.Rent(Math.Max(1, source.Length));
            source.CopyTo(copy);
            length = source.Length;
            return copy;
        }
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(maxBytes + 1, Math.Max(4096, source.Length * 4)));
        try
        {
            using var input = new MemoryStream(source.ToArray(), writable: false);
            using var zlib = new ZLibStream(input, CompressionMode.Decompress);
            length = 0;
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (buffer.Length > maxBytes) throw TooBig(reportedLimit);
                    var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)buffer.Length * 2, maxBytes + 1L));
                    buffer.AsSpan(0, length).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }
                var read = zlib.Read(buffer, length, buffer.Length - length);
                if (read == 0) break;
                length += read;
                if (length > maxBytes) throw TooBig(reportedLimit);
            }
            return buffer;
        }
        catch (InvalidDataException)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw new CardReadException($"The PNG text chunk \"{text.Keyword}\" is compressed but its data is damaged.");
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    private static CardReadException TooBig(int maxBytes) =>
        new($"The card data is larger than {CardJson.Size(maxBytes)}, the most accepted.");

    /// <summary>
    /// Decodes a card payload: base64 (standard, or URL-safe/unpadded as some tools write) of UTF-8 JSON, or the
    /// JSON itself. The decoded size is bounded before decoding. Returns a pooled buffer.
    /// </summary>
    public static byte[] DecodePayload(ReadOnlySpan<byte> text, int maxBytes, string keyword, out int length)
    {
        var trimmed = text.Trim(" \t\r\n\0"u8);
        if (trimmed.Length > 0 && trimmed[0] == (byte)'{')
        {
            if (trimmed.Length > maxBytes) throw TooBig(maxBytes);
            var copy = ArrayPool<byte>.Shared.Rent(trimmed.Length);
            trimmed.CopyTo(copy);
            length = trimmed.Length;
            return copy;
        }
        var max = Base64.GetMaxDecodedFromUtf8Length(trimmed.Length);
        if (max > maxBytes + 2L) throw TooBig(maxBytes);
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(1, max));
        var status = Base64.DecodeFromUtf8(trimmed, buffer, out var consumed, out length);
        if (status != OperationStatus.Done || consumed != trimmed.Length)
        {
            status = Base64Url.DecodeFromUtf8(trimmed, buffer, out consumed, out length);
            if (status != OperationStatus.Done || consumed != trimmed.Length)
            {
                ArrayPool<byte>.Shared.Return(buffer);
                throw new CardReadException($"The PNG text chunk \"{keyword}\" is not valid base64, so the card in it cannot be read.");
            }
        }
        if (length > maxBytes)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw TooBig(maxBytes);
        }
        return buffer;
    }

    /// <summary>
    /// Copies the PNG without its text chunks whose keyword matches <paramref name="removeKeyword"/> and inserts
    /// <paramref name="newChunks"/> (keyword, Latin-1/ASCII text) as tEXt chunks just before IEND.
    /// </summary>
    public static byte[] RewriteTextChunks(ReadOnlySpan<byte> png, Func<string, bool> removeKeyword,
        IReadOnlyList<(string Keyword, byte[] Text)> newChunks, CardLimits limits)
    {
        var chunks = ReadChunks(png, limits);
        var removed = new HashSet<int>();
        foreach (var text in TextChunks(png, chunks))
            if (removeKeyword(text.Keyword)) removed.Add(text.Chunk.Start);

        long size = Signature.Length;
        foreach (var chunk in chunks)
            if (!removed.Contains(chunk.Start)) size += chunk.End - chunk.Start;
        foreach (var (keyword, text) in newChunks) size += 12 + keyword.Length + 1 + text.Length;

        var output = new byte[size];
        var span = output.AsSpan();
        Signature.CopyTo(span);
        var position = Signature.Length;
        foreach (var chunk in chunks)
        {
            if (removed.Contains(chunk.Start)) continue;
            if (chunk.Type == Iend)
                foreach (var (keyword, text) in newChunks)
                    position += WriteTextChunk(span[position..], keyword, text);
            png[chunk.Start..chunk.End].CopyTo(span[position..]);
            position += chunk.End - chunk.Start;
        }
        return output;
    }

    private static int WriteTextChunk(Span<byte> target, string keyword, ReadOnlySpan<byte> text)
    {
        var length = keyword.Length + 1 + text.Length;
        BinaryPrimitives.WriteUInt32BigEndian(target, (uint)length);
        BinaryPrimitives.WriteUInt32BigEndian(target[4..], Text);
        Encoding.Latin1.GetBytes(keyword, target[8..]);
        target[8 + keyword.Length] = 0;
        text.CopyTo(target[(9 + keyword.Length)..]);
        // CRC-32 covers type and data and is stored big-endian; Crc32.Hash() would give little-endian bytes.
        BinaryPrimitives.WriteUInt32BigEndian(target[(8 + length)..], Crc32.HashToUInt32(target.Slice(4, length + 4)));
        return length + 12;
    }
}
