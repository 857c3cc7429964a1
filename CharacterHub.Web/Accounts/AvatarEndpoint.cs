using Dapper;
using Npgsql;

namespace CharacterHub.Web.Accounts;

/// <summary>GET /users/{id}/avatar/{small|large}: public, cached, revalidated by ETag.</summary>
public static class AvatarEndpoint
{
    public static void MapUserAvatars(this WebApplication app) =>
        app.MapGet("/users/{id:long}/avatar/{size}", async (long id, string size, HttpContext http, NpgsqlDataSource db, CancellationToken ct) =>
        {
            if (size is not ("small" or "large")) return Results.NotFound();
            await using var connection = await db.OpenConnectionAsync(ct);
            var etag = await connection.ExecuteScalarAsync<string?>(
                "select etag from accounts.user_avatars where user_id = @id", new { id });
            if (etag is null) return Results.NotFound();
            var quoted = $"\"{etag}\"";
            http.Response.Headers.ETag = quoted;
            http.Response.Headers.CacheControl = "public, max-age=86400";
            if (http.Request.Headers.IfNoneMatch.ToString() == quoted) return Results.StatusCode(304);
            var row = await connection.QuerySingleAsync<(byte[] Data, string ContentType)>(
                $"select {(size == "small" ? "small" : "large")} as data, content_type from accounts.user_avatars where user_id = @id", new { id });
            return Results.File(row.Data, row.ContentType);
        });
}
