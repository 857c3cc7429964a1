using System.Globalization;
using CharacterHub.Kernel.Security;
using CharacterHub.Kernel.Validation;
using CharacterHub.Kernel.Web;
using CharacterHub.Modules.Interaction.Personas;
using Mediator;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CharacterHub.Modules.Interaction.Areas.Interaction.Pages;

/// <summary>What the persona form shows: empty for a new persona, or the one being edited (with the version it was
/// opened at), with any messages. <see cref="Conflict"/> is what is saved now when the save met a newer version;
/// <see cref="AvatarNotKept"/> says a chosen image was not saved (a file input cannot be refilled).</summary>
internal sealed record PersonaForm(long? Id, string Name, string Description, bool IsDefault, string? AvatarUrl, FieldErrors Errors,
    int? Version = null, PersonaView? Conflict = null, bool MissingVersion = false, bool AvatarNotKept = false, bool RemoveAvatar = false)
{
    public static PersonaForm New(bool firstPersona) => new(null, "", "", firstPersona, null, new FieldErrors());

    public static PersonaForm Edit(PersonaView p) => new(p.Id, p.Name, p.Description, p.IsDefault, p.AvatarUrl(), new FieldErrors(), p.Version);

    public string? Error(string field) => Errors.All.TryGetValue(field, out var messages) ? messages[0] : null;
}

/// <summary>/personas: the user's personas and the form to create or edit one. Every htmx action answers the whole
/// panel (form and list), since a save, a delete or a new default changes both.</summary>
[Authorize]
// The limit applies to the multipart body: the image plus the text fields and the form's boundaries.
[RequestSizeLimit(SavePersonaHandler.MaxAvatarBytes + 64 * 1024)]
[RequestFormLimits(MultipartBodyLengthLimit = SavePersonaHandler.MaxAvatarBytes + 64 * 1024)]
internal sealed class PersonasModel(IMediator mediator, ICurrentUser me) : PageModel
{
    public IReadOnlyList<PersonaView> Personas { get; private set; } = [];
    public PersonaForm Form { get; private set; } = PersonaForm.New(false);
    public string? Saved { get; private set; }

    public async Task<IActionResult> OnGetAsync(long? edit, CancellationToken ct)
    {
        Response.VaryOnHtmx();
        await LoadAsync(ct);
        if (edit is { } id)
        {
            var persona = Personas.FirstOrDefault(p => p.Id == id);
            if (persona is null) return NotFound();
            Form = PersonaForm.Edit(persona);
        }
        return Request.IsHtmx() ? Panel() : Page();
    }

    public async Task<IActionResult> OnPostSaveAsync(string? personaId, string? version, string? name, string? description, IFormFile? avatar,
        bool removeAvatar, bool makeDefault, CancellationToken ct) =>
        // An id that is not a number names no persona of the user's (404), never "a new persona".
        string.IsNullOrEmpty(personaId) ? await SaveAsync(null, version, name, description, avatar, removeAvatar, makeDefault, ct)
        : long.TryParse(personaId, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0
            ? await SaveAsync(id, version, name, description, avatar, removeAvatar, makeDefault, ct)
            : NotFound();

    private async Task<IActionResult> SaveAsync(long? personaId, string? version, string? name, string? description, IFormFile? avatar,
        bool removeAvatar, bool makeDefault, CancellationToken ct)
    {
        // Anything but a plain positive number (missing, text, overflowing) names no version: an edit then is a conflict.
        int? expected = int.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0 ? v : null;
        byte[]? image = null;
        var errors = new FieldErrors();
        if (avatar is { Length: > SavePersonaHandler.MaxAvatarBytes })
            errors.Add("Avatar", $"The image is larger than {SavePersonaHandler.MaxAvatarBytes / 1024 / 1024} MB.");
        else if (avatar is { Length: > 0 })
        {
            using var buffer = new MemoryStream((int)avatar.Length);
            await avatar.CopyToAsync(buffer, ct);
            image = buffer.ToArray();
        }
        var outcome = errors.IsEmpty
            ? await mediator.Send(new SavePersona(me.Id, personaId, name ?? "", description ?? "", image, removeAvatar, makeDefault, expected), ct)
            : new SavePersonaOutcome.Invalid(errors);
        switch (outcome)
        {
            case SavePersonaOutcome.NotFound:
                return NotFound();
            case SavePersonaOutcome.Invalid invalid:
                await LoadAsync(ct);
                // The form keeps what was typed (the file input cannot be refilled), with the messages beside the fields.
                var current = personaId is { } id ? Personas.FirstOrDefault(p => p.Id == id) : null;
                Form = new PersonaForm(personaId, name ?? "", description ?? "", makeDefault, current?.AvatarUrl(), invalid.Errors,
                    expected, RemoveAvatar: removeAvatar);
                return Request.IsHtmx() ? Panel() : Page();
            case SavePersonaOutcome.Conflict conflict:
                await LoadAsync(ct);
                // Nothing was written. The form keeps what was typed, now based on the saved version, so saving again
                // replaces it knowingly; the saved version is shown above it.
                Form = new PersonaForm(personaId, name ?? "", description ?? "", makeDefault, conflict.Current.AvatarUrl(), new FieldErrors(),
                    conflict.Current.Version, conflict.Current, MissingVersion: expected is null, AvatarNotKept: image is not null,
                    RemoveAvatar: removeAvatar);
                if (Request.IsHtmx()) return Panel(); // htmx swaps only 2xx answers into the page
                Response.StatusCode = StatusCodes.Status409Conflict;
                return Page();
            default:
                return await Done(personaId is null ? "Persona created." : "Persona saved.", ct);
        }
    }

    public async Task<IActionResult> OnPostDeleteAsync(long personaId, CancellationToken ct) =>
        await mediator.Send(new DeletePersona(personaId, me.Id), ct) ? await Done("Persona deleted.", ct) : NotFound();

    public async Task<IActionResult> OnPostDefaultAsync(long personaId, CancellationToken ct) =>
        await mediator.Send(new MakeDefaultPersona(personaId, me.Id), ct) ? await Done("Default persona changed.", ct) : NotFound();

    private async Task<IActionResult> Done(string message, CancellationToken ct)
    {
        if (!Request.IsHtmx()) return Redirect("/personas");
        await LoadAsync(ct);
        Saved = message;
        return Panel();
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        Personas = await mediator.Send(new ListPersonas(me.Id), ct);
        Form = PersonaForm.New(Personas.Count == 0);
    }

    private PartialViewResult Panel() => Partial("_PersonasPanel", this);
}
