using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace CharacterHub.Modules.Characters.Avatars;

internal enum FaceShape { Round, Oval, Square, Heart, Long }

internal enum EyeShape { Round, Almond, Narrow, Sleepy, Wide }

internal enum BrowStyle { Straight, Arched, Thick, Thin, Angled }

internal enum MouthStyle { Neutral, Smile, Smirk, Small, Wide }

internal enum HairStyle { Short, Long, Bob, Ponytail, Buns, Curly, Spiky, Bald, Braid, Undercut, Afro }

internal enum BackgroundStyle { Solid, Gradient, Dots, Stripes, Checks }

[Flags]
internal enum Accessories
{
    None = 0,
    Glasses = 1 << 0,
    RoundGlasses = 1 << 1,
    Earrings = 1 << 2,
    Hat = 1 << 3,
    Headband = 1 << 4,
    Scar = 1 << 5,
    Freckles = 1 << 6,
    Blush = 1 << 7,
    Horns = 1 << 8,
    CatEars = 1 << 9,
    Halo = 1 << 10,
}

/// <summary>The emotions the emotion system can show; each is drawn from the same parameters.</summary>
internal enum Expression { Neutral, Joy, Sadness, Anger, Fear, Surprise, Disgust, Love, Thinking }

/// <summary>
/// The snake_case spelling of enum members used in forms, JSON and URLs. Parsing goes through an explicit table so
/// numeric strings ("3") and undefined values are refused, which <see cref="Enum.TryParse{TEnum}(string, out TEnum)"/> would accept.
/// </summary>
internal static class SnakeNames<T> where T : struct, Enum
{
    private static readonly FrozenDictionary<string, T> ByName;
    private static readonly FrozenDictionary<T, string> ByValue;

    static SnakeNames()
    {
        var values = Enum.GetValues<T>().Where(v => typeof(T) != typeof(Accessories) || Convert.ToInt32(v) != 0).ToArray();
        ByValue = values.ToFrozenDictionary(v => v, v => ToSnake(v.ToString()));
        ByName = values.ToFrozenDictionary(v => ByValue[v], v => v, StringComparer.OrdinalIgnoreCase);
        All = values.Select(v => ByValue[v]).ToArray();
    }

    /// <summary>Every accepted name in declaration order (for select boxes and error messages).</summary>
    public static IReadOnlyList<string> All { get; }

    public static string Name(T value) =>
        ByValue.TryGetValue(value, out var name) ? name : throw new ArgumentOutOfRangeException(nameof(value), value, null);

    public static bool TryParse([NotNullWhen(true)] string? text, out T value)
    {
        value = default;
        return text is not null && ByName.TryGetValue(text.Trim(), out value);
    }

    private static string ToSnake(string pascal)
    {
        var builder = new StringBuilder(pascal.Length + 4);
        for (var i = 0; i < pascal.Length; i++)
        {
            if (char.IsUpper(pascal[i]) && i > 0) builder.Append('_');
            builder.Append(char.ToLowerInvariant(pascal[i]));
        }
        return builder.ToString();
    }
}
