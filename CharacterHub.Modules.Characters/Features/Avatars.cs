using System.Security.Cryptography;
using CharacterHub.Kernel.Imaging;
using CharacterHub.Kernel.Validation;
using Dapper;
using Mediator;
using Npgsql;

namespace CharacterHub.Modules.Characters.Features;

/// <summary>Stores an uploaded avatar: decoded, checked, re-encoded to 512 and 128 px WebP; nothing of the original
/// file (metadata, trailing bytes) survives.</summary>
internal sealed record SetCharacterAvatar(long CharacterId, long UserId, byte[] Image) : Mediator.ICommand<FieldErrors>;

internal sealed class SetCharacterAvatarHandler(NpgsqlDataSource db, IMediator mediator) : Mediator.ICommandHandler<SetCharacterAvatar, FieldErrors>
{
    public const int MaxBytes = 10 * 1024 * 1024;

    public async ValueTask<FieldErrors> Handle(SetCharacterAvatar command, CancellationToken ct)
    {
        var character = await mediator.Send(new GetCharacter(command.CharacterId, command.UserId), ct);
        if (character is null || !character.CanEdit) return FieldErrors.One("Avatar", "You may not change this character's avatar.");
        if (command.Image.Length > MaxBytes) return FieldErrors.One("Avatar", "The image is larger than 10 MB.");
        IReadOnlyList<ProcessedImage> images;
        try
        {
            images = ImageProcessor.ToSquares(command.Image, [512, 128]);
        }
        catch (ImageRejectedException e)
        {
            return FieldErrors.One("Avatar", e.Message);
        }
        await StoreAsync(db, command.CharacterId, images[0].Data, images[1].Data, images[0].ContentType, "upload", null, ct);
        return new FieldErrors();
    }

    public static async Task StoreAsync(NpgsqlDataSource db, long characterId, byte[] large, byte[] small, string contentType,
        string source, string? builderParams, CancellationToken ct)
    {
        var etag = Convert.ToHexStringLower(SHA256.HashData(large))[..16];
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            insert into characters.avatars (character_id, large, small, content_type, etag, source, builder_params)
            values (@characterId, @large, @small, @contentType, @etag, @source, @builderParams::jsonb)
            on conflict (character_id) do update set large = excluded.large, small = excluded.small,
                content_type = excluded.content_type, etag = excluded.etag, source = excluded.source,
                builder_params = excluded.builder_params, updated_at = now();
            update characters.characters set avatar_path = '/characters/' || @characterId || '/avatar/large?v=' || @etag
            where id = @characterId;
            """, new { characterId, large, small, contentType, etag, source, builderParams }, cancellationToken: ct));
    }
}

internal sealed record AvatarImage(byte[] Data, string ContentType, string ETag);

/// <summary>The avatar, for whoever may read the character (or holds its share token).</summary>
internal sealed record GetCharacterAvatar(long CharacterId, long? UserId, string? ShareToken, bool Small) : IQuery<AvatarImage?>;

internal sealed class GetCharacterAvatarHandler(NpgsqlDataSource db) : IQueryHandler<GetCharacterAvatar, AvatarImage?>
{
    public async ValueTask<AvatarImage?> Handle(GetCharacterAvatar q, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<AvatarImage>(new CommandDefinition(
            $"""
            select case when @Small then a.small else a.large end as data, a.content_type, a.etag
            from characters.avatars a join characters.characters c on c.id = a.character_id
            where a.character_id = @CharacterId
              and ({CharacterSql.CanRead} or (c.visibility = 'unlisted' and c.share_token = @ShareToken))
            """, new { q.CharacterId, UserId = q.UserId ?? 0, q.ShareToken, q.Small }, cancellationToken: ct));
    }
}

internal sealed record FindByShareToken(string Token) : IQuery<long?>;

internal sealed class FindByShareTokenHandler(NpgsqlDataSource db) : IQueryHandler<FindByShareToken, long?>
{
    public async ValueTask<long?> Handle(FindByShareToken q, CancellationToken ct)
    {
        if (q.Token.Length is < 10 or > 64) return null;
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "select id from characters.characters where share_token = @Token and visibility = 'unlisted'", q, cancellationToken: ct));
    }
}
