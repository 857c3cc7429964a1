using CharacterHub.Kernel.Contracts.Characters;
using CharacterHub.Kernel.Validation;
using CharacterHub.Modules.Interaction.Prompting;
using Dapper;
using Mediator;
using Npgsql;

namespace CharacterHub.Modules.Interaction.Chats;

/// <summary>
/// What the user chose about their prompts that applies to one turn: the chat's author's note, the user's story string,
/// system prompt and example behaviour, and the user's story string for this chat's character. Read per turn in one
/// query, so an edit applies from the next reply on.
/// </summary>
internal sealed record ChatPromptOptions(
    string AuthorsNote, int AuthorsNoteDepth, string AuthorsNoteRole,
    string? UserStoryString, string SystemPrompt, string ExampleBehaviour, string? CharacterStoryString)
{
    public static readonly ChatPromptOptions Default = new("", 4, "system", null, "", "normal", null);

    /// <summary>The character's override, else the user's template, else the built-in one.</summary>
    public string StoryString => CharacterStoryString ?? UserStoryString ?? PromptSettings.DefaultStoryString;

    public PromptSettings Apply(PromptSettings settings) => settings with
    {
        StoryStringTemplate = StoryString,
        GlobalSystemPrompt = SystemPrompt,
        ExampleBehaviour = PromptOptionValues.Behaviour(ExampleBehaviour),
        AuthorsNote = AuthorsNote,
        AuthorsNoteDepth = AuthorsNoteDepth,
        AuthorsNoteRole = PromptOptionValues.Role(AuthorsNoteRole),
    };
}

/// <summary>The stored words for the settings' choices, and their limits.</summary>
internal static class PromptOptionValues
{
    public const int MaxAuthorsNote = 5000;
    public const int MaxDepth = 100;
    public const int MaxTemplate = 20_000;
    public const int MaxSystemPrompt = 20_000;

    public static readonly string[] Roles = ["system", "user", "assistant"];
    public static readonly string[] Behaviours = ["normal", "always", "disabled"];

    public static ChatRole Role(string role) => role switch { "user" => ChatRole.User, "assistant" => ChatRole.Assistant, _ => ChatRole.System };

    public static ExampleDialogueBehaviour Behaviour(string behaviour) => behaviour switch
    {
        "always" => ExampleDialogueBehaviour.Always,
        "disabled" => ExampleDialogueBehaviour.Disabled,
        _ => ExampleDialogueBehaviour.Normal,
    };

    /// <summary>One renderer for checking templates on save; its compile cache keeps a re-check of the same text free.</summary>
    public static readonly StoryStringRenderer Checker = new();

    /// <summary>Null when the template is usable; otherwise why not (with its line where known).</summary>
    public static TemplateProblem? CheckTemplate(string template) =>
        template.Length > MaxTemplate
            ? new TemplateProblem($"A story string can be at most {MaxTemplate:N0} characters.", null)
            : Checker.Check(template);
}

internal static class ChatPromptStore
{
    /// <summary>Parameters @chatId, @userId; also run in a turn's one batch of reads.</summary>
    internal const string ForTurnSql = """
        select c.authors_note, c.authors_note_depth, c.authors_note_role,
               p.story_string as user_story_string, coalesce(p.system_prompt, '') as system_prompt,
               coalesce(p.example_behaviour, 'normal') as example_behaviour, o.story_string as character_story_string
        from interaction.chats c
        left join interaction.prompt_settings p on p.user_id = c.user_id
        left join interaction.character_story_strings o on o.user_id = c.user_id and o.character_id = c.character_id
        where c.id = @chatId and c.user_id = @userId
        """;

    /// <summary>The user's settings with no chat: what the settings page previews with.</summary>
    public static async Task<ChatPromptOptions> ForUserAsync(NpgsqlConnection c, long userId, long? characterId, CancellationToken ct) =>
        await c.QuerySingleOrDefaultAsync<ChatPromptOptions>(new CommandDefinition(
            """
            select '' as authors_note, 4 as authors_note_depth, 'system' as authors_note_role,
                   p.story_string as user_story_string, coalesce(p.system_prompt, '') as system_prompt,
                   coalesce(p.example_behaviour, 'normal') as example_behaviour,
                   (select o.story_string from interaction.character_story_strings o
                    where o.user_id = @userId and o.character_id = @characterId) as character_story_string
            from (select 1) one left join interaction.prompt_settings p on p.user_id = @userId
            """, new { userId, characterId }, cancellationToken: ct))
        ?? ChatPromptOptions.Default;
}

// ---- Author's note (per chat) ----

internal sealed record AuthorsNoteView(long ChatId, string Text, int Depth, string Role);

internal sealed record GetAuthorsNote(long ChatId, long UserId) : IQuery<AuthorsNoteView?>;

internal sealed class GetAuthorsNoteHandler(NpgsqlDataSource db) : IQueryHandler<GetAuthorsNote, AuthorsNoteView?>
{
    public async ValueTask<AuthorsNoteView?> Handle(GetAuthorsNote query, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<AuthorsNoteView>(new CommandDefinition(
            """
            select id as chat_id, authors_note as text, authors_note_depth as depth, authors_note_role as role
            from interaction.chats where id = @ChatId and user_id = @UserId
            """, query, cancellationToken: ct));
    }
}

internal abstract record AuthorsNoteOutcome
{
    public sealed record Saved(AuthorsNoteView Note) : AuthorsNoteOutcome;
    public sealed record Invalid(string Problem) : AuthorsNoteOutcome;
    public sealed record NotFound : AuthorsNoteOutcome;
}

/// <summary>Sets the chat's author's note; an empty text turns it off. Depth counts messages from the end of the
/// history (0 = after the latest message).</summary>
internal sealed record SetAuthorsNote(long ChatId, long UserId, string Text, int Depth, string Role) : Mediator.ICommand<AuthorsNoteOutcome>;

internal sealed class SetAuthorsNoteHandler(NpgsqlDataSource db) : Mediator.ICommandHandler<SetAuthorsNote, AuthorsNoteOutcome>
{
    public async ValueTask<AuthorsNoteOutcome> Handle(SetAuthorsNote command, CancellationToken ct)
    {
        var text = command.Text.Trim();
        if (text.Length > PromptOptionValues.MaxAuthorsNote)
            return new AuthorsNoteOutcome.Invalid($"The author's note can be at most {PromptOptionValues.MaxAuthorsNote:N0} characters.");
        if (command.Depth is < 0 or > PromptOptionValues.MaxDepth)
            return new AuthorsNoteOutcome.Invalid($"The depth must be a whole number from 0 to {PromptOptionValues.MaxDepth}.");
        if (!PromptOptionValues.Roles.Contains(command.Role))
            return new AuthorsNoteOutcome.Invalid("The role must be system, user or assistant.");
        await using var connection = await db.OpenConnectionAsync(ct);
        var saved = await connection.QuerySingleOrDefaultAsync<AuthorsNoteView>(new CommandDefinition(
            """
            update interaction.chats set authors_note = @text, authors_note_depth = @Depth, authors_note_role = @Role
            where id = @ChatId and user_id = @UserId
            returning id as chat_id, authors_note as text, authors_note_depth as depth, authors_note_role as role
            """, new { text, command.Depth, command.Role, command.ChatId, command.UserId }, cancellationToken: ct));
        return saved is null ? new AuthorsNoteOutcome.NotFound() : new AuthorsNoteOutcome.Saved(saved);
    }
}

// ---- The user's prompt settings and per-character story strings ----

/// <summary>The settings page's data. <see cref="StoryString"/> null: the built-in default is in use.</summary>
internal sealed record UserPromptSettings(string? StoryString, string SystemPrompt, string ExampleBehaviour)
{
    public static readonly UserPromptSettings Default = new(null, "", "normal");
}

internal sealed record GetUserPromptSettings(long UserId) : IQuery<UserPromptSettings>;

internal sealed class GetUserPromptSettingsHandler(NpgsqlDataSource db) : IQueryHandler<GetUserPromptSettings, UserPromptSettings>
{
    public async ValueTask<UserPromptSettings> Handle(GetUserPromptSettings query, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<UserPromptSettings>(new CommandDefinition(
            "select story_string, system_prompt, example_behaviour from interaction.prompt_settings where user_id = @UserId",
            query, cancellationToken: ct)) ?? UserPromptSettings.Default;
    }
}

/// <summary>Saves the user's settings. A story string equal to the built-in one (or blank) is stored as "default", so
/// later improvements of the default reach this user. An invalid template saves nothing.</summary>
internal sealed record SaveUserPromptSettings(long UserId, string StoryString, string SystemPrompt, string ExampleBehaviour)
    : Mediator.ICommand<FieldErrors>;

internal sealed class SaveUserPromptSettingsHandler(NpgsqlDataSource db) : Mediator.ICommandHandler<SaveUserPromptSettings, FieldErrors>
{
    public async ValueTask<FieldErrors> Handle(SaveUserPromptSettings command, CancellationToken ct)
    {
        var errors = new FieldErrors();
        var template = command.StoryString.ReplaceLineEndings("\n");
        var storyString = string.IsNullOrWhiteSpace(template) || template == PromptSettings.DefaultStoryString ? null : template;
        if (storyString is not null && PromptOptionValues.CheckTemplate(storyString) is { } problem) errors.Add("StoryString", problem.ToString());
        var system = command.SystemPrompt.ReplaceLineEndings("\n").Trim();
        if (system.Length > PromptOptionValues.MaxSystemPrompt)
            errors.Add("SystemPrompt", $"The system prompt can be at most {PromptOptionValues.MaxSystemPrompt:N0} characters.");
        if (!PromptOptionValues.Behaviours.Contains(command.ExampleBehaviour))
            errors.Add("ExampleBehaviour", "Choose normal, always or disabled for example dialogues.");
        if (!errors.IsEmpty) return errors;

        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            insert into interaction.prompt_settings (user_id, story_string, system_prompt, example_behaviour)
            values (@UserId, @storyString, @system, @ExampleBehaviour)
            on conflict (user_id) do update set story_string = excluded.story_string, system_prompt = excluded.system_prompt,
                example_behaviour = excluded.example_behaviour, updated_at = now()
            """, new { command.UserId, storyString, system, command.ExampleBehaviour }, cancellationToken: ct));
        return errors;
    }
}

/// <summary>"Reset to default": the user's story string goes back to the built-in one; the other settings stay.</summary>
internal sealed record ResetUserStoryString(long UserId) : Mediator.ICommand<bool>;

internal sealed class ResetUserStoryStringHandler(NpgsqlDataSource db) : Mediator.ICommandHandler<ResetUserStoryString, bool>
{
    public async ValueTask<bool> Handle(ResetUserStoryString command, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "update interaction.prompt_settings set story_string = null, updated_at = now() where user_id = @UserId", command, cancellationToken: ct));
        return true;
    }
}

/// <summary>A character the user can pick on the settings page: one they chat with (newest first), or one they named.</summary>
internal sealed record PromptCharacterChoice(long Id, string Name);

internal sealed record ListPromptCharacters(long UserId, int Limit = 30) : IQuery<IReadOnlyList<PromptCharacterChoice>>;

internal sealed class ListPromptCharactersHandler(NpgsqlDataSource db, IMediator mediator) : IQueryHandler<ListPromptCharacters, IReadOnlyList<PromptCharacterChoice>>
{
    public async ValueTask<IReadOnlyList<PromptCharacterChoice>> Handle(ListPromptCharacters query, CancellationToken ct)
    {
        List<long> ids;
        await using (var connection = await db.OpenConnectionAsync(ct))
        {
            // Characters with an override come first, so an override is always reachable, then recent chats.
            ids = (await connection.QueryAsync<long>(new CommandDefinition(
                """
                select character_id from (
                    select character_id, 0 as rank, updated_at as at from interaction.character_story_strings where user_id = @UserId
                    union all
                    select character_id, 1, max(last_message_at) from interaction.chats where user_id = @UserId group by character_id) x
                group by character_id order by min(rank), max(at) desc limit @Limit
                """, query, cancellationToken: ct))).AsList();
        }
        var choices = new List<PromptCharacterChoice>(ids.Count);
        foreach (var id in ids)
        {
            // Through the contract: a character that is no longer readable is not offered.
            if (await mediator.Send(new GetCharacterForChat(id, query.UserId), ct) is { } c) choices.Add(new PromptCharacterChoice(c.Id, c.Name));
        }
        return choices;
    }
}

/// <summary>The character and the user's story string for it (null: none, the user's template applies).</summary>
internal sealed record CharacterStoryString(ChatCharacter Character, string? StoryString);

internal sealed record GetCharacterStoryString(long UserId, long CharacterId) : IQuery<CharacterStoryString?>;

internal sealed class GetCharacterStoryStringHandler(NpgsqlDataSource db, IMediator mediator) : IQueryHandler<GetCharacterStoryString, CharacterStoryString?>
{
    public async ValueTask<CharacterStoryString?> Handle(GetCharacterStoryString query, CancellationToken ct)
    {
        var character = await mediator.Send(new GetCharacterForChat(query.CharacterId, query.UserId), ct);
        if (character is null) return null;
        await using var connection = await db.OpenConnectionAsync(ct);
        var text = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            "select story_string from interaction.character_story_strings where user_id = @UserId and character_id = @CharacterId",
            query, cancellationToken: ct));
        return new CharacterStoryString(character, text);
    }
}

internal abstract record CharacterStoryStringOutcome
{
    public sealed record Saved : CharacterStoryStringOutcome;
    public sealed record Invalid(FieldErrors Errors) : CharacterStoryStringOutcome;
    public sealed record NotFound : CharacterStoryStringOutcome;
}

/// <summary>Sets (or, with a blank text, removes) the user's story string for a character they can read.</summary>
internal sealed record SaveCharacterStoryString(long UserId, long CharacterId, string StoryString) : Mediator.ICommand<CharacterStoryStringOutcome>;

internal sealed class SaveCharacterStoryStringHandler(NpgsqlDataSource db, IMediator mediator)
    : Mediator.ICommandHandler<SaveCharacterStoryString, CharacterStoryStringOutcome>
{
    public async ValueTask<CharacterStoryStringOutcome> Handle(SaveCharacterStoryString command, CancellationToken ct)
    {
        var template = command.StoryString.ReplaceLineEndings("\n");
        if (!string.IsNullOrWhiteSpace(template) && PromptOptionValues.CheckTemplate(template) is { } problem)
            return new CharacterStoryStringOutcome.Invalid(FieldErrors.One("CharacterStoryString", problem.ToString()));
        if (await mediator.Send(new GetCharacterForChat(command.CharacterId, command.UserId), ct) is null) return new CharacterStoryStringOutcome.NotFound();
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            string.IsNullOrWhiteSpace(template)
                ? "delete from interaction.character_story_strings where user_id = @UserId and character_id = @CharacterId"
                : """
                  insert into interaction.character_story_strings (user_id, character_id, story_string) values (@UserId, @CharacterId, @template)
                  on conflict (user_id, character_id) do update set story_string = excluded.story_string, updated_at = now()
                  """, new { command.UserId, command.CharacterId, template }, cancellationToken: ct));
        return new CharacterStoryStringOutcome.Saved();
    }
}

/// <summary>The live preview: the story string as the builder renders it for a character with the user's other
/// settings (macros expanded, lorebook constants included), or the template's problem.</summary>
internal sealed record StoryStringPreview(string? CharacterName, string Text, int Tokens, TemplateProblem? Problem);

internal sealed record PreviewStoryString(long UserId, long? CharacterId, string Template, string UserName) : IQuery<StoryStringPreview?>;

internal sealed class PreviewStoryStringHandler(NpgsqlDataSource db, IMediator mediator, ChatPrompting prompting)
    : IQueryHandler<PreviewStoryString, StoryStringPreview?>
{
    public async ValueTask<StoryStringPreview?> Handle(PreviewStoryString query, CancellationToken ct)
    {
        var template = query.Template.ReplaceLineEndings("\n");
        if (string.IsNullOrWhiteSpace(template)) template = PromptSettings.DefaultStoryString;
        var problem = PromptOptionValues.CheckTemplate(template);
        if (problem is not null) return new StoryStringPreview(null, "", 0, problem);
        if (query.CharacterId is not { } characterId) return new StoryStringPreview(null, "", 0, null);
        var character = await mediator.Send(new GetCharacterForChat(characterId, query.UserId), ct);
        if (character is null) return null;
        ChatPromptOptions options;
        Personas.ChatPersona? persona;
        await using (var connection = await db.OpenConnectionAsync(ct))
        {
            options = await ChatPromptStore.ForUserAsync(connection, query.UserId, characterId, ct);
            persona = await connection.QuerySingleOrDefaultAsync<Personas.ChatPersona>(new CommandDefinition(
                Personas.PersonaStore.DefaultSql, new { query.UserId }, cancellationToken: ct));
        }
        // The preview shows this template, whichever level it will be saved at.
        options = options with { CharacterStoryString = template };
        var built = prompting.Build(character, new PromptPersona(persona?.Name ?? query.UserName, persona?.Description ?? ""), [], 0, null, options);
        var story = built.Sections.FirstOrDefault(s => s.Kind == PromptSectionKind.StoryString);
        return new StoryStringPreview(character.Name, story?.Text ?? "", story?.Tokens ?? 0, null);
    }
}
