using System.Text.Json;
using CharacterHub.Modules.Characters.Domain;

namespace CharacterHub.Modules.Characters.Features;

/// <summary>A characters row as read by Dapper: jsonb columns arrive as text and become the draft's records.</summary>
internal sealed record CharacterRow(
    long Id, long CreatorId, string Name, string Nickname, string Tagline, string Description, string Personality,
    string Traits, string Background, string Scenario, string FirstMessage, string AlternateGreetings,
    string ExampleDialogues, string SystemPrompt, string PostHistoryInstructions, string CreatorNotes, string? Category,
    string[] Tags, string Visibility, string? ShareToken, string Lorebook, string VoiceConfig, string Extensions,
    int Version, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, DateTimeOffset? ArchivedAt, string? AvatarEtag,
    int ChatCount, decimal Rating, int Downloads)
{
    public CharacterDraft ToDraft() => new()
    {
        Name = Name, Nickname = Nickname, Tagline = Tagline, Description = Description,
        Personality = Read<Personality>(Personality) ?? new Personality(),
        Traits = Read<List<Trait>>(Traits) ?? [],
        Background = Background, Scenario = Scenario, FirstMessage = FirstMessage,
        AlternateGreetings = Read<List<string>>(AlternateGreetings) ?? [],
        ExampleDialogues = ExampleDialogues, SystemPrompt = SystemPrompt, PostHistoryInstructions = PostHistoryInstructions,
        CreatorNotes = CreatorNotes, Category = Category, Tags = Tags,
        Visibility = Enum.Parse<Visibility>(Visibility, ignoreCase: true),
        Lorebook = Read<LorebookData>(Lorebook) ?? new LorebookData(),
        Voice = Read<VoiceConfig>(VoiceConfig) ?? new VoiceConfig(),
        Extensions = Read<System.Text.Json.Nodes.JsonObject>(Extensions) ?? [],
    };

    private static T? Read<T>(string json) =>
        string.IsNullOrEmpty(json) ? default : JsonSerializer.Deserialize<T>(json, CharacterDraft.Json);
}

internal static class CharacterSql
{
    /// <summary>Every column of <see cref="CharacterRow"/>, for "select {Columns} from characters.characters c".</summary>
    public const string Columns = """
        c.id, c.creator_id, c.name, c.nickname, c.tagline, c.description, c.personality::text as personality,
        c.traits::text as traits, c.background, c.scenario, c.first_message, c.alternate_greetings::text as alternate_greetings,
        c.example_dialogues, c.system_prompt, c.post_history_instructions, c.creator_notes, c.category, c.tags,
        c.visibility, c.share_token, c.lorebook::text as lorebook, c.voice_config::text as voice_config,
        c.extensions::text as extensions, c.version, c.created_at, c.updated_at, c.archived_at,
        (select a.etag from characters.avatars a where a.character_id = c.id) as avatar_etag,
        c.chat_count, c.rating, c.downloads
        """;

    /// <summary>The caller may read the character: its creator, a collaborator, or anyone when it is public.
    /// Unlisted characters are readable through their share token only (checked separately).</summary>
    public const string CanRead = """
        (c.visibility = 'public' or c.creator_id = @UserId
         or exists (select 1 from characters.collaborators k where k.character_id = c.id and k.user_id = @UserId))
        """;

    /// <summary>The caller may change the character's content: its creator or an editor.</summary>
    public const string CanEdit = """
        (c.creator_id = @UserId
         or exists (select 1 from characters.collaborators k where k.character_id = c.id and k.user_id = @UserId and k.role = 'editor'))
        """;

    /// <summary>Parameters for the editable columns of a draft (jsonb values as JSON text, cast in SQL).</summary>
    public static object DraftParameters(CharacterDraft d) => new
    {
        d.Name, d.Nickname, d.Tagline, d.Description,
        Personality = Json(d.Personality), Traits = Json(d.Traits), d.Background, d.Scenario, d.FirstMessage,
        AlternateGreetings = Json(d.AlternateGreetings), d.ExampleDialogues, d.SystemPrompt, d.PostHistoryInstructions,
        d.CreatorNotes, d.Category, Tags = d.Tags.ToArray(), Visibility = d.Visibility.ToString().ToLowerInvariant(),
        Lorebook = Json(d.Lorebook), VoiceConfig = Json(d.Voice), Extensions = Json(d.Extensions),
    };

    public const string SetDraftColumns = """
        name = @Name, nickname = @Nickname, tagline = @Tagline, description = @Description,
        personality = @Personality::jsonb, traits = @Traits::jsonb, background = @Background, scenario = @Scenario,
        first_message = @FirstMessage, alternate_greetings = @AlternateGreetings::jsonb, example_dialogues = @ExampleDialogues,
        system_prompt = @SystemPrompt, post_history_instructions = @PostHistoryInstructions, creator_notes = @CreatorNotes,
        category = @Category, tags = @Tags, visibility = @Visibility, lorebook = @Lorebook::jsonb,
        voice_config = @VoiceConfig::jsonb, extensions = @Extensions::jsonb
        """;

    public static string Json<T>(T value) => JsonSerializer.Serialize(value, CharacterDraft.Json);

    /// <summary>An unguessable token for an unlisted character's share link.</summary>
    public static string NewShareToken() =>
        Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(18)).Replace('+', '-').Replace('/', '_');
}
