namespace CharacterHub.Modules.Characters.Cards;

/// <summary>A rule a card breaks. <see cref="Blocking"/> problems make a card unusable; the others are shown to the
/// uploader (for example, external media that will only load with the viewer's consent).</summary>
internal sealed record CardProblem(string Field, string Message, bool Blocking);

/// <summary>
/// Checks a decoded card against the spec's rules and the platform's limits. Reading already repaired what can
/// be repaired; this reports what cannot, so an import page can explain it before anything is stored.
/// </summary>
internal static class CardValidator
{
    public static IReadOnlyList<CardProblem> Validate(CharacterCard card, IReadOnlyList<CardFile> files, CardLimits? limits = null)
    {
        limits ??= CardLimits.Default;
        var problems = new List<CardProblem>();
        if (string.IsNullOrWhiteSpace(card.Name))
            problems.Add(new("name", "The character has no name.", Blocking: true));
        if (card.Name.Length > limits.MaxNameLength)
            problems.Add(new("name", $"The name is {card.Name.Length} characters long; at most {limits.MaxNameLength} are accepted.", Blocking: true));
        if (string.IsNullOrWhiteSpace(card.FirstMessage) && card.AlternateGreetings.Count == 0)
            problems.Add(new("first_mes", "The character has no first message.", Blocking: false));

        if (card.CharacterBook is { } book)
        {
            if (book.Entries.Count > limits.MaxLorebookEntries)
                problems.Add(new("character_book", $"The lorebook has {book.Entries.Count} entries; at most {limits.MaxLorebookEntries} are accepted.", Blocking: true));
            for (var i = 0; i < book.Entries.Count; i++)
                if (book.Entries[i].Keys.Count == 0 && book.Entries[i].Constant != true && book.Entries[i].Enabled)
                    problems.Add(new($"character_book.entries[{i}]", "This lorebook entry has no keys and is not constant, so it never activates.", Blocking: false));
        }

        if (card.Assets is { } assets)
        {
            var icons = 0;
            var mains = 0;
            for (var i = 0; i < assets.Count; i++)
            {
                var asset = assets[i];
                var field = $"assets[{i}]";
                if (asset.Type == "icon")
                {
                    icons++;
                    if (asset.Name == "main") mains++;
                }
                if (CardAssets.EmbeddedPath(asset.Uri) is { } path)
                {
                    if (!files.Any(f => string.Equals(f.Path, path, StringComparison.Ordinal)))
                        problems.Add(new(field, $"The asset \"{asset.Name}\" points to \"{asset.Uri}\", which the file does not contain.", Blocking: false));
                }
                else if (asset.Uri.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || asset.Uri.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
                {
                    problems.Add(new(field, $"The asset \"{asset.Name}\" is loaded from another site ({asset.Uri}); it is shown only with the viewer's consent.", Blocking: false));
                }
                else if (!asset.Uri.StartsWith("data:", StringComparison.OrdinalIgnoreCase) && !asset.Uri.Equals("ccdefault:", StringComparison.OrdinalIgnoreCase))
                {
                    // javascript:, file: and the like are never followed; the asset is ignored rather than the card refused.
                    problems.Add(new(field, $"The asset \"{asset.Name}\" has an unsupported address and will be ignored.", Blocking: false));
                }
            }
            if (icons > 1 && mains != 1)
                problems.Add(new("assets", "With several icons exactly one must be named \"main\".", Blocking: false));
        }
        return problems;
    }
}
