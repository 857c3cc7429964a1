using CharacterHub.Kernel.Security;
using CharacterHub.Modules.Characters.Interop;
using Mediator;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CharacterHub.Modules.Characters.Areas.Characters.Pages;

/// <summary>/characters/import: many card files (or a zip) at once; a few are imported now, a bulk goes to a job.</summary>
[Authorize]
[Microsoft.AspNetCore.RateLimiting.EnableRateLimiting("import")]
[RequestSizeLimit(InteropEndpoints.MaxRequestBytes)]
[RequestFormLimits(MultipartBodyLengthLimit = InteropEndpoints.MaxRequestBytes)]
internal sealed class ImportModel(IMediator mediator, ICurrentUser me) : PageModel
{
    public IReadOnlyList<ImportResult> Results { get; private set; } = [];
    public string? Problem { get; private set; }

    [BindProperty] public string Duplicates { get; set; } = "skip";

    public void OnGet() { }

    public async Task<IActionResult> OnPostAsync(List<IFormFile> files, CancellationToken ct)
    {
        var uploads = new FormFileCollection();
        uploads.AddRange(files);
        var (read, tooLarge) = await InteropEndpoints.ReadFilesAsync(uploads, ct);
        if (read.Count + tooLarge.Count == 0)
        {
            Problem = "Choose one or more card files (PNG, JSON, CHARX) or a zip of cards.";
            return Page();
        }
        var mode = Duplicates == "new_version" ? DuplicateMode.NewVersion : DuplicateMode.Skip;
        if (ImportJobs.IsBulk(read))
        {
            var jobId = await mediator.Send(new StartImportJob(me.Id, read, mode), ct);
            return Redirect($"/characters/import/{jobId}");
        }
        Results = [.. tooLarge, .. await mediator.Send(new ImportCards(me.Id, read, mode), ct)];
        return Page();
    }
}
