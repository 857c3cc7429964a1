using CharacterHub.Kernel.Imaging;
using CharacterHub.Modules.Characters.Avatars;
using Dapper;
using Mediator;
using Npgsql;

namespace CharacterHub.Modules.Characters.Features;

/// <summary>The builder parameters last saved for a character's avatar, if its avatar came from the builder.</summary>
internal sealed record GetBuilderParameters(long CharacterId) : IQuery<AvatarParameters?>;

internal sealed class GetBuilderParametersHandler(NpgsqlDataSource db) : IQueryHandler<GetBuilderParameters, AvatarParameters?>
{
    public async ValueTask<AvatarParameters?> Handle(GetBuilderParameters q, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var json = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            "select builder_params::text from characters.avatars where character_id = @CharacterId and source = 'builder'", q, cancellationToken: ct));
        return json is null ? null : AvatarParameters.FromJson(json) is { IsValid: true } parsed ? parsed.Parameters : null;
    }
}

/// <summary>Saves a built avatar: the neutral face as the character's avatar (512 and 128 px) and the nine
/// expressions the emotion system shows, all from the same parameters.</summary>
internal sealed record SaveBuiltAvatar(long CharacterId, long UserId, AvatarParameters Parameters) : Mediator.ICommand<bool>;

internal sealed class SaveBuiltAvatarHandler(NpgsqlDataSource db, IMediator mediator) : Mediator.ICommandHandler<SaveBuiltAvatar, bool>
{
    public async ValueTask<bool> Handle(SaveBuiltAvatar command, CancellationToken ct)
    {
        var character = await mediator.Send(new GetCharacter(command.CharacterId, command.UserId), ct);
        if (character is null || !character.CanEdit) return false;

        var neutral = AvatarRenderer.ToPng(command.Parameters, Expression.Neutral, 512);
        var squares = ImageProcessor.ToSquares(neutral, [512, 128]);
        var expressions = AvatarRenderer.ExpressionSet(command.Parameters, 256);
        await SetCharacterAvatarHandler.StoreAsync(db, command.CharacterId, squares[0].Data, squares[1].Data, squares[0].ContentType,
            "builder", command.Parameters.ToJson(), ct);

        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        foreach (var e in expressions)
            await connection.ExecuteAsync(new CommandDefinition(
                """
                insert into characters.expressions (character_id, expression, image, content_type) values (@id, @name, @image, 'image/png')
                on conflict (character_id, expression) do update set image = excluded.image, content_type = excluded.content_type
                """, new { id = command.CharacterId, name = e.Expression.ToString().ToLowerInvariant(), image = e.Png }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        return true;
    }
}

internal sealed record ExpressionImage(byte[] Image, string ContentType);

/// <summary>One expression image (neutral, joy, ...) of a character the reader may see.</summary>
internal sealed record GetExpressionImage(long CharacterId, long? UserId, string Expression) : IQuery<ExpressionImage?>;

internal sealed class GetExpressionImageHandler(NpgsqlDataSource db) : IQueryHandler<GetExpressionImage, ExpressionImage?>
{
    public async ValueTask<ExpressionImage?> Handle(GetExpressionImage q, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<ExpressionImage>(new CommandDefinition(
            $"""
            select e.image, e.content_type from characters.expressions e join characters.characters c on c.id = e.character_id
            where e.character_id = @CharacterId and e.expression = @Expression and {CharacterSql.CanRead}
            """, new { q.CharacterId, UserId = q.UserId ?? 0, q.Expression }, cancellationToken: ct));
    }
}
