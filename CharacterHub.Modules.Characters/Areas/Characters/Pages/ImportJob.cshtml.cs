using CharacterHub.Kernel.Security;
using CharacterHub.Modules.Characters.Interop;
using Mediator;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CharacterHub.Modules.Characters.Areas.Characters.Pages;

/// <summary>/characters/import/{jobId}: a bulk import's progress (htmx polls the fragment each second) and its report.</summary>
[Authorize]
internal sealed class ImportJobModel(IMediator mediator, ICurrentUser me) : PageModel
{
    public ImportJobView Job { get; private set; } = null!;

    public async Task<IActionResult> OnGetAsync(long jobId, CancellationToken ct)
    {
        var job = await mediator.Send(new GetImportJob(jobId, me.Id), ct);
        if (job is null) return NotFound();
        Job = job;
        Response.Headers.Vary = "HX-Request";
        return Request.Headers.ContainsKey("HX-Request") ? Partial("_ImportJobStatus", job) : Page();
    }
}
