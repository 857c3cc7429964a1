using System.Diagnostics;
using System.Text.RegularExpressions;

namespace CharacterHub.Web.Infrastructure.Web;

/// <summary>
/// Gives every request one correlation id: the caller's X-Correlation-Id when it is a sane token, else a new one.
/// It becomes HttpContext.TraceIdentifier, is echoed in the response header, scopes every log line of the request
/// and is shown on the error page, so a user's report can be matched to the log.
/// </summary>
public sealed partial class CorrelationIdMiddleware(RequestDelegate next, ILogger<CorrelationIdMiddleware> logger)
{
    public const string HeaderName = "X-Correlation-Id";

    [GeneratedRegex("^[A-Za-z0-9._:-]{8,64}$")]
    private static partial Regex SafeId();

    public async Task InvokeAsync(HttpContext context)
    {
        var incoming = context.Request.Headers[HeaderName].ToString();
        var id = SafeId().IsMatch(incoming) ? incoming : Guid.NewGuid().ToString("N")[..16];
        context.TraceIdentifier = id;
        context.Response.Headers[HeaderName] = id;

        using var scope = logger.BeginScope(new Dictionary<string, object> { ["CorrelationId"] = id });
        var started = Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            if (!context.Request.Path.StartsWithSegments("/health"))
                logger.LogInformation("HTTP {Method} {Path} responded {StatusCode} in {ElapsedMs:0.0} ms",
                    context.Request.Method, context.Request.Path.Value, context.Response.StatusCode, elapsed);
        }
    }
}
