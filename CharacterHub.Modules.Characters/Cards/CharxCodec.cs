using System.Buffers.Binary;
using System.IO.Compression;

namespace CharacterHub.Modules.Characters.Cards;

/// <summary>A file carried with a card: a CHARX entry (path inside the zip) or a RisuAI PNG asset chunk (its index).</summary>
internal sealed record CardFile(string Path, ReadOnlyMemory<byte> Data);

/// <summary>
/// CHARX (zip) reading and writing. The zip is untrusted: the entry count is read from the end record before the
/// central directory is parsed, names are checked for traversal, and inflated bytes are counted as they are
/// produced (the sizes in the headers can lie).
/// </summary>
internal static class CharxCodec
{
    public const string CardEntry = "card.json";
    private const uint EndOfCentralDirectory = 0x06054B50;
    private const long RatioCheckedAbove = 1024 * 1024;

    public static ReadOnlySpan<byte> LocalHeader => "PK\x03\x04"u8;

    public static (byte[] CardJson, List<CardFile> Files) Read(ReadOnlyMemory<byte> zip, CardLimits limits)
    {
        var declared = DeclaredEntryCount(zip.Span);
        if (declared > limits.MaxCharxEntries)
            throw new CardReadException($"The CHARX archive holds {declared} files; at most {limits.MaxCharxEntries} are accepted.");

        byte[]? card = null;
        var files = new List<CardFile>();
        try
        {
            using var archive = new ZipArchive(new ReadOnlyMemoryStream(zip), ZipArchiveMode.Read);
            if (archive.Entries.Count > limits.MaxCharxEntries)
                throw new CardReadException($"The CHARX archive holds {archive.Entries.Count} files; at most {limits.MaxCharxEntries} are accepted.");
            long budget = limits.MaxCharxUncompressedBytes;
            foreach (var entry in archive.Entries)
            {
                var name = entry.FullName;
                if (!IsSafePath(name))
                    throw new CardReadException($"The CHARX archive contains an unsafe file name (\"{Printable(name)}\"); it was refused.");
                if (name.EndsWith('/')) continue;
                var isCard = name == CardEntry;
                var cap = isCard ? Math.Min(budget, limits.MaxCardJsonBytes) : budget;
                var data = Inflate(entry, cap, limits.MaxCompressionRatio, isCard ? limits.MaxCardJsonBytes : null,
                    limits.MaxCharxUncompressedBytes);
                budget -= data.Length;
                if (isCard) card ??= data;
                else files.Add(new CardFile(name, data));
            }
        }
        catch (InvalidDataException e)
        {
            throw new CardReadException($"The CHARX archive is damaged ({e.Message.TrimEnd('.')}).");
        }
        catch (NotSupportedException)
        {
            throw new CardReadException("The CHARX archive uses encryption or a compression method that is not supported.");
        }
        return (card ?? throw new CardReadException("The CHARX archive has no card.json at its root."), files);
    }

    private static string Printable(string name) =>
        new(name.Take(80).Select(c => char.IsControl(c) ? '?' : c).ToArray());

    public static bool IsSafePath(string name)
    {
        if (name.Length == 0 || name.Contains('\\') || name.Contains('\0') || name.Contains(':')) return false;
        if (name[0] == '/') return false;
        foreach (var segment in name.Split('/'))
            if (segment is ".." or ".") return false;
        return true;
    }

    /// <summary>The entry count from the end-of-central-directory record, or 0 when absent (ZipArchive then reports).</summary>
    private static int DeclaredEntryCount(ReadOnlySpan<byte> zip)
    {
        // The record is 22 bytes plus a comment of at most 65,535 bytes, so it lies in the file's tail.
        var start = Math.Max(0, zip.Length - 22 - ushort.MaxValue);
        for (var i = zip.Length - 22; i >= start; i--)
            if (BinaryPrimitives.ReadUInt32LittleEndian(zip[i..]) == EndOfCentralDirectory)
                return BinaryPrimitives.ReadUInt16LittleEndian(zip[(i + 10)..]);
        return 0;
    }

    private static byte[] Inflate(ZipArchiveEntry entry, long cap, int maxRatio, int? cardLimit, long totalLimit)
    {
        string TooBig() => cardLimit is { } c
            ? $"The card.json in the CHARX archive is larger than {CardJson.Size(c)}, the most accepted."
            : $"The CHARX archive expands to more than {CardJson.Size(totalLimit)}; it was refused.";

        // The declared size is only a hint for the buffer and an early refusal; the real count is what binds.
        if (entry.Length > cap) throw new CardReadException(TooBig());
        using var stream = entry.Open();
        var output = new MemoryStream((int)Math.Min(Math.Max(entry.Length, 0), cap));
        var buffer = new byte[81920];
        long total = 0;
        while (true)
        {
            var read = stream.Read(buffer, 0, buffer.Length);
            if (read == 0) break;
            total += read;
            if (total > cap) throw new CardReadException(TooBig());
            if (total > RatioCheckedAbove && total > Math.Max(1, entry.CompressedLength) * maxRatio)
                throw new CardReadException($"The CHARX entry \"{Printable(entry.FullName)}\" expands more than {maxRatio}× (a zip bomb); it was refused.");
            output.Write(buffer, 0, read);
        }
        return output.Length == output.Capacity ? output.GetBuffer() : output.ToArray();
    }

    public static byte[] Write(byte[] cardJson, IEnumerable<CardFile> files)
    {
        using var output = new MemoryStream();
        using (var archive = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            var card = archive.CreateEntry(CardEntry, CompressionLevel.Optimal);
            using (var s = card.Open()) s.Write(cardJson);
            foreach (var file in files)
            {
                // Images and audio are already compressed; deflating them again only costs time.
                var level = IsCompressedMedia(file.Path) ? CompressionLevel.NoCompression : CompressionLevel.Optimal;
                var entry = archive.CreateEntry(file.Path, level);
                using var s = entry.Open();
                s.Write(file.Data.Span);
            }
        }
        return output.ToArray();
    }

    private static bool IsCompressedMedia(string path) =>
        Path.GetExtension(path).ToLowerInvariant() is ".png" or ".jpg" or ".jpeg" or ".webp" or ".gif" or ".avif"
            or ".mp3" or ".ogg" or ".m4a" or ".mp4" or ".webm" or ".zip" or ".risum";

    /// <summary>A read-only, seekable view of memory that ZipArchive can use without a copy.</summary>
    private sealed class ReadOnlyMemoryStream(ReadOnlyMemory<byte> memory) : Stream
    {
        private long position;

        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => memory.Length;

        public override long Position
        {
            get => position;
            set => position = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value));
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (position >= memory.Length) return 0;
            var n = (int)Math.Min(buffer.Length, memory.Length - position);
            memory.Span.Slice((int)position, n).CopyTo(buffer);
            position += n;
            return n;
        }

        public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => position + offset,
            _ => memory.Length + offset,
        };

        public override void Flush() { }
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
