namespace CharacterHub.Modules.Interaction.Chats;

/// <summary>
/// System lines (role "system"): SillyTavern's <c>is_system</c> messages, which arrive with an imported chat. In
/// SillyTavern they are notes for the reader (a narrator's aside, a bookmark, "the chat was branched here") that are
/// never sent to the model, so here too they are shown as notes and left out of every prompt's history.
/// </summary>
internal static class SystemLines
{
    public const string Role = "system";

    public static bool IsHidden(ChatMessageView m) => m.Role == Role;
}
