using System.Collections.Concurrent;
using System.Text;
using HandlebarsDotNet;

namespace CharacterHub.Modules.Interaction.Prompting;

/// <summary>A user's story-string template that could not be used; shown in the prompt inspector.</summary>
internal sealed record TemplateError(string Message, string Template);

internal sealed record StoryStringParameters
{
    public string System { get; init; } = "";
    public string Description { get; init; } = "";
    public string Personality { get; init; } = "";
    public string Scenario { get; init; } = "";
    public string Persona { get; init; } = "";
    public string Char { get; init; } = "";
    public string User { get; init; } = "";
    public string WiBefore { get; init; } = "";
    public string WiAfter { get; init; } = "";
    public string MesExamples { get; init; } = "";
    public string MesExamplesRaw { get; init; } = "";
}

internal sealed record StoryStringResult(string Text, TemplateError? Error);

/// <summary>Renders the SillyTavern story string with Handlebars (no HTML escaping). Compiled templates are cached by
/// their text with a size bound, broken ones too, so a bad template costs one compile, not one per turn.</summary>
internal sealed class StoryStringRenderer
{
    private const int MaxCachedTemplates = 128;

    /// <summary>Stands in for the "{{" of macros that are not story-string parameters, so Handlebars neither
    /// blanks them (a missing value renders as "") nor rejects them (<c>{{// note}}</c>, <c>{{roll:d20}}</c> are not
    /// Handlebars syntax); the macro engine expands them afterwards.</summary>
    private const char ProtectedOpen = '\uE000';

    private static readonly HashSet<string> Parameters = new(StringComparer.Ordinal)
    {
        "system", "description", "personality", "scenario", "persona", "char", "user",
        "wiBefore", "wiAfter", "loreBefore", "loreAfter", "mesExamples", "mesExamplesRaw", "this", "else",
    };

    private readonly IHandlebars handlebars = Handlebars.Create(new HandlebarsConfiguration { NoEscape = true });
    private readonly ConcurrentDictionary<string, Compiled> cache = new(StringComparer.Ordinal);

    private sealed record Compiled(HandlebarsTemplate<object, object>? Render, string? Error);

    public StoryStringResult Render(string? template, StoryStringParameters parameters)
    {
        template ??= "";
        var data = ToData(parameters);
        var compiled = GetCompiled(template);
        string? error = compiled.Error;
        if (compiled.Render is not null)
        {
            try
            {
                return new StoryStringResult(Finish(compiled.Render(data)), null);
            }
            catch (Exception ex)
            {
                error = "The story string could not be rendered: " + ex.Message;
            }
        }
        var fallback = GetCompiled(PromptSettings.DefaultStoryString).Render
            ?? throw new InvalidOperationException("The built-in story string must compile.");
        return new StoryStringResult(Finish(fallback(data)), new TemplateError(error ?? "Unknown template error.", template));
    }

    /// <summary>Checks a template a user is saving: it must compile and render with every parameter filled (so a
    /// branch behind <c>{{#if}}</c> is exercised too). Null when it is usable; otherwise the error and, where it can be
    /// told, the 1-based line.</summary>
    public TemplateProblem? Check(string template)
    {
        var compiled = GetCompiled(template);
        var error = compiled.Error;
        if (compiled.Render is not null)
        {
            try
            {
                compiled.Render(ToData(TemplateProblem.SampleParameters));
                return null;
            }
            catch (Exception ex)
            {
                error = "The story string could not be rendered: " + ex.Message;
            }
        }
        return TemplateProblem.Describe(Protect(template), error ?? "Unknown template error.");
    }

    private Compiled GetCompiled(string template)
    {
        if (cache.TryGetValue(template, out var known)) return known;
        Compiled compiled;
        try
        {
            compiled = new Compiled(handlebars.Compile(Protect(template)), null);
        }
        catch (Exception ex)
        {
            compiled = new Compiled(null, "The story string template is not valid Handlebars: " + ex.Message);
        }
        if (cache.Count >= MaxCachedTemplates) cache.Clear();
        cache.TryAdd(template, compiled);
        return compiled;
    }

    private static Dictionary<string, object> ToData(StoryStringParameters p) => new(StringComparer.Ordinal)
    {
        ["system"] = p.System,
        ["description"] = p.Description,
        ["personality"] = p.Personality,
        ["scenario"] = p.Scenario,
        ["persona"] = p.Persona,
        ["char"] = p.Char,
        ["user"] = p.User,
        ["wiBefore"] = p.WiBefore,
        ["wiAfter"] = p.WiAfter,
        ["loreBefore"] = p.WiBefore,
        ["loreAfter"] = p.WiAfter,
        ["mesExamples"] = p.MesExamples,
        ["mesExamplesRaw"] = p.MesExamplesRaw,
    };

    private static string Finish(string rendered) => rendered.Replace(ProtectedOpen.ToString(), "{{", StringComparison.Ordinal).TrimStart('\n', '\r');

    internal static bool UsesParameter(string template, string name) => template.Contains(name, StringComparison.Ordinal);

    private static string Protect(string template)
    {
        var result = new StringBuilder(template.Length);
        var i = 0;
        while (i < template.Length)
        {
            var open = template.IndexOf("{{", i, StringComparison.Ordinal);
            if (open < 0)
            {
                result.Append(template, i, template.Length - i);
                break;
            }
            result.Append(template, i, open - i);
            result.Append(IsHandlebarsSyntax(template, open + 2) ? "{{" : ProtectedOpen.ToString());
            i = open + 2;
        }
        return result.ToString();
    }

    private static bool IsHandlebarsSyntax(string template, int bodyStart)
    {
        var j = bodyStart;
        while (j < template.Length && template[j] is '{' or '~' or ' ' or '&') j++;
        if (j >= template.Length) return false;
        if (template[j] == '/' && j + 1 < template.Length && template[j + 1] == '/') return false;
        if (template[j] is '#' or '/' or '^' or '!' or '>' or '@' or '.') return true;
        var end = j;
        while (end < template.Length && (char.IsLetterOrDigit(template[end]) || template[end] == '_')) end++;
        return Parameters.Contains(template[j..end]) && (end >= template.Length || template[end] is '}' or ' ' or '~' or '.');
    }
}
