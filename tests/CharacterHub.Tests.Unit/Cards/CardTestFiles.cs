using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using System.Text;
using System.Text.Json.Nodes;

namespace CharacterHub.Tests.Unit.Cards;

/// <summary>
/// Fixture access and a deliberately naive, independent PNG/zip toolkit used as the test oracle, so the codec
/// is never checked against itself.
/// </summary>
internal static class CardTestFiles
{
    private static readonly Lazy<string> FolderLazy = new(() =>
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "CharacterHub.sln"))) dir = dir.Parent;
        if (dir is null) throw new DirectoryNotFoundException("CharacterHub.sln not found above " + AppContext.BaseDirectory);
        return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "cards"));
    });

    public static string Folder => FolderLazy.Value;

    public static byte[] Load(string name) => File.ReadAllBytes(Path.Combine(Folder, name));

    public static readonly string[] PngFixtures =
    [
        "choral_Default-chan_v3only.png",
        "llamacpp_Shodan_v2_chub.png",
        "llamacpp_Skynet_v1_zoltan.png",
        "risu_sample_yuzu_v1+risuai.png",
        "st_default_CodingSensei.png",
        "st_default_FluxTheCat.png",
        "st_default_Seraphina_2023-07.png",
        "st_default_Seraphina_2024-09-28.png",
        "st_legacy_Aqua_v1.png",
    ];

    public static List<(string Type, byte[] Data)> Chunks(byte[] png)
    {
        var list = new List<(string, byte[])>();
        var i = 8;
        while (i + 12 <= png.Length)
        {
            var length = (int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(i));
            var type = Encoding.ASCII.GetString(png, i + 4, 4);
            list.Add((type, png.AsSpan(i + 8, length).ToArray()));
            i += 12 + length;
            if (type == "IEND") break;
        }
        return list;
    }

    /// <summary>Keyword → decoded JSON of every tEXt chunk named chara/ccv3 (first of each), the way a human would.</summary>
    public static Dictionary<string, JsonObject> CardChunks(byte[] png)
    {
        var result = new Dictionary<string, JsonObject>();
        foreach (var (type, data) in Chunks(png))
        {
            if (type != "tEXt") continue;
            var nul = Array.IndexOf(data, (byte)0);
            var keyword = Encoding.Latin1.GetString(data, 0, nul);
            if (keyword is not ("chara" or "ccv3") || result.ContainsKey(keyword)) continue;
            var json = Convert.FromBase64String(Encoding.ASCII.GetString(data, nul + 1, data.Length - nul - 1));
            result[keyword] = JsonNode.Parse(json)!.AsObject();
        }
        return result;
    }

    public static JsonObject PreferredCardJson(byte[] png)
    {
        var chunks = CardChunks(png);
        return chunks.TryGetValue("ccv3", out var v3) ? v3 : chunks["chara"];
    }

    public static byte[] Chunk(string type, ReadOnlySpan<byte> data)
    {
        var output = new byte[12 + data.Length];
        BinaryPrimitives.WriteUInt32BigEndian(output, (uint)data.Length);
        Encoding.ASCII.GetBytes(type, output.AsSpan(4));
        data.CopyTo(output.AsSpan(8));
        BinaryPrimitives.WriteUInt32BigEndian(output.AsSpan(8 + data.Length), Crc32.HashToUInt32(output.AsSpan(4, 4 + data.Length)));
        return output;
    }

    public static byte[] TextChunk(string keyword, string text) =>
        Chunk("tEXt", [.. Encoding.Latin1.GetBytes(keyword), 0, .. Encoding.Latin1.GetBytes(text)]);

    public static byte[] CardTextChunk(string keyword, string json) =>
        TextChunk(keyword, Convert.ToBase64String(Encoding.UTF8.GetBytes(json)));

    public static byte[] Ihdr(uint width, uint height)
    {
        var data = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(data, width);
        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(4), height);
        data[8] = 8; // bit depth, grey
        return Chunk("IHDR", data);
    }

    /// <summary>A valid greyscale PNG of the given size with the extra chunks before IEND.</summary>
    public static byte[] Png(int width, int height, params byte[][] beforeIend)
    {
        var raw = new byte[(width + 1) * height];
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
                raw[y * (width + 1) + 1 + x] = (byte)(x * 31 + y * 7);
        using var z = new MemoryStream();
        using (var zlib = new ZLibStream(z, CompressionLevel.Fastest, leaveOpen: true)) zlib.Write(raw);
        return Concat([[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], Ihdr((uint)width, (uint)height), Chunk("IDAT", z.ToArray()),
            .. beforeIend, Chunk("IEND", [])]);
    }

    public static byte[] Png(params byte[][] beforeIend) => Png(2, 2, beforeIend);

    public static byte[] Concat(params byte[][] parts)
    {
        var output = new byte[parts.Sum(p => p.Length)];
        var offset = 0;
        foreach (var part in parts)
        {
            part.CopyTo(output, offset);
            offset += part.Length;
        }
        return output;
    }

    public static byte[] Zip(params (string Name, byte[] Data)[] entries)
    {
        using var output = new MemoryStream();
        using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var (name, data) in entries)
            {
                using var s = zip.CreateEntry(name, CompressionLevel.Optimal).Open();
                s.Write(data);
            }
        return output.ToArray();
    }

    public static string V2Json(string name = "Ava", string firstMes = "Hello!") => new JsonObject
    {
        ["spec"] = "chara_card_v2",
        ["spec_version"] = "2.0",
        ["data"] = new JsonObject
        {
            ["name"] = name, ["description"] = "d", ["personality"] = "", ["scenario"] = "", ["first_mes"] = firstMes,
            ["mes_example"] = "", ["creator_notes"] = "", ["system_prompt"] = "", ["post_history_instructions"] = "",
            ["alternate_greetings"] = new JsonArray(), ["tags"] = new JsonArray(), ["creator"] = "", ["character_version"] = "",
            ["extensions"] = new JsonObject(),
        },
    }.ToJsonString();

    public static string V3Json(string name = "Ava", string firstMes = "Hello!") =>
        V2Json(name, firstMes).Replace("chara_card_v2", "chara_card_v3").Replace("\"2.0\"", "\"3.0\"");
}

/// <summary>"Export keeps every original field": structural objects may gain keys, every value must be equal.</summary>
internal static class JsonAssert
{
    private static readonly HashSet<string> Structural = ["data", "character_book", "entries", "assets"];

    public static void ContainsAll(JsonNode? original, JsonNode? exported, string path = "$")
    {
        if (original is JsonObject o)
        {
            Assert.That(exported, Is.InstanceOf<JsonObject>(), path);
            foreach (var (key, value) in o)
            {
                var child = $"{path}.{key}";
                Assert.That(exported!.AsObject().ContainsKey(key), Is.True, $"{child} was dropped");
                if (Structural.Contains(key)) ContainsAll(value, exported[key], child);
                else Assert.That(JsonNode.DeepEquals(value, exported[key]), Is.True,
                    $"{child} changed: {value?.ToJsonString()} became {exported[key]?.ToJsonString()}");
            }
        }
        else if (original is JsonArray a)
        {
            Assert.That(exported, Is.InstanceOf<JsonArray>(), path);
            Assert.That(exported!.AsArray(), Has.Count.EqualTo(a.Count), path);
            for (var i = 0; i < a.Count; i++) ContainsAll(a[i], exported[i], $"{path}[{i}]");
        }
        else
        {
            Assert.That(JsonNode.DeepEquals(original, exported), Is.True, $"{path}: {original?.ToJsonString()} vs {exported?.ToJsonString()}");
        }
    }
}
