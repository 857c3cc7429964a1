using CharacterHub.Modules.Interaction.Prompting;

namespace CharacterHub.Tests.Unit.Prompting;

public sealed class KeyAutomatonTests
{
    private static List<(string Pattern, int Start)> All(string[] patterns, string text, int from = 0)
    {
        var sink = new Collector(patterns, []);
        new KeyAutomaton(patterns).Scan(text, from, ref sink);
        return sink.Found;
    }

    [Test]
    public void Scan_ReportsEveryOccurrence_IncludingOverlapsAndSuffixes()
    {
        // The textbook case: every pattern here is reached only through failure or dictionary-suffix links.
        var found = All(["he", "she", "his", "hers"], "ushers");
        Assert.That(found, Is.EquivalentTo(new[] { ("she", 1), ("he", 2), ("hers", 2) }));
        Assert.That(All(["aa"], "aaaa"), Is.EqualTo(new[] { ("aa", 0), ("aa", 1), ("aa", 2) }));
    }

    [Test]
    public void Scan_MatchesANaiveSearch_OnRandomInput()
    {
        var random = new Random(7);
        for (var round = 0; round < 50; round++)
        {
            var patterns = Enumerable.Range(0, random.Next(1, 30)).Select(_ => Word(random, random.Next(1, 5))).Distinct().ToArray();
            var text = Word(random, 300) + "é\u4e2d" + Word(random, 50);
            var from = random.Next(0, 40);
            var expected = patterns.SelectMany(p => Enumerable.Range(from, Math.Max(0, text.Length - p.Length - from + 1))
                .Where(i => string.CompareOrdinal(text, i, p, 0, p.Length) == 0).Select(i => (p, i))).ToList();
            Assert.That(All(patterns, text, from), Is.EquivalentTo(expected), $"round {round}");
        }
    }

    [Test]
    public void Scan_StepsStayWithinTwicePerCharacter()
    {
        var patterns = Enumerable.Range(0, 2_000).Select(i => "ab" + i).Append("abab").ToArray();
        var text = string.Concat(Enumerable.Repeat("ababab1999 ", 100));
        var sink = new Collector(patterns, []);
        var steps = new KeyAutomaton(patterns).Scan(text, 0, ref sink);
        Assert.That(steps, Is.LessThanOrEqualTo(2L * text.Length));
        Assert.That(sink.Found.Count(f => f.Pattern == "ab1999"), Is.EqualTo(100));
    }

    [Test]
    public void Constructor_RejectsEmptyPatterns() =>
        Assert.Throws<ArgumentException>(() => _ = new KeyAutomaton(["a", ""]));

    private static string Word(Random random, int length) => new([.. Enumerable.Range(0, length).Select(_ => "abc"[random.Next(3)])]);

    private struct Collector(string[] patterns, List<(string, int)> found) : IKeyOccurrenceSink
    {
        public readonly List<(string Pattern, int Start)> Found = found;

        public readonly void OnOccurrence(int pattern, int start) => Found.Add((patterns[pattern], start));
    }
}
