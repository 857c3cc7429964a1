using System.Net;
using CharacterHub.Tests.Support;
using Dapper;
using Npgsql;

namespace CharacterHub.Tests.Integration.Accounts;

public sealed class RegistrationAndLoginTests : IntegrationTest
{
    [Test]
    public async Task Register_ThenLogOutAndIn_WorksAndFirstUserIsAdmin()
    {
        var client = Client();
        await client.RegisterAsync("Alice_1");
        var (_, home) = await client.GetPageAsync("/");
        Assert.That(home, Does.Contain("Welcome back, alice_1"), "username is stored lower-cased and the user is signed in");

        var logout = await client.PostFormAsync("/account/logout", new Dictionary<string, string>());
        Assert.That(logout.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
        var (_, afterLogout) = await client.GetPageAsync("/");
        Assert.That(afterLogout, Does.Contain("Create an account"));

        var login = await client.LoginAsync("alice_1");
        Assert.That(login.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
        var (_, afterLogin) = await client.GetPageAsync("/");
        Assert.That(afterLogin, Does.Contain("Welcome back, alice_1"));

        var second = Client();
        await second.RegisterAsync("bob");
        await using var db = new NpgsqlConnection(Database.ConnectionString);
        var admins = (await db.QueryAsync<string>("select username from accounts.users where is_admin")).ToList();
        Assert.That(admins, Is.EqualTo(new[] { "alice_1" }));
    }

    [TestCase("ab", "Use 3 to 32 characters.")]
    [TestCase("has space", "Use only letters")]
    [TestCase("<script>", "Use only letters")]
    public async Task Register_WithBadUsername_ShowsTheMessageNextToTheField(string username, string message)
    {
        var response = await Client().PostFormAsync("/account/register", new Dictionary<string, string>
        {
            ["Username"] = username, ["Password"] = "long enough password", ["ConfirmPassword"] = "long enough password",
        });
        var html = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var error = TestClient.Parse(html).QuerySelector("[data-valmsg-for=Username]");
        Assert.That(error?.TextContent, Does.Contain(message));
        Assert.That(html, Does.Not.Contain("<script>"), "what the user typed is encoded");
    }

    [Test]
    public async Task Register_WithShortPasswordOrTakenName_IsRefused()
    {
        var shortPassword = await Client().PostFormAsync("/account/register", new Dictionary<string, string>
        {
            ["Username"] = "carol", ["Password"] = "short", ["ConfirmPassword"] = "short",
        });
        Assert.That(await shortPassword.Content.ReadAsStringAsync(), Does.Contain("Use at least 10 characters."));

        await Client().RegisterAsync("dave");
        var taken = await Client().PostFormAsync("/account/register", new Dictionary<string, string>
        {
            ["Username"] = "DAVE", ["Password"] = "long enough password", ["ConfirmPassword"] = "long enough password",
        });
        Assert.That(await taken.Content.ReadAsStringAsync(), Does.Contain("That username is taken."));
    }

    [Test]
    public async Task Login_WithWrongPassword_SaysSoInThePage()
    {
        await Client().RegisterAsync("erin");
        var response = await Client().LoginAsync("erin", "wrong password!!");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("Wrong username or password."));
    }

    [Test]
    public async Task Login_AfterFiveFailuresInAMinute_Is429EvenWithTheRightPassword()
    {
        await Client().RegisterAsync("frank");
        var attacker = Client();
        for (var i = 0; i < 5; i++)
            Assert.That((await attacker.LoginAsync("frank", $"guess number {i}")).StatusCode, Is.EqualTo(HttpStatusCode.OK));

        var blocked = await attacker.LoginAsync("frank");
        Assert.That((int)blocked.StatusCode, Is.EqualTo(429));
        Assert.That(await blocked.Content.ReadAsStringAsync(), Does.Contain("Too many failed sign-in attempts"));

        var api = await attacker.Http.PostAsync("/api/tokens", JsonContent("""{"username":"frank","password":"correct horse battery","name":"x"}"""));
        Assert.That((int)api.StatusCode, Is.EqualTo(429), "the token API shares the limit");
        Assert.That(api.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/problem+json"));
    }

    [Test]
    public async Task Login_FailuresForOtherUsernamesFromOneIp_AlsoTrip()
    {
        var attacker = Client();
        for (var i = 0; i < 5; i++) await attacker.LoginAsync($"nobody{i}", "whatever password");
        Assert.That((int)(await attacker.LoginAsync("someone-else", "whatever password")).StatusCode, Is.EqualTo(429));
    }

    [Test]
    public async Task Login_ReturnUrl_MustBeLocal()
    {
        await Client().RegisterAsync("gina");
        var client = Client();
        var response = await client.PostFormAsync("/account/login?ReturnUrl=https%3A%2F%2Fevil.example%2F",
            new Dictionary<string, string> { ["Username"] = "gina", ["Password"] = "correct horse battery", ["ReturnUrl"] = "https://evil.example/" });
        Assert.That(response.Headers.Location?.ToString(), Is.EqualTo("/"));
    }

    [Test]
    public async Task PrivatePages_ForAVisitor_RedirectToLogin()
    {
        foreach (var path in new[] { "/account", "/characters", "/chats", "/collections", "/memories" })
        {
            var response = await Client().GetAsync(path);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), path);
            Assert.That(response.Headers.Location!.ToString(), Does.Contain("/account/login"), path);
        }
    }

    [Test]
    public async Task PostWithoutAntiforgeryToken_IsRejected()
    {
        var response = await Client().Http.PostAsync("/account/register", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Username"] = "mallory", ["Password"] = "long enough password", ["ConfirmPassword"] = "long enough password",
        }));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        await using var db = new NpgsqlConnection(Database.ConnectionString);
        Assert.That(await db.ExecuteScalarAsync<long>("select count(*) from accounts.users"), Is.Zero);
    }

    private static StringContent JsonContent(string json) => new(json, System.Text.Encoding.UTF8, "application/json");
}
