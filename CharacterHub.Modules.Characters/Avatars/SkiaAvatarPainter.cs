using SkiaSharp;

namespace CharacterHub.Modules.Characters.Avatars;

/// <summary>Paints a scene onto a SkiaSharp canvas with the same semantics as the SVG: fill first, then stroke.</summary>
internal static class SkiaAvatarPainter
{
    public static void Paint(SKCanvas canvas, AvatarScene scene)
    {
        using var fill = new SKPaint { IsAntialias = true, Style = SKPaintStyle.Fill };
        using var stroke = new SKPaint
        {
            IsAntialias = true,
            Style = SKPaintStyle.Stroke,
            StrokeCap = SKStrokeCap.Round,
            StrokeJoin = SKStrokeJoin.Round,
        };
        foreach (var shape in scene.Shapes) PaintShape(canvas, shape, fill, stroke);
    }

    private static void PaintShape(SKCanvas canvas, AvatarShape shape, SKPaint fill, SKPaint stroke)
    {
        switch (shape)
        {
            case EllipseShape e:
            {
                var rect = new SKRect((float)(e.Cx - e.Rx), (float)(e.Cy - e.Ry), (float)(e.Cx + e.Rx), (float)(e.Cy + e.Ry));
                if (Prepare(fill, stroke, e.Paint, fill: true)) canvas.DrawOval(rect, fill);
                if (Prepare(fill, stroke, e.Paint, fill: false)) canvas.DrawOval(rect, stroke);
                break;
            }
            case RectShape r:
            {
                var rect = SKRect.Create((float)r.X, (float)r.Y, (float)r.Width, (float)r.Height);
                var radius = (float)r.CornerRadius;
                if (Prepare(fill, stroke, r.Paint, fill: true)) canvas.DrawRoundRect(rect, radius, radius, fill);
                if (Prepare(fill, stroke, r.Paint, fill: false)) canvas.DrawRoundRect(rect, radius, radius, stroke);
                break;
            }
            case PathShape p:
            {
                using var path = ToSkPath(p.Path);
                if (Prepare(fill, stroke, p.Paint, fill: true)) canvas.DrawPath(path, fill);
                if (Prepare(fill, stroke, p.Paint, fill: false)) canvas.DrawPath(path, stroke);
                break;
            }
            case ClipGroup g:
            {
                using var clip = ToSkPath(g.Clip);
                canvas.Save();
                canvas.ClipPath(clip, SKClipOperation.Intersect, antialias: true);
                foreach (var child in g.Children) PaintShape(canvas, child, fill, stroke);
                canvas.Restore();
                break;
            }
            default:
                throw new InvalidOperationException($"Unsupported shape {shape.GetType().Name}.");
        }
    }

    private static bool Prepare(SKPaint fillPaint, SKPaint strokePaint, AvatarPaint paint, bool fill)
    {
        var alpha = (byte)Math.Clamp(Math.Round(paint.Opacity * 255), 0, 255);
        if (fill)
        {
            if (!paint.HasFill) return false;
            fillPaint.Shader?.Dispose();
            fillPaint.Shader = null;
            if (paint.Gradient is { } g)
            {
                fillPaint.Color = new SKColor(0, 0, 0, alpha);
                fillPaint.Shader = SKShader.CreateLinearGradient(new SKPoint((float)g.X1, (float)g.Y1), new SKPoint((float)g.X2, (float)g.Y2),
                    [ToSk(g.From, 255), ToSk(g.To, 255)], [0f, 1f], SKShaderTileMode.Clamp);
            }
            else
            {
                fillPaint.Color = ToSk(paint.Fill!.Value, alpha);
            }
            return true;
        }

        if (!paint.HasStroke) return false;
        strokePaint.Color = ToSk(paint.Stroke!.Value, alpha);
        strokePaint.StrokeWidth = (float)paint.StrokeWidth;
        return true;
    }

    private static SKColor ToSk(AvatarColor c, byte alpha) => new(c.R, c.G, c.B, alpha);

    private static SKPath ToSkPath(AvatarPath source)
    {
        var path = new SKPath();
        foreach (var c in source.Commands)
        {
            switch (c.Verb)
            {
                case PathVerb.Move: path.MoveTo((float)c.X1, (float)c.Y1); break;
                case PathVerb.Line: path.LineTo((float)c.X1, (float)c.Y1); break;
                case PathVerb.Quad: path.QuadTo((float)c.X1, (float)c.Y1, (float)c.X2, (float)c.Y2); break;
                case PathVerb.Cubic: path.CubicTo((float)c.X1, (float)c.Y1, (float)c.X2, (float)c.Y2, (float)c.X3, (float)c.Y3); break;
                case PathVerb.Close: path.Close(); break;
            }
        }
        return path;
    }
}
