using Dapper;
using Mediator;
using Npgsql;

namespace CharacterHub.Web.Accounts;

public enum SignInOutcome { Succeeded, InvalidCredentials, Throttled }

/// <summary>Checks a username and password, with the failed-login limit shared by the page and the token API.</summary>
public sealed record VerifyCredentials(string? Username, string? Password, string Ip) : Mediator.ICommand<SignInResult>;

public sealed record SignInResult(SignInOutcome Outcome, AccountUser? User)
{
    public const string ThrottledMessage = "Too many failed sign-in attempts. Wait a minute, then try again.";
}

public sealed class VerifyCredentialsHandler(NpgsqlDataSource db) : Mediator.ICommandHandler<VerifyCredentials, SignInResult>
{
    /// <summary>Failed attempts allowed per minute for one username or one IP address.</summary>
    public const int MaxFailuresPerMinute = 5;

    public async ValueTask<SignInResult> Handle(VerifyCredentials command, CancellationToken cancellationToken)
    {
        var username = RegisterUserHandler.Normalize(command.Username);
        if (username.Length > 64) username = username[..64];
        await using var connection = await db.OpenConnectionAsync(cancellationToken);

        var failures = await connection.QuerySingleAsync<(long ByUser, long ByIp)>(
            """
            select count(*) filter (where username = @username), count(*) filter (where ip = @ip)
            from accounts.failed_logins
            where at > now() - interval '1 minute' and (username = @username or ip = @ip)
            """, new { username, ip = command.Ip });
        if (failures.ByUser >= MaxFailuresPerMinute || failures.ByIp >= MaxFailuresPerMinute)
            return new SignInResult(SignInOutcome.Throttled, null);

        var row = await connection.QuerySingleOrDefaultAsync<UserRow>(
            "select id, username, is_admin, security_stamp, password_hash from accounts.users where username = @username",
            new { username });
        var password = command.Password ?? "";
        var ok = password.Length <= Passwords.MaxLength
                 && Passwords.Verify(row?.PasswordHash ?? Passwords.DummyHash, password)
                 && row is not null;
        if (!ok)
        {
            await connection.ExecuteAsync("insert into accounts.failed_logins (username, ip) values (@username, @ip)",
                new { username, ip = command.Ip });
            return new SignInResult(SignInOutcome.InvalidCredentials, null);
        }

        await connection.ExecuteAsync("delete from accounts.failed_logins where username = @username", new { username });
        return new SignInResult(SignInOutcome.Succeeded, new AccountUser(row!.Id, row.Username, row.IsAdmin, row.SecurityStamp));
    }

    private sealed record UserRow(long Id, string Username, bool IsAdmin, Guid SecurityStamp, string PasswordHash);
}
