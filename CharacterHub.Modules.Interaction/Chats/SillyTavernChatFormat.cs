using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace CharacterHub.Modules.Interaction.Chats;

/// <summary>One message of a SillyTavern chat: the shown text is <c>Swipes[SwipeId]</c>. <see cref="SendDate"/> is
/// null when the file had none we could read.</summary>
internal sealed record StChatMessage(string Name, bool IsUser, bool IsSystem, DateTimeOffset? SendDate, IReadOnlyList<string> Swipes, int SwipeId)
{
    public string Text => Swipes[SwipeId];
}

internal sealed record StChatHeader(string UserName, string CharacterName, DateTimeOffset? CreateDate);

internal sealed record StChatFile(StChatHeader? Header, IReadOnlyList<StChatMessage> Messages);

/// <summary>A file that cannot be imported, in words a user can act on; <see cref="Line"/> is 1-based (0: the whole file).</summary>
internal sealed record StChatProblem(int Line, string Message)
{
    public override string ToString() => Line > 0 ? $"Line {Line}: {Message}" : Message;
}

/// <summary>
/// SillyTavern's chat files (JSONL): a first line with the chat's metadata (<c>user_name</c>, <c>character_name</c>,
/// <c>create_date</c>, <c>chat_metadata</c>), then one JSON object per message (<c>name</c>, <c>is_user</c>,
/// <c>is_system</c>, <c>send_date</c>, <c>mes</c>, <c>swipes</c>, <c>swipe_id</c>, <c>extra</c>). Pure: no I/O
/// beyond the writer handed in, so the rules are unit-tested.
/// </summary>
internal static partial class SillyTavernChatFormat
{
    public const int MaxFileBytes = 20 * 1024 * 1024;
    public const int MaxLines = 50_000;
    public const int MaxMessageChars = 100_000;
    public const int MaxSwipes = 1_000;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    // Relaxed escaping keeps non-ASCII text readable in the file (as SillyTavern writes it); JSON stays valid.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    // --- writing -------------------------------------------------------------------------------------------------

    /// <summary>SillyTavern's message time ("November 24, 2026 1:23am", moment's "MMMM D, YYYY h:mma"), in UTC.</summary>
    public static string FormatSendDate(DateTimeOffset at)
    {
        var u = at.UtcDateTime;
        return u.ToString("MMMM d, yyyy h:mm", CultureInfo.InvariantCulture) + (u.Hour < 12 ? "am" : "pm");
    }

    /// <summary>SillyTavern's chat creation time ("2026-11-24@01h23m45s"), in UTC.</summary>
    public static string FormatCreateDate(DateTimeOffset at) =>
        at.UtcDateTime.ToString("yyyy-MM-dd'@'HH'h'mm'm'ss's'", CultureInfo.InvariantCulture);

    public static byte[] HeaderLine(string userName, string characterName, DateTimeOffset createdAt)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("user_name", userName);
            w.WriteString("character_name", characterName);
            w.WriteString("create_date", FormatCreateDate(createdAt));
            w.WriteStartObject("chat_metadata");
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return [.. buffer.WrittenSpan, (byte)'\n'];
    }

    public static void WriteMessageLine(IBufferWriter<byte> buffer, StChatMessage m)
    {
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("name", m.Name);
            w.WriteBoolean("is_user", m.IsUser);
            w.WriteBoolean("is_system", m.IsSystem);
            w.WriteString("send_date", m.SendDate is { } d ? FormatSendDate(d) : "");
            w.WriteString("mes", m.Text);
            w.WriteStartArray("swipes");
            foreach (var s in m.Swipes) w.WriteStringValue(s);
            w.WriteEndArray();
            w.WriteNumber("swipe_id", m.SwipeId);
            w.WriteStartObject("extra");
            w.WriteEndObject();
            w.WriteEndObject();
        }
        buffer.Write("\n"u8);
    }

    // --- reading -------------------------------------------------------------------------------------------------

    /// <summary>Reads a whole file, or names the first line that is wrong. Blank lines are skipped; a UTF-8 BOM and
    /// CRLF line ends are accepted. The first line is the header when it is an object without <c>mes</c> and <c>is_user</c>.</summary>
    public static (StChatFile? File, StChatProblem? Problem) Parse(ReadOnlySpan<byte> data)
    {
        if (data.Length > MaxFileBytes) return (null, new StChatProblem(0, $"The file is larger than {MaxFileBytes / (1024 * 1024)} MB."));
        if (data.StartsWith("\uFEFF"u8)) data = data[3..];

        StChatHeader? header = null;
        var messages = new List<StChatMessage>();
        var lineNumber = 0;
        var sawContent = false;
        while (data.Length > 0 || lineNumber == 0)
        {
            var end = data.IndexOf((byte)'\n');
            var line = end < 0 ? data : data[..end];
            data = end < 0 ? [] : data[(end + 1)..];
            lineNumber++;
            if (lineNumber > MaxLines) return (null, new StChatProblem(0, $"The file has more than {MaxLines:N0} lines."));
            if (line.Length > 0 && line[^1] == (byte)'\r') line = line[..^1];
            if (line.Trim(" \t"u8).Length == 0)
            {
                if (end < 0) break;
                continue;
            }

            string text;
            try
            {
                text = StrictUtf8.GetString(line);
            }
            catch (DecoderFallbackException)
            {
                return (null, new StChatProblem(lineNumber, "the text is not valid UTF-8. Save the file as UTF-8 and try again."));
            }

            JsonDocument doc;
            try
            {
                doc = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 64 });
            }
            catch (JsonException)
            {
                return (null, new StChatProblem(lineNumber, "this is not a JSON object (each line of a SillyTavern chat file is one)."));
            }
            using (doc)
            {
                var o = doc.RootElement;
                if (o.ValueKind != JsonValueKind.Object)
                    return (null, new StChatProblem(lineNumber, "this is not a JSON object (each line of a SillyTavern chat file is one)."));
                if (!sawContent && !o.TryGetProperty("mes", out _) && !o.TryGetProperty("is_user", out _))
                {
                    var (h, headerProblem) = ReadHeader(o);
                    if (headerProblem is not null) return (null, new StChatProblem(lineNumber, headerProblem));
                    header = h;
                }
                else
                {
                    var (m, problem) = ReadMessage(o);
                    if (problem is not null) return (null, new StChatProblem(lineNumber, problem));
                    messages.Add(m!);
                }
            }
            sawContent = true;
            if (end < 0) break;
        }
        if (messages.Count == 0) return (null, new StChatProblem(0, "The file has no messages. Is it a SillyTavern chat (.jsonl)?"));
        return (new StChatFile(header, messages), null);
    }

    private static (StChatHeader? Header, string? Problem) ReadHeader(JsonElement o)
    {
        if (!o.TryGetProperty("user_name", out _) && !o.TryGetProperty("character_name", out _) && !o.TryGetProperty("chat_metadata", out _))
            return (null, "a message needs \"mes\" (its text); this line has neither a message nor the chat's metadata.");
        var user = OptionalString(o, "user_name");
        var character = OptionalString(o, "character_name");
        if ((user.Problem ?? character.Problem) is { } p) return (null, p);
        DateTimeOffset? created = o.TryGetProperty("create_date", out var cd) ? ParseDate(cd) : null;
        return (new StChatHeader(Clip(user.Value ?? "", 200), Clip(character.Value ?? "", 200), created), null);
    }

    private static (StChatMessage? Message, string? Problem) ReadMessage(JsonElement o)
    {
        if (!o.TryGetProperty("mes", out var mes)) return (null, "the message has no \"mes\" (its text).");
        if (mes.ValueKind != JsonValueKind.String) return (null, "\"mes\" must be text.");
        if (ReadText(mes, "\"mes\"") is (null, var mesProblem)) return (null, mesProblem);
        var text = mes.GetString()!;
        if (text.Length > MaxMessageChars) return (null, $"the message is longer than {MaxMessageChars:N0} characters.");

        if (!o.TryGetProperty("is_user", out var isUserValue)) return (null, "the message has no \"is_user\" (who wrote it).");
        if (isUserValue.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) return (null, "\"is_user\" must be true or false.");
        var isSystem = false;
        if (o.TryGetProperty("is_system", out var sys))
        {
            if (sys.ValueKind is JsonValueKind.True or JsonValueKind.False) isSystem = sys.GetBoolean();
            else if (sys.ValueKind != JsonValueKind.Null) return (null, "\"is_system\" must be true or false.");
        }

        var name = OptionalString(o, "name");
        if (name.Problem is not null) return (null, name.Problem);

        var swipes = new List<string>();
        var swipeId = 0;
        if (o.TryGetProperty("swipes", out var sw) && sw.ValueKind != JsonValueKind.Null)
        {
            if (sw.ValueKind != JsonValueKind.Array) return (null, "\"swipes\" must be a list of texts.");
            foreach (var s in sw.EnumerateArray())
            {
                if (s.ValueKind != JsonValueKind.String) return (null, "\"swipes\" must be a list of texts.");
                var (alt, altProblem) = ReadText(s, "an alternative (swipe)");
                if (alt is null) return (null, altProblem);
                if (alt.Length > MaxMessageChars) return (null, $"an alternative (swipe) is longer than {MaxMessageChars:N0} characters.");
                swipes.Add(alt);
                if (swipes.Count > MaxSwipes) return (null, $"the message has more than {MaxSwipes:N0} alternatives (swipes).");
            }
        }
        if (o.TryGetProperty("swipe_id", out var sid) && sid.ValueKind != JsonValueKind.Null)
        {
            if (sid.ValueKind != JsonValueKind.Number || !sid.TryGetInt32(out swipeId))
                return (null, "\"swipe_id\" must be a whole number.");
            if (swipes.Count > 0 && (swipeId < 0 || swipeId >= swipes.Count))
                return (null, $"\"swipe_id\" is {swipeId}, but the message has {swipes.Count} alternatives (counted from 0).");
        }
        // The shown text is "mes"; SillyTavern keeps it equal to the chosen swipe, and where they differ "mes" wins.
        if (swipes.Count == 0)
        {
            swipes.Add(text);
            swipeId = 0;
        }
        else swipes[swipeId] = text;

        DateTimeOffset? sent = o.TryGetProperty("send_date", out var sd) ? ParseDate(sd) : null;
        return (new StChatMessage(Clip(name.Value ?? "", 200), isUserValue.GetBoolean(), isSystem, sent, swipes, swipeId), null);
    }

    private static (string? Value, string? Problem) OptionalString(JsonElement o, string property) =>
        !o.TryGetProperty(property, out var v) || v.ValueKind == JsonValueKind.Null ? (null, null)
        : v.ValueKind == JsonValueKind.String ? ReadText(v, $"\"{property}\"")
        : (null, $"\"{property}\" must be text.");

    /// <summary>A JSON string the database can store: escapes may spell a lone surrogate (not text) or a NUL (which
    /// PostgreSQL text cannot hold).</summary>
    private static (string? Value, string? Problem) ReadText(JsonElement value, string what)
    {
        string s;
        try
        {
            s = value.GetString()!;
        }
        catch (InvalidOperationException)
        {
            return (null, $"{what} contains an escape that is not a character (a lone \\u surrogate).");
        }
        for (var i = 0; i < s.Length; i++)
        {
            var ch = s[i];
            if (ch == '\0') return (null, $"{what} contains a NUL character (\\u0000), which a chat cannot store.");
            if (char.IsHighSurrogate(ch) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) i++;
            else if (char.IsSurrogate(ch)) return (null, $"{what} contains an escape that is not a character (a lone \\u surrogate).");
        }
        return (s, null);
    }

    private static string Clip(string s, int max) => s.Length <= max ? s : s[..max];

    [GeneratedRegex(@"^(\d{4})-(\d{1,2})-(\d{1,2})\s*@\s*(\d{1,2})h\s*(\d{1,2})m\s*(\d{1,2})s(?:\s*(\d{1,3})ms)?$")]
    private static partial Regex HumanizedPattern();

    private static readonly string[] SendDateFormats =
    [
        "MMMM d, yyyy h:mmtt", "MMMM d, yyyy h:mm tt", "MMMM d, yyyy h:mm:sstt", "MMMM d, yyyy h:mm:ss tt",
        "MMM d, yyyy h:mmtt", "MMM d, yyyy h:mm tt",
    ];

    /// <summary>The times SillyTavern has written over the years: "November 24, 2026 1:23am", epoch milliseconds,
    /// ISO 8601, and "2026-11-24@01h23m45s" (also with spaces and milliseconds). Times without a zone are UTC.
    /// Anything else is null (the importer then uses the import time).</summary>
    public static DateTimeOffset? ParseDate(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Number)
            return value.TryGetInt64(out var ms) && ms is > 0 and < 253_402_300_800_000 ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
        return value.ValueKind == JsonValueKind.String ? ParseDate(value.GetString()!) : null;
    }

    public static DateTimeOffset? ParseDate(string text)
    {
        text = text.Trim();
        if (text.Length is 0 or > 64) return null;
        const DateTimeStyles utc = DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces;
        if (DateTimeOffset.TryParseExact(text, SendDateFormats, CultureInfo.InvariantCulture, utc, out var st)) return st.ToUniversalTime();
        if (HumanizedPattern().Match(text) is { Success: true } h)
        {
            int G(int i) => h.Groups[i].Success ? int.Parse(h.Groups[i].Value, CultureInfo.InvariantCulture) : 0;
            try
            {
                return new DateTimeOffset(G(1), G(2), G(3), G(4), G(5), G(6), G(7), TimeSpan.Zero);
            }
            catch (ArgumentOutOfRangeException)
            {
                return null;
            }
        }
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms is > 0 and < 253_402_300_800_000)
            return DateTimeOffset.FromUnixTimeMilliseconds(ms);
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, utc, out var iso)) return iso.ToUniversalTime();
        return null;
    }
}
