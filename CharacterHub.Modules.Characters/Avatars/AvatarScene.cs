namespace CharacterHub.Modules.Characters.Avatars;

/// <summary>
/// The drawing description both back-ends consume, in a 512×512 design space. Keeping it this small (a handful of
/// shapes, solid or linear-gradient fills, round-capped strokes, clip groups) is what lets the SVG and the PNG
/// always show the same picture.
/// </summary>
internal abstract record AvatarShape;

internal sealed record EllipseShape(double Cx, double Cy, double Rx, double Ry, AvatarPaint Paint) : AvatarShape;

internal sealed record RectShape(double X, double Y, double Width, double Height, double CornerRadius, AvatarPaint Paint) : AvatarShape;

internal sealed record PathShape(AvatarPath Path, AvatarPaint Paint) : AvatarShape;

/// <summary>Children drawn inside <paramref name="Clip"/>; used for eyes so irises and lids never spill out.</summary>
internal sealed record ClipGroup(AvatarPath Clip, IReadOnlyList<AvatarShape> Children) : AvatarShape;

internal sealed record LinearGradient(double X1, double Y1, double X2, double Y2, AvatarColor From, AvatarColor To);

internal sealed record AvatarPaint(
    AvatarColor? Fill = null,
    LinearGradient? Gradient = null,
    AvatarColor? Stroke = null,
    double StrokeWidth = 0,
    double Opacity = 1)
{
    public bool HasFill => Fill is not null || Gradient is not null;
    public bool HasStroke => Stroke is not null && StrokeWidth > 0;

    public static AvatarPaint Solid(AvatarColor fill, double opacity = 1) => new(Fill: fill, Opacity: opacity);

    public static AvatarPaint Line(AvatarColor stroke, double width, double opacity = 1) => new(Stroke: stroke, StrokeWidth: width, Opacity: opacity);

    public static AvatarPaint Outlined(AvatarColor fill, AvatarColor stroke, double width) => new(Fill: fill, Stroke: stroke, StrokeWidth: width);
}

internal enum PathVerb { Move, Line, Quad, Cubic, Close }

internal readonly record struct PathCommand(PathVerb Verb, double X1 = 0, double Y1 = 0, double X2 = 0, double Y2 = 0, double X3 = 0, double Y3 = 0);

/// <summary>An immutable path of M/L/Q/C/Z commands in absolute coordinates.</summary>
internal sealed class AvatarPath(IReadOnlyList<PathCommand> commands)
{
    public IReadOnlyList<PathCommand> Commands { get; } = commands;

    public static AvatarPath Ellipse(double cx, double cy, double rx, double ry)
    {
        // Four cubic quarter-arcs; 0.5523 is the standard control-point factor for a circle.
        const double k = 0.5523;
        return new PathBuilder()
            .Move(cx + rx, cy)
            .Cubic(cx + rx, cy + ry * k, cx + rx * k, cy + ry, cx, cy + ry)
            .Cubic(cx - rx * k, cy + ry, cx - rx, cy + ry * k, cx - rx, cy)
            .Cubic(cx - rx, cy - ry * k, cx - rx * k, cy - ry, cx, cy - ry)
            .Cubic(cx + rx * k, cy - ry, cx + rx, cy - ry * k, cx + rx, cy)
            .Close()
            .Build();
    }
}

internal sealed class PathBuilder
{
    private readonly List<PathCommand> _commands = [];

    public PathBuilder Move(double x, double y) => Add(new PathCommand(PathVerb.Move, x, y));
    public PathBuilder Line(double x, double y) => Add(new PathCommand(PathVerb.Line, x, y));
    public PathBuilder Quad(double cx, double cy, double x, double y) => Add(new PathCommand(PathVerb.Quad, cx, cy, x, y));

    public PathBuilder Cubic(double c1x, double c1y, double c2x, double c2y, double x, double y) =>
        Add(new PathCommand(PathVerb.Cubic, c1x, c1y, c2x, c2y, x, y));

    public PathBuilder Close() => Add(new PathCommand(PathVerb.Close));

    public AvatarPath Build() => new(_commands.ToArray());

    private PathBuilder Add(PathCommand command)
    {
        _commands.Add(command);
        return this;
    }
}

/// <summary>Collects shapes in painting order (first = furthest back).</summary>
internal sealed class AvatarScene
{
    public const double DesignSize = 512;

    private readonly List<AvatarShape> _shapes = [];

    public AvatarScene(string title) => Title = title;

    public string Title { get; }

    public IReadOnlyList<AvatarShape> Shapes => _shapes;

    public void Add(AvatarShape shape) => _shapes.Add(shape);

    public void Ellipse(double cx, double cy, double rx, double ry, AvatarPaint paint) => _shapes.Add(new EllipseShape(cx, cy, rx, ry, paint));

    public void Circle(double cx, double cy, double r, AvatarPaint paint) => _shapes.Add(new EllipseShape(cx, cy, r, r, paint));

    public void Rect(double x, double y, double width, double height, double radius, AvatarPaint paint) =>
        _shapes.Add(new RectShape(x, y, width, height, radius, paint));

    public void Path(AvatarPath path, AvatarPaint paint) => _shapes.Add(new PathShape(path, paint));

    public void Path(PathBuilder path, AvatarPaint paint) => _shapes.Add(new PathShape(path.Build(), paint));
}
