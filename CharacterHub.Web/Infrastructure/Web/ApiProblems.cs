using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace CharacterHub.Web.Infrastructure.Web;

public static class ApiProblems
{
    public static bool IsApi(this HttpRequest request) => request.Path.StartsWithSegments("/api");

    /// <summary>Writes an RFC 9457 problem document carrying the request's correlation id.</summary>
    public static Task WriteProblem(this HttpContext context, int status, string title, string? detail = null)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(Create(context, status, title, detail), (System.Text.Json.JsonSerializerOptions?)null,
            "application/problem+json");
    }

    public static ProblemDetails Create(HttpContext context, int status, string title, string? detail = null)
    {
        var problem = new ProblemDetails { Status = status, Title = title, Detail = detail, Instance = context.Request.Path };
        problem.Extensions["correlation_id"] = context.TraceIdentifier;
        return problem;
    }
}

/// <summary>Unhandled exceptions on /api become a problem document; pages fall through to the error page.</summary>
public sealed class ApiExceptionHandler : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        // The exception handler middleware has already logged the exception with the correlation id in scope.
        if (!context.Request.IsApi()) return false;
        await context.WriteProblem(StatusCodes.Status500InternalServerError, "Something went wrong on our side.",
            "The error was logged; quote the correlation id when reporting it.");
        return true;
    }
}
