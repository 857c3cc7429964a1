using CharacterHub.Modules.Interaction.Prompting;

namespace CharacterHub.Tests.Unit.Prompting;

public sealed class OfflineResponderTests
{
    private static readonly DateTimeOffset T0 = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly OfflineResponder responder = new(new MacroEngine(), new LorebookMatcher(TiktokenTokenCounter.Shared));

    private static readonly PromptCharacter Bard = new()
    {
        Name = "Aria",
        Personality = "Cheerful, curious",
        FirstMessage = "*Aria tunes her lute.* Welcome, {{user}}!",
        MesExample = "<START>\n{{user}}: Play something?\n{{char}}: *strums* Only if you sing along, {{user}}!\n<START>\n{{user}}: Who are you?\n{{char}}: I'm {{char}}, the finest bard in the valley.",
    };

    private static readonly PromptPersona Sam = new("Sam");

    private static List<HistoryMessage> Chat(params string[] userMessages) =>
        userMessages.Select((m, i) => new HistoryMessage(ChatRole.User, "Sam", m, T0.AddMinutes(i))).ToList();

    [Test]
    public void Respond_WithExamples_ReusesTheCharactersOwnLinesWithMacrosReplaced()
    {
        var reply = responder.Respond(Bard, Sam, Chat("hello"), [], seed: 3);
        Assert.That(reply.IsOffline, Is.True);
        Assert.That(reply.Text, Is.AnyOf("*strums* Only if you sing along, Sam!", "I'm Aria, the finest bard in the valley."));
        Assert.That(reply.Sources, Is.EqualTo(new[] { "example" }));
    }

    [Test]
    public void Respond_SameSeedAndChat_IsDeterministic()
    {
        var a = responder.Respond(Bard, Sam, Chat("hello"), [], seed: 11).Text;
        Assert.That(responder.Respond(Bard, Sam, Chat("hello"), [], seed: 11).Text, Is.EqualTo(a));
        var variety = Enumerable.Range(0, 20).Select(s => responder.Respond(Bard, Sam, Chat("hello"), [], s).Text).Distinct().Count();
        Assert.That(variety, Is.EqualTo(2));
    }

    [Test]
    public void Respond_DoesNotRepeatItsPreviousLine()
    {
        var history = Chat("hello");
        history.Add(new HistoryMessage(ChatRole.Assistant, "Aria", "*strums* Only if you sing along, Sam!", T0.AddMinutes(5)));
        history.Add(new HistoryMessage(ChatRole.User, "Sam", "and?", T0.AddMinutes(6)));
        for (var seed = 0; seed < 10; seed++)
        {
            Assert.That(responder.Respond(Bard, Sam, history, [], seed).Text, Is.EqualTo("I'm Aria, the finest bard in the valley."));
        }
    }

    [Test]
    public void Respond_UserMentionsALoreKey_WeavesInTheEntry()
    {
        var book = new Lorebook { Entries = [new LorebookEntry { Id = "tower", Keys = ["silver tower"], Content = "The Silver Tower is where {{char}} learned to sing." }] };
        var reply = responder.Respond(Bard, Sam, Chat("What is the Silver Tower?"), [book], seed: 1);
        Assert.That(reply.Text, Does.Contain("The Silver Tower is where Aria learned to sing."));
        Assert.That(reply.Sources, Does.Contain("lorebook"));
        Assert.That(responder.Respond(Bard, Sam, Chat("hi"), [book], 1).Sources, Does.Not.Contain("lorebook"));
    }

    [Test]
    public void Respond_NoExamples_FallsBackToGreetings()
    {
        var reply = responder.Respond(Bard with { MesExample = "" }, Sam, Chat("hi"), [], 1);
        Assert.That(reply.Text, Is.EqualTo("*Aria tunes her lute.* Welcome, Sam!"));
        Assert.That(reply.Sources, Is.EqualTo(new[] { "greeting" }));
    }

    [Test]
    public void Respond_EmptyCard_GivesAShortInCharacterLine()
    {
        var reply = responder.Respond(new PromptCharacter { Name = "Grim", Personality = "Gruff, loyal" }, Sam, [], [], 1);
        Assert.That(reply.Text, Is.EqualTo("*Grim, ever gruff, looks at Sam for a moment.* \"I'm Grim. Go on, I'm listening.\""));
        Assert.That(reply.Sources, Is.EqualTo(new[] { "fallback" }));
        Assert.DoesNotThrow(() => responder.Respond(new PromptCharacter { Name = "" }, new PromptPersona(""), [], [], 0));
        Assert.That(responder.Respond(new PromptCharacter { Name = "" }, new PromptPersona(""), [], [], 0).Text, Is.Not.Empty);
    }
}
