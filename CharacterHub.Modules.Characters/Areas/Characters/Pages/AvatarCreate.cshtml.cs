using CharacterHub.Kernel.Security;
using CharacterHub.Kernel.Web;
using CharacterHub.Modules.Characters.Avatars;
using CharacterHub.Modules.Characters.Features;
using Mediator;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CharacterHub.Modules.Characters.Areas.Characters.Pages;

/// <summary>The parametric avatar builder: every change re-renders the SVG preview (htmx), saving renders the PNGs
/// and the expression set.</summary>
[Authorize]
internal sealed class AvatarCreateModel(IMediator mediator, ICurrentUser me) : PageModel
{
    public CharacterDetails Character { get; private set; } = null!;
    public AvatarParameters Parameters { get; private set; } = AvatarParameters.Default;
    public IReadOnlyDictionary<string, string> Values => Parameters.ToDictionary();
    public IReadOnlyDictionary<string, string> Errors { get; private set; } = new Dictionary<string, string>();
    public Expression PreviewExpression { get; private set; } = Expression.Neutral;

    public async Task<IActionResult> OnGetAsync(long id, CancellationToken ct)
    {
        if (!await Load(id, ct)) return NotFound();
        Parameters = await mediator.Send(new GetBuilderParameters(id), ct) ?? AvatarParameters.Random((int)(id % int.MaxValue));
        return Page();
    }

    /// <summary>The live preview: the neutral face large, and the nine expressions small.</summary>
    public async Task<IActionResult> OnPostPreviewAsync(long id, CancellationToken ct)
    {
        if (!await Load(id, ct)) return NotFound();
        ReadForm();
        return Partial("_AvatarPreview", this);
    }

    public async Task<IActionResult> OnPostRandomAsync(long id, CancellationToken ct)
    {
        if (!await Load(id, ct)) return NotFound();
        Parameters = AvatarParameters.Random(Random.Shared.Next());
        return Request.IsHtmx() ? Partial("_AvatarBuilderForm", this) : Page();
    }

    public async Task<IActionResult> OnPostSaveAsync(long id, CancellationToken ct)
    {
        if (!await Load(id, ct)) return NotFound();
        ReadForm();
        if (Errors.Count > 0) return Page();
        if (!await mediator.Send(new SaveBuiltAvatar(id, me.Id, Parameters), ct)) return NotFound();
        if (Request.IsHtmx()) { Response.HxRedirect($"/characters/{id}"); return new OkResult(); }
        return Redirect($"/characters/{id}");
    }

    private void ReadForm()
    {
        var form = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var field in AvatarFields.All)
            if (Request.Form.TryGetValue(field, out var value))
                form[field] = field == AvatarFields.Accessories ? string.Join(",", value.Where(v => !string.IsNullOrEmpty(v))) : value.ToString();
        if (!form.ContainsKey(AvatarFields.Accessories)) form[AvatarFields.Accessories] = "none";
        var parsed = AvatarParameters.Parse(form);
        Parameters = parsed.Parameters;
        Errors = parsed.Errors;
        if (SnakeNames<Expression>.TryParse(Request.Form["preview_expression"], out var e)) PreviewExpression = e;
    }

    private async Task<bool> Load(long id, CancellationToken ct)
    {
        var character = await mediator.Send(new GetCharacter(id, me.Id), ct);
        if (character is null || !character.CanEdit) return false;
        Character = character;
        return true;
    }

    public static string Label(string snake) => snake.Length == 0 ? snake : char.ToUpperInvariant(snake[0]) + snake[1..].Replace('_', ' ');
}
