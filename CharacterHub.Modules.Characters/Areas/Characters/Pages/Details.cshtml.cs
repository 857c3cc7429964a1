using CharacterHub.Kernel.Security;
using CharacterHub.Kernel.Validation;
using CharacterHub.Kernel.Web;
using Microsoft.AspNetCore.Http;
using CharacterHub.Modules.Characters.Features;
using Mediator;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CharacterHub.Modules.Characters.Areas.Characters.Pages;

/// <summary>A character's page. Readable by anyone the character is visible to (public: everyone); a private or
/// unknown character is a 404 either way, so its existence is not revealed.</summary>
[RequestSizeLimit(SetCharacterAvatarHandler.MaxBytes + 64 * 1024)]
[RequestFormLimits(MultipartBodyLengthLimit = SetCharacterAvatarHandler.MaxBytes + 64 * 1024)]
internal sealed class DetailsModel(IMediator mediator, ICurrentUser me) : PageModel
{
    public CharacterDetails Character { get; private set; } = null!;
    public string? ShareToken => null;
    public string? Message { get; private set; }
    public FieldErrors Errors { get; private set; } = new();

    public async Task<IActionResult> OnGetAsync(long id, CancellationToken ct) =>
        await Load(id, ct) ? Page() : NotFound();

    public IReadOnlyList<Collaborator> Collaborators { get; private set; } = [];
    public long? MeId => me.IdOrNull;

    public async Task<IActionResult> OnPostCollaboratorAsync(long id, string? collaboratorName, string? collaboratorRole, CancellationToken ct)
    {
        if (!me.IsAuthenticated || !await Load(id, ct)) return NotFound();
        Errors = await mediator.Send(new AddCollaborator(id, me.Id, collaboratorName, collaboratorRole), ct);
        if (Errors.IsEmpty) Message = $"Shared with {collaboratorName!.Trim().ToLowerInvariant()}.";
        await Load(id, ct);
        return Request.IsHtmx() ? Partial("_Collaborators", this) : Page();
    }

    public async Task<IActionResult> OnPostRemoveCollaboratorAsync(long id, long userId, CancellationToken ct)
    {
        if (!me.IsAuthenticated || !await mediator.Send(new RemoveCollaborator(id, me.Id, userId), ct)) return NotFound();
        if (userId == me.Id) return Redirect("/characters"); // left a character shared with me
        await Load(id, ct);
        return Request.IsHtmx() ? Partial("_Collaborators", this) : Page();
    }

    public async Task<IActionResult> OnPostFavoriteAsync(long id, bool favorite, CancellationToken ct)
    {
        if (!me.IsAuthenticated || !await mediator.Send(new SetFavorite(id, me.Id, favorite), ct)) return NotFound();
        await Load(id, ct);
        return Request.IsHtmx() ? Partial("_FavoriteButton", Character) : Redirect($"/characters/{id}");
    }

    public async Task<IActionResult> OnPostArchiveAsync(long id, bool archived, CancellationToken ct)
    {
        if (!me.IsAuthenticated || !await mediator.Send(new SetArchived(id, me.Id, archived), ct)) return NotFound();
        return Redirect(archived ? "/characters" : $"/characters/{id}");
    }

    public async Task<IActionResult> OnPostDeleteAsync(long id, CancellationToken ct)
    {
        if (!me.IsAuthenticated || !await mediator.Send(new DeleteCharacter(id, me.Id), ct)) return NotFound();
        if (Request.IsHtmx()) { Response.HxRedirect("/characters"); return new OkResult(); }
        return Redirect("/characters");
    }

    public async Task<IActionResult> OnPostTemplateAsync(long id, string? templateName, CancellationToken ct)
    {
        if (!me.IsAuthenticated || !await Load(id, ct)) return NotFound();
        Errors = await mediator.Send(new SaveAsTemplate(id, me.Id, templateName, null), ct);
        Message = Errors.IsEmpty ? "Saved as a template: find it under “New from template”." : null;
        return Page();
    }

    public async Task<IActionResult> OnPostAvatarAsync(long id, IFormFile? avatar, CancellationToken ct)
    {
        if (!me.IsAuthenticated || !await Load(id, ct) || !Character.CanEdit) return NotFound();
        if (avatar is null || avatar.Length == 0) Errors = FieldErrors.One("Avatar", "Choose an image file to upload.");
        else if (avatar.Length > SetCharacterAvatarHandler.MaxBytes) Errors = FieldErrors.One("Avatar", "The image is larger than 10 MB.");
        else
        {
            using var buffer = new MemoryStream((int)avatar.Length);
            await avatar.CopyToAsync(buffer, ct);
            Errors = await mediator.Send(new SetCharacterAvatar(id, me.Id, buffer.ToArray()), ct);
        }
        await Load(id, ct);
        if (Errors.IsEmpty) Message = "Avatar updated.";
        Response.VaryOnHtmx();
        return Request.IsHtmx() ? Partial("_AvatarPanel", Profile) : Page();
    }

    private async Task<bool> Load(long id, CancellationToken ct)
    {
        var character = await mediator.Send(new GetCharacter(id, me.IdOrNull), ct);
        if (character is null) return false;
        Character = character;
        if (me.IsAuthenticated) Collaborators = await mediator.Send(new ListCollaborators(id, me.Id), ct);
        return true;
    }

    public ProfileView Profile => new(Character, ShareToken, Message, Errors);
}

/// <summary>What the profile partial shows: the character, how it was opened, and the result of the last action.</summary>
internal sealed record ProfileView(CharacterDetails Character, string? ShareToken, string? Message, FieldErrors Errors)
{
    public string AvatarUrl(string size) =>
        $"/characters/{Character.Id}/avatar/{size}?v={Character.Row.AvatarEtag}{(ShareToken is null ? "" : "&s=" + Uri.EscapeDataString(ShareToken))}";
}
