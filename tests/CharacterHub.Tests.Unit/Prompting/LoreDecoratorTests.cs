using CharacterHub.Modules.Interaction.Prompting;

namespace CharacterHub.Tests.Unit.Prompting;

public sealed class LoreDecoratorTests
{
    private static readonly DateTimeOffset T0 = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly LorebookMatcher matcher = new(TiktokenTokenCounter.Shared);

    private static List<HistoryMessage> Chat(params string[] messages) =>
        messages.Select((m, i) => new HistoryMessage(i % 2 == 0 ? ChatRole.User : ChatRole.Assistant, i % 2 == 0 ? "Sam" : "Aria", m, T0.AddMinutes(i))).ToList();

    private static Lorebook Book(params LorebookEntry[] entries) => new() { Entries = entries, ScanDepth = 10 };

    private static LorebookEntry Entry(string id, string content, params string[] keys) => new() { Id = id, Keys = keys, Content = content };

    private LoreScanResult Scan(Lorebook book, List<HistoryMessage> chat) => matcher.Scan(book, chat, new Random(1));

    [Test]
    public void Parse_StripsTopLinesOnly_AndReadsTheirValues()
    {
        var d = LoreDecorators.Parse("@@depth 4\r\n@@role user\n@@scan_depth 7\n@@activate_only_after 3\n@@exclude_keys  rain , snow \nThe tower.\n@@depth 9");
        Assert.That(d.Content, Is.EqualTo("The tower.\n@@depth 9"), "a @@ line after the text is content");
        Assert.That((d.Depth, d.Role, d.ScanDepth, d.ActivateOnlyAfter), Is.EqualTo(((int?)4, (ChatRole?)ChatRole.User, (int?)7, (int?)3)));
        Assert.That(d.ExcludeKeys, Is.EqualTo(new[] { "rain", "snow" }));
        Assert.That(d.EffectivePosition, Is.EqualTo(LorePosition.AtDepth), "@@depth alone places the entry at that depth");
        Assert.That(d.Ignored, Is.Empty);
        Assert.That(LoreDecorators.Parse("No decorators.").Content, Is.EqualTo("No decorators."));
    }

    [TestCase("before_desc", "BeforeChar")]
    [TestCase("after_desc", "AfterChar")]
    [TestCase("personality", "AfterChar")]
    [TestCase("scenario", "AfterChar")]
    [TestCase("an_top", "AuthorsNoteTop")]
    [TestCase("an_bottom", "AuthorsNoteBottom")]
    [TestCase("depth", "AtDepth")]
    [TestCase("AFTER_DESC", "AfterChar")]
    public void Position_MapsOntoTheBuildersSlots(string value, string expectedName)
    {
        var expected = Enum.Parse<LorePosition>(expectedName);
        var hit = Scan(Book(Entry("e", $"@@position {value}\nText.", "tower") with { Position = LorePosition.AfterExamples }), Chat("the tower")).Activated.Single();
        Assert.That(hit.Entry.Position, Is.EqualTo(expected));
        Assert.That(hit.Entry.Content, Is.EqualTo("Text."));
    }

    [Test]
    public void PositionDecorator_WinsOverDepthWhicheverComesFirst()
    {
        var hit = Scan(Book(Entry("e", "@@position an_top\n@@depth 2\nText.", "tower")), Chat("the tower")).Activated.Single();
        Assert.That((hit.Entry.Position, hit.Entry.Depth), Is.EqualTo((LorePosition.AuthorsNoteTop, 2)));
    }

    [Test]
    public void DepthAndRole_AreAppliedAndTheTextIsStripped()
    {
        var result = Scan(Book(Entry("e", "@@depth 0\n@@role assistant\nThe tower hums.", "tower")), Chat("the tower"));
        var entry = result.Activated.Single().Entry;
        Assert.That((entry.Position, entry.Depth, entry.Role, entry.Content), Is.EqualTo((LorePosition.AtDepth, 0, ChatRole.Assistant, "The tower hums.")));
        Assert.That(result.Activated.Single().Tokens, Is.EqualTo(TiktokenTokenCounter.Shared.Count("The tower hums.")), "the budget sees the inserted text, not the decorators");
        Assert.That(result.Notes, Is.Empty);
    }

    [Test]
    public void ActivateOnlyAfter_WaitsForEnoughMessages()
    {
        var book = Book(Entry("e", "@@activate_only_after 3\nText.", "tower"));
        Assert.That(Scan(book, Chat("hello", "the tower")).Activated, Is.Empty);
        Assert.That(Scan(book, Chat("hello", "hi", "the tower")).Activated, Has.Count.EqualTo(1));
    }

    [Test]
    public void ScanDepth_OverridesTheBooks()
    {
        var chat = Chat("the tower", "a", "b");
        var book = Book(Entry("e", "Text.", "tower")) with { ScanDepth = 1 };
        Assert.That(Scan(book, chat).Activated, Is.Empty);
        Assert.That(Scan(book with { Entries = [Entry("e", "@@scan_depth 3\nText.", "tower")] }, chat).Activated, Has.Count.EqualTo(1));
        Assert.That(Scan(book with { Entries = [Entry("e", "@@scan_depth 0\nText.", "tower")] }, Chat("the tower")).Activated, Is.Empty);
    }

    [Test]
    public void ExcludeKeys_KeepTheEntryOutWhenPresent()
    {
        var book = Book(Entry("e", "@@exclude_keys rain, Snow\nText.", "tower"));
        Assert.That(Scan(book, Chat("the tower")).Activated, Has.Count.EqualTo(1));
        Assert.That(Scan(book, Chat("the tower in the snow")).Activated, Is.Empty);
        Assert.That(Scan(book, Chat("rain", "the tower")).Activated, Is.Empty, "any scanned message counts");
    }

    [Test]
    public void ExcludeKeys_AlsoSeeRecursionText()
    {
        var book = new Lorebook
        {
            ScanDepth = 2,
            RecursiveScanning = true,
            Entries = [Entry("king", "The king hates rain.", "king"), Entry("tower", "@@exclude_keys rain\nThe tower.", "tower")],
        };
        Assert.That(Scan(book, Chat("the tower")).Activated.Select(a => a.Entry.Id), Is.EqualTo(new[] { "tower" }));
        Assert.That(Scan(book, Chat("the king")).Activated.Select(a => a.Entry.Id), Is.EqualTo(new[] { "king" }), "not activated by recursion text that holds an excluded key");
    }

    [Test]
    public void DontActivate_NeverActivatesByKeys_Activate_AlwaysDoes()
    {
        var book = Book(Entry("never", "@@dont_activate\nNever.", "tower"), Entry("always", "@@activate\nAlways.", "zzz"));
        var result = Scan(book, Chat("the tower"));
        Assert.That(result.Activated.Select(a => (a.Entry.Id, a.Activation)), Is.EqualTo(new[] { ("always", LoreActivation.Constant) }));
        Assert.That(Scan(book, Chat("nothing here")).Activated.Select(a => a.Entry.Id), Is.EqualTo(new[] { "always" }));
    }

    [Test]
    public void UnknownDecorators_AreIgnored_StrippedAndReported()
    {
        var result = Scan(Book(Entry("e", "@@is_greeting 2\n@@depth deep\nText.", "tower")), Chat("the tower"));
        var hit = result.Activated.Single();
        Assert.That(hit.Entry.Content, Is.EqualTo("Text."));
        Assert.That(hit.Entry.Position, Is.EqualTo(LorePosition.BeforeChar), "an invalid value changes nothing");
        var notes = result.Notes.Where(n => n.Kind == LoreNoteKind.IgnoredDecorator).Select(n => n.Message).ToList();
        Assert.That(notes, Has.Count.EqualTo(2));
        Assert.That(notes[0], Does.Contain("@@is_greeting 2"));
        Assert.That(notes[1], Does.Contain("@@depth deep"));
    }

    [Test]
    public void Fallbacks_ApplyOnlyWhenTheDecoratorAboveIsUnsupported()
    {
        var fallback = Scan(Book(Entry("e", "@@instruct_depth 3\n@@@depth 2\nText.", "tower")), Chat("the tower"));
        Assert.That(fallback.Activated.Single().Entry.Depth, Is.EqualTo(2));
        Assert.That(fallback.Notes, Is.Empty);

        var primary = Scan(Book(Entry("e", "@@depth 5\n@@@depth 2\nText.", "tower")), Chat("the tower"));
        Assert.That(primary.Activated.Single().Entry.Depth, Is.EqualTo(5), "a supported decorator hides its fallbacks");

        var none = Scan(Book(Entry("e", "@@instruct_depth 3\n@@@reverse_depth 2\nText.", "tower")), Chat("the tower"));
        Assert.That(none.Notes.Single().Message, Does.Contain("@@instruct_depth 3 / @@reverse_depth 2"));
        Assert.That(none.Activated.Single().Entry.Content, Is.EqualTo("Text."));
    }

    [Test]
    public void DecoratorLines_NeverActivateOtherEntriesByRecursion()
    {
        var book = new Lorebook
        {
            ScanDepth = 2,
            RecursiveScanning = true,
            Entries = [Entry("king", "@@role system\nThe king.", "king"), Entry("role", "Roles.", "role")],
        };
        Assert.That(Scan(book, Chat("the king")).Activated.Select(a => a.Entry.Id), Is.EqualTo(new[] { "king" }));
    }

    [Test]
    public void Decorators_AreParsedOncePerBookVersion()
    {
        var book = Book(Entry("e", "@@depth 1\nText.", "tower")) with { Id = "deco", Version = 1 };
        var first = Scan(book, Chat("the tower")).Activated.Single().Entry;
        var second = Scan(book with { }, Chat("the tower again")).Activated.Single().Entry;
        Assert.That(second, Is.SameAs(first), "the decorated entry comes from the compiled book, not a per-turn parse");
        var edited = Scan(book with { Version = 2, Entries = [Entry("e", "@@depth 3\nText.", "tower")] }, Chat("the tower")).Activated.Single().Entry;
        Assert.That(edited.Depth, Is.EqualTo(3));
    }

    [Test]
    public void Build_InsertsDecoratedEntryAtItsDepthAndRole_WithoutTheDecoratorLines()
    {
        var builder = new PromptBuilder(TiktokenTokenCounter.Shared);
        var history = Chat("hello", "hi", "tell me about the tower");
        var prompt = builder.Build(new PromptRequest
        {
            Character = new PromptCharacter { Name = "Aria", Description = "A bard." },
            Persona = new PromptPersona("Sam"),
            History = history,
            Lorebooks = [Book(Entry("e", "@@depth 0\n@@role user\nThe tower is sealed.", "tower"))],
            Random = new Random(1),
        });
        Assert.That(prompt.Messages[^1], Is.EqualTo(new PromptMessage(ChatRole.User, "The tower is sealed.")));
        Assert.That(prompt.Messages.Select(m => m.Content), Has.None.Contains("@@"));
    }
}
