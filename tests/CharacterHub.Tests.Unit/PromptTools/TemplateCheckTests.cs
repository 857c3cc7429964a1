using CharacterHub.Modules.Interaction.Chats;
using CharacterHub.Modules.Interaction.Prompting;

namespace CharacterHub.Tests.Unit.PromptTools;

public sealed class TemplateCheckTests
{
    [Test]
    public void DefaultAndCustomTemplates_AreValid()
    {
        Assert.That(PromptOptionValues.CheckTemplate(PromptSettings.DefaultStoryString), Is.Null);
        Assert.That(PromptOptionValues.CheckTemplate("{{char}} meets {{user}}.\n{{#if scenario}}Scene: {{scenario}}{{/if}} {{random:a,b}} {{// note}}"), Is.Null);
    }

    [Test]
    public void UnclosedBlock_IsRefused_WithTheLineItOpensOn()
    {
        var problem = PromptOptionValues.CheckTemplate("{{system}}\n{{description}}\n{{#if scenario}}Scenario: {{scenario}}\n");
        Assert.That(problem, Is.Not.Null);
        Assert.That(problem!.Line, Is.EqualTo(3));
        Assert.That(problem.ToString(), Does.StartWith("Line 3:").And.Contain("'if' was closed"));
    }

    [Test]
    public void StrayClosingTag_IsRefused_WithItsLine()
    {
        var problem = PromptOptionValues.CheckTemplate("{{system}}\n{{/each}}");
        Assert.That(problem!.Line, Is.EqualTo(2));
        Assert.That(problem.Message, Does.Contain("/each"));
    }

    [Test]
    public void UnterminatedExpression_UsesTheParsersPosition()
    {
        var problem = PromptOptionValues.CheckTemplate("a\nb\n{{system");
        Assert.That(problem!.Line, Is.EqualTo(3));
        Assert.That(problem.Message, Does.Not.Contain("Occured at"));
    }

    [Test]
    public void RuntimeFailures_AreCaughtAtCheckTime_EvenBehindAConditional()
    {
        // A missing partial only fails when rendered; the check renders with every parameter filled.
        Assert.That(PromptOptionValues.CheckTemplate("{{#if scenario}}{{> missing}}{{/if}}"), Is.Not.Null);
        Assert.That(PromptOptionValues.CheckTemplate("{{#if}}x{{/if}}"), Is.Not.Null);
    }

    [Test]
    public void OverlongTemplate_IsRefused()
    {
        Assert.That(PromptOptionValues.CheckTemplate(new string('x', PromptOptionValues.MaxTemplate + 1))!.Message, Does.Contain("at most"));
    }

    [Test]
    public void Options_Precedence_CharacterThenUserThenDefault()
    {
        var options = ChatPromptOptions.Default;
        Assert.That(options.StoryString, Is.EqualTo(PromptSettings.DefaultStoryString));
        Assert.That((options with { UserStoryString = "U" }).StoryString, Is.EqualTo("U"));
        Assert.That((options with { UserStoryString = "U", CharacterStoryString = "C" }).StoryString, Is.EqualTo("C"));
        var settings = (options with { AuthorsNote = "note", AuthorsNoteDepth = 2, AuthorsNoteRole = "user", ExampleBehaviour = "disabled" }).Apply(new PromptSettings());
        Assert.That((settings.AuthorsNote, settings.AuthorsNoteDepth, settings.AuthorsNoteRole, settings.ExampleBehaviour),
            Is.EqualTo(("note", 2, ChatRole.User, ExampleDialogueBehaviour.Disabled)));
    }

    [Test]
    public void InspectedPrompt_RoundTrips_AndMarksSentSectionsWithTheirRole()
    {
        var builder = new PromptBuilder(TiktokenTokenCounter.Shared);
        var built = builder.Build(new PromptRequest
        {
            Character = new PromptCharacter { Name = "Vex", Description = "A smuggler." },
            Persona = new PromptPersona("Sam"),
            History = [new HistoryMessage(ChatRole.User, "Sam", "Hi <b>there</b>", DateTimeOffset.UnixEpoch)],
            Settings = new PromptSettings { AuthorsNote = "Keep it short.", AuthorsNoteDepth = 0 },
        });
        var connection = new CharacterHub.Modules.Interaction.Llm.LlmConnection("http://localhost", "", "m");
        var inspected = InspectedPrompt.FromJson(InspectedPrompt.From(built, "m", connection).ToJson())!;
        var sent = inspected.Sections.Where(s => s.Role is not null).ToList();
        Assert.That(sent.Select(s => s.Text), Is.EqualTo(built.Messages.Select(m => m.Content)));
        Assert.That(sent[^1], Has.Property("Kind").EqualTo("AuthorsNote").And.Property("Role").EqualTo("system"));
        Assert.That(inspected.TotalTokens, Is.EqualTo(built.TotalTokens));
        Assert.That(sent.Sum(s => s.Tokens), Is.EqualTo(built.TotalTokens));
    }
}
