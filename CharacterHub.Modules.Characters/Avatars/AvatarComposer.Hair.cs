namespace CharacterHub.Modules.Characters.Avatars;

internal static partial class AvatarComposer
{
    /// <summary>Point on the ellipse centred on (Cx, baseY); θ = π is the left end, π/2 the top, 0 the right end.</summary>
    private static (double X, double Y) Arc(double w, double h, double baseY, double theta) =>
        (Cx + w * Math.Cos(theta), baseY - h * Math.Sin(theta));

    /// <summary>Bumps (curls) or spikes along an elliptical arc, continuing the current path.</summary>
    private static void Ruffle(PathBuilder b, double w, double h, double baseY, double from, double to, int count, double bulge, bool spiky)
    {
        for (var i = 0; i < count; i++)
        {
            var t0 = from + (to - from) * i / count;
            var t1 = from + (to - from) * (i + 1) / count;
            var mid = (t0 + t1) / 2;
            var (ex, ey) = Arc(w, h, baseY, t1);
            var (mx, my) = Arc(w * bulge, h * bulge, baseY, mid);
            if (spiky) b.Line(mx, my).Line(ex, ey);
            else b.Quad(mx, my, ex, ey);
        }
    }

    /// <summary>Bumps or points along a straight hairline from (x0, y) to (x1, y), hanging down by <paramref name="depth"/>.</summary>
    private static void Fringe(PathBuilder b, double x0, double x1, double y, int count, double depth, bool spiky)
    {
        for (var i = 0; i < count; i++)
        {
            var a = x0 + (x1 - x0) * i / count;
            var z = x0 + (x1 - x0) * (i + 1) / count;
            if (spiky) b.Line((a + z) / 2, y + depth).Line(z, y);
            else b.Quad((a + z) / 2, y + depth * 2, z, y);
        }
    }

    private static AvatarPaint HairPaint(Palette c) => AvatarPaint.Outlined(c.Hair, c.HairLine, 4);

    private static void HairBack(AvatarScene scene, HairStyle style, Head h, Palette c)
    {
        var hw = h.W + 12;
        var ht = h.Top - 18;
        switch (style)
        {
            case HairStyle.Long:
            {
                var b = new PathBuilder().Move(Cx - hw - 10, JoinY);
                TopArc(b, hw + 10, ht - 4, JoinY)
                    .Line(Cx + hw + 26, 440).Quad(Cx + hw + 22, 476, Cx + hw - 20, 476)
                    .Line(Cx - hw + 20, 476).Quad(Cx - hw - 22, 476, Cx - hw - 26, 440).Close();
                scene.Path(b, HairPaint(c));
                break;
            }
            case HairStyle.Bob:
            {
                var b = new PathBuilder().Move(Cx - hw - 8, JoinY);
                TopArc(b, hw + 8, ht - 2, JoinY)
                    .Line(Cx + hw + 12, 352).Quad(Cx + hw + 10, 370, Cx + hw - 8, 370)
                    .Line(Cx - hw + 8, 370).Quad(Cx - hw - 10, 370, Cx - hw - 12, 352).Close();
                scene.Path(b, HairPaint(c));
                break;
            }
            case HairStyle.Ponytail:
            {
                var b = new PathBuilder()
                    .Move(Cx + h.W - 40, h.Top + 24)
                    .Cubic(Cx + h.W + 96, h.Top - 6, Cx + h.W + 92, 340, Cx + h.W + 34, 430)
                    .Cubic(Cx + h.W + 34, 340, Cx + h.W + 8, 260, Cx + h.W - 24, h.Top + 110)
                    .Close();
                scene.Path(b, HairPaint(c));
                scene.Path(new PathBuilder().Move(Cx + h.W + 30, h.Top + 80).Quad(Cx + h.W + 54, 250, Cx + h.W + 40, 340),
                    AvatarPaint.Line(c.HairLine, 3.5));
                break;
            }
            case HairStyle.Buns:
                foreach (var s in new[] { -1.0, 1.0 })
                {
                    scene.Circle(Cx + s * (h.W - 14), h.Top + 2, 44, HairPaint(c));
                    scene.Path(new PathBuilder().Move(Cx + s * (h.W - 40), h.Top - 14).Quad(Cx + s * (h.W - 8), h.Top - 30, Cx + s * (h.W + 14), h.Top + 6),
                        AvatarPaint.Line(c.HairLine, 3.5));
                }
                break;
            case HairStyle.Curly:
            {
                var b = new PathBuilder();
                var (sx, sy) = Arc(hw + 24, JoinY - ht + 14, JoinY, Math.PI * 1.28);
                b.Move(sx, sy);
                Ruffle(b, hw + 24, JoinY - ht + 14, JoinY, Math.PI * 1.28, -Math.PI * 0.28, 14, 1.1, spiky: false);
                b.Close();
                scene.Path(b, HairPaint(c));
                break;
            }
            case HairStyle.Afro:
            {
                var r = h.W + 62;
                var cy = h.Top + 96;
                var b = new PathBuilder();
                var (sx, sy) = Arc(r, r, cy, 0);
                b.Move(sx, sy);
                Ruffle(b, r, r, cy, 0, Math.PI * 2, 18, 1.08, spiky: false);
                b.Close();
                scene.Path(b, HairPaint(c));
                break;
            }
        }
    }

    private static void HairFront(AvatarScene scene, HairStyle style, Head h, Palette c)
    {
        var hw = h.W + 12;
        var ht = h.Top - 18;
        var w = h.W;
        switch (style)
        {
            case HairStyle.Short:
            case HairStyle.Braid:
            {
                var b = new PathBuilder().Move(Cx - hw, JoinY);
                TopArc(b, hw, ht, JoinY)
                    .Line(Cx + hw - 2, JoinY + 12).Line(Cx + w - 10, JoinY + 12)
                    .Quad(Cx + w - 10, 200, Cx + w - 30, 184)
                    .Cubic(Cx + 40, 212, Cx - 10, 196, Cx - 40, 178)
                    .Quad(Cx - 70, 162, Cx - w + 24, 190)
                    .Quad(Cx - w + 8, 206, Cx - w + 8, JoinY + 12).Line(Cx - hw + 2, JoinY + 12).Close();
                scene.Path(b, HairPaint(c));
                scene.Path(new PathBuilder().Move(Cx - 40, 178).Quad(Cx - 10, 140, Cx + 30, h.Top), AvatarPaint.Line(c.HairLine, 3.5));
                break;
            }
            case HairStyle.Long:
            {
                var b = new PathBuilder().Move(Cx - hw - 4, 410).Line(Cx - hw, JoinY);
                TopArc(b, hw, ht, JoinY)
                    .Line(Cx + hw + 4, 410).Quad(Cx + w + 2, 424, Cx + w - 12, 406)
                    .Line(Cx + w - 12, 280)
                    .Cubic(Cx + w - 12, 200, Cx + 50, 160, Cx + 2, 150)
                    .Cubic(Cx - 50, 160, Cx - w + 12, 200, Cx - w + 12, 280)
                    .Line(Cx - w + 12, 406).Quad(Cx - w - 2, 424, Cx - hw - 4, 410).Close();
                scene.Path(b, HairPaint(c));
                foreach (var s in new[] { -1.0, 1.0 })
                    scene.Path(new PathBuilder().Move(Cx + s * (w + 2), 270).Quad(Cx + s * (w + 6), 340, Cx + s * (w + 2), 396),
                        AvatarPaint.Line(c.HairLine, 3.5));
                break;
            }
            case HairStyle.Bob:
            {
                var b = new PathBuilder().Move(Cx - hw - 2, 358).Line(Cx - hw, JoinY);
                TopArc(b, hw, ht, JoinY)
                    .Line(Cx + hw + 2, 358).Line(Cx + w - 8, 358)
                    .Line(Cx + w - 10, 216).Quad(Cx + w - 14, 198, Cx + w - 34, 198)
                    .Quad(Cx, 208, Cx - w + 34, 198)
                    .Quad(Cx - w + 14, 198, Cx - w + 10, 216).Line(Cx - w + 8, 358).Close();
                scene.Path(b, HairPaint(c));
                foreach (var x in new[] { -40.0, 0, 40 })
                    scene.Path(new PathBuilder().Move(Cx + x, 200).Quad(Cx + x * 1.2, 160, Cx + x * 0.6, h.Top - 4), AvatarPaint.Line(c.HairLine, 3));
                break;
            }
            case HairStyle.Ponytail:
            case HairStyle.Buns:
            {
                var b = new PathBuilder().Move(Cx - hw, JoinY);
                TopArc(b, hw, ht, JoinY)
                    .Line(Cx + w - 6, JoinY)
                    .Quad(Cx + w - 8, 190, Cx + w - 40, 176);
                if (style == HairStyle.Buns)
                    b.Quad(Cx + 24, 160, Cx, 176).Quad(Cx - 24, 160, Cx - w + 40, 176);
                else
                    b.Quad(Cx, 156, Cx - w + 40, 176);
                b.Quad(Cx - w + 8, 190, Cx - w + 6, JoinY).Close();
                scene.Path(b, HairPaint(c));
                if (style == HairStyle.Buns)
                {
                    scene.Path(new PathBuilder().Move(Cx, 176).Line(Cx, h.Top - 10), AvatarPaint.Line(c.HairLine, 3.5));
                }
                else
                {
                    foreach (var x in new[] { -40.0, 0, 40 })
                        scene.Path(new PathBuilder().Move(Cx + x - 10, 166).Quad(Cx + x + 4, h.Top + 14, Cx + x + 30, h.Top - 4),
                            AvatarPaint.Line(c.HairLine, 3));
                    scene.Ellipse(Cx + w + 12, h.Top + 50, 10, 16, AvatarPaint.Outlined(c.HairLine, c.HairLine.Darken(0.3), 3));
                }
                break;
            }
            case HairStyle.Curly:
            case HairStyle.Afro:
            {
                var b = new PathBuilder();
                var from = Math.PI * 1.06;
                var to = -Math.PI * 0.06;
                var (sx, sy) = Arc(hw, JoinY - ht, JoinY, from);
                b.Move(sx, sy);
                Ruffle(b, hw, JoinY - ht, JoinY, from, to, 11, 1.09, spiky: false);
                b.Line(Cx + w - 8, JoinY + 12).Line(Cx + w - 20, 190);
                Fringe(b, Cx + w - 20, Cx - w + 20, 186, 7, 9, spiky: false);
                b.Line(Cx - w + 8, JoinY + 12).Close();
                scene.Path(b, HairPaint(c));
                break;
            }
            case HairStyle.Spiky:
            {
                var b = new PathBuilder();
                var from = Math.PI * 1.04;
                var to = -Math.PI * 0.04;
                var (sx, sy) = Arc(hw - 4, JoinY - ht - 4, JoinY, from);
                b.Move(sx, sy);
                Ruffle(b, hw - 4, JoinY - ht - 4, JoinY, from, to, 9, 1.2, spiky: true);
                b.Line(Cx + w - 8, JoinY + 8).Line(Cx + w - 18, 188);
                Fringe(b, Cx + w - 18, Cx - w + 18, 182, 6, 24, spiky: true);
                b.Line(Cx - w + 8, JoinY + 8).Close();
                scene.Path(b, HairPaint(c));
                break;
            }
            case HairStyle.Undercut:
            {
                // Shaved sides: the hair colour thinly over the skin.
                var sides = new PathBuilder().Move(Cx - w - 2, JoinY);
                TopArc(sides, w + 2, h.Top - 2, JoinY)
                    .Line(Cx + w - 8, JoinY).Quad(Cx + w - 8, 200, Cx + w - 30, 190).Line(Cx - w + 30, 190)
                    .Quad(Cx - w + 8, 200, Cx - w + 8, JoinY).Close();
                scene.Path(sides, AvatarPaint.Solid(c.Hair, 0.55));
                // A swept quiff: rises off the left temple, crests above the skull and falls to the right side.
                var top = new PathBuilder()
                    .Move(Cx - w + 6, 204)
                    .Cubic(Cx - w - 8, h.Top + 10, Cx - w * 0.5, h.Top - 46, Cx + 10, h.Top - 40)
                    .Cubic(Cx + w * 0.8, h.Top - 36, Cx + w + 22, h.Top + 14, Cx + w + 8, h.Top + 70)
                    .Quad(Cx + w - 2, h.Top + 52, Cx + w - 26, h.Top + 56)
                    .Cubic(Cx + 40, h.Top + 44, Cx - 10, 214, Cx - 36, 206)
                    .Quad(Cx - 70, 198, Cx - w + 6, 204)
                    .Close();
                scene.Path(top, HairPaint(c));
                scene.Path(new PathBuilder().Move(Cx - 60, 194).Cubic(Cx - 50, h.Top + 6, Cx, h.Top - 20, Cx + 60, h.Top - 16), AvatarPaint.Line(c.HairLine, 3.5));
                scene.Path(new PathBuilder().Move(Cx - 20, 198).Cubic(Cx, h.Top + 30, Cx + 50, h.Top + 4, Cx + 90, h.Top + 20), AvatarPaint.Line(c.HairLine, 3.5));
                break;
            }
            case HairStyle.Bald:
                scene.Ellipse(Cx - 44, h.Top + 34, 30, 13, AvatarPaint.Solid(White, 0.3));
                break;
        }
    }

    private static void Braid(AvatarScene scene, Head h, Palette c)
    {
        var x = Cx + h.W - 4;
        for (var i = 0; i < 7; i++)
        {
            var y = 282 + i * 26.0;
            var dx = (i % 2 == 0 ? -4 : 4) + i * 2.5;
            var r = 21 - i * 1.2;
            scene.Ellipse(x + dx, y, r, r * 1.1, HairPaint(c));
        }
        var tieY = 282 + 7 * 26.0 - 12;
        scene.Rect(x + 12 - 12, tieY - 5, 24, 10, 5, AvatarPaint.Outlined(c.HairLine, c.HairLine.Darken(0.3), 2));
        scene.Path(new PathBuilder().Move(x + 2, tieY + 4).Quad(x + 12, tieY + 40, x + 24, tieY + 4).Close(), HairPaint(c));
    }

    private static void Earrings(AvatarScene scene, Head h)
    {
        foreach (var s in new[] { -1.0, 1.0 })
        {
            var x = Cx + s * (h.W - 1);
            scene.Circle(x, EyeY + 36, 5, AvatarPaint.Solid(Gold));
            scene.Ellipse(x, EyeY + 52, 9, 12, AvatarPaint.Line(Gold.Darken(0.1), 4.5));
        }
    }

    private static void Horns(AvatarScene scene, Head h)
    {
        var bone = AvatarColor.FromHex("#f1e6d0");
        var edge = AvatarColor.FromHex("#9c8a6c");
        foreach (var s in new[] { -1.0, 1.0 })
        {
            var b = new PathBuilder()
                .Move(Cx + s * 80, h.Top + 40)
                .Quad(Cx + s * 100, h.Top - 24, Cx + s * 116, h.Top - 62)
                .Quad(Cx + s * 76, h.Top - 32, Cx + s * 42, h.Top + 30)
                .Close();
            scene.Path(b, AvatarPaint.Outlined(bone, edge, 4));
            scene.Path(new PathBuilder().Move(Cx + s * 72, h.Top - 2).Quad(Cx + s * 86, h.Top - 6, Cx + s * 94, h.Top + 8), AvatarPaint.Line(edge, 3));
        }
    }

    private static void CatEars(AvatarScene scene, Head h, AvatarColor fur, AvatarColor line)
    {
        var inner = AvatarColor.FromHex("#f7a8bb");
        foreach (var s in new[] { -1.0, 1.0 })
        {
            scene.Path(new PathBuilder().Move(Cx + s * (h.W - 2), h.Top + 60).Line(Cx + s * (h.W + 6), h.Top - 52).Line(Cx + s * 30, h.Top + 8).Close(),
                AvatarPaint.Outlined(fur, line, 5));
            scene.Path(new PathBuilder().Move(Cx + s * (h.W - 14), h.Top + 36).Line(Cx + s * (h.W - 4), h.Top - 28).Line(Cx + s * 50, h.Top + 14).Close(),
                AvatarPaint.Solid(inner));
        }
    }

    private static void Hat(AvatarScene scene, Head h, AvatarColor accent)
    {
        var edge = accent.Darken(0.3);
        var w = h.W + 16;
        scene.Path(new PathBuilder()
                .Move(Cx - w, h.Top + 66)
                .Cubic(Cx - w, h.Top - 12, Cx - w * 0.55, h.Top - 44, Cx, h.Top - 44)
                .Cubic(Cx + w * 0.55, h.Top - 44, Cx + w, h.Top - 12, Cx + w, h.Top + 66)
                .Close(),
            AvatarPaint.Outlined(accent, edge, 4));
        foreach (var x in new[] { -60.0, -20, 20, 60 })
            scene.Path(new PathBuilder().Move(Cx + x, h.Top + 52).Quad(Cx + x * 0.8, h.Top, Cx + x * 0.5, h.Top - 34), AvatarPaint.Line(edge, 3, 0.6));
        scene.Rect(Cx - w - 6, h.Top + 48, (w + 6) * 2, 38, 19, AvatarPaint.Outlined(accent.Darken(0.14), edge, 4));
        scene.Circle(Cx, h.Top - 50, 22, AvatarPaint.Outlined(accent.Lighten(0.3), edge, 4));
    }

    private static void Headband(AvatarScene scene, Head h, AvatarColor accent)
    {
        // Follows the skull just inside the hair outline so it reads as sitting on the head.
        var w = h.W + 8;
        var hh = JoinY - h.Top + 4;
        var b = new PathBuilder();
        const int steps = 24;
        for (var i = 0; i <= steps; i++)
        {
            var theta = Math.PI * (0.86 - 0.72 * i / steps);
            var (x, y) = Arc(w, hh, JoinY, theta);
            if (i == 0) b.Move(x, y); else b.Line(x, y);
        }
        scene.Path(b, AvatarPaint.Line(accent.Darken(0.3), 22));
        scene.Path(b, AvatarPaint.Line(accent, 15));
    }

    private static void Glasses(AvatarScene scene, Head h, bool round)
    {
        var frame = AvatarPaint.Line(Ink, 5.5);
        var lens = AvatarPaint.Solid(White, 0.2);
        foreach (var s in new[] { -1.0, 1.0 })
        {
            var ex = Cx + s * EyeDx;
            if (round)
            {
                scene.Circle(ex, EyeY, 33, lens);
                scene.Circle(ex, EyeY, 33, frame);
            }
            else
            {
                scene.Rect(ex - 36, EyeY - 26, 72, 50, 15, lens);
                scene.Rect(ex - 36, EyeY - 26, 72, 50, 15, frame);
            }
            var edge = ex + s * (round ? 33 : 36);
            scene.Path(new PathBuilder().Move(edge, EyeY - 8).Line(Cx + s * (h.W - 2), EyeY - 12), frame);
        }
        scene.Path(new PathBuilder().Move(Cx - 15, EyeY - 6).Quad(Cx, EyeY - 16, Cx + 15, EyeY - 6), frame);
    }

    private static void HaloBack(AvatarScene scene, Head h) =>
        scene.Ellipse(Cx, h.Top - 44, 76, 18, AvatarPaint.Line(Gold.Darken(0.15), 10));

    private static void HaloFront(AvatarScene scene, Head h)
    {
        // Only the front half of the ring passes in front of the hair.
        var b = new PathBuilder().Move(Cx - 76, h.Top - 44).Cubic(Cx - 76, h.Top - 44 + 18 * Kappa, Cx - 76 * Kappa, h.Top - 26, Cx, h.Top - 26)
            .Cubic(Cx + 76 * Kappa, h.Top - 26, Cx + 76, h.Top - 44 + 18 * Kappa, Cx + 76, h.Top - 44);
        scene.Path(b, AvatarPaint.Line(Gold, 10));
        scene.Path(b, AvatarPaint.Line(AvatarColor.FromHex("#fff3c4"), 3));
    }
}
