using CharacterHub.Modules.Interaction.Prompting;

namespace CharacterHub.Tests.Unit.Prompting;

public sealed class LorebookMatcherTests
{
    private static readonly DateTimeOffset T0 = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly LorebookMatcher matcher = new(TiktokenTokenCounter.Shared);

    private static List<HistoryMessage> Chat(params string[] messages) =>
        messages.Select((m, i) => new HistoryMessage(i % 2 == 0 ? ChatRole.User : ChatRole.Assistant, i % 2 == 0 ? "Sam" : "Aria", m, T0.AddMinutes(i))).ToList();

    private static Lorebook Book(params LorebookEntry[] entries) => new() { Entries = entries, ScanDepth = 10 };

    private static LorebookEntry Entry(string id, params string[] keys) => new() { Id = id, Keys = keys, Content = "About " + id + "." };

    private IReadOnlyList<string> Ids(Lorebook book, List<HistoryMessage> chat, int seed = 1) =>
        matcher.Scan(book, chat, new Random(seed)).Activated.Select(a => a.Entry.Id).ToList();

    [Test]
    public void Scan_KeyInChat_ActivatesAndReportsTheKey()
    {
        var result = matcher.Scan(Book(Entry("dragon", "wyrm", "dragon"), Entry("elf", "elf")), Chat("I saw a DRAGON today"), new Random(1));
        Assert.That(result.Activated.Select(a => a.Entry.Id), Is.EqualTo(new[] { "dragon" }));
        Assert.That(result.Activated[0].MatchedKey, Is.EqualTo("dragon"));
        Assert.That(result.Activated[0].Activation, Is.EqualTo(LoreActivation.Key));
        Assert.That(result.Activated[0].Tokens, Is.GreaterThan(0));
    }

    [Test]
    public void Scan_DisabledEntry_IsSkipped() =>
        Assert.That(Ids(Book(Entry("x", "dragon") with { Enabled = false }), Chat("dragon")), Is.Empty);

    [Test]
    public void Scan_ConstantEntry_ActivatesWithoutKeys()
    {
        var result = matcher.Scan(Book(new LorebookEntry { Id = "always", Constant = true, Content = "Rules." }), Chat("nothing"), new Random(1));
        Assert.That(result.Activated.Single().Activation, Is.EqualTo(LoreActivation.Constant));
    }

    [Test]
    public void Scan_CaseSensitiveEntry_RequiresExactCase()
    {
        var book = Book(Entry("cs", "Rose") with { CaseSensitive = true }, Entry("ci", "Rose"));
        Assert.That(Ids(book, Chat("a rose by any name")), Is.EqualTo(new[] { "ci" }));
        Assert.That(Ids(book, Chat("Rose is here")), Is.EquivalentTo(new[] { "cs", "ci" }));
    }

    [Test]
    public void Scan_MatchWholeWords_IgnoresKeysInsideOtherWords()
    {
        var book = Book(Entry("whole", "cat") with { MatchWholeWords = true }, Entry("part", "cat"));
        Assert.That(Ids(book, Chat("a concatenation")), Is.EqualTo(new[] { "part" }));
        Assert.That(Ids(book, Chat("the cat, sleeping")), Is.EquivalentTo(new[] { "whole", "part" }));
        Assert.That(Ids(book, Chat("concat then cat")), Is.EquivalentTo(new[] { "whole", "part" }), "a later whole-word occurrence counts");
    }

    [TestCase("AndAny", "sword fire", true)]
    [TestCase("AndAny", "sword", false)]
    [TestCase("AndAll", "sword fire ice", true)]
    [TestCase("AndAll", "sword fire", false)]
    [TestCase("NotAny", "sword", true)]
    [TestCase("NotAny", "sword ice", false)]
    [TestCase("NotAll", "sword fire", true)]
    [TestCase("NotAll", "sword fire ice", false)]
    [TestCase("AndAny", "fire ice", false)]
    public void Scan_SelectiveLogic_CombinesPrimaryAndSecondaryKeys(string logicName, string text, bool expected)
    {
        var logic = Enum.Parse<SelectiveLogic>(logicName);
        var entry = Entry("blade", "sword") with { Selective = true, SelectiveLogic = logic, SecondaryKeys = ["fire", "ice"] };
        Assert.That(Ids(Book(entry), Chat(text)).Count == 1, Is.EqualTo(expected));
    }

    [Test]
    public void Scan_NotSelective_IgnoresSecondaryKeys()
    {
        var entry = Entry("blade", "sword") with { Selective = false, SelectiveLogic = SelectiveLogic.AndAll, SecondaryKeys = ["fire"] };
        Assert.That(Ids(Book(entry), Chat("sword")), Has.Count.EqualTo(1));
    }

    [Test]
    public void Scan_SlashRegexKey_MatchesWithFlags()
    {
        var book = Book(Entry("re", "/colou?r\\s+red/i"), Entry("strict", "/^Hello/"));
        Assert.That(Ids(book, Chat("The COLOR   red")), Is.EqualTo(new[] { "re" }));
        Assert.That(Ids(book, Chat("hello")), Is.Empty);
        Assert.That(Ids(book, Chat("Hello")), Is.EqualTo(new[] { "strict" }));
    }

    [Test]
    public void Scan_UseRegexEntry_TreatsPlainKeysAsPatterns()
    {
        var book = Book(Entry("re", @"sp[ae]ll\d+") with { UseRegex = true });
        Assert.That(Ids(book, Chat("cast SPELL42 now")), Is.EqualTo(new[] { "re" }));
    }

    [Test]
    public void Scan_InvalidRegex_IsReportedNotThrown()
    {
        var result = matcher.Scan(Book(Entry("bad", "/(unclosed/"), Entry("ok", "fine")), Chat("fine (unclosed"), new Random(1));
        Assert.That(result.Activated.Select(a => a.Entry.Id), Is.EqualTo(new[] { "ok" }));
        Assert.That(result.Notes.Single().Kind, Is.EqualTo(LoreNoteKind.InvalidRegex));
    }

    [Test]
    public void Scan_CatastrophicBacktrackingRegex_TimesOutAsNoMatchAndIsReported()
    {
        var book = Book(Entry("evil", "/^(a+)+$/"), Entry("ok", "aaa"));
        var chat = Chat(new string('a', 40) + "!");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var result = matcher.Scan(book, chat, new Random(1));
        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(2)));
        Assert.That(result.Activated.Select(a => a.Entry.Id), Is.EqualTo(new[] { "ok" }));
        Assert.That(result.Notes.Select(n => n.Kind), Does.Contain(LoreNoteKind.RegexTimeout));

        watch.Restart();
        var again = matcher.Scan(book, chat, new Random(1));
        Assert.That(watch.ElapsedMilliseconds, Is.LessThan(LorebookMatcher.RegexTimeout.TotalMilliseconds), "a pattern that timed out is not run again for this book version");
        Assert.That(again.Notes.Select(n => n.Kind), Does.Contain(LoreNoteKind.RegexTimeout));
    }

    [Test]
    public void Scan_ScanDepth_LooksOnlyAtRecentMessages()
    {
        var chat = Chat("the dragon appears", "run!", "where to?", "the cave");
        var book = new Lorebook { ScanDepth = 2, Entries = [Entry("dragon", "dragon"), Entry("cave", "cave")] };
        Assert.That(Ids(book, chat), Is.EqualTo(new[] { "cave" }));
        var deeper = book with { Entries = [Entry("dragon", "dragon") with { ScanDepth = 4 }, Entry("cave", "cave")] };
        Assert.That(Ids(deeper, chat), Is.EquivalentTo(new[] { "dragon", "cave" }));
        var none = book with { ScanDepth = 0 };
        Assert.That(Ids(none, chat), Is.Empty);
    }

    [Test]
    public void Scan_KeysNeverMatchAcrossMessageBoundaries()
    {
        var book = Book(Entry("joined", "redmoon"));
        Assert.That(Ids(book, Chat("red", "moon")), Is.Empty);
    }

    [Test]
    public void Scan_Recursion_ActivatesEntriesMentionedByActivatedContent()
    {
        var book = new Lorebook
        {
            ScanDepth = 2,
            RecursiveScanning = true,
            Entries =
            [
                Entry("king", "king") with { Content = "The king rules from the Obsidian Throne." },
                Entry("throne", "obsidian throne") with { Content = "The throne was forged by the dwarves." },
                Entry("dwarves", "dwarves") with { Content = "Dwarves live underground." },
            ],
        };
        var result = matcher.Scan(book, Chat("Tell me about the king"), new Random(1));
        Assert.That(result.Activated.Select(a => (a.Entry.Id, a.RecursionLevel)), Is.EqualTo(new[] { ("king", 0), ("throne", 1), ("dwarves", 2) }));
        Assert.That(result.Activated[1].Activation, Is.EqualTo(LoreActivation.Recursion));

        Assert.That(Ids(book with { RecursiveScanning = false }, Chat("Tell me about the king")), Is.EqualTo(new[] { "king" }));
        Assert.That(Ids(book with { MaxRecursionSteps = 1 }, Chat("Tell me about the king")), Is.EqualTo(new[] { "king", "throne" }));
    }

    [Test]
    public void Scan_RecursionFlags_AreHonoured()
    {
        var baseBook = new Lorebook { ScanDepth = 2, RecursiveScanning = true };
        var king = Entry("king", "king") with { Content = "The king fears the dragon." };
        var dragon = Entry("dragon", "dragon");

        Assert.That(Ids(baseBook with { Entries = [king with { PreventRecursion = true }, dragon] }, Chat("the king")), Is.EqualTo(new[] { "king" }), "prevent_recursion");
        Assert.That(Ids(baseBook with { Entries = [king, dragon with { ExcludeRecursion = true }] }, Chat("the king")), Is.EqualTo(new[] { "king" }), "exclude_recursion");
        Assert.That(Ids(baseBook with { Entries = [king, dragon with { DelayUntilRecursion = true }] }, Chat("the dragon")), Is.Empty, "delay_until_recursion ignores chat on the first pass");
        Assert.That(Ids(baseBook with { Entries = [king, dragon with { DelayUntilRecursion = true }] }, Chat("the king")), Is.EqualTo(new[] { "king", "dragon" }));
    }

    [Test]
    public void Scan_MutuallyReferencingEntries_StopAfterEachActivatesOnce()
    {
        var book = new Lorebook
        {
            ScanDepth = 1,
            RecursiveScanning = true,
            MaxRecursionSteps = 100,
            Entries = [Entry("a", "alpha") with { Content = "alpha beta" }, Entry("b", "beta") with { Content = "beta alpha" }],
        };
        Assert.That(Ids(book, Chat("alpha")), Is.EqualTo(new[] { "a", "b" }));
    }

    [Test]
    public void Scan_Probability_UsesTheInjectedRandom()
    {
        var book = Book(Entry("maybe", "rain") with { Probability = 50 });
        var hits = Enumerable.Range(0, 400).Count(seed => Ids(book, Chat("rain"), seed).Count == 1);
        Assert.That(hits, Is.InRange(140, 260));
        Assert.That(Ids(book, Chat("rain"), 7), Is.EqualTo(Ids(book, Chat("rain"), 7)), "same seed, same outcome");
        Assert.That(Ids(Book(Entry("never", "rain") with { Probability = 0 }), Chat("rain")), Is.Empty);
        var failed = Enumerable.Range(0, 50).Select(seed => matcher.Scan(book, Chat("rain"), new Random(seed))).First(r => r.Activated.Count == 0);
        Assert.That(failed.Notes.Single().Kind, Is.EqualTo(LoreNoteKind.ProbabilityFailed));
    }

    [Test]
    public void Scan_InclusionGroup_KeepsOnlyTheHighestPriority()
    {
        var book = Book(
            Entry("low", "weather") with { Group = "sky", Priority = 1 },
            Entry("high", "weather") with { Group = "sky", Priority = 5 },
            Entry("other", "weather") with { Group = "ground" });
        var result = matcher.Scan(book, Chat("the weather"), new Random(1));
        Assert.That(result.Activated.Select(a => a.Entry.Id), Is.EquivalentTo(new[] { "high", "other" }));
        Assert.That(result.Notes.Single(n => n.Kind == LoreNoteKind.LostInclusionGroup).Entry.Id, Is.EqualTo("low"));
    }

    [Test]
    public void Scan_InclusionGroupTie_DrawsByWeight()
    {
        var book = Book(
            Entry("heavy", "weather") with { Group = "sky", GroupWeight = 90 },
            Entry("light", "weather") with { Group = "sky", GroupWeight = 10 });
        var winners = Enumerable.Range(0, 500).Select(seed => Ids(book, Chat("weather"), seed).Single()).ToList();
        Assert.That(winners.Count(w => w == "heavy"), Is.InRange(400, 490));
        Assert.That(winners, Does.Contain("light"));
    }

    [Test]
    public void Scan_TokenBudget_DropsLowestPriorityFirst()
    {
        var content = string.Join(' ', Enumerable.Repeat("lore", 40));
        var book = Book(
            Entry("p1", "x") with { Priority = 1, Content = content },
            Entry("p9", "x") with { Priority = 9, Content = content },
            Entry("p5", "x") with { Priority = 5, Content = content }) with { TokenBudget = 90 };
        var result = matcher.Scan(book, Chat("x"), new Random(1));
        Assert.That(result.Activated.Select(a => a.Entry.Id), Is.EquivalentTo(new[] { "p9", "p5" }));
        Assert.That(result.Notes.Single(n => n.Kind == LoreNoteKind.OverBudget).Entry.Id, Is.EqualTo("p1"));
    }

    [Test]
    public void Scan_Result_IsSortedByInsertionOrder()
    {
        var book = Book(Entry("late", "x") with { InsertionOrder = 300 }, Entry("early", "x") with { InsertionOrder = 10 }, Entry("mid", "x") with { InsertionOrder = 100 });
        Assert.That(Ids(book, Chat("x")), Is.EqualTo(new[] { "early", "mid", "late" }));
    }

    [Test]
    public void GetCompiled_SameIdAndVersion_IsReused_NewVersion_Recompiles()
    {
        var book = Book(Entry("a", "x")) with { Id = "book-1", Version = 1 };
        Assert.That(matcher.GetCompiled(book), Is.SameAs(matcher.GetCompiled(book with { })));
        Assert.That(matcher.GetCompiled(book with { Version = 2 }), Is.Not.SameAs(matcher.GetCompiled(book)));
    }

    [Test]
    public void Scan_EmptyInputs_AreHarmless()
    {
        Assert.That(Ids(Book(), Chat()), Is.Empty);
        Assert.That(Ids(Book(Entry("a", "", " ")), Chat("anything")), Is.Empty);
        Assert.That(Ids(Book(Entry("a", "x")), Chat()), Is.Empty);
    }

    [Test]
    public void Scan_MatchingWork_FollowsTheTextNotTheNumberOfKeys()
    {
        // Guards against a return to searching every key of every entry through the text. MatchWork counts automaton
        // steps plus candidate occurrences checked, i.e. the comparisons a scan makes for plain keys; a per-key search
        // would need at least keys × text of them. Deterministic: no timing involved.
        var chat = Chat("The old bridge creaks under the cart.", "Across the river the market opens.", "She counts her silver twice.");
        var chatChars = chat.Sum(m => m.Content.Length + 1);
        LorebookEntry Unmatched(int i) => Entry("e" + i, $"zq{i}x", $"vw{i} yk", $"k{i}q{i}") with { Content = "" };
        var small = matcher.Scan(Book([.. Enumerable.Range(0, 10).Select(Unmatched), Entry("hit", "silver")]), chat, new Random(1));
        var large = matcher.Scan(Book([.. Enumerable.Range(0, 3_000).Select(Unmatched), Entry("hit", "silver")]), chat, new Random(1));

        Assert.That(small.Activated.Select(a => a.Entry.Id), Is.EqualTo(new[] { "hit" }));
        Assert.That(large.Activated.Select(a => a.Entry.Id), Is.EqualTo(new[] { "hit" }));
        Assert.That(large.MatchWork, Is.GreaterThan(0));
        Assert.That(large.MatchWork, Is.LessThanOrEqualTo(2L * chatChars + 10), "9,003 keys cost no more than two steps per character");
        Assert.That(large.MatchWork, Is.LessThanOrEqualTo(small.MatchWork + chatChars), "300 times the keys, about the same work");
    }

    [Test]
    public void Scan_RecursionWork_FollowsKeyOccurrencesNotContentLength()
    {
        // Recursion used to re-search the growing activated content for every pending key; now an activated entry
        // contributes only the keys found in its content when the book was compiled.
        var filler = string.Join(' ', Enumerable.Repeat("lorem ipsum dolor", 2_000));
        var book = new Lorebook
        {
            ScanDepth = 1,
            RecursiveScanning = true,
            Entries = [Entry("a", "alpha") with { Content = filler + " beta" }, Entry("b", "beta"), .. Enumerable.Range(0, 500).Select(i => Entry("n" + i, $"nomatch{i}"))],
        };
        var result = matcher.Scan(book, Chat("alpha"), new Random(1));
        Assert.That(result.Activated.Select(a => a.Entry.Id), Is.EqualTo(new[] { "a", "b" }));
        Assert.That(result.MatchWork, Is.LessThan(100), "a 34,000-character content with one key in it is one unit of work, not a scan per key");
    }
}
