namespace CharacterHub.Modules.Characters.Avatars;

/// <summary>
/// Turns (parameters, expression) into a scene. All geometry hangs off a few anchors (head outline, eye line,
/// mouth line) so hair, accessories and expression extras always sit on the head whatever the face shape.
/// </summary>
internal static partial class AvatarComposer
{
    private const double Cx = 256;
    private const double JoinY = 250;    // where the round skull meets the shape-specific jaw
    private const double EyeY = 262;
    private const double EyeDx = 48;
    private const double BrowY = 222;
    private const double NoseY = 300;
    private const double MouthY = 340;
    private const double Kappa = 0.5523;

    private static readonly AvatarColor Ink = AvatarColor.FromHex("#2d2430");
    private static readonly AvatarColor White = AvatarColor.FromHex("#ffffff");
    private static readonly AvatarColor MouthDark = AvatarColor.FromHex("#6b2533");
    private static readonly AvatarColor Tongue = AvatarColor.FromHex("#e86a7a");
    private static readonly AvatarColor BlushPink = AvatarColor.FromHex("#ff6f86");
    private static readonly AvatarColor TearBlue = AvatarColor.FromHex("#8fd0f7");
    private static readonly AvatarColor TearEdge = AvatarColor.FromHex("#3f8fcf");
    private static readonly AvatarColor HeartRed = AvatarColor.FromHex("#ec3f5c");
    private static readonly AvatarColor AngerRed = AvatarColor.FromHex("#e5383b");
    private static readonly AvatarColor Gold = AvatarColor.FromHex("#f2c14e");

    /// <summary>Half-width of the skull, top of the head and chin for a face shape.</summary>
    private readonly record struct Head(FaceShape Shape, double W, double Top, double Chin);

    private sealed record Palette(
        AvatarColor Skin, AvatarColor SkinShade, AvatarColor SkinLine,
        AvatarColor Hair, AvatarColor HairLine, AvatarColor Brow, AvatarColor Eye, AvatarColor? LineHalo);

    public static AvatarScene Compose(AvatarParameters p, Expression expression)
    {
        var title = expression == Expression.Neutral
            ? "Avatar"
            : $"Avatar showing {SnakeNames<Expression>.Name(expression)}";
        var scene = new AvatarScene(title);
        var head = HeadFor(p.FaceShape);
        // Brows take the hair colour but stay dark enough to read on pale hair; on very dark skin that is not
        // enough contrast for the expressions to read, so they go darker still.
        var brow = (p.HairStyle == HairStyle.Bald ? AvatarColor.FromHex("#4a3428") : p.HairColor).Mix(Ink, 0.55);
        if (p.SkinTone.Luminance - brow.Luminance < 0.15) brow = p.SkinTone.Darken(0.72);
        var colors = new Palette(
            p.SkinTone,
            p.SkinTone.Darken(0.09),
            p.SkinTone.Darken(0.34),
            p.HairColor,
            p.HairColor.Darken(0.35),
            brow,
            p.EyeColor,
            // Dark ink lines vanish on very dark skin; a soft lighter edge under them keeps mouths and closed
            // eyes readable without changing the style for everyone else.
            p.SkinTone.Luminance < 0.3 ? p.SkinTone.Lighten(0.3) : null);

        Background(scene, p);
        if (p.Has(Accessories.Halo)) HaloBack(scene, head);
        HairBack(scene, p.HairStyle, head, colors);
        Body(scene, p, colors);
        Ears(scene, head, colors);
        if (p.Has(Accessories.Earrings)) Earrings(scene, head);
        if (p.HairStyle == HairStyle.Braid) Braid(scene, head, colors);
        var outline = HeadOutline(head);
        scene.Path(outline, AvatarPaint.Outlined(colors.Skin, colors.SkinLine, 4));
        FaceTint(scene, expression, head, outline, colors);
        if (p.Has(Accessories.Horns)) Horns(scene, head);
        if (p.Has(Accessories.CatEars)) CatEars(scene, head, p.HairStyle == HairStyle.Bald ? colors.Skin : colors.Hair,
            p.HairStyle == HairStyle.Bald ? colors.SkinLine : colors.HairLine);
        HairFront(scene, p.HairStyle, head, colors);

        Face(scene, p, expression, head, colors);

        if (p.Has(Accessories.Hat)) Hat(scene, head, p.AccentColor);
        if (p.Has(Accessories.Headband)) Headband(scene, head, p.AccentColor);
        if (p.Has(Accessories.Glasses) || p.Has(Accessories.RoundGlasses)) Glasses(scene, head, p.Has(Accessories.RoundGlasses));
        if (p.Has(Accessories.Halo)) HaloFront(scene, head);
        ExpressionOverlay(scene, expression, head);
        return scene;
    }

    private static Head HeadFor(FaceShape shape) => shape switch
    {
        FaceShape.Round => new Head(shape, 124, 122, 386),
        FaceShape.Oval => new Head(shape, 114, 112, 396),
        FaceShape.Square => new Head(shape, 122, 120, 384),
        FaceShape.Heart => new Head(shape, 128, 118, 388),
        FaceShape.Long => new Head(shape, 106, 100, 402),
        _ => throw new ArgumentOutOfRangeException(nameof(shape), shape, null),
    };

    private static AvatarPath HeadOutline(Head h)
    {
        var b = new PathBuilder().Move(Cx - h.W, JoinY);
        TopArc(b, h.W, h.Top, JoinY);
        var w = h.W;
        var c = h.Chin;
        switch (h.Shape)
        {
            case FaceShape.Round:
                b.Cubic(Cx + w, JoinY + (c - JoinY) * Kappa, Cx + w * Kappa, c, Cx, c)
                 .Cubic(Cx - w * Kappa, c, Cx - w, JoinY + (c - JoinY) * Kappa, Cx - w, JoinY);
                break;
            case FaceShape.Oval:
            case FaceShape.Long:
                b.Cubic(Cx + w, JoinY + (c - JoinY) * 0.5, Cx + w * 0.45, c, Cx, c)
                 .Cubic(Cx - w * 0.45, c, Cx - w, JoinY + (c - JoinY) * 0.5, Cx - w, JoinY);
                break;
            case FaceShape.Square:
                b.Line(Cx + w, JoinY + 70)
                 .Cubic(Cx + w, c - 22, Cx + w * 0.8, c, Cx + w * 0.45, c)
                 .Line(Cx - w * 0.45, c)
                 .Cubic(Cx - w * 0.8, c, Cx - w, c - 22, Cx - w, JoinY + 70)
                 .Close();
                return b.Build();
            case FaceShape.Heart:
                b.Cubic(Cx + w, JoinY + 70, Cx + w * 0.4, c - 26, Cx + 12, c - 3)
                 .Quad(Cx, c + 1, Cx - 12, c - 3)
                 .Cubic(Cx - w * 0.4, c - 26, Cx - w, JoinY + 70, Cx - w, JoinY);
                break;
        }
        return b.Close().Build();
    }

    /// <summary>Upper half of an ellipse centred on (Cx, baseY), from its left end (current point) over the top to its right end.</summary>
    private static PathBuilder TopArc(PathBuilder b, double w, double top, double baseY)
    {
        var h = baseY - top;
        return b.Cubic(Cx - w, baseY - h * Kappa, Cx - w * Kappa, top, Cx, top)
                .Cubic(Cx + w * Kappa, top, Cx + w, baseY - h * Kappa, Cx + w, baseY);
    }

    /// <summary>
    /// The manga convention of colouring the upper face (blue for fear, green for disgust, red for anger) reads at
    /// thumbnail size where small marks do not. Drawn under the hair so only skin is tinted.
    /// </summary>
    private static void FaceTint(AvatarScene scene, Expression e, Head h, AvatarPath outline, Palette c)
    {
        AvatarColor? tint = e switch
        {
            Expression.Fear => AvatarColor.FromHex("#6f86d6"),
            Expression.Disgust => AvatarColor.FromHex("#8db35a"),
            Expression.Anger => AvatarColor.FromHex("#e2473b"),
            _ => null,
        };
        if (tint is null) return;
        var bottom = EyeY + 24;
        var paint = new AvatarPaint(Gradient: new LinearGradient(0, h.Top, 0, bottom, tint.Value, c.Skin), Opacity: 0.6);
        scene.Add(new ClipGroup(outline, [new RectShape(0, h.Top - 10, 512, bottom - h.Top + 10, 0, paint)]));
        // Re-stroke the outline the tint half covered.
        scene.Path(outline, AvatarPaint.Line(c.SkinLine, 4));
    }

    private static void Background(AvatarScene scene, AvatarParameters p)
    {
        var c1 = p.BackgroundColor;
        var c2 = p.BackgroundColor2;
        if (p.Background == BackgroundStyle.Gradient)
        {
            scene.Rect(0, 0, 512, 512, 0, new AvatarPaint(Gradient: new LinearGradient(0, 0, 0, 512, c1, c2)));
            return;
        }
        scene.Rect(0, 0, 512, 512, 0, AvatarPaint.Solid(c1));
        switch (p.Background)
        {
            case BackgroundStyle.Dots:
                for (var row = 0; row < 9; row++)
                    for (var col = 0; col < 9; col++)
                        scene.Circle(col * 64 + (row % 2 == 0 ? 16 : 48), row * 64 + 16, 8, AvatarPaint.Solid(c2));
                break;
            case BackgroundStyle.Stripes:
                for (var k = -8; k < 8; k++)
                {
                    var x = k * 64.0;
                    scene.Path(new PathBuilder().Move(x, 0).Line(x + 32, 0).Line(x + 32 + 512, 512).Line(x + 512, 512).Close(),
                        AvatarPaint.Solid(c2));
                }
                break;
            case BackgroundStyle.Checks:
                for (var row = 0; row < 8; row++)
                    for (var col = row % 2; col < 8; col += 2)
                        scene.Rect(col * 64, row * 64, 64, 64, 0, AvatarPaint.Solid(c2));
                break;
        }
    }

    private static void Body(AvatarScene scene, AvatarParameters p, Palette c)
    {
        scene.Rect(Cx - 34, 330, 68, 120, 0, AvatarPaint.Solid(c.SkinShade));
        // Shadow the chin casts on the neck, so the head does not look pasted on.
        scene.Path(new PathBuilder().Move(Cx - 34, 370).Quad(Cx, 404, Cx + 34, 370).Line(Cx + 34, 350).Line(Cx - 34, 350).Close(),
            AvatarPaint.Solid(c.Skin.Darken(0.2)));
        var shirt = p.ShirtColor;
        scene.Path(new PathBuilder()
                .Move(48, 520)
                .Cubic(48, 466, 104, 432, 178, 424)
                .Quad(Cx, 462, 334, 424)
                .Cubic(408, 432, 464, 466, 464, 520)
                .Close(),
            AvatarPaint.Outlined(shirt, shirt.Darken(0.25), 4));
        scene.Path(new PathBuilder().Move(178, 424).Quad(Cx, 462, 334, 424), AvatarPaint.Line(shirt.Darken(0.25), 7));
    }

    private static void Ears(AvatarScene scene, Head h, Palette c)
    {
        foreach (var s in new[] { -1.0, 1.0 })
        {
            var x = Cx + s * (h.W - 3);
            scene.Ellipse(x, EyeY + 12, 17, 25, AvatarPaint.Outlined(c.Skin, c.SkinLine, 4));
            scene.Ellipse(x + s * 4, EyeY + 12, 7, 13, AvatarPaint.Solid(c.SkinShade.Darken(0.08)));
        }
    }

    private static void Face(AvatarScene scene, AvatarParameters p, Expression e, Head h, Palette c)
    {
        if (p.Has(Accessories.Freckles)) Freckles(scene, c);
        var blush = p.Has(Accessories.Blush) || e is Expression.Joy or Expression.Love;
        if (blush)
        {
            var strength = e == Expression.Love ? 0.6 : 0.42;
            foreach (var s in new[] { -1.0, 1.0 })
                scene.Ellipse(Cx + s * 80, 306, 23, 12, AvatarPaint.Solid(BlushPink, strength));
        }
        if (p.Has(Accessories.Scar)) Scar(scene, c);

        scene.Path(new PathBuilder().Move(Cx + 3, NoseY - 12).Quad(Cx + 11, NoseY + 4, Cx - 5, NoseY + 6), AvatarPaint.Line(c.SkinLine, 5));
        Eyes(scene, p, e, c);
        Brows(scene, p, e, c);
        Mouth(scene, p.MouthStyle, e, c);
    }

    private static void FeatureStroke(AvatarScene scene, Palette c, PathBuilder path, double width) => FeatureStroke(scene, c, path.Build(), width);

    private static void FeatureStroke(AvatarScene scene, Palette c, AvatarPath path, double width)
    {
        if (c.LineHalo is { } halo) scene.Path(path, AvatarPaint.Line(halo, width + 5, 0.7));
        scene.Path(path, AvatarPaint.Line(Ink, width));
    }

    private static void Freckles(AvatarScene scene, Palette c)
    {
        (double X, double Y)[] dots = [(-12, -5), (0, 1), (12, -5), (-6, 8), (7, 9)];
        foreach (var s in new[] { -1.0, 1.0 })
            foreach (var (x, y) in dots)
                scene.Circle(Cx + s * 74 + x, 294 + y, 2.8, AvatarPaint.Solid(c.Skin.Darken(0.32)));
    }

    private static void Scar(AvatarScene scene, Palette c)
    {
        var line = c.Skin.Darken(0.3).Mix(AngerRed, 0.25);
        scene.Path(new PathBuilder().Move(Cx + 60, 278).Line(Cx + 88, 318), AvatarPaint.Line(line, 5));
        foreach (var t in new[] { 0.25, 0.5, 0.75 })
        {
            var x = Cx + 60 + 28 * t;
            var y = 278 + 40 * t;
            scene.Path(new PathBuilder().Move(x - 8, y + 5).Line(x + 8, y - 5), AvatarPaint.Line(line, 3.5));
        }
    }

    private static PathBuilder HeartPath(double cx, double cy, double s) => new PathBuilder()
        .Move(cx, cy + s * 0.95)
        .Cubic(cx - s * 1.5, cy - s * 0.05, cx - s * 0.7, cy - s * 1.25, cx, cy - s * 0.4)
        .Cubic(cx + s * 0.7, cy - s * 1.25, cx + s * 1.5, cy - s * 0.05, cx, cy + s * 0.95)
        .Close();

    private static PathBuilder DropPath(double cx, double cy, double r) => new PathBuilder()
        .Move(cx, cy - r * 2.1)
        .Cubic(cx + r * 0.4, cy - r * 1.2, cx + r, cy - r * 0.7, cx + r, cy)
        .Cubic(cx + r, cy + r * 0.6, cx + r * 0.55, cy + r, cx, cy + r)
        .Cubic(cx - r * 0.55, cy + r, cx - r, cy + r * 0.6, cx - r, cy)
        .Cubic(cx - r, cy - r * 0.7, cx - r * 0.4, cy - r * 1.2, cx, cy - r * 2.1)
        .Close();

    private static PathBuilder SparklePath(double cx, double cy, double s) => new PathBuilder()
        .Move(cx, cy - s)
        .Quad(cx + s * 0.12, cy - s * 0.12, cx + s, cy)
        .Quad(cx + s * 0.12, cy + s * 0.12, cx, cy + s)
        .Quad(cx - s * 0.12, cy + s * 0.12, cx - s, cy)
        .Quad(cx - s * 0.12, cy - s * 0.12, cx, cy - s)
        .Close();

    private static void Drop(AvatarScene scene, double cx, double cy, double r)
    {
        scene.Path(DropPath(cx, cy, r), AvatarPaint.Outlined(TearBlue, TearEdge, 3));
        scene.Ellipse(cx - r * 0.35, cy - r * 0.1, r * 0.22, r * 0.35, AvatarPaint.Solid(White, 0.9));
    }

    /// <summary>Extras outside the face: tears, sweat, anger mark, hearts, thought bubble.</summary>
    private static void ExpressionOverlay(AvatarScene scene, Expression e, Head h)
    {
        switch (e)
        {
            case Expression.Joy:
                scene.Path(SparklePath(Cx - h.W - 40, h.Top + 40, 20), AvatarPaint.Solid(Gold));
                scene.Path(SparklePath(Cx + h.W + 44, h.Top + 70, 14), AvatarPaint.Solid(Gold));
                scene.Path(SparklePath(Cx + h.W + 24, h.Top + 10, 10), AvatarPaint.Solid(Gold));
                break;
            case Expression.Sadness:
                foreach (var s in new[] { -1.0, 1.0 })
                {
                    scene.Path(new PathBuilder().Move(Cx + s * (EyeDx + 10), EyeY + 16).Quad(Cx + s * (EyeDx + 16), EyeY + 34, Cx + s * (EyeDx + 12), EyeY + 44),
                        AvatarPaint.Line(TearBlue, 7));
                    Drop(scene, Cx + s * (EyeDx + 12), EyeY + 52, 8);
                }
                break;
            case Expression.Anger:
                AngerMark(scene, Cx + h.W * 0.62, h.Top + 40);
                break;
            case Expression.Fear:
                Drop(scene, Cx + h.W + 6, h.Top + 96, 13);
                Drop(scene, Cx - h.W - 14, h.Top + 122, 9);
                break;
            case Expression.Surprise:
                foreach (var s in new[] { -1.0, 1.0 })
                {
                    var x = Cx + s * (h.W + 34);
                    var y = h.Top + 44;
                    scene.Path(new PathBuilder().Move(x, y).Line(x + s * 22, y - 22), AvatarPaint.Line(Ink, 6));
                    scene.Path(new PathBuilder().Move(x + s * 8, y + 26).Line(x + s * 34, y + 20), AvatarPaint.Line(Ink, 6));
                    scene.Path(new PathBuilder().Move(x - s * 10, y - 30).Line(x - s * 2, y - 56), AvatarPaint.Line(Ink, 6));
                }
                break;
            case Expression.Love:
                scene.Path(HeartPath(Cx + h.W + 46, h.Top + 40, 22), AvatarPaint.Outlined(HeartRed, HeartRed.Darken(0.3), 3));
                scene.Path(HeartPath(Cx + h.W + 10, h.Top - 14, 13), AvatarPaint.Outlined(HeartRed, HeartRed.Darken(0.3), 3));
                scene.Path(HeartPath(Cx - h.W - 40, h.Top + 30, 15), AvatarPaint.Outlined(HeartRed, HeartRed.Darken(0.3), 3));
                break;
            case Expression.Thinking:
                ThoughtBubble(scene);
                break;
        }
    }

    private static void AngerMark(AvatarScene scene, double cx, double cy)
    {
        // The manga "vein" mark: four bulging corners around a centre.
        scene.Circle(cx, cy, 24, AvatarPaint.Solid(White, 0.85));
        foreach (var (sx, sy) in new[] { (-1.0, -1.0), (1.0, -1.0), (1.0, 1.0), (-1.0, 1.0) })
        {
            scene.Path(new PathBuilder()
                    .Move(cx + sx * 4, cy + sy * 18)
                    .Quad(cx + sx * 6, cy + sy * 6, cx + sx * 18, cy + sy * 4),
                AvatarPaint.Line(AngerRed, 6));
        }
    }

    private static void ThoughtBubble(AvatarScene scene)
    {
        (double X, double Y, double R)[] puffs = [(412, 92, 30), (446, 74, 32), (474, 98, 26), (440, 114, 28), (406, 112, 20)];
        foreach (var (x, y, r) in puffs) scene.Circle(x, y, r, AvatarPaint.Outlined(White, Ink, 5));
        foreach (var (x, y, r) in puffs) scene.Circle(x, y, r - 2.5, AvatarPaint.Solid(White));
        scene.Circle(384, 152, 12, AvatarPaint.Outlined(White, Ink, 4));
        scene.Circle(368, 178, 7, AvatarPaint.Outlined(White, Ink, 4));
        foreach (var x in new[] { 422.0, 442, 462 }) scene.Circle(x, 96, 5.5, AvatarPaint.Solid(Ink));
    }
}
