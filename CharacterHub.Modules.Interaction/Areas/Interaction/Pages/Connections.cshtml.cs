using System.Globalization;
using CharacterHub.Kernel.Security;
using CharacterHub.Kernel.Validation;
using CharacterHub.Kernel.Web;
using CharacterHub.Modules.Interaction.Connections;
using CharacterHub.Modules.Interaction.Llm;
using Mediator;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CharacterHub.Modules.Interaction.Areas.Interaction.Pages;

/// <summary>What the connection form shows: what was typed (never the key), the messages, and a conflict if any.</summary>
internal sealed record ConnectionForm(long? Id, int? Version, ConnectionInput Input, bool HasSavedKey, FieldErrors Errors,
    ConnectionView? Conflict = null, bool KeyNotKept = false)
{
    public static ConnectionForm New(bool first) => new(null, null, ConnectionInput.Empty(first), false, new FieldErrors());

    public static ConnectionForm Edit(ConnectionView c) => new(c.Id, c.Version, ConnectionInput.From(c), c.HasApiKey, new FieldErrors());

    public string? Error(string field) => Errors.All.TryGetValue(field, out var messages) ? messages[0] : null;
}

/// <summary>The site's own model from configuration, as users may see it: the model and the host, never the key.</summary>
internal sealed record SiteDefaultView(string Model, string Host);

/// <summary>/settings/connections: the user's LLM connections, the form to add or edit one and "test connection".
/// Every htmx action answers the whole panel (form and list), except the test, which answers its result only.</summary>
[Authorize]
internal sealed class ConnectionsModel(IMediator mediator, ICurrentUser me, LlmSiteSettings site) : PageModel
{
    public const string Path = "/settings/connections";

    public IReadOnlyList<ConnectionView> Connections { get; private set; } = [];
    public ConnectionForm Form { get; private set; } = ConnectionForm.New(false);
    public string? Saved { get; private set; }
    public TestConnectionOutcome? TestResult { get; private set; }

    public SiteDefaultView? SiteDefault => site.DefaultConnection is { } d
        ? new SiteDefaultView(d.Model, Uri.TryCreate(d.NormalizedBaseUrl, UriKind.Absolute, out var u) ? u.Host : "(not a valid URL)")
        : null;

    public async Task<IActionResult> OnGetAsync(string? edit, CancellationToken ct)
    {
        Response.VaryOnHtmx();
        await LoadAsync(ct);
        if (!string.IsNullOrEmpty(edit))
        {
            var connection = Id(edit) is { } id ? Connections.FirstOrDefault(c => c.Id == id) : null;
            if (connection is null) return NotFound();
            Form = ConnectionForm.Edit(connection);
        }
        return Request.IsHtmx() ? Panel() : Page();
    }

    public async Task<IActionResult> OnPostSaveAsync(string? connectionId, string? version, string? name, string? baseUrl, string? apiKey,
        string? clearApiKey, string? model, string? contextSize, string? temperature, string? topP, string? maxTokens,
        string? maxTokensField, string? frequencyPenalty, string? presencePenalty, string? stop, string? makeDefault, CancellationToken ct)
    {
        long? id = null;
        if (!string.IsNullOrEmpty(connectionId))
        {
            if (Id(connectionId) is not { } parsed) return NotFound();
            id = parsed;
        }
        int? expected = int.TryParse(version, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null;
        var input = new ConnectionInput(name ?? "", baseUrl ?? "", apiKey ?? "", Checked(clearApiKey), model ?? "", contextSize ?? "",
            temperature ?? "", topP ?? "", maxTokens ?? "", maxTokensField ?? "", frequencyPenalty ?? "", presencePenalty ?? "", stop ?? "", Checked(makeDefault));
        var outcome = await mediator.Send(new SaveConnection(me.Id, id, expected, input), ct);
        switch (outcome)
        {
            case SaveConnectionOutcome.NotFound:
                return NotFound();
            case SaveConnectionOutcome.Invalid invalid:
                await LoadAsync(ct);
                // The typed key is not sent back into the page; the form says so when one was typed.
                Form = new ConnectionForm(id, expected, input with { ApiKey = "" }, HasSavedKey(id), invalid.Errors,
                    KeyNotKept: !string.IsNullOrWhiteSpace(apiKey));
                return Request.IsHtmx() ? Panel() : Page();
            case SaveConnectionOutcome.Conflict conflict:
                await LoadAsync(ct);
                // What the user typed stays in the form, now based on the saved version: saving again replaces it knowingly.
                Form = new ConnectionForm(id, conflict.Current.Version, input with { ApiKey = "" }, conflict.Current.HasApiKey,
                    new FieldErrors(), conflict.Current, KeyNotKept: !string.IsNullOrWhiteSpace(apiKey));
                return Request.IsHtmx() ? Panel() : Page();
            default:
                return await Done(id is null ? "Connection added." : "Connection saved.", ct);
        }
    }

    public async Task<IActionResult> OnPostDeleteAsync(string? connectionId, CancellationToken ct) =>
        Id(connectionId) is { } id && await mediator.Send(new DeleteConnection(id, me.Id), ct)
            ? await Done("Connection deleted.", ct)
            : NotFound();

    public async Task<IActionResult> OnPostDefaultAsync(string? connectionId, CancellationToken ct) =>
        Id(connectionId) is { } id && await mediator.Send(new MakeDefaultConnection(id, me.Id), ct)
            ? await Done("Default connection changed.", ct)
            : NotFound();

    /// <summary>Lists the server's models with what the form holds (htmx: the result fragment; without JS: the page).</summary>
    public async Task<IActionResult> OnPostTestAsync(string? connectionId, string? baseUrl, string? apiKey, string? clearApiKey,
        CancellationToken ct)
    {
        long? id = null;
        if (!string.IsNullOrEmpty(connectionId))
        {
            if (Id(connectionId) is not { } parsed) return NotFound();
            id = parsed;
        }
        var result = await mediator.Send(new TestConnection(me.Id, id, baseUrl ?? "", apiKey ?? "", Checked(clearApiKey)), ct);
        if (result is TestConnectionOutcome.NotFound) return NotFound();
        if (Request.IsHtmx()) return Partial("_ConnectionTest", result);

        // Without JS the page comes back with the form as it was (the key is not sent back) and the result under it.
        await LoadAsync(ct);
        var form = Request.Form;
        var input = new ConnectionInput(form["name"].ToString(), baseUrl ?? "", "", Checked(clearApiKey), form["model"].ToString(),
            form["contextSize"].ToString(), form["temperature"].ToString(), form["topP"].ToString(), form["maxTokens"].ToString(),
            form["maxTokensField"].ToString(),
            form["frequencyPenalty"].ToString(), form["presencePenalty"].ToString(), form["stop"].ToString(), Checked(form["makeDefault"]));
        int? expected = int.TryParse(form["version"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null;
        Form = new ConnectionForm(id, expected, input, HasSavedKey(id), new FieldErrors(), KeyNotKept: !string.IsNullOrWhiteSpace(apiKey));
        TestResult = result;
        return Page();
    }

    private async Task<IActionResult> Done(string message, CancellationToken ct)
    {
        if (!Request.IsHtmx()) return Redirect(Path);
        await LoadAsync(ct);
        Saved = message;
        return Panel();
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        Connections = await mediator.Send(new ListConnections(me.Id), ct);
        Form = ConnectionForm.New(Connections.Count == 0);
    }

    private bool HasSavedKey(long? id) => id is { } i && Connections.FirstOrDefault(c => c.Id == i)?.HasApiKey == true;

    private static long? Id(string? text) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0 ? id : null;

    private static bool Checked(string? value) => value is "true" or "on";

    private PartialViewResult Panel() => Partial("_ConnectionsPanel", this);
}
