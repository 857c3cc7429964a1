using CharacterHub.Modules.Characters.Domain;

namespace CharacterHub.Tests.Unit.Characters;

public sealed class DisplayTextTests
{
    private static readonly CharacterDraft Seraphina = new() { Name = "Seraphina" };

    [TestCase("Hello {{user}}, I am {{char}}.", "Hello ann, I am Seraphina.")]
    [TestCase("{{ CHAR }} waves at {{User}}", "Seraphina waves at ann")]
    [TestCase("<BOT> and <USER>, <char> and <user>", "Seraphina and ann, Seraphina and ann")]
    [TestCase("no macros here", "no macros here")]
    [TestCase("{{random::a::b}} stays", "{{random::a::b}} stays")]
    public void Substitute_ReplacesCharAndUserForms(string text, string expected) =>
        Assert.That(DisplayText.Substitute(text, Seraphina, "ann"), Is.EqualTo(expected));

    [Test]
    public void Substitute_UsesTheNickname_AndYouForVisitors() =>
        Assert.That(DisplayText.Substitute("{{char}} sees {{user}}", Seraphina with { Nickname = "Sera" }, null), Is.EqualTo("Sera sees you"));
}
