using System.Security.Cryptography;
using System.Text;
using CharacterHub.Kernel.Validation;
using Dapper;
using Mediator;
using Npgsql;

namespace CharacterHub.Web.Accounts;

public sealed record TokenInfo(long Id, string Name, string TokenPrefix, DateTimeOffset CreatedAt,
    DateTimeOffset? LastUsedAt, DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt)
{
    public bool IsActive(DateTimeOffset now) => RevokedAt is null && (ExpiresAt is null || ExpiresAt > now);
}

public static class TokenFormat
{
    public const string Prefix = "chp_";
    public const int MaxPerUser = 50;

    public static string NewToken() => Prefix + Base64Url(RandomNumberGenerator.GetBytes(32));

    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

public sealed record CreateToken(long UserId, string? Name, int? ExpiresInDays) : Mediator.ICommand<CreateTokenResult>;

/// <summary>The token itself is in <see cref="Token"/> exactly once; only its hash is stored.</summary>
public sealed record CreateTokenResult(string? Token, TokenInfo? Info, FieldErrors Errors);

public sealed class CreateTokenHandler(NpgsqlDataSource db, TimeProvider clock) : Mediator.ICommandHandler<CreateToken, CreateTokenResult>
{
    public async ValueTask<CreateTokenResult> Handle(CreateToken command, CancellationToken cancellationToken)
    {
        var name = (command.Name ?? "").Trim();
        var errors = new FieldErrors();
        if (name.Length is 0 or > 64) errors.Add("Name", "Name the token (1 to 64 characters), e.g. the script that will use it.");
        if (command.ExpiresInDays is < 1 or > 3650) errors.Add("ExpiresInDays", "Choose 1 to 3650 days, or no expiry.");
        if (!errors.IsEmpty) return new CreateTokenResult(null, null, errors);

        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var active = await connection.ExecuteScalarAsync<long>(
            "select count(*) from accounts.personal_access_tokens where user_id = @UserId and revoked_at is null",
            new { command.UserId });
        if (active >= TokenFormat.MaxPerUser)
            return new CreateTokenResult(null, null,
                FieldErrors.One("Name", $"You have {TokenFormat.MaxPerUser} active tokens; revoke one first."));

        var token = TokenFormat.NewToken();
        DateTimeOffset? expiresAt = command.ExpiresInDays is { } days ? clock.GetUtcNow().AddDays(days) : null;
        var info = await connection.QuerySingleAsync<TokenInfo>(
            """
            insert into accounts.personal_access_tokens (user_id, name, token_hash, token_prefix, expires_at)
            values (@UserId, @name, @hash, @prefix, @expiresAt)
            returning id, name, token_prefix, created_at, last_used_at, expires_at, revoked_at
            """, new { command.UserId, name, hash = TokenFormat.Hash(token), prefix = token[..10], expiresAt });
        return new CreateTokenResult(token, info, errors);
    }
}

public sealed record ListTokens(long UserId) : IQuery<IReadOnlyList<TokenInfo>>;

public sealed class ListTokensHandler(NpgsqlDataSource db) : IQueryHandler<ListTokens, IReadOnlyList<TokenInfo>>
{
    public async ValueTask<IReadOnlyList<TokenInfo>> Handle(ListTokens query, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<TokenInfo>(
            """
            select id, name, token_prefix, created_at, last_used_at, expires_at, revoked_at
            from accounts.personal_access_tokens where user_id = @UserId order by created_at desc, id desc
            """, query)).AsList();
    }
}

/// <summary>Revokes one of the caller's own tokens; false when there is no such active token of theirs.</summary>
public sealed record RevokeToken(long UserId, long TokenId) : Mediator.ICommand<bool>;

public sealed class RevokeTokenHandler(NpgsqlDataSource db) : Mediator.ICommandHandler<RevokeToken, bool>
{
    public async ValueTask<bool> Handle(RevokeToken command, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(
            """
            update accounts.personal_access_tokens set revoked_at = now()
            where id = @TokenId and user_id = @UserId and revoked_at is null
            """, command) == 1;
    }
}

/// <summary>
/// The accounts module's recurring housekeeping (job "accounts:purge-expired-tokens"): removes tokens that expired
/// or were revoked more than 30 days ago, and failed-login records older than a day. Idempotent.
/// </summary>
public sealed record PurgeExpiredTokens : Mediator.ICommand;

public sealed class PurgeExpiredTokensHandler(NpgsqlDataSource db, ILogger<PurgeExpiredTokensHandler> logger)
    : Mediator.ICommandHandler<PurgeExpiredTokens>
{
    public async ValueTask<Unit> Handle(PurgeExpiredTokens command, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var tokens = await connection.ExecuteAsync(
            """
            delete from accounts.personal_access_tokens
            where expires_at < now() - interval '30 days' or revoked_at < now() - interval '30 days'
            """);
        var attempts = await connection.ExecuteAsync(
            "delete from accounts.failed_logins where at < now() - interval '1 day'");
        logger.LogInformation("Purged {Tokens} expired or revoked tokens and {Attempts} old failed logins", tokens, attempts);
        return Unit.Value;
    }
}
