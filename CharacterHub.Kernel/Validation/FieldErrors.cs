namespace CharacterHub.Kernel.Validation;

/// <summary>Validation messages keyed by field name (the form field or the API's snake_case property).</summary>
public sealed class FieldErrors
{
    private readonly Dictionary<string, List<string>> errors = new(StringComparer.Ordinal);

    public bool IsEmpty => errors.Count == 0;
    public IReadOnlyDictionary<string, List<string>> All => errors;

    public FieldErrors Add(string field, string message)
    {
        if (!errors.TryGetValue(field, out var list)) errors[field] = list = [];
        list.Add(message);
        return this;
    }

    public IDictionary<string, string[]> ToDictionary() => errors.ToDictionary(e => e.Key, e => e.Value.ToArray());

    public static FieldErrors One(string field, string message) => new FieldErrors().Add(field, message);
}
