using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace CharacterHub.Modules.Characters.Avatars;

/// <summary>
/// An opaque sRGB colour. The only textual form it has is <c>#rrggbb</c>, so a colour can never carry anything
/// else into SVG markup or a stored form.
/// </summary>
internal readonly record struct AvatarColor(byte R, byte G, byte B)
{
    public static AvatarColor FromHex(string hex) =>
        TryParse(hex, out var color) ? color : throw new FormatException($"'{hex}' is not a #rrggbb colour.");

    /// <summary>Accepts exactly <c>#rrggbb</c> (either case); no names, no shorthand, no functions.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out AvatarColor color)
    {
        color = default;
        if (text is null || text.Length != 7 || text[0] != '#') return false;
        foreach (var c in text.AsSpan(1))
            if (!char.IsAsciiHexDigit(c)) return false;
        var value = int.Parse(text.AsSpan(1), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        color = new AvatarColor((byte)(value >> 16), (byte)(value >> 8), (byte)value);
        return true;
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"#{R:x2}{G:x2}{B:x2}");

    /// <summary>Moves towards <paramref name="other"/> by <paramref name="amount"/> (0 = this, 1 = other).</summary>
    public AvatarColor Mix(AvatarColor other, double amount) => new(
        Lerp(R, other.R, amount), Lerp(G, other.G, amount), Lerp(B, other.B, amount));

    public AvatarColor Darken(double amount) => Mix(new AvatarColor(0, 0, 0), amount);

    public AvatarColor Lighten(double amount) => Mix(new AvatarColor(255, 255, 255), amount);

    /// <summary>Perceived brightness 0..1, used to keep features readable on very light or very dark colours.</summary>
    public double Luminance => (0.2126 * R + 0.7152 * G + 0.0722 * B) / 255.0;

    private static byte Lerp(byte a, byte b, double t) =>
        (byte)Math.Clamp(Math.Round(a + (b - a) * Math.Clamp(t, 0, 1)), 0, 255);
}

/// <summary>Named colours offered by the builder page; skin tones may also be stored by name.</summary>
internal static class AvatarPalettes
{
    public static readonly IReadOnlyList<KeyValuePair<string, AvatarColor>> SkinTones =
    [
        new("porcelain", AvatarColor.FromHex("#fde7d6")),
        new("ivory", AvatarColor.FromHex("#f8d9c0")),
        new("sand", AvatarColor.FromHex("#f1c7a5")),
        new("peach", AvatarColor.FromHex("#e9b48e")),
        new("honey", AvatarColor.FromHex("#dca173")),
        new("olive", AvatarColor.FromHex("#c68e5e")),
        new("tan", AvatarColor.FromHex("#b07748")),
        new("bronze", AvatarColor.FromHex("#8f5a35")),
        new("umber", AvatarColor.FromHex("#6e4229")),
        new("espresso", AvatarColor.FromHex("#4f2f1f")),
        // Fantasy tones for non-human characters.
        new("mint", AvatarColor.FromHex("#a8e6c5")),
        new("lavender", AvatarColor.FromHex("#c9b6f2")),
        new("sky", AvatarColor.FromHex("#9ccbf0")),
        new("ember", AvatarColor.FromHex("#e9735b")),
        new("stone", AvatarColor.FromHex("#a4a9b3")),
    ];

    public static readonly IReadOnlyList<KeyValuePair<string, AvatarColor>> HairColors =
    [
        new("black", AvatarColor.FromHex("#23201f")),
        new("dark_brown", AvatarColor.FromHex("#3b2a20")),
        new("brown", AvatarColor.FromHex("#6b4226")),
        new("auburn", AvatarColor.FromHex("#8c3b1f")),
        new("ginger", AvatarColor.FromHex("#c8622b")),
        new("blonde", AvatarColor.FromHex("#e2bb6c")),
        new("platinum", AvatarColor.FromHex("#eee2c6")),
        new("grey", AvatarColor.FromHex("#9b9a98")),
        new("pink", AvatarColor.FromHex("#f08cb6")),
        new("blue", AvatarColor.FromHex("#4a78d0")),
        new("green", AvatarColor.FromHex("#3fa36b")),
        new("purple", AvatarColor.FromHex("#7b4fc4")),
    ];

    public static readonly IReadOnlyList<KeyValuePair<string, AvatarColor>> EyeColors =
    [
        new("brown", AvatarColor.FromHex("#5b3a29")),
        new("hazel", AvatarColor.FromHex("#8a6a2f")),
        new("green", AvatarColor.FromHex("#3f8a4f")),
        new("blue", AvatarColor.FromHex("#3d7cc9")),
        new("grey", AvatarColor.FromHex("#7b8794")),
        new("amber", AvatarColor.FromHex("#c98a1e")),
        new("violet", AvatarColor.FromHex("#7d4fc0")),
        new("red", AvatarColor.FromHex("#c0392b")),
    ];

    public static bool TryGetSkinTone(string name, out AvatarColor color)
    {
        foreach (var (key, value) in SkinTones)
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
            {
                color = value;
                return true;
            }
        }
        color = default;
        return false;
    }

    public static string? SkinToneName(AvatarColor color)
    {
        foreach (var (key, value) in SkinTones)
            if (value == color) return key;
        return null;
    }
}
