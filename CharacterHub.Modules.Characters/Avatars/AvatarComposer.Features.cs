namespace CharacterHub.Modules.Characters.Avatars;

internal static partial class AvatarComposer
{
    private enum EyeMode { Open, Happy, Heart, Closed }

    /// <param name="Open">Scales the eye's height.</param>
    /// <param name="LidInner">How far the upper lid comes down at the inner corner (0 = not at all, 1 = shut).</param>
    /// <param name="LidOuter">The same at the outer corner; inner low reads as anger, outer low as sadness.</param>
    /// <param name="Pupil">Pupil scale; small pupils read as fear.</param>
    private readonly record struct EyeSpec(EyeMode Mode, double Open = 1, double LidInner = 0, double LidOuter = 0,
        double Pupil = 1, double GazeX = 0, double GazeY = 0);

    /// <summary>Vertical offsets of a brow's inner and outer ends (negative = up) and how much of its arch survives.</summary>
    private readonly record struct BrowSpec(double Inner, double Outer, double Arch = 1);

    private static EyeSpec EyesFor(Expression e) => e switch
    {
        Expression.Joy => new EyeSpec(EyeMode.Happy),
        Expression.Sadness => new EyeSpec(EyeMode.Open, 0.95, 0.05, 0.42, 1, 0, 5),
        Expression.Anger => new EyeSpec(EyeMode.Open, 0.9, 0.5, 0.08, 0.85),
        Expression.Fear => new EyeSpec(EyeMode.Open, 1.25, 0, 0, 0.55, 0, 2),
        Expression.Surprise => new EyeSpec(EyeMode.Open, 1.3, 0, 0, 0.7),
        Expression.Disgust => new EyeSpec(EyeMode.Open, 0.7, 0.38, 0.3, 1, -5, 2),
        Expression.Love => new EyeSpec(EyeMode.Heart),
        Expression.Thinking => new EyeSpec(EyeMode.Open, 0.95, 0.12, 0.12, 1, 7, -7),
        _ => new EyeSpec(EyeMode.Open),
    };

    /// <summary>Per side: index 0 is the viewer's left eye.</summary>
    private static (BrowSpec Left, BrowSpec Right) BrowsFor(Expression e) => e switch
    {
        Expression.Joy => (new BrowSpec(-9, -7), new BrowSpec(-9, -7)),
        Expression.Sadness => (new BrowSpec(-15, 6, 0.2), new BrowSpec(-15, 6, 0.2)),
        Expression.Anger => (new BrowSpec(14, -10, 0.1), new BrowSpec(14, -10, 0.1)),
        Expression.Fear => (new BrowSpec(-18, -4, 0.4), new BrowSpec(-18, -4, 0.4)),
        Expression.Surprise => (new BrowSpec(-22, -18, 1.5), new BrowSpec(-22, -18, 1.5)),
        Expression.Disgust => (new BrowSpec(10, 2, 0.4), new BrowSpec(2, -8, 0.8)),
        Expression.Love => (new BrowSpec(-8, -6), new BrowSpec(-8, -6)),
        Expression.Thinking => (new BrowSpec(5, 5, 0.5), new BrowSpec(-14, -16, 1.3)),
        _ => (new BrowSpec(0, 0), new BrowSpec(0, 0)),
    };

    private static (double Rx, double Ry, double Iris) EyeSize(EyeShape shape) => shape switch
    {
        EyeShape.Round => (22, 23, 15),
        EyeShape.Almond => (27, 17, 14),
        EyeShape.Narrow => (26, 11.5, 12.5),
        EyeShape.Sleepy => (24, 20, 14.5),
        EyeShape.Wide => (25, 27, 16.5),
        _ => throw new ArgumentOutOfRangeException(nameof(shape), shape, null),
    };

    private static void Eyes(AvatarScene scene, AvatarParameters p, Expression e, Palette c)
    {
        var spec = EyesFor(e);
        foreach (var s in new[] { -1.0, 1.0 })
        {
            var ex = Cx + s * EyeDx;
            switch (spec.Mode)
            {
                case EyeMode.Happy:
                    FeatureStroke(scene, c, new PathBuilder().Move(ex - 19, EyeY + 6).Quad(ex, EyeY - 22, ex + 19, EyeY + 6), 7);
                    break;
                case EyeMode.Heart:
                    scene.Path(HeartPath(ex, EyeY, 21), AvatarPaint.Outlined(HeartRed, HeartRed.Darken(0.35), 4));
                    scene.Ellipse(ex - 9, EyeY - 9, 4, 5, AvatarPaint.Solid(White, 0.85));
                    break;
                case EyeMode.Closed:
                    FeatureStroke(scene, c, new PathBuilder().Move(ex - 19, EyeY).Quad(ex, EyeY + 10, ex + 19, EyeY), 6);
                    break;
                default:
                    OpenEye(scene, p.EyeShape, spec, ex, s, c);
                    break;
            }
        }
    }

    private static void OpenEye(AvatarScene scene, EyeShape shape, EyeSpec spec, double ex, double side, Palette c)
    {
        var (rx, baseRy, iris) = EyeSize(shape);
        var ry = baseRy * spec.Open;
        var outline = shape is EyeShape.Almond or EyeShape.Narrow
            ? AlmondPath(ex, EyeY, rx, ry, side)
            : AvatarPath.Ellipse(ex, EyeY, rx, ry);

        // Sleepy eyes always carry a heavy lid; the expression can only lower it further.
        var sleepy = shape == EyeShape.Sleepy ? 0.4 : 0;
        var lidInner = Math.Max(spec.LidInner, sleepy);
        var lidOuter = Math.Max(spec.LidOuter, sleepy);

        var ix = ex + spec.GazeX;
        var iy = EyeY + spec.GazeY;
        var children = new List<AvatarShape>
        {
            new RectShape(ex - rx - 4, EyeY - ry - 4, rx * 2 + 8, ry * 2 + 8, 0, AvatarPaint.Solid(White)),
            new EllipseShape(ix, iy, iris, iris, AvatarPaint.Outlined(c.Eye, c.Eye.Darken(0.35), 2.5)),
            new EllipseShape(ix, iy, iris * 0.5 * spec.Pupil, iris * 0.5 * spec.Pupil, AvatarPaint.Solid(Ink)),
            new EllipseShape(ix - iris * 0.36, iy - iris * 0.38, iris * 0.3, iris * 0.3, AvatarPaint.Solid(White)),
            new EllipseShape(ix + iris * 0.38, iy + iris * 0.36, iris * 0.13, iris * 0.13, AvatarPaint.Solid(White, 0.8)),
            new PathShape(outline, AvatarPaint.Line(Ink, 7)),
        };
        if (lidInner > 0.01 || lidOuter > 0.01)
        {
            var innerX = ex - side * (rx + 6);
            var outerX = ex + side * (rx + 6);
            var yInner = EyeY - ry + 2 * ry * lidInner;
            var yOuter = EyeY - ry + 2 * ry * lidOuter;
            var lid = new PathBuilder()
                .Move(innerX, EyeY - ry - 10).Line(outerX, EyeY - ry - 10).Line(outerX, yOuter).Line(innerX, yInner).Close();
            children.Add(new PathShape(lid.Build(), AvatarPaint.Solid(c.Skin)));
            children.Add(new PathShape(new PathBuilder().Move(innerX, yInner).Line(outerX, yOuter).Build(), AvatarPaint.Line(Ink, 8)));
        }
        scene.Add(new ClipGroup(outline, children));

        // A lash flick at the outer corner gives the eye direction and survives at 128 px.
        var lidAtOuter = EyeY - ry + 2 * ry * lidOuter;
        scene.Path(new PathBuilder().Move(ex + side * (rx - 3), lidAtOuter + 1).Line(ex + side * (rx + 6), lidAtOuter - 5),
            AvatarPaint.Line(Ink, 5));
    }

    private static AvatarPath AlmondPath(double ex, double ey, double rx, double ry, double side)
    {
        var inner = ex - side * rx;
        var outer = ex + side * rx;
        const double lift = 3; // outer corner sits a little higher than the inner one
        return new PathBuilder()
            .Move(inner, ey + 1)
            .Cubic(inner + side * rx * 0.45, ey - ry * 1.3, outer - side * rx * 0.4, ey - ry * 1.35, outer, ey - lift)
            .Cubic(outer - side * rx * 0.35, ey + ry * 1.2, inner + side * rx * 0.45, ey + ry * 1.25, inner, ey + 1)
            .Close()
            .Build();
    }

    private static void Brows(AvatarScene scene, AvatarParameters p, Expression e, Palette c)
    {
        var (left, right) = BrowsFor(e);
        var (width, arch) = p.BrowStyle switch
        {
            BrowStyle.Straight => (9.0, -3.0),
            BrowStyle.Arched => (8.0, -12.0),
            BrowStyle.Thick => (14.0, -6.0),
            BrowStyle.Thin => (4.5, -9.0),
            BrowStyle.Angled => (8.5, -12.0),
            _ => throw new ArgumentOutOfRangeException(nameof(p), p.BrowStyle, null),
        };
        // Tall eyes need their brows a little higher so surprise does not collide with the lids.
        var baseY = BrowY - (EyeSize(p.EyeShape).Ry - 20) * 0.6;
        foreach (var (s, spec) in new[] { (-1.0, left), (1.0, right) })
        {
            var xi = Cx + s * 22;
            var xo = Cx + s * 78;
            var yi = baseY + spec.Inner + 4;
            var yo = baseY + spec.Outer + 4;
            var a = arch * spec.Arch;
            var path = new PathBuilder().Move(xi, yi);
            if (p.BrowStyle == BrowStyle.Angled)
            {
                var t = 0.62;
                path.Line(xi + (xo - xi) * t, yi + (yo - yi) * t + a).Line(xo, yo + 5);
            }
            else
            {
                path.Quad((xi + xo) / 2, (yi + yo) / 2 + a * 2, xo, yo);
            }
            scene.Path(path, AvatarPaint.Line(c.Brow, width));
        }
    }

    private static void Mouth(AvatarScene scene, MouthStyle style, Expression e, Palette c)
    {
        var hw = style switch
        {
            MouthStyle.Small => 20.0,
            MouthStyle.Wide => 38.0,
            _ => 29.0,
        };
        const double my = MouthY;
        switch (e)
        {
            case Expression.Neutral:
                switch (style)
                {
                    case MouthStyle.Neutral:
                        FeatureStroke(scene, c, new PathBuilder().Move(Cx - hw, my).Quad(Cx, my + 4, Cx + hw, my), 6);
                        break;
                    case MouthStyle.Smile:
                    case MouthStyle.Small:
                        FeatureStroke(scene, c, new PathBuilder().Move(Cx - hw, my - 5).Quad(Cx, my + 18, Cx + hw, my - 5), 6);
                        break;
                    case MouthStyle.Smirk:
                        FeatureStroke(scene, c, new PathBuilder().Move(Cx - hw, my + 3).Quad(Cx + hw * 0.3, my + 10, Cx + hw, my - 10), 6);
                        break;
                    case MouthStyle.Wide:
                        OpenMouth(scene, c, hw, my - 6, 26, teeth: true, tongue: false);
                        break;
                }
                break;
            case Expression.Joy:
                OpenMouth(scene, c, hw * 1.15, my - 8, 36, teeth: true, tongue: true);
                break;
            case Expression.Sadness:
                FeatureStroke(scene, c, new PathBuilder().Move(Cx - hw * 0.9, my + 10).Quad(Cx, my - 14, Cx + hw * 0.9, my + 10), 6);
                break;
            case Expression.Anger:
            {
                // Bared, clenched teeth in a downturned mouth; big enough to read at thumbnail size.
                var w = Math.Max(hw, 34);
                var teeth = new PathBuilder()
                    .Move(Cx - w, my + 14).Quad(Cx, my - 26, Cx + w, my + 14)
                    .Quad(Cx, my + 8, Cx - w, my + 14).Close().Build();
                scene.Path(teeth, AvatarPaint.Solid(White));
                scene.Path(new PathBuilder().Move(Cx - w + 8, my + 6).Quad(Cx, my - 8, Cx + w - 8, my + 6), AvatarPaint.Line(Ink, 3.5));
                foreach (var t in new[] { -0.5, -0.17, 0.17, 0.5 })
                    scene.Path(new PathBuilder().Move(Cx + w * t, my - 5 + t * t * 16).Line(Cx + w * t, my + 10 + t * t * 6),
                        AvatarPaint.Line(Ink, 3.5));
                FeatureStroke(scene, c, teeth, 6);
                break;
            }
            case Expression.Fear:
            {
                var w = Math.Max(hw, 24);
                var b = new PathBuilder().Move(Cx - w, my + 4);
                var step = w * 2 / 4;
                for (var i = 0; i < 4; i++)
                {
                    var x0 = Cx - w + step * i;
                    b.Quad(x0 + step / 2, my + (i % 2 == 0 ? -7 : 15), x0 + step, my + 4);
                }
                FeatureStroke(scene, c, b, 5.5);
                break;
            }
            case Expression.Surprise:
                scene.Ellipse(Cx, my + 6, 15, 20, AvatarPaint.Outlined(MouthDark, Ink, 5));
                scene.Ellipse(Cx, my + 17, 8, 5, AvatarPaint.Solid(Tongue));
                break;
            case Expression.Disgust:
            {
                var w = Math.Max(hw, 26);
                scene.Path(new PathBuilder()
                        .Move(Cx + w * 0.05, my + 4).Line(Cx + w * 0.05, my + 14)
                        .Quad(Cx + w * 0.05, my + 30, Cx + w * 0.45, my + 28)
                        .Quad(Cx + w * 0.75, my + 24, Cx + w * 0.72, my + 2).Close(),
                    AvatarPaint.Outlined(Tongue, Ink, 4));
                FeatureStroke(scene, c, new PathBuilder()
                        .Move(Cx - w, my + 8)
                        .Cubic(Cx - w * 0.55, my - 6, Cx - w * 0.2, my + 12, Cx + w * 0.25, my + 2)
                        .Quad(Cx + w * 0.7, my - 8, Cx + w, my - 10), 6);
                break;
            }
            case Expression.Love:
                OpenMouth(scene, c, hw * 0.85, my - 6, 22, teeth: false, tongue: true);
                break;
            case Expression.Thinking:
                FeatureStroke(scene, c, new PathBuilder().Move(Cx - hw * 0.3, my + 6).Quad(Cx + hw * 0.3, my + 4, Cx + hw * 0.85, my - 4), 6);
                break;
        }
    }

    private static void OpenMouth(AvatarScene scene, Palette c, double hw, double top, double depth, bool teeth, bool tongue)
    {
        var outline = new PathBuilder()
            .Move(Cx - hw, top)
            .Quad(Cx, top + 5, Cx + hw, top)
            .Cubic(Cx + hw * 0.95, top + depth * 0.75, Cx + hw * 0.5, top + depth, Cx, top + depth)
            .Cubic(Cx - hw * 0.5, top + depth, Cx - hw * 0.95, top + depth * 0.75, Cx - hw, top)
            .Close()
            .Build();
        var children = new List<AvatarShape> { new RectShape(Cx - hw - 4, top - 4, hw * 2 + 8, depth + 8, 0, AvatarPaint.Solid(MouthDark)) };
        if (teeth) children.Add(new RectShape(Cx - hw, top - 4, hw * 2, 13, 0, AvatarPaint.Solid(White)));
        if (tongue) children.Add(new EllipseShape(Cx, top + depth + 2, hw * 0.55, depth * 0.42, AvatarPaint.Solid(Tongue)));
        scene.Add(new ClipGroup(outline, children));
        FeatureStroke(scene, c, outline, 5);
    }
}
