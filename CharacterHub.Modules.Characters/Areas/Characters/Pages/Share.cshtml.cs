using CharacterHub.Kernel.Security;
using CharacterHub.Kernel.Validation;
using CharacterHub.Modules.Characters.Features;
using Mediator;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CharacterHub.Modules.Characters.Areas.Characters.Pages;

/// <summary>/c/{token}: an unlisted character opened through its share link, by anyone who has the link.</summary>
internal sealed class ShareModel(IMediator mediator, ICurrentUser me) : PageModel
{
    public ProfileView Profile { get; private set; } = null!;

    public async Task<IActionResult> OnGetAsync(string token, CancellationToken ct)
    {
        var id = await mediator.Send(new FindByShareToken(token), ct);
        var character = id is null ? null : await mediator.Send(new GetCharacter(id.Value, me.IdOrNull, token), ct);
        if (character is null) return NotFound();
        Profile = new ProfileView(character, token, null, new FieldErrors());
        Response.Headers["X-Robots-Tag"] = "noindex";
        Response.Headers["Referrer-Policy"] = "no-referrer"; // the token must not leak through links on the page
        return Page();
    }
}
