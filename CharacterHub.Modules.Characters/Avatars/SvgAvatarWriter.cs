using System.Globalization;
using System.Text;
using System.Xml;

namespace CharacterHub.Modules.Characters.Avatars;

/// <summary>
/// Writes a scene as standalone SVG. Everything goes through <see cref="XmlWriter"/>, attribute values are only ever
/// formatted numbers, <c>#rrggbb</c> colours, fixed keywords or <c>url(#id)</c> references to ids this writer made,
/// and no element that can run script or load anything (script, foreignObject, image, use, a, href) is ever emitted.
/// </summary>
internal static class SvgAvatarWriter
{
    private const string SvgNamespace = "http://www.w3.org/2000/svg";

    /// <param name="idPrefix">
    /// Prefix for every id in the document. Pages inline several avatars at once and ids are global to an HTML
    /// document, so two SVGs both defining "c0" would clip each other's shapes.
    /// </param>
    public static string Write(AvatarScene scene, string idPrefix)
    {
        if (idPrefix.Length == 0 || !idPrefix.All(ch => char.IsAsciiLetterLower(ch) || char.IsAsciiDigit(ch)) || !char.IsAsciiLetter(idPrefix[0]))
            throw new ArgumentException("An id prefix is a lower-case letter followed by letters and digits.", nameof(idPrefix));
        var builder = new StringBuilder(16 * 1024);
        var settings = new XmlWriterSettings
        {
            OmitXmlDeclaration = true,
            Indent = false,
            NewLineHandling = NewLineHandling.Entitize,
            CheckCharacters = true,
        };
        using (var xml = XmlWriter.Create(builder, settings))
        {
            var ids = new IdSource(idPrefix);
            xml.WriteStartElement("svg", SvgNamespace);
            xml.WriteAttributeString("viewBox", "0 0 512 512");
            xml.WriteAttributeString("width", "512");
            xml.WriteAttributeString("height", "512");
            xml.WriteAttributeString("role", "img");
            xml.WriteAttributeString("aria-labelledby", idPrefix + "-title");
            xml.WriteStartElement("title", SvgNamespace);
            xml.WriteAttributeString("id", idPrefix + "-title");
            xml.WriteString(scene.Title);
            xml.WriteEndElement();
            foreach (var shape in scene.Shapes) WriteShape(xml, shape, ids);
            xml.WriteEndElement();
        }
        return builder.ToString();
    }

    private static void WriteShape(XmlWriter xml, AvatarShape shape, IdSource ids)
    {
        switch (shape)
        {
            case EllipseShape e:
            {
                var gradientId = WriteGradient(xml, e.Paint, ids);
                var circle = e.Rx == e.Ry;
                xml.WriteStartElement(circle ? "circle" : "ellipse", SvgNamespace);
                Number(xml, "cx", e.Cx);
                Number(xml, "cy", e.Cy);
                if (circle)
                {
                    Number(xml, "r", e.Rx);
                }
                else
                {
                    Number(xml, "rx", e.Rx);
                    Number(xml, "ry", e.Ry);
                }
                WritePaint(xml, e.Paint, gradientId);
                xml.WriteEndElement();
                break;
            }
            case RectShape r:
            {
                var gradientId = WriteGradient(xml, r.Paint, ids);
                xml.WriteStartElement("rect", SvgNamespace);
                Number(xml, "x", r.X);
                Number(xml, "y", r.Y);
                Number(xml, "width", r.Width);
                Number(xml, "height", r.Height);
                if (r.CornerRadius > 0)
                {
                    Number(xml, "rx", r.CornerRadius);
                    Number(xml, "ry", r.CornerRadius);
                }
                WritePaint(xml, r.Paint, gradientId);
                xml.WriteEndElement();
                break;
            }
            case PathShape p:
            {
                var gradientId = WriteGradient(xml, p.Paint, ids);
                xml.WriteStartElement("path", SvgNamespace);
                xml.WriteAttributeString("d", PathData(p.Path));
                WritePaint(xml, p.Paint, gradientId);
                xml.WriteEndElement();
                break;
            }
            case ClipGroup g:
            {
                var clipId = ids.Next('c');
                xml.WriteStartElement("defs", SvgNamespace);
                xml.WriteStartElement("clipPath", SvgNamespace);
                xml.WriteAttributeString("id", clipId);
                xml.WriteStartElement("path", SvgNamespace);
                xml.WriteAttributeString("d", PathData(g.Clip));
                xml.WriteEndElement();
                xml.WriteEndElement();
                xml.WriteEndElement();
                xml.WriteStartElement("g", SvgNamespace);
                xml.WriteAttributeString("clip-path", $"url(#{clipId})");
                foreach (var child in g.Children) WriteShape(xml, child, ids);
                xml.WriteEndElement();
                break;
            }
            default:
                throw new InvalidOperationException($"Unsupported shape {shape.GetType().Name}.");
        }
    }

    private sealed class IdSource(string prefix)
    {
        private int _next;

        public string Next(char kind) => string.Create(CultureInfo.InvariantCulture, $"{prefix}-{kind}{_next++}");
    }

    private static string? WriteGradient(XmlWriter xml, AvatarPaint paint, IdSource ids)
    {
        if (paint.Gradient is not { } g) return null;
        var id = ids.Next('g');
        xml.WriteStartElement("defs", SvgNamespace);
        xml.WriteStartElement("linearGradient", SvgNamespace);
        xml.WriteAttributeString("id", id);
        xml.WriteAttributeString("gradientUnits", "userSpaceOnUse");
        Number(xml, "x1", g.X1);
        Number(xml, "y1", g.Y1);
        Number(xml, "x2", g.X2);
        Number(xml, "y2", g.Y2);
        foreach (var (offset, color) in new[] { ("0", g.From), ("1", g.To) })
        {
            xml.WriteStartElement("stop", SvgNamespace);
            xml.WriteAttributeString("offset", offset);
            xml.WriteAttributeString("stop-color", color.ToString());
            xml.WriteEndElement();
        }
        xml.WriteEndElement();
        xml.WriteEndElement();
        return id;
    }

    private static void WritePaint(XmlWriter xml, AvatarPaint paint, string? gradientId)
    {
        xml.WriteAttributeString("fill", gradientId is not null ? $"url(#{gradientId})" : paint.Fill?.ToString() ?? "none");
        if (paint.HasFill && paint.Opacity < 1) Number(xml, "fill-opacity", paint.Opacity);
        if (!paint.HasStroke) return;
        xml.WriteAttributeString("stroke", paint.Stroke!.Value.ToString());
        Number(xml, "stroke-width", paint.StrokeWidth);
        xml.WriteAttributeString("stroke-linecap", "round");
        xml.WriteAttributeString("stroke-linejoin", "round");
        if (paint.Opacity < 1) Number(xml, "stroke-opacity", paint.Opacity);
    }

    private static string PathData(AvatarPath path)
    {
        var d = new StringBuilder(path.Commands.Count * 24);
        foreach (var c in path.Commands)
        {
            if (d.Length > 0) d.Append(' ');
            switch (c.Verb)
            {
                case PathVerb.Move: d.Append('M'); Points(d, c.X1, c.Y1); break;
                case PathVerb.Line: d.Append('L'); Points(d, c.X1, c.Y1); break;
                case PathVerb.Quad: d.Append('Q'); Points(d, c.X1, c.Y1, c.X2, c.Y2); break;
                case PathVerb.Cubic: d.Append('C'); Points(d, c.X1, c.Y1, c.X2, c.Y2, c.X3, c.Y3); break;
                case PathVerb.Close: d.Append('Z'); break;
            }
        }
        return d.ToString();
    }

    private static void Points(StringBuilder d, params ReadOnlySpan<double> values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            if (i > 0) d.Append(i % 2 == 0 ? ' ' : ',');
            d.Append(Format(values[i]));
        }
    }

    private static void Number(XmlWriter xml, string name, double value) => xml.WriteAttributeString(name, Format(value));

    /// <summary>Two decimals are far below a pixel even at 1024 px; NaN or infinity is a bug, never output.</summary>
    internal static string Format(double value)
    {
        if (!double.IsFinite(value)) throw new InvalidOperationException("A non-finite coordinate reached the SVG writer.");
        var rounded = Math.Round(value, 2);
        if (rounded == 0) rounded = 0; // no "-0"
        return rounded.ToString("0.##", CultureInfo.InvariantCulture);
    }
}
