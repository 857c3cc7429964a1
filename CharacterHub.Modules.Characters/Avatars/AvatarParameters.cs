using System.Text.Json;

namespace CharacterHub.Modules.Characters.Avatars;

/// <summary>Form field (and JSON key) names of the avatar builder, shared by the page, storage and <see cref="AvatarParameters.Parse"/>.</summary>
internal static class AvatarFields
{
    public const string FaceShape = "face_shape";
    public const string SkinTone = "skin_tone";
    public const string EyeShape = "eye_shape";
    public const string EyeColor = "eye_color";
    public const string BrowStyle = "brow_style";
    public const string MouthStyle = "mouth_style";
    public const string HairStyle = "hair_style";
    public const string HairColor = "hair_color";
    public const string Accessories = "accessories";
    public const string ShirtColor = "shirt_color";
    public const string AccentColor = "accent_color";
    public const string Background = "background";
    public const string BackgroundColor = "background_color";
    public const string BackgroundColor2 = "background_color2";

    public static readonly IReadOnlyList<string> All =
    [
        FaceShape, SkinTone, EyeShape, EyeColor, BrowStyle, MouthStyle, HairStyle, HairColor, Accessories,
        ShirtColor, AccentColor, Background, BackgroundColor, BackgroundColor2,
    ];
}

internal sealed record AvatarParseResult(AvatarParameters Parameters, IReadOnlyDictionary<string, string> Errors)
{
    public bool IsValid => Errors.Count == 0;
}

/// <summary>
/// Everything that decides how an avatar looks. Every field has a default, so an empty form is a valid avatar, and
/// every colour is an <see cref="AvatarColor"/>, so nothing but <c>#rrggbb</c> can reach the renderers.
/// </summary>
internal sealed record AvatarParameters
{
    // Accessory lists are short; a longer value is someone probing, not a builder page.
    private const int MaxAccessoriesLength = 300;

    public FaceShape FaceShape { get; init; } = FaceShape.Round;
    public AvatarColor SkinTone { get; init; } = AvatarColor.FromHex("#f1c7a5");
    public EyeShape EyeShape { get; init; } = EyeShape.Round;
    public AvatarColor EyeColor { get; init; } = AvatarColor.FromHex("#5b3a29");
    public BrowStyle BrowStyle { get; init; } = BrowStyle.Arched;
    public MouthStyle MouthStyle { get; init; } = MouthStyle.Smile;
    public HairStyle HairStyle { get; init; } = HairStyle.Short;
    public AvatarColor HairColor { get; init; } = AvatarColor.FromHex("#3b2a20");
    public Accessories Accessories { get; init; } = Accessories.None;
    public AvatarColor ShirtColor { get; init; } = AvatarColor.FromHex("#4f7cac");
    public AvatarColor AccentColor { get; init; } = AvatarColor.FromHex("#e0524f");
    public BackgroundStyle Background { get; init; } = BackgroundStyle.Gradient;
    public AvatarColor BackgroundColor { get; init; } = AvatarColor.FromHex("#a6d8f5");
    public AvatarColor BackgroundColor2 { get; init; } = AvatarColor.FromHex("#e6d3fa");

    public static AvatarParameters Default { get; } = new();

    public bool Has(Accessories accessory) => (Accessories & accessory) == accessory;

    /// <summary>
    /// Reads builder form fields (or a stored dictionary). Missing or blank fields take their defaults and unknown
    /// keys are ignored (antiforgery tokens and the like). A bad field keeps its default in the returned parameters,
    /// so the live preview still renders, and gets a message in <see cref="AvatarParseResult.Errors"/>.
    /// </summary>
    public static AvatarParseResult Parse(IReadOnlyDictionary<string, string?> form)
    {
        ArgumentNullException.ThrowIfNull(form);
        var errors = new Dictionary<string, string>(StringComparer.Ordinal);
        var d = Default;

        var result = new AvatarParameters
        {
            FaceShape = ReadEnum(form, errors, AvatarFields.FaceShape, "Face shape", d.FaceShape),
            SkinTone = ReadSkin(form, errors, d.SkinTone),
            EyeShape = ReadEnum(form, errors, AvatarFields.EyeShape, "Eye shape", d.EyeShape),
            EyeColor = ReadColor(form, errors, AvatarFields.EyeColor, "Eye colour", d.EyeColor),
            BrowStyle = ReadEnum(form, errors, AvatarFields.BrowStyle, "Brow style", d.BrowStyle),
            MouthStyle = ReadEnum(form, errors, AvatarFields.MouthStyle, "Mouth style", d.MouthStyle),
            HairStyle = ReadEnum(form, errors, AvatarFields.HairStyle, "Hair style", d.HairStyle),
            HairColor = ReadColor(form, errors, AvatarFields.HairColor, "Hair colour", d.HairColor),
            Accessories = ReadAccessories(form, errors),
            ShirtColor = ReadColor(form, errors, AvatarFields.ShirtColor, "Shirt colour", d.ShirtColor),
            AccentColor = ReadColor(form, errors, AvatarFields.AccentColor, "Accent colour", d.AccentColor),
            Background = ReadEnum(form, errors, AvatarFields.Background, "Background", d.Background),
            BackgroundColor = ReadColor(form, errors, AvatarFields.BackgroundColor, "Background colour", d.BackgroundColor),
            BackgroundColor2 = ReadColor(form, errors, AvatarFields.BackgroundColor2, "Second background colour", d.BackgroundColor2),
        };
        return new AvatarParseResult(result, errors);
    }

    /// <summary>Reads what <see cref="ToJson"/> wrote; a damaged document yields an error rather than an exception.</summary>
    public static AvatarParseResult FromJson(string json)
    {
        Dictionary<string, string?>? form;
        try
        {
            form = JsonSerializer.Deserialize<Dictionary<string, string?>>(json);
        }
        catch (JsonException)
        {
            form = null;
        }
        return form is null
            ? new AvatarParseResult(Default, new Dictionary<string, string> { [""] = "The stored avatar could not be read." })
            : Parse(form);
    }

    /// <summary>The form/JSON representation: snake_case keys, snake_case values, <c>#rrggbb</c> colours, every field present.</summary>
    public IReadOnlyDictionary<string, string> ToDictionary() => new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [AvatarFields.FaceShape] = SnakeNames<FaceShape>.Name(FaceShape),
        [AvatarFields.SkinTone] = AvatarPalettes.SkinToneName(SkinTone) ?? SkinTone.ToString(),
        [AvatarFields.EyeShape] = SnakeNames<EyeShape>.Name(EyeShape),
        [AvatarFields.EyeColor] = EyeColor.ToString(),
        [AvatarFields.BrowStyle] = SnakeNames<BrowStyle>.Name(BrowStyle),
        [AvatarFields.MouthStyle] = SnakeNames<MouthStyle>.Name(MouthStyle),
        [AvatarFields.HairStyle] = SnakeNames<HairStyle>.Name(HairStyle),
        [AvatarFields.HairColor] = HairColor.ToString(),
        [AvatarFields.Accessories] = AccessoriesText(Accessories),
        [AvatarFields.ShirtColor] = ShirtColor.ToString(),
        [AvatarFields.AccentColor] = AccentColor.ToString(),
        [AvatarFields.Background] = SnakeNames<BackgroundStyle>.Name(Background),
        [AvatarFields.BackgroundColor] = BackgroundColor.ToString(),
        [AvatarFields.BackgroundColor2] = BackgroundColor2.ToString(),
    };

    public string ToJson() => JsonSerializer.Serialize(ToDictionary());

    /// <summary>
    /// A plausible random avatar for the "randomise" button. The same seed gives the same avatar, so a shared
    /// seed reproduces a look.
    /// </summary>
    public static AvatarParameters Random(int seed)
    {
        var rng = new Random(seed);
        T Pick<T>(IReadOnlyList<T> items) => items[rng.Next(items.Count)];

        // Mostly human skin tones: fantasy tones are fun but should be a choice, not the common case.
        var skins = AvatarPalettes.SkinTones;
        var skin = rng.NextDouble() < 0.85 ? skins[rng.Next(10)].Value : skins[10 + rng.Next(skins.Count - 10)].Value;
        var hairStyles = Enum.GetValues<HairStyle>();
        var hair = rng.NextDouble() < 0.05 ? HairStyle.Bald : Pick(hairStyles.Where(h => h != HairStyle.Bald).ToArray());

        var accessories = Accessories.None;
        Accessories[] optional =
        [
            Accessories.Glasses, Accessories.RoundGlasses, Accessories.Earrings, Accessories.Hat, Accessories.Headband,
            Accessories.Freckles, Accessories.Blush, Accessories.Scar, Accessories.Horns, Accessories.CatEars, Accessories.Halo,
        ];
        var count = rng.NextDouble() switch { < 0.35 => 0, < 0.8 => 1, _ => 2 };
        for (var i = 0; i < count; i++) accessories |= Pick(optional);
        if ((accessories & (Accessories.Glasses | Accessories.RoundGlasses)) == (Accessories.Glasses | Accessories.RoundGlasses))
            accessories &= ~Accessories.Glasses;

        AvatarColor Soft() => new AvatarColor((byte)rng.Next(256), (byte)rng.Next(256), (byte)rng.Next(256)).Lighten(0.55);

        return new AvatarParameters
        {
            FaceShape = Pick(Enum.GetValues<FaceShape>()),
            SkinTone = skin,
            EyeShape = Pick(Enum.GetValues<EyeShape>()),
            EyeColor = Pick(AvatarPalettes.EyeColors).Value,
            BrowStyle = Pick(Enum.GetValues<BrowStyle>()),
            MouthStyle = Pick(Enum.GetValues<MouthStyle>()),
            HairStyle = hair,
            HairColor = Pick(AvatarPalettes.HairColors).Value,
            Accessories = accessories,
            ShirtColor = new AvatarColor((byte)rng.Next(40, 220), (byte)rng.Next(40, 220), (byte)rng.Next(40, 220)),
            AccentColor = new AvatarColor((byte)rng.Next(60, 240), (byte)rng.Next(60, 240), (byte)rng.Next(60, 240)),
            Background = Pick(Enum.GetValues<BackgroundStyle>()),
            BackgroundColor = Soft(),
            BackgroundColor2 = Soft(),
        };
    }

    private static string? Field(IReadOnlyDictionary<string, string?> form, string key) =>
        form.TryGetValue(key, out var value) && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;

    private static T ReadEnum<T>(IReadOnlyDictionary<string, string?> form, Dictionary<string, string> errors,
        string key, string label, T fallback) where T : struct, Enum
    {
        var text = Field(form, key);
        if (text is null) return fallback;
        if (SnakeNames<T>.TryParse(text, out var value)) return value;
        errors[key] = $"{label} must be one of: {string.Join(", ", SnakeNames<T>.All)}.";
        return fallback;
    }

    private static AvatarColor ReadColor(IReadOnlyDictionary<string, string?> form, Dictionary<string, string> errors,
        string key, string label, AvatarColor fallback)
    {
        var text = Field(form, key);
        if (text is null) return fallback;
        if (AvatarColor.TryParse(text, out var color)) return color;
        errors[key] = $"{label} must be a colour written as #rrggbb, for example #a1b2c3.";
        return fallback;
    }

    private static AvatarColor ReadSkin(IReadOnlyDictionary<string, string?> form, Dictionary<string, string> errors, AvatarColor fallback)
    {
        var text = Field(form, AvatarFields.SkinTone);
        if (text is null) return fallback;
        if (AvatarPalettes.TryGetSkinTone(text, out var named) || AvatarColor.TryParse(text, out named)) return named;
        errors[AvatarFields.SkinTone] =
            $"Skin tone must be one of: {string.Join(", ", AvatarPalettes.SkinTones.Select(s => s.Key))}, or a colour written as #rrggbb.";
        return fallback;
    }

    private static Accessories ReadAccessories(IReadOnlyDictionary<string, string?> form, Dictionary<string, string> errors)
    {
        var text = Field(form, AvatarFields.Accessories);
        if (text is null || text.Equals("none", StringComparison.OrdinalIgnoreCase)) return Accessories.None;
        if (text.Length > MaxAccessoriesLength)
        {
            errors[AvatarFields.Accessories] = "Too many accessories.";
            return Accessories.None;
        }

        var result = Accessories.None;
        foreach (var token in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (token.Equals("none", StringComparison.OrdinalIgnoreCase)) continue;
            if (!SnakeNames<Accessories>.TryParse(token, out var accessory))
            {
                errors[AvatarFields.Accessories] =
                    $"Accessories must be \"none\" or a comma-separated list of: {string.Join(", ", SnakeNames<Accessories>.All)}.";
                return Accessories.None;
            }
            result |= accessory;
        }

        if ((result & (Accessories.Glasses | Accessories.RoundGlasses)) == (Accessories.Glasses | Accessories.RoundGlasses))
        {
            errors[AvatarFields.Accessories] = "Choose either glasses or round glasses, not both.";
            return result & ~Accessories.Glasses;
        }
        return result;
    }

    private static string AccessoriesText(Accessories accessories)
    {
        var names = Enum.GetValues<Accessories>()
            .Where(a => a != Accessories.None && (accessories & a) == a)
            .Select(SnakeNames<Accessories>.Name)
            .ToArray();
        return names.Length == 0 ? "none" : string.Join(",", names);
    }
}
