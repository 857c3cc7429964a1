using System.Net;
using CharacterHub.Tests.Integration.Chats;
using CharacterHub.Tests.Support;
using Dapper;
using Npgsql;

namespace CharacterHub.Tests.Integration.Robustness;

/// <summary>A save that fails validation shows what the user typed, with a message, and leaves the stored row exactly as it was.</summary>
public sealed class FailedSaveTests : IntegrationTest
{
    private static async Task<string> RowAsync(string sql, long id)
    {
        await using var db = new NpgsqlConnection(Database.ConnectionString);
        return await db.QuerySingleAsync<string>(sql, new { id });
    }

    private static Task<string> CharacterRowAsync(long id) =>
        RowAsync("select to_jsonb(c)::text from characters.characters c where id = @id", id);

    private static Task<string> UserRowAsync(long id) =>
        RowAsync("select to_jsonb(u)::text from accounts.users u where id = @id", id);

    public static IEnumerable<TestCaseData> InvalidEdits()
    {
        // An empty name fails the domain's validation; "abc" in a number fails binding (and must not become the default 50).
        yield return new TestCaseData(("Form.Name", ""), "Give the character a name.").SetName("Edit: empty name");
        yield return new TestCaseData(("Form.Openness", "abc"), "abc").SetName("Edit: a word in a number");
        yield return new TestCaseData(("Form.Openness", "99999999999"), "99999999999").SetName("Edit: a number out of range");
        yield return new TestCaseData(("Form.ExtensionsJson", "[1, 2]"), "JSON object").SetName("Edit: extensions not an object");
        yield return new TestCaseData(("Form.Tagline", new string('t', 250)), "").SetName("Edit: tagline too long");
    }

    [TestCaseSource(nameof(InvalidEdits))]
    public async Task CharacterEdit_ThatFails_KeepsTheTyping_AndWritesNothing((string Field, string Value) bad, string expected)
    {
        var client = await SignedInClient("kim");
        var id = await ChatKit.CreateCharacterAsync(client, "kim", new { name = "Kept", description = "saved text", big_five = new { openness = 85 } });
        var before = await CharacterRowAsync(id);

        var (_, page) = await client.GetPageAsync($"/characters/{id}/edit");
        var version = TestClient.Parse(page).QuerySelector("input[name='ExpectedVersion']")!.GetAttribute("value")!;
        var form = new Dictionary<string, string>
        {
            ["Form.Name"] = "Kept", ["Form.Visibility"] = "private", ["Form.Openness"] = "85",
            ["Form.Description"] = "my new careful text", ["ExpectedVersion"] = version,
        };
        form[bad.Field] = bad.Value;
        var response = await client.PostFormAsync($"/characters/{id}/edit", form);
        var html = await response.Content.ReadAsStringAsync();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), html);
        var doc = TestClient.Parse(html);
        Assert.That(doc.QuerySelector("textarea[name='Form.Description']")!.TextContent, Is.EqualTo("my new careful text"));
        Assert.That(doc.QuerySelector($"[data-valmsg-for='{bad.Field}']")!.TextContent, Is.Not.Empty.And.Contains(expected));
        Assert.That(await CharacterRowAsync(id), Is.EqualTo(before));
    }

    public static IEnumerable<TestCaseData> InvalidProfiles()
    {
        yield return new TestCaseData("Email", "not an address").SetName("Profile: bad email");
        yield return new TestCaseData("DisplayName", new string('d', 500)).SetName("Profile: display name too long");
        yield return new TestCaseData("Bio", new string('b', 100_000)).SetName("Profile: bio too long");
    }

    [TestCaseSource(nameof(InvalidProfiles))]
    public async Task Profile_ThatFails_KeepsTheTyping_AndWritesNothing(string field, string value)
    {
        var client = await SignedInClient("lee");
        await using (var db = new NpgsqlConnection(Database.ConnectionString))
            await db.ExecuteAsync("update accounts.users set display_name = 'Lee Saved', bio = 'saved bio' where username = 'lee'");
        long userId;
        await using (var db = new NpgsqlConnection(Database.ConnectionString))
            userId = await db.QuerySingleAsync<long>("select id from accounts.users where username = 'lee'");
        var before = await UserRowAsync(userId);

        var form = new Dictionary<string, string> { ["DisplayName"] = "Lee Typed", ["Email"] = "", ["Bio"] = "typed bio" };
        form[field] = value;
        var response = await client.PostFormAsync("/account", form, "/account?handler=Profile", htmx: true);
        var html = await response.Content.ReadAsStringAsync();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), html);
        var doc = TestClient.Parse(html);
        Assert.That(doc.QuerySelector($"[data-valmsg-for='{field}']")!.TextContent, Is.Not.Empty);
        var typed = field == "DisplayName" ? value : "Lee Typed";
        Assert.That(doc.QuerySelector("input[name='DisplayName']")!.GetAttribute("value"), Is.EqualTo(typed));
        Assert.That(await UserRowAsync(userId), Is.EqualTo(before));
    }
}
