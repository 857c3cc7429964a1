using System.Text;
using Npgsql;
using CharacterHub.Kernel.Web;

namespace CharacterHub.Web.Infrastructure.Web;

/// <summary>
/// Refuses a url-encoded form whose values hold a NUL (U+0000, sent as %00) with a 400 that says so, before any page
/// or endpoint code runs, so nothing is saved.
/// Why here: ASP.NET Core's form decoder throws on a decoded NUL ("The form value contains invalid characters"). The
/// first to read the form on a page is the antiforgery filter, which reports that as a failed token (a bare 400); the
/// error page's own model binding then failed to read the same form and answered 404 "Page not found". PostgreSQL would
/// refuse the character anyway (text cannot hold 0x00), so there is nothing to keep: the user is told which field.
/// Multipart forms are not URL-decoded (a NUL there reaches the page, whose validation refuses it) and are not read here.
/// </summary>
public sealed class NulInFormsMiddleware(RequestDelegate next)
{
    /// <summary>The header an htmx request's 400 carries, so site.js shows the plain-text message beside the form.</summary>
    public const string RefusedHeader = "X-Input-Refused";
    public const string ItemKey = "CharacterHub.InvalidInput";

    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        // The error page re-executes the same request (same body): let it through to say what went wrong.
        if (context.Items.ContainsKey(ItemKey)
            || HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || !IsUrlEncoded(request.ContentType))
        {
            await NextAsync(context);
            return;
        }

        request.EnableBuffering();
        byte[] body;
        try
        {
            using var copy = new MemoryStream();
            await request.Body.CopyToAsync(copy, context.RequestAborted);
            body = copy.ToArray();
        }
        catch (BadHttpRequestException e)
        {
            // Over the body size limit (413) or a broken upload: the status page says which (and is not refused here again).
            context.Items[ItemKey] = null;
            context.Response.StatusCode = e.StatusCode;
            return;
        }
        request.Body.Position = 0;

        var fields = FieldsWithNul(body);
        if (fields.Count == 0)
        {
            await NextAsync(context);
            return;
        }

        await RefuseAsync(context, Message(fields));
    }

    /// <summary>The rest of the pipeline, with a net under it: a NUL that arrived another way (a multipart form's text
    /// field, a query string) is refused by PostgreSQL when it reaches a text column (SQLSTATE 22021), and that too is
    /// answered in words, not as a 500. The statement failed, so nothing was saved.</summary>
    private async Task NextAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.CharacterNotInRepertoire or PostgresErrorCodes.UntranslatableCharacter
                                          && !context.Response.HasStarted)
        {
            context.Response.Clear();
            await RefuseAsync(context, "The form contained an invalid character (a NUL, U+0000) that cannot be stored. Nothing was saved: " +
                                       "remove that character (it often comes with text pasted from a binary file) and send it again.");
        }
    }

    private static async Task RefuseAsync(HttpContext context, string message)
    {
        var request = context.Request;
        if (request.IsApi())
        {
            await context.WriteProblem(StatusCodes.Status400BadRequest, "The input contained an invalid character.", message);
            return;
        }
        if (request.IsHtmx())
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            context.Response.Headers[RefusedHeader] = "nul";
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync(message, context.RequestAborted);
            return;
        }
        // A browser without htmx gets the error page (status pages re-execute /error/400), which shows this message.
        context.Items[ItemKey] = message;
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
    }

    private static bool IsUrlEncoded(string? contentType) =>
        contentType is not null && contentType.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase);

    public static string Message(IReadOnlyList<string> fields)
    {
        var names = string.Join(", ", fields.Select(f => $"“{f}”"));
        return $"The form contained an invalid character (a NUL, U+0000) in {(fields.Count == 1 ? "the field" : "the fields")} {names}, " +
               "which cannot be stored. Nothing was saved: remove that character (it often comes with text pasted from a binary file) and send the form again.";
    }

    /// <summary>The display names of the fields whose name or value holds a NUL (%00 or a raw 0x00 byte), at most five.</summary>
    public static IReadOnlyList<string> FieldsWithNul(ReadOnlySpan<byte> body)
    {
        if (body.IndexOf("%00"u8) < 0 && body.IndexOf((byte)0) < 0) return [];
        var names = new List<string>();
        foreach (var pair in Encoding.Latin1.GetString(body).Split('&'))
        {
            if (!pair.Contains("%00", StringComparison.Ordinal) && !pair.Contains('\0', StringComparison.Ordinal)) continue;
            var key = pair.Split('=', 2)[0];
            var name = Display(key);
            if (!names.Contains(name)) names.Add(name);
            if (names.Count == 5) break;
        }
        return names;
    }

    /// <summary>"Form.Entries[e1].Content" → "Content": the part a person recognises as the field's label.</summary>
    private static string Display(string encodedKey)
    {
        string key;
        try
        {
            key = Uri.UnescapeDataString(encodedKey.Replace('+', ' ').Replace("%00", "", StringComparison.Ordinal));
        }
        catch (UriFormatException)
        {
            key = encodedKey;
        }
        key = new string(key.Where(c => !char.IsControl(c)).ToArray());
        var last = key.Split('.', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "";
        var bracket = last.IndexOf('[');
        if (bracket > 0) last = last[..bracket];
        if (last.Length == 0 || last.StartsWith("__", StringComparison.Ordinal)) last = key.Length == 0 ? "(unnamed)" : key;
        return last.Length > 60 ? last[..60] + "…" : last;
    }
}
