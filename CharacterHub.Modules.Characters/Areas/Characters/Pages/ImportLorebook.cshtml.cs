using CharacterHub.Kernel.Security;
using CharacterHub.Modules.Characters.Interop;
using Mediator;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CharacterHub.Modules.Characters.Areas.Characters.Pages;

/// <summary>Attaches a standalone lorebook file to a character (form on the character page, for editors).</summary>
[Authorize]
[Microsoft.AspNetCore.RateLimiting.EnableRateLimiting("import")]
[RequestSizeLimit(CardImporter.MaxFileBytes + 1024 * 1024)]
[RequestFormLimits(MultipartBodyLengthLimit = CardImporter.MaxFileBytes + 1024 * 1024)]
internal sealed class ImportLorebookModel(IMediator mediator, ICurrentUser me) : PageModel
{
    public long Id { get; private set; }
    public string? Problem { get; private set; }

    public IActionResult OnGet(long id) => Redirect($"/characters/{id}");

    public async Task<IActionResult> OnPostAsync(long id, IFormFile? lorebook, CancellationToken ct)
    {
        Id = id;
        if (lorebook is null || lorebook.Length == 0) Problem = "Choose a lorebook file.";
        else if (lorebook.Length > CardImporter.MaxFileBytes) Problem = "The file is larger than 20 MB.";
        else
        {
            var data = new byte[lorebook.Length];
            await using (var stream = lorebook.OpenReadStream()) await stream.ReadExactlyAsync(data, ct);
            Problem = await mediator.Send(new AttachLorebook(id, me.Id, Path.GetFileName(lorebook.FileName), data), ct);
        }
        if (Problem is null) return Redirect($"/characters/{id}");
        return Page();
    }
}
