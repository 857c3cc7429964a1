using CharacterHub.Modules.Interaction.Prompting;

namespace CharacterHub.Tests.Unit.Prompting;

public sealed class MacroEngineTests
{
    private static readonly DateTimeOffset Now = new(2024, 3, 15, 14, 5, 0, TimeSpan.Zero);
    private readonly MacroEngine engine = new();

    private static MacroContext Context(IReadOnlyList<HistoryMessage>? history = null, Dictionary<string, string>? vars = null, int seed = 1, string chatId = "chat-1") => new()
    {
        CharName = "Aria",
        UserName = "Sam",
        PersonaDescription = "{{user}} is a traveller.",
        Description = "{{char}} is a bard.",
        Personality = "cheerful",
        Scenario = "A tavern.",
        Original = "Global rules.",
        History = history ?? [],
        Variables = vars ?? new Dictionary<string, string>(StringComparer.Ordinal),
        Clock = new FixedClock(Now),
        Random = new Random(seed),
        ChatId = chatId,
    };

    [TestCase("Hi {{char}} and {{user}}", "Hi Aria and Sam")]
    [TestCase("{{CHAR}}/{{User}}", "Aria/Sam")]
    [TestCase("<USER> meets <BOT> and <CHAR>", "Sam meets Aria and Aria")]
    [TestCase("<user> meets <bot> and <char>", "Sam meets Aria and Aria")]
    [TestCase("{{persona}}", "Sam is a traveller.")]
    [TestCase("{{description}}", "Aria is a bard.")]
    [TestCase("{{personality}} / {{scenario}}", "cheerful / A tavern.")]
    [TestCase("{{original}} More.", "Global rules. More.")]
    [TestCase("a{{newline}}b", "a\nb")]
    [TestCase("a{{// a note for card makers}}b", "ab")]
    [TestCase("line one\n\n{{trim}}\n\nline two", "line oneline two")]
    [TestCase("{{time}} {{date}} {{weekday}} {{isodate}}", "2:05 PM March 15, 2024 Friday 2024-03-15")]
    public void Expand_KnownMacro_IsReplaced(string input, string expected) =>
        Assert.That(engine.Expand(input, Context()), Is.EqualTo(expected));

    [TestCase("{{unknown}}")]
    [TestCase("{{hidden_key:x}}")]
    [TestCase("{{ not closed")]
    [TestCase("{{roll:dX}}")]
    [TestCase("{{roll:1000d6}}")]
    [TestCase("<div>{ } {{}}")]
    [TestCase("{{getvar}}")]
    public void Expand_UnknownOrMalformedMacro_IsLeftAsWritten(string input) =>
        Assert.That(engine.Expand(input, Context()), Is.EqualTo(input));

    [Test]
    public void Expand_NicknameContext_ReplacesCharWithNickname()
    {
        var character = new PromptCharacter { Name = "Aria Windsong", Nickname = "Ari" };
        var request = new PromptRequest { Character = character, Persona = new PromptPersona("Sam") };
        var ctx = MacroContext.For(request, new Dictionary<string, string>());
        Assert.That(engine.Expand("{{char}}", ctx), Is.EqualTo("Ari"));
    }

    [Test]
    public void Expand_RandomWithDoubleColons_PicksEachOptionOverManyCalls()
    {
        var ctx = Context();
        var seen = Enumerable.Range(0, 200).Select(_ => engine.Expand("{{random::red, dark::blue::green}}", ctx)).ToHashSet();
        Assert.That(seen, Is.EquivalentTo(new[] { "red, dark", "blue", "green" }));
    }

    [Test]
    public void Expand_RandomWithCommas_SplitsOnCommasAndHonoursEscapes()
    {
        var ctx = Context();
        var seen = Enumerable.Range(0, 200).Select(_ => engine.Expand(@"{{random:a\,b, c}}", ctx)).ToHashSet();
        Assert.That(seen, Is.EquivalentTo(new[] { "a,b", "c" }));
    }

    [Test]
    public void Expand_RandomWithSameSeed_IsReproducible() =>
        Assert.That(engine.Expand("{{random::1::2::3::4::5::6::7::8}}", Context(seed: 42)),
            Is.EqualTo(engine.Expand("{{random::1::2::3::4::5::6::7::8}}", Context(seed: 42))));

    [Test]
    public void Expand_Pick_IsStableForTheSameChatAndPosition()
    {
        const string text = "{{pick::a::b::c::d::e::f::g::h}} and {{pick::a::b::c::d::e::f::g::h}}";
        var first = engine.Expand(text, Context(seed: 1));
        Assert.That(engine.Expand(text, Context(seed: 999)), Is.EqualTo(first), "pick must not depend on the Random");
        var perChat = Enumerable.Range(0, 30).Select(i => engine.Expand(text, Context(chatId: "chat-" + i))).Distinct().Count();
        Assert.That(perChat, Is.GreaterThan(1), "different chats should be able to pick differently");
    }

    [TestCase("{{roll:d20}}", 1, 20)]
    [TestCase("{{roll:20}}", 1, 20)]
    [TestCase("{{roll:2d6}}", 2, 12)]
    [TestCase("{{roll 2d6+3}}", 5, 15)]
    [TestCase("{{roll:1d4-1}}", 0, 3)]
    public void Expand_Roll_StaysWithinDiceRange(string macro, int min, int max)
    {
        var ctx = Context();
        var values = Enumerable.Range(0, 300).Select(_ => int.Parse(engine.Expand(macro, ctx), System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.That(values, Has.All.InRange(min, max));
        Assert.That(values.Min(), Is.EqualTo(min));
        Assert.That(values.Max(), Is.EqualTo(max));
    }

    [Test]
    public void Expand_LastMessages_ReadTheHistory()
    {
        var history = new List<HistoryMessage>
        {
            new(ChatRole.Assistant, "Aria", "Welcome!", Now.AddMinutes(-10)),
            new(ChatRole.User, "Sam", "Hello there", Now.AddMinutes(-9)),
            new(ChatRole.Assistant, "Aria", "What'll it be?", Now.AddMinutes(-8)),
        };
        var ctx = Context(history);
        Assert.That(engine.Expand("{{lastMessage}}|{{lastUserMessage}}|{{lastCharMessage}}", ctx), Is.EqualTo("What'll it be?|Hello there|What'll it be?"));
        Assert.That(engine.Expand("{{lastMessage}}", Context()), Is.Empty);
    }

    [Test]
    public void Expand_IdleDuration_MeasuresFromTheUsersPreviousMessage()
    {
        var history = new List<HistoryMessage>
        {
            new(ChatRole.User, "Sam", "earlier", Now.AddHours(-3)),
            new(ChatRole.Assistant, "Aria", "reply", Now.AddHours(-3)),
            new(ChatRole.User, "Sam", "I'm back", Now),
        };
        Assert.That(engine.Expand("{{idle_duration}}", Context(history)), Is.EqualTo("3 hours"));
        Assert.That(engine.Expand("{{idle_duration}}", Context()), Is.EqualTo("just now"));
    }

    [TestCase(10, "a few seconds")]
    [TestCase(60, "a minute")]
    [TestCase(600, "10 minutes")]
    [TestCase(3600, "an hour")]
    [TestCase(86400, "a day")]
    [TestCase(86400 * 5, "5 days")]
    [TestCase(86400 * 400, "a year")]
    public void Humanize_Durations_ReadLikeMoment(int seconds, string expected) =>
        Assert.That(MacroEngine.Humanize(TimeSpan.FromSeconds(seconds)), Is.EqualTo(expected));

    [Test]
    public void Expand_SetvarThenGetvar_StoresInTheChatVariables()
    {
        var vars = new Dictionary<string, string>(StringComparer.Ordinal) { ["mood"] = "calm" };
        var ctx = Context(vars: vars);
        var text = engine.Expand("{{getvar::mood}}{{setvar::mood::angry}}->{{getvar::mood}}{{getvar::missing}}", ctx);
        Assert.That(text, Is.EqualTo("calm->angry"));
        Assert.That(vars["mood"], Is.EqualTo("angry"));
    }

    [Test]
    public void Expand_NestedMacros_ExpandInsideOut()
    {
        var ctx = Context();
        Assert.That(engine.Expand("{{setvar::who::{{char}}}}{{getvar::who}}", ctx), Is.EqualTo("Aria"));
        Assert.That(engine.Expand("{{random::{{user}}}}", ctx), Is.EqualTo("Sam"));
    }

    [Test]
    public void Expand_SelfReferencingDescription_Terminates()
    {
        var ctx = new MacroContext { CharName = "A", Description = "x{{description}}{{description}}" };
        var result = engine.Expand("{{description}}", ctx);
        Assert.That(result, Does.StartWith("xx"));
        Assert.That(result.Length, Is.LessThan(10_000));
    }

    [Test]
    public void Expand_HostileInput_NeverThrowsAndFinishesQuickly()
    {
        var hostile = string.Concat(Enumerable.Repeat("{{{{<<{{random::}}}}{{roll:99999999999d9}}{{setvar::}}{{//", 2_000));
        var watch = System.Diagnostics.Stopwatch.StartNew();
        Assert.DoesNotThrow(() => engine.Expand(hostile, Context()));
        Assert.DoesNotThrow(() => engine.Expand(new string('{', 50_000), Context()));
        Assert.That(watch.ElapsedMilliseconds, Is.LessThan(2_000));
    }

    [Test]
    public void Expand_TextWithoutMacros_ReturnsTheSameInstance()
    {
        const string plain = "Nothing to see here.";
        Assert.That(engine.Expand(plain, Context()), Is.SameAs(plain));
    }
}

/// <summary>A clock pinned at one UTC instant in a UTC local zone, so formatted times are the same on every machine.</summary>
internal sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;
}
