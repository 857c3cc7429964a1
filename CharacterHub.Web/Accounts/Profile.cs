using System.Security.Cryptography;
using CharacterHub.Kernel.Imaging;
using CharacterHub.Kernel.Validation;
using Dapper;
using Mediator;
using Npgsql;

namespace CharacterHub.Web.Accounts;

public sealed record Profile(long Id, string Username, string? Email, string DisplayName, string Bio, bool IsAdmin,
    DateTimeOffset CreatedAt, string? AvatarEtag);

public sealed record GetProfile(long UserId) : IQuery<Profile?>;

public sealed class GetProfileHandler(NpgsqlDataSource db) : IQueryHandler<GetProfile, Profile?>
{
    public async ValueTask<Profile?> Handle(GetProfile query, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<Profile>(
            """
            select u.id, u.username, u.email, u.display_name, u.bio, u.is_admin, u.created_at, a.etag as avatar_etag
            from accounts.users u left join accounts.user_avatars a on a.user_id = u.id
            where u.id = @UserId
            """, query);
    }
}

public sealed record UpdateProfile(long UserId, string? DisplayName, string? Bio, string? Email) : Mediator.ICommand<FieldErrors>;

public sealed class UpdateProfileHandler(NpgsqlDataSource db) : Mediator.ICommandHandler<UpdateProfile, FieldErrors>
{
    public const int DisplayNameMax = 64;
    public const int BioMax = 2000;

    public async ValueTask<FieldErrors> Handle(UpdateProfile command, CancellationToken cancellationToken)
    {
        var errors = new FieldErrors();
        var displayName = (command.DisplayName ?? "").Trim();
        var bio = (command.Bio ?? "").Replace("\r\n", "\n").Trim();
        var email = string.IsNullOrWhiteSpace(command.Email) ? null : command.Email.Trim();
        if (displayName.Length > DisplayNameMax) errors.Add(nameof(UpdateProfile.DisplayName), $"Use at most {DisplayNameMax} characters.");
        if (bio.Length > BioMax) errors.Add(nameof(UpdateProfile.Bio), $"Use at most {BioMax} characters (this has {bio.Length}).");
        if (email is not null && (email.Length > 254 || !email.Contains('@')))
            errors.Add(nameof(UpdateProfile.Email), "That does not look like an email address.");
        if (!errors.IsEmpty) return errors;

        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        try
        {
            await connection.ExecuteAsync(
                """
                update accounts.users
                set display_name = @displayName, bio = @bio, email = @email, updated_at = now(), version = version + 1
                where id = @UserId
                """, new { command.UserId, displayName, bio, email });
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            errors.Add(nameof(UpdateProfile.Email), "An account with that email exists.");
        }
        return errors;
    }
}

public sealed record SetAvatar(long UserId, byte[] Image) : Mediator.ICommand<FieldErrors>;

public sealed class SetAvatarHandler(NpgsqlDataSource db) : Mediator.ICommandHandler<SetAvatar, FieldErrors>
{
    public const int MaxBytes = 5 * 1024 * 1024;

    public async ValueTask<FieldErrors> Handle(SetAvatar command, CancellationToken cancellationToken)
    {
        if (command.Image.Length > MaxBytes)
            return FieldErrors.One("Avatar", $"The image is larger than {MaxBytes / 1024 / 1024} MB.");
        IReadOnlyList<ProcessedImage> images;
        try
        {
            images = ImageProcessor.ToSquares(command.Image, [64, 256], maxPixels: 40_000_000);
        }
        catch (ImageRejectedException e)
        {
            return FieldErrors.One("Avatar", e.Message);
        }
        var etag = Convert.ToHexStringLower(SHA256.HashData(images[1].Data))[..16];
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(
            """
            insert into accounts.user_avatars (user_id, small, large, content_type, etag)
            values (@UserId, @small, @large, @contentType, @etag)
            on conflict (user_id) do update
            set small = excluded.small, large = excluded.large, content_type = excluded.content_type,
                etag = excluded.etag, updated_at = now()
            """, new { command.UserId, small = images[0].Data, large = images[1].Data, contentType = images[1].ContentType, etag });
        return new FieldErrors();
    }
}

public sealed record ChangePassword(long UserId, string? CurrentPassword, string? NewPassword, string? ConfirmPassword)
    : Mediator.ICommand<ChangePasswordResult>;

public sealed record ChangePasswordResult(AccountUser? User, FieldErrors Errors);

/// <summary>Changing the password rotates the security stamp, which signs out every other session of the user.</summary>
public sealed class ChangePasswordHandler(NpgsqlDataSource db) : Mediator.ICommandHandler<ChangePassword, ChangePasswordResult>
{
    public async ValueTask<ChangePasswordResult> Handle(ChangePassword command, CancellationToken cancellationToken)
    {
        var errors = new FieldErrors();
        if (Passwords.Problem(command.NewPassword) is { } problem) errors.Add(nameof(ChangePassword.NewPassword), problem);
        else if (command.NewPassword != command.ConfirmPassword)
            errors.Add(nameof(ChangePassword.ConfirmPassword), "The passwords do not match.");

        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var hash = await connection.QuerySingleAsync<string>(
            "select password_hash from accounts.users where id = @UserId", new { command.UserId });
        if (string.IsNullOrEmpty(command.CurrentPassword) || command.CurrentPassword.Length > Passwords.MaxLength
            || !Passwords.Verify(hash, command.CurrentPassword))
            errors.Add(nameof(ChangePassword.CurrentPassword), "That is not your current password.");
        if (!errors.IsEmpty) return new ChangePasswordResult(null, errors);

        var user = await connection.QuerySingleAsync<AccountUser>(
            """
            update accounts.users
            set password_hash = @hash, security_stamp = gen_random_uuid(), updated_at = now(), version = version + 1
            where id = @UserId
            returning id, username, is_admin, security_stamp
            """, new { command.UserId, hash = Passwords.Hash(command.NewPassword!) });
        return new ChangePasswordResult(user, errors);
    }
}
