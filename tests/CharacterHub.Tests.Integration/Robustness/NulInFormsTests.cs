using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using CharacterHub.Tests.Support;
using Dapper;
using Npgsql;

namespace CharacterHub.Tests.Integration.Robustness;

/// <summary>
/// A NUL (U+0000, "%00") in a posted form: ASP.NET Core's form decoder refuses it, the antiforgery check took that for
/// a bad token, and the error page, failing to read the same form, answered 404 "Page not found". It must be a 400 that
/// says which field held an invalid character, before any page code runs, and nothing may be saved.
/// </summary>
public sealed class NulInFormsTests : IntegrationTest
{
    private static async Task<HttpResponseMessage> PostRaw(TestClient client, string page, string body, bool htmx = false)
    {
        var (_, html) = await client.GetPageAsync(page);
        var token = TestClient.AntiforgeryToken(html) ?? throw new InvalidOperationException($"No antiforgery token on {page}");
        using var request = new HttpRequestMessage(HttpMethod.Post, page)
        {
            Content = new StringContent($"__RequestVerificationToken={Uri.EscapeDataString(token)}&{body}", Encoding.ASCII,
                "application/x-www-form-urlencoded"),
        };
        if (htmx) request.Headers.Add("HX-Request", "true");
        return await client.Http.SendAsync(request);
    }

    private async Task<long> Count(string sql)
    {
        await using var db = new NpgsqlConnection(Database.ConnectionString);
        return await db.ExecuteScalarAsync<long>(sql);
    }

    [Test]
    public async Task CharacterForm_WithNulInAField_Is400NamingTheField_AndCreatesNothing()
    {
        var client = await SignedInClient("nula");
        var response = await PostRaw(client, "/characters/new", "Form.Name=Ava&Form.Visibility=private&Form.Description=before%00after");
        var html = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), html);
        var doc = TestClient.Parse(html);
        Assert.That(doc.QuerySelector("h1")!.TextContent, Is.EqualTo("The input contained an invalid character"));
        Assert.That(doc.QuerySelector(".error-page")!.TextContent, Does.Contain("“Description”").And.Contain("U+0000").And.Contain("Nothing was saved"));
        Assert.That(html, Does.Not.Contain("Page not found"));
        Assert.That(await Count("select count(*) from characters.characters"), Is.Zero);

        // The same form without the NUL goes through: the check does not disturb an ordinary post (it reads the body first).
        var ok = await PostRaw(client, "/characters/new", "Form.Name=Ava&Form.Visibility=private&Form.Description=before+after");
        Assert.That(ok.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), await ok.Content.ReadAsStringAsync());
        Assert.That(await Count("select count(*) from characters.characters"), Is.EqualTo(1));
    }

    [Test]
    public async Task LoginForm_WithNulInTheUsername_Is400_NotPageNotFound()
    {
        var client = Client();
        var response = await PostRaw(client, "/account/login", "Username=a%00b&Password=x");
        var html = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(TestClient.Parse(html).QuerySelector(".error-page")!.TextContent, Does.Contain("“Username”"));
        Assert.That(await Count("select count(*) from accounts.failed_logins"), Is.Zero, "no page code ran");
    }

    [Test]
    public async Task HtmxPost_WithNul_Is400WithThePlainMessage_ForTheScriptToShowBesideTheForm()
    {
        var client = await SignedInClient("nulb");
        var response = await PostRaw(client, "/characters/new", "Form.Name=A%00&Form.Visibility=private", htmx: true);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(response.Headers.GetValues("X-Input-Refused").Single(), Is.EqualTo("nul"));
        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("text/plain"));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.StartWith("The form contained an invalid character").And.Contain("“Name”"));
        Assert.That(await Count("select count(*) from characters.characters"), Is.Zero);
    }

    [Test]
    public async Task ErrorPage_ReachedByAnUnreadableForm_KeepsItsStatusCode()
    {
        // A form ASP.NET Core will not read (more than its 1,024 values) fails the antiforgery check with a 400; the error
        // page, which reads the same form while binding, used to lose the code and say 404 "Page not found".
        var client = await SignedInClient("nulc");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/characters/new")
        {
            Content = new StringContent(string.Concat(Enumerable.Repeat("x=1&", 1100)), Encoding.ASCII, "application/x-www-form-urlencoded"),
        };
        var response = await client.Http.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        var html = await response.Content.ReadAsStringAsync();
        Assert.That(TestClient.Parse(html).QuerySelector("h1")!.TextContent, Is.EqualTo("That request could not be understood"));
    }

    [Test]
    public async Task Api_FormOrJsonWithNul_Is400Problem_AndSavesNothing()
    {
        var client = await SignedInClient("nuld");
        client.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await client.CreateTokenAsync("nuld"));

        var form = await client.Http.PostAsync("/api/characters/import",
            new StringContent("duplicates=new%00version", Encoding.ASCII, "application/x-www-form-urlencoded"));
        Assert.That(form.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(form.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/problem+json"));
        var problem = (await form.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.That(problem["title"]!.GetValue<string>(), Is.EqualTo("The input contained an invalid character."));
        Assert.That(problem["detail"]!.GetValue<string>(), Does.Contain("“duplicates”"));

        var json = await client.Http.PostAsync("/api/characters", new StringContent("{\"name\":\"a\\u0000b\"}", Encoding.UTF8, "application/json"));
        Assert.That(json.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(json.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/problem+json"));
        Assert.That(await json.Content.ReadAsStringAsync(), Does.Contain("NUL"));
    }
}
