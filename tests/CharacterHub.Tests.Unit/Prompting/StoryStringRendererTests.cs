using CharacterHub.Modules.Interaction.Prompting;

namespace CharacterHub.Tests.Unit.Prompting;

public sealed class StoryStringRendererTests
{
    private readonly StoryStringRenderer renderer = new();

    private static StoryStringParameters Params() => new()
    {
        System = "Be vivid.",
        Description = "Aria is a bard <b>&</b> poet.",
        Personality = "cheerful",
        Scenario = "",
        Char = "Aria",
        User = "Sam",
        WiBefore = "World: Eldoria.",
    };

    [Test]
    public void Render_DefaultTemplate_SkipsEmptyPartsAndDoesNotEscapeHtml()
    {
        var result = renderer.Render(PromptSettings.DefaultStoryString, Params());
        Assert.That(result.Error, Is.Null);
        Assert.That(result.Text, Is.EqualTo("Be vivid.\nWorld: Eldoria.\nAria is a bard <b>&</b> poet.\nAria's personality: cheerful\n"));
    }

    [Test]
    public void Render_CustomTemplate_UsesAllParameterNames()
    {
        var p = Params() with { WiAfter = "After.", Persona = "Sam is tall.", MesExamples = "<START>\nAria: Hi", MesExamplesRaw = "Aria: Hi" };
        var template = "{{char}}|{{user}}|{{loreBefore}}|{{loreAfter}}|{{wiAfter}}|{{persona}}|{{mesExamples}}|{{mesExamplesRaw}}|{{#if scenario}}S{{else}}no scenario{{/if}}";
        Assert.That(renderer.Render(template, p).Text, Is.EqualTo("Aria|Sam|World: Eldoria.|After.|After.|Sam is tall.|<START>\nAria: Hi|Aria: Hi|no scenario"));
    }

    [Test]
    public void Render_MacrosThatAreNotParameters_SurviveForTheMacroEngine()
    {
        var result = renderer.Render("{{system}} {{time}} {{// note}} {{roll:d20}} {{random::{{char}}::b}} {{Char}}", Params());
        Assert.That(result.Error, Is.Null);
        Assert.That(result.Text, Is.EqualTo("Be vivid. {{time}} {{// note}} {{roll:d20}} {{random::Aria::b}} {{Char}}"));
    }

    [TestCase("{{#if system}}never closed")]
    [TestCase("{{#each}}{{/if}}")]
    public void Render_BrokenTemplate_ReturnsAnErrorAndFallsBackToTheDefault(string template)
    {
        var result = renderer.Render(template, Params());
        Assert.That(result.Error, Is.Not.Null);
        Assert.That(result.Error!.Message, Does.Contain("story string"));
        Assert.That(result.Error.Template, Is.EqualTo(template));
        Assert.That(result.Text, Is.EqualTo(renderer.Render(PromptSettings.DefaultStoryString, Params()).Text));
    }

    [Test]
    public void Render_SameTemplateTwice_IsFastAfterTheFirstCompile()
    {
        var template = "{{#if system}}{{system}}{{/if}} unique " + Guid.NewGuid();
        renderer.Render(template, Params());
        var watch = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < 1_000; i++) renderer.Render(template, Params());
        Assert.That(watch.ElapsedMilliseconds, Is.LessThan(500), "renders must come from the compiled-template cache");
    }
}
