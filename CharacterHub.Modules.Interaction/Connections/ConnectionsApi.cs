using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CharacterHub.Kernel.Security;
using CharacterHub.Kernel.Validation;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace CharacterHub.Modules.Interaction.Connections;

/// <summary>
/// /api/connections: the settings page's handlers served as snake_case JSON, behind the API's Bearer tokens (the group
/// requires them and, as every /api endpoint, has no antiforgery: no cookie can authenticate it).
/// A connection never carries its key out: only <c>has_api_key</c>. In a body, <c>api_key</c> omitted (or "") keeps the
/// saved key, <c>null</c> removes it, a string replaces it. PUT replaces every other field (omitted sampling fields go
/// back to the server's default) except <c>is_default</c>, which stays as it is unless sent. Numbers are JSON numbers;
/// the validator reads their text exactly as it reads the page's fields, so the two cannot disagree about a limit.
/// </summary>
internal static class ConnectionsApi
{
    /// <summary>Far above the largest valid connection (a 4 KB key, a 2 KB URL, 8 short stop strings).</summary>
    private const int MaxBodyBytes = 64 * 1024;

    public static void Map(IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("/connections");
        var limit = new RequestSizeLimitMetadata(MaxBodyBytes);
        group.MapGet("", List);
        group.MapPost("", Create).WithMetadata(limit);
        group.MapPost("/test", TestUnsaved).WithMetadata(limit);
        group.MapGet("/{id:long}", Get);
        group.MapPut("/{id:long}", Update).WithMetadata(limit);
        group.MapDelete("/{id:long}", Delete);
        group.MapPost("/{id:long}/default", MakeDefault).WithMetadata(limit);
        group.MapPost("/{id:long}/test", TestSaved).WithMetadata(limit);
    }

    private sealed class RequestSizeLimitMetadata(long limit) : Microsoft.AspNetCore.Http.Metadata.IRequestSizeLimitMetadata
    {
        public long? MaxRequestBodySize => limit;
    }

    private static async Task<IResult> List(ICurrentUser me, IMediator mediator, CancellationToken ct) =>
        Results.Json((await mediator.Send(new ListConnections(me.Id), ct)).Select(ToJson));

    private static async Task<IResult> Get(long id, ICurrentUser me, IMediator mediator, CancellationToken ct) =>
        await mediator.Send(new GetConnection(me.Id, id), ct) is { } c ? Results.Json(ToJson(c)) : NotFound();

    private static async Task<IResult> Create(HttpRequest request, ICurrentUser me, IMediator mediator, CancellationToken ct)
    {
        var (body, problem) = await ReadObjectAsync(request, ct);
        if (body is null) return problem!;
        var (input, _, errors) = ReadInput(body, current: null);
        if (!errors.IsEmpty) return Validation(errors);
        return await mediator.Send(new SaveConnection(me.Id, null, null, input!), ct) switch
        {
            SaveConnectionOutcome.Saved saved when await mediator.Send(new GetConnection(me.Id, saved.ConnectionId), ct) is { } created =>
                Results.Created($"/api/connections/{saved.ConnectionId}", ToJson(created)),
            SaveConnectionOutcome.Invalid invalid => Validation(invalid.Errors),
            _ => NotFound(),
        };
    }

    private static async Task<IResult> Update(long id, HttpRequest request, ICurrentUser me, IMediator mediator, CancellationToken ct)
    {
        var (body, problem) = await ReadObjectAsync(request, ct);
        if (body is null) return problem!;
        if (await mediator.Send(new GetConnection(me.Id, id), ct) is not { } current) return NotFound();
        var (input, version, errors) = ReadInput(body, current);
        if (version is null && !errors.All.ContainsKey("version"))
            errors.Add("version", "Send the version you edited (from GET), so that nobody's changes are overwritten.");
        if (!errors.IsEmpty) return Validation(errors);
        return await mediator.Send(new SaveConnection(me.Id, id, version, input!), ct) switch
        {
            SaveConnectionOutcome.Saved when await mediator.Send(new GetConnection(me.Id, id), ct) is { } saved => Results.Json(ToJson(saved)),
            SaveConnectionOutcome.Invalid invalid => Validation(invalid.Errors),
            SaveConnectionOutcome.Conflict conflict => Results.Json(new
            {
                type = "https://tools.ietf.org/html/rfc9110#section-15.5.10",
                title = "The connection was changed since that version.",
                status = 409,
                detail = $"You edited version {version}; the current version is {conflict.Current.Version}. Merge and send it again.",
                current = ToJson(conflict.Current),
            }, statusCode: 409, contentType: "application/problem+json"),
            _ => NotFound(),
        };
    }

    private static async Task<IResult> Delete(long id, ICurrentUser me, IMediator mediator, CancellationToken ct) =>
        await mediator.Send(new DeleteConnection(id, me.Id), ct) ? Results.NoContent() : NotFound();

    private static async Task<IResult> MakeDefault(long id, ICurrentUser me, IMediator mediator, CancellationToken ct) =>
        await mediator.Send(new MakeDefaultConnection(id, me.Id), ct) && await mediator.Send(new GetConnection(me.Id, id), ct) is { } c
            ? Results.Json(ToJson(c))
            : NotFound();

    /// <summary>Lists the models of a saved connection, with its saved address and key.</summary>
    private static async Task<IResult> TestSaved(long id, HttpContext http, ICurrentUser me, IMediator mediator, CancellationToken ct)
    {
        if (await mediator.Send(new GetConnection(me.Id, id), ct) is not { } current) return NotFound();
        return TestResult(http, await mediator.Send(new TestConnection(me.Id, id, current.BaseUrl, "", false), ct));
    }

    /// <summary>Lists the models at <c>base_url</c> with <c>api_key</c> before anything is saved.</summary>
    private static async Task<IResult> TestUnsaved(HttpContext http, ICurrentUser me, IMediator mediator, CancellationToken ct)
    {
        var (body, problem) = await ReadObjectAsync(http.Request, ct);
        if (body is null) return problem!;
        var errors = new FieldErrors();
        var baseUrl = Text(body, "base_url", errors);
        var apiKey = Text(body, "api_key", errors);
        if (!errors.IsEmpty) return Validation(errors);
        return TestResult(http, await mediator.Send(new TestConnection(me.Id, null, baseUrl, apiKey, false), ct));
    }

    /// <summary>A test that reached a verdict is a 200 either way: a server that refuses is the answer, not an API error.</summary>
    private static IResult TestResult(HttpContext http, TestConnectionOutcome outcome)
    {
        switch (outcome)
        {
            case TestConnectionOutcome.Listed listed:
                return Results.Json(new { ok = true, models = listed.Models, problem = (string?)null });
            case TestConnectionOutcome.Failed failed:
                return Results.Json(new { ok = false, models = Array.Empty<string>(), problem = failed.Problem });
            case TestConnectionOutcome.RateLimited limited:
                http.Response.Headers.RetryAfter = limited.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
                return Results.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many connection tests.", detail: limited.Problem);
            default:
                return NotFound();
        }
    }

    private static object ToJson(ConnectionView c) => new
    {
        id = c.Id,
        name = c.Name,
        base_url = c.BaseUrl,
        has_api_key = c.HasApiKey,
        model = c.Model,
        context_size = c.ContextSize,
        temperature = c.Temperature,
        top_p = c.TopP,
        max_tokens = c.MaxTokens,
        max_tokens_field = ConnectionRules.NameOf(c.ReplyLimitField),
        frequency_penalty = c.FrequencyPenalty,
        presence_penalty = c.PresencePenalty,
        stop = c.StopStrings,
        is_default = c.IsDefault,
        version = c.Version,
        created_at = c.CreatedAt,
        updated_at = c.UpdatedAt,
    };

    private static async Task<(JsonObject? Body, IResult? Problem)> ReadObjectAsync(HttpRequest request, CancellationToken ct)
    {
        try
        {
            var body = await JsonNode.ParseAsync(request.Body, cancellationToken: ct) as JsonObject;
            _ = body?.Count; // a JsonObject reads its properties on first use: a repeated name throws here, not later
            return body is null ? (null, Problem(400, "Send the connection as a JSON object.")) : (body, null);
        }
        catch (JsonException e)
        {
            return (null, Problem(400, "The body is not valid JSON.", e.Message));
        }
        catch (ArgumentException)
        {
            return (null, Problem(400, "The body names a field twice.", "Send each field once."));
        }
        catch (BadHttpRequestException e)
        {
            return (null, Problem(e.StatusCode, "The body is too large.", $"A connection's JSON is at most {MaxBodyBytes / 1024} KB."));
        }
    }

    /// <summary>
    /// The body as the form's strings (a wrong JSON type is a field error here; everything else is the validator's),
    /// the version, and type errors by snake_case field. <paramref name="current"/> is the saved connection of a PUT.
    /// </summary>
    private static (ConnectionInput? Input, int? Version, FieldErrors Errors) ReadInput(JsonObject body, ConnectionView? current)
    {
        var errors = new FieldErrors();
        var name = Text(body, "name", errors);
        var baseUrl = Text(body, "base_url", errors);
        var model = Text(body, "model", errors);
        var maxTokensField = Text(body, "max_tokens_field", errors);
        var contextSize = Number(body, "context_size", errors);
        var temperature = Number(body, "temperature", errors);
        var topP = Number(body, "top_p", errors);
        var maxTokens = Number(body, "max_tokens", errors);
        var frequency = Number(body, "frequency_penalty", errors);
        var presence = Number(body, "presence_penalty", errors);
        var stop = Stop(body, errors);

        // Omitted keeps the saved key (a GET never shows it, so a client cannot send it back); null removes it.
        var apiKey = "";
        var clearKey = false;
        if (body.TryGetPropertyValue("api_key", out var keyNode))
        {
            if (keyNode is null) clearKey = true;
            else apiKey = Text(body, "api_key", errors);
        }

        var makeDefault = current?.IsDefault ?? false;
        if (body.TryGetPropertyValue("is_default", out var defaultNode) && defaultNode is not null)
        {
            if (defaultNode.GetValueKind() is JsonValueKind.True or JsonValueKind.False) makeDefault = defaultNode.GetValue<bool>();
            else errors.Add("is_default", "is_default must be true or false.");
        }

        int? version = null;
        if (body.TryGetPropertyValue("version", out var versionNode) && versionNode is not null)
        {
            if (versionNode is JsonValue v && v.TryGetValue<int>(out var parsed)) version = parsed;
            else errors.Add("version", "version must be a whole number (the one GET returned).");
        }

        if (!errors.IsEmpty) return (null, version, errors);
        return (new ConnectionInput(name, baseUrl, apiKey, clearKey, model, contextSize, temperature, topP, maxTokens, maxTokensField,
            frequency, presence, stop, makeDefault), version, errors);
    }

    /// <summary>A string field; omitted or null is blank (the validator says when it is required).</summary>
    private static string Text(JsonObject body, string field, FieldErrors errors)
    {
        if (!body.TryGetPropertyValue(field, out var node) || node is null) return "";
        if (node.GetValueKind() != JsonValueKind.String)
        {
            errors.Add(field, $"{field} must be a string.");
            return "";
        }
        try
        {
            return node.GetValue<string>();
        }
        catch (InvalidOperationException) // "\ud800" alone: JSON allows the escape, a .NET string read from it does not
        {
            errors.Add(field, $"{field} is not valid Unicode text.");
            return "";
        }
    }

    /// <summary>A number field as the text it was written with; omitted or null is blank (the server's default).</summary>
    private static string Number(JsonObject body, string field, FieldErrors errors)
    {
        if (!body.TryGetPropertyValue(field, out var node) || node is null) return "";
        if (node.GetValueKind() != JsonValueKind.Number)
        {
            errors.Add(field, $"{field} must be a number or null.");
            return "";
        }
        return node.ToJsonString();
    }

    /// <summary>Stop strings as the form's one-per-line text, escaped so that the form's parser returns them unchanged.</summary>
    private static string Stop(JsonObject body, FieldErrors errors)
    {
        if (!body.TryGetPropertyValue("stop", out var node) || node is null) return "";
        if (node is not JsonArray array || array.Any(s => s is null || s.GetValueKind() != JsonValueKind.String))
        {
            errors.Add("stop", "stop must be an array of strings.");
            return "";
        }
        string[] strings;
        try
        {
            strings = array.Select(s => s!.GetValue<string>()).ToArray();
        }
        catch (InvalidOperationException)
        {
            errors.Add("stop", "A stop string is not valid Unicode text.");
            return "";
        }
        if (strings.Any(s => s.Length == 0)) errors.Add("stop", "A stop string cannot be empty.");
        // The form's text splits on every kind of line break; only \n survives its escaping, so the others are refused
        // here instead of silently splitting one stop string into two.
        else if (strings.Any(s => s.Any(ch => ch is '\r' or '\f' or '\u0085' or '\u2028' or '\u2029')))
            errors.Add("stop", ConnectionRules.StopControlMessage);
        return ConnectionRules.StopText(strings);
    }

    private static IResult NotFound() => Problem(404, "No such connection.");

    private static IResult Problem(int status, string title, string? detail = null) =>
        Results.Problem(statusCode: status, title: title, detail: detail);

    private static IResult Validation(FieldErrors errors) =>
        Results.ValidationProblem(errors.All.ToDictionary(e => ApiName(e.Key), e => e.Value.ToArray()),
            title: "Some fields need attention.");

    /// <summary>The validator names fields as the form does ("BaseUrl"); the API as its JSON does ("base_url").</summary>
    private static string ApiName(string field) => JsonNamingPolicy.SnakeCaseLower.ConvertName(field);
}
