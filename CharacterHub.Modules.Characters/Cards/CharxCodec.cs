using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;

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

        CheckLocalHeaders(zip.Span);
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
                CheckComplete(entry, data);
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

    private const uint CentralHeader = 0x02014B50, LocalHeaderSignature = 0x04034B50;

    private static string Damaged(string name) =>
        $"The CHARX archive is damaged: \"{Printable(name)}\" is not whole (its size or checksum does not match what the archive " +
        "says; a truncated or altered file). Nothing was imported; export the card again from where it came from.";

    /// <summary>
    /// ZipArchive trusts the sizes it is given and stops reading there, so an entry whose headers understate its size
    /// comes out cut short without an error. What was inflated must be exactly as long as the archive says, with the
    /// checksum it says: otherwise the card would be imported incomplete.
    /// </summary>
    private static void CheckComplete(ZipArchiveEntry entry, byte[] data)
    {
        if (data.Length != entry.Length || Crc32.HashToUInt32(data) != entry.Crc32)
            throw new CardReadException(Damaged(entry.FullName));
    }

    /// <summary>
    /// Each entry's local header (what streaming readers use) must agree with its central-directory record (what
    /// ZipArchive uses) on checksum and sizes: where they differ, two programs would read two different cards.
    /// Entries that defer their sizes to a data descriptor, and ZIP64 sizes, are left to <see cref="CheckComplete"/>.
    /// </summary>
    private static void CheckLocalHeaders(ReadOnlySpan<byte> zip)
    {
        var end = -1;
        var start = Math.Max(0, zip.Length - 22 - ushort.MaxValue);
        for (var i = zip.Length - 22; i >= start; i--)
            if (BinaryPrimitives.ReadUInt32LittleEndian(zip[i..]) == EndOfCentralDirectory) { end = i; break; }
        if (end < 0) return; // not a zip ZipArchive can open either; it reports that
        var count = BinaryPrimitives.ReadUInt16LittleEndian(zip[(end + 10)..]);
        var offset = (long)BinaryPrimitives.ReadUInt32LittleEndian(zip[(end + 16)..]);
        for (var n = 0; n < count; n++)
        {
            if (offset < 0 || offset + 46 > zip.Length || BinaryPrimitives.ReadUInt32LittleEndian(zip[(int)offset..]) != CentralHeader) return;
            var record = zip[(int)offset..];
            var crc = BinaryPrimitives.ReadUInt32LittleEndian(record[16..]);
            var compressed = BinaryPrimitives.ReadUInt32LittleEndian(record[20..]);
            var size = BinaryPrimitives.ReadUInt32LittleEndian(record[24..]);
            int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(record[28..]);
            int extraLength = BinaryPrimitives.ReadUInt16LittleEndian(record[30..]);
            int commentLength = BinaryPrimitives.ReadUInt16LittleEndian(record[32..]);
            var local = (long)BinaryPrimitives.ReadUInt32LittleEndian(record[42..]);
            var name = 46 + nameLength <= record.Length ? System.Text.Encoding.UTF8.GetString(record.Slice(46, nameLength)) : "?";
            offset += 46L + nameLength + extraLength + commentLength;
            if (compressed == uint.MaxValue || size == uint.MaxValue || local == uint.MaxValue) continue; // ZIP64
            if (local + 30 > zip.Length || BinaryPrimitives.ReadUInt32LittleEndian(zip[(int)local..]) != LocalHeaderSignature)
                throw new CardReadException(Damaged(name));
            var header = zip[(int)local..];
            var flags = BinaryPrimitives.ReadUInt16LittleEndian(header[6..]);
            if ((flags & 0x0008) != 0) continue; // sizes and checksum follow the data (a data descriptor)
            if (BinaryPrimitives.ReadUInt32LittleEndian(header[14..]) != crc
                || BinaryPrimitives.ReadUInt32LittleEndian(header[18..]) != compressed
                || BinaryPrimitives.ReadUInt32LittleEndian(header[22..]) != size)
                throw new CardReadException(Damaged(name));
        }
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
