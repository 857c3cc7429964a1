using CharacterHub.Web.Accounts;

namespace CharacterHub.Tests.Unit.Accounts;

public sealed class AccountRulesTests
{
    [TestCase("abc", true)]
    [TestCase("a.b-c_9", true)]
    [TestCase("ab", false)]
    [TestCase("abcdefghijklmnopqrstuvwxyz0123456", false)] // 33
    [TestCase("ABC", false)]
    [TestCase("héllo", false)]
    [TestCase("a b c", false)]
    public void UsernamePattern_Matches3To32AllowedCharacters(string username, bool valid) =>
        Assert.That(RegisterUserHandler.UsernamePattern().IsMatch(username), Is.EqualTo(valid));

    [Test]
    public void Passwords_HashAndVerify_RoundTrip_AndRejectOthers()
    {
        var hash = Passwords.Hash("correct horse battery");
        Assert.That(hash, Does.Not.Contain("correct"));
        Assert.That(Passwords.Verify(hash, "correct horse battery"), Is.True);
        Assert.That(Passwords.Verify(hash, "correct horse batterY"), Is.False);
    }

    [TestCase("", "Enter a password.")]
    [TestCase("123456789", "Use at least 10 characters.")]
    public void Passwords_Problem_SaysWhatIsWrong(string password, string message) =>
        Assert.That(Passwords.Problem(password), Is.EqualTo(message));

    [Test]
    public void Tokens_AreLongRandomAndPrefixed()
    {
        var a = TokenFormat.NewToken();
        var b = TokenFormat.NewToken();
        Assert.That(a, Does.StartWith("chp_").And.Length.GreaterThanOrEqualTo(40));
        Assert.That(a, Is.Not.EqualTo(b));
        Assert.That(TokenFormat.Hash(a), Has.Length.EqualTo(32));
    }
}
