using CharacterHub.Modules.Interaction.Chats;
using CharacterHub.Modules.Interaction.Prompting;

namespace CharacterHub.Tests.Unit.PromptTools;

/// <summary>The inspector's record keeps chat messages as references to their (write-once) swipes, not as copies, and
/// reads back exactly what was sent.</summary>
public sealed class InspectedPromptReferenceTests
{
    private static readonly string Long = string.Join(' ', Enumerable.Repeat("The tide came in over the old stones.", 40));

    private static BuiltPrompt Build(params HistoryMessage[] history) => new PromptBuilder(TiktokenTokenCounter.Shared).Build(new PromptRequest
    {
        Character = new PromptCharacter { Name = "Vex", Description = "A smuggler." },
        Persona = new PromptPersona("Sam"),
        History = history,
        Settings = new PromptSettings(),
    });

    [Test]
    public void MessagesWithASource_AreStoredAsReferences_AndReadBackAsSent()
    {
        var built = Build(
            new HistoryMessage(ChatRole.User, "Sam", Long, DateTimeOffset.UnixEpoch, new MessageSource(11)),
            new HistoryMessage(ChatRole.Assistant, "Rin", "Rin: " + Long.ToUpperInvariant(), DateTimeOffset.UnixEpoch, new MessageSource(12, "Rin: ")),
            new HistoryMessage(ChatRole.User, "Sam", "An edited line.", DateTimeOffset.UnixEpoch));
        var json = InspectedPrompt.From(built, "m", new CharacterHub.Modules.Interaction.Llm.LlmConnection("http://localhost", "", "m")).ToJson();

        Assert.That(json, Does.Not.Contain("The tide came in"), "the swipes' text is not copied into the record");
        Assert.That(json, Does.Contain("An edited line."), "a message without a source (an edited one) keeps its text");
        var stored = InspectedPrompt.FromJson(json)!;
        Assert.That(stored.ReferencedSwipes(), Is.EquivalentTo(new long[] { 11, 12 }));

        var read = stored.WithTexts(new Dictionary<long, string> { [11] = Long, [12] = Long.ToUpperInvariant() });
        var sent = read.Sections.Where(s => s.Role is not null).Select(s => s.Text);
        Assert.That(sent, Is.EqualTo(built.Messages.Select(m => m.Content)));
    }

    [Test]
    public void AReferenceToASwipeNoLongerThere_SaysSo()
    {
        var built = Build(new HistoryMessage(ChatRole.User, "Sam", "Hello", DateTimeOffset.UnixEpoch, new MessageSource(5)));
        var stored = InspectedPrompt.FromJson(InspectedPrompt.From(built, "m", new CharacterHub.Modules.Interaction.Llm.LlmConnection("http://localhost", "", "m")).ToJson())!;
        var history = stored.WithTexts(new Dictionary<long, string>()).Sections.Single(s => s.Kind == "History");
        Assert.That(history.Text, Does.Contain("no longer in the chat"));
        Assert.That(history.Tokens, Is.GreaterThan(0));
    }

    [Test]
    public void LoreNotes_AreOneLinePerReason_NamingTheirEntries()
    {
        LoreNote Note(int id, string message) => new(new LorebookEntry { Id = id.ToString(System.Globalization.CultureInfo.InvariantCulture), Content = "x" }, LoreNoteKind.InvalidRegex, message);
        var notes = Enumerable.Range(1, 45).Select(i => Note(i, "Dropped: the budget was used.")).Append(Note(99, "Invalid regex.")).ToList();
        var lines = InspectedPrompt.Notes(notes);
        Assert.That(lines, Has.Count.EqualTo(2));
        Assert.That(lines[0], Does.StartWith("Dropped: the budget was used. (45 entries: entry 1, entry 2").And.EndWith("entry 40 and 5 more)"));
        Assert.That(lines[1], Is.EqualTo("entry 99: Invalid regex."));
    }
}
