using System.Text.RegularExpressions;
using CharacterHub.Kernel.Validation;
using Dapper;
using Mediator;
using Npgsql;

namespace CharacterHub.Web.Accounts;

public sealed record RegisterUser(string? Username, string? Email, string? Password, string? ConfirmPassword)
    : Mediator.ICommand<RegisterResult>;

public sealed record RegisterResult(AccountUser? User, FieldErrors Errors);

public sealed partial class RegisterUserHandler(NpgsqlDataSource db) : Mediator.ICommandHandler<RegisterUser, RegisterResult>
{
    [GeneratedRegex("^[a-z0-9_.-]{3,32}$")]
    public static partial Regex UsernamePattern();

    public static string Normalize(string? username) => (username ?? "").Trim().ToLowerInvariant();

    public async ValueTask<RegisterResult> Handle(RegisterUser command, CancellationToken cancellationToken)
    {
        var errors = new FieldErrors();
        var username = Normalize(command.Username);
        if (username.Length is < 3 or > 32)
            errors.Add(nameof(RegisterUser.Username), "Use 3 to 32 characters.");
        else if (!UsernamePattern().IsMatch(username))
            errors.Add(nameof(RegisterUser.Username), "Use only letters a–z, digits, and _ . -");

        var email = string.IsNullOrWhiteSpace(command.Email) ? null : command.Email.Trim();
        if (email is not null && (email.Length > 254 || !email.Contains('@') || email.StartsWith('@') || email.EndsWith('@')))
            errors.Add(nameof(RegisterUser.Email), "That does not look like an email address.");

        if (Passwords.Problem(command.Password) is { } passwordProblem)
            errors.Add(nameof(RegisterUser.Password), passwordProblem);
        else if (command.ConfirmPassword is not null && command.ConfirmPassword != command.Password)
            errors.Add(nameof(RegisterUser.ConfirmPassword), "The passwords do not match.");

        if (!errors.IsEmpty) return new RegisterResult(null, errors);

        var hash = Passwords.Hash(command.Password!);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        // Serialises registrations for the instant it takes, so that exactly one first user becomes admin.
        await connection.ExecuteAsync("select pg_advisory_xact_lock(hashtext('accounts.register'))", transaction: tx);
        if (await connection.ExecuteScalarAsync<bool>(
                "select exists (select 1 from accounts.users where username = @username)", new { username }, tx))
            return new RegisterResult(null, FieldErrors.One(nameof(RegisterUser.Username), "That username is taken."));
        if (email is not null && await connection.ExecuteScalarAsync<bool>(
                "select exists (select 1 from accounts.users where lower(email) = lower(@email))", new { email }, tx))
            return new RegisterResult(null, FieldErrors.One(nameof(RegisterUser.Email), "An account with that email exists."));

        var user = await connection.QuerySingleAsync<AccountUser>(
            """
            insert into accounts.users (username, email, password_hash, display_name, is_admin)
            values (@username, @email, @hash, @username, not exists (select 1 from accounts.users))
            returning id, username, is_admin, security_stamp
            """, new { username, email, hash }, tx);
        await tx.CommitAsync(cancellationToken);
        return new RegisterResult(user, new FieldErrors());
    }
}
