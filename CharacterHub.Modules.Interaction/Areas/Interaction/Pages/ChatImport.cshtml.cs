using CharacterHub.Kernel.Contracts.Characters;
using CharacterHub.Kernel.Security;
using CharacterHub.Modules.Interaction.Chats;
using Mediator;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CharacterHub.Modules.Interaction.Areas.Interaction.Pages;

/// <summary>Imports a SillyTavern chat file into a new chat. A bad file re-shows the form with the problem (200), naming
/// the line; nothing is saved.</summary>
[Authorize]
[Microsoft.AspNetCore.RateLimiting.EnableRateLimiting("import")]
[RequestSizeLimit(MaxRequestBytes)]
[RequestFormLimits(MultipartBodyLengthLimit = MaxRequestBytes)]
internal sealed class ChatImportModel(IMediator mediator, ICurrentUser me) : PageModel
{
    // The file's own limit is checked in words; the request may carry a little more (the form's other fields).
    private const int MaxRequestBytes = SillyTavernChatFormat.MaxFileBytes + 1024 * 1024;

    public IReadOnlyList<ImportCharacterChoice> Characters { get; private set; } = [];
    public long? CharacterId { get; private set; }
    public string? Problem { get; private set; }

    public async Task OnGetAsync(long? characterId, CancellationToken ct)
    {
        CharacterId = characterId;
        Characters = await mediator.Send(new GetImportCharacters(me.Id, characterId), ct);
    }

    public async Task<IActionResult> OnPostAsync(long? characterId, IFormFile? chatFile, CancellationToken ct)
    {
        CharacterId = characterId;
        var outcome = await ImportAsync(characterId, chatFile, ct);
        if (outcome is ImportChatOutcome.Imported imported) return Redirect($"/chats/{imported.ChatId}");
        Problem = outcome is ImportChatOutcome.Invalid invalid ? invalid.Problem : "The chat was not imported.";
        Characters = await mediator.Send(new GetImportCharacters(me.Id, characterId), ct);
        return Page();
    }

    private async Task<ImportChatOutcome> ImportAsync(long? characterId, IFormFile? file, CancellationToken ct)
    {
        if (characterId is null) return new ImportChatOutcome.Invalid("Choose the character the chat is with.");
        if (file is null || file.Length == 0) return new ImportChatOutcome.Invalid("Choose a SillyTavern chat file (.jsonl).");
        if (file.Length > SillyTavernChatFormat.MaxFileBytes)
            return new ImportChatOutcome.Invalid($"The file is larger than {SillyTavernChatFormat.MaxFileBytes / (1024 * 1024)} MB.");
        var data = new byte[file.Length];
        await using (var stream = file.OpenReadStream()) await stream.ReadExactlyAsync(data, ct);
        return await mediator.Send(new ImportChat(me.Id, characterId.Value, file.FileName ?? "", data), ct);
    }
}
