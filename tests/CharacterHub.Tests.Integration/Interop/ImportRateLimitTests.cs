using System.Net;
using System.Net.Http.Headers;
using CharacterHub.Tests.Support;

namespace CharacterHub.Tests.Integration.Interop;

public sealed class ImportRateLimitTests : IntegrationTest
{
    [Test]
    public async Task ApiImport_OverTheLimit_Is429ProblemJson()
    {
        await using var app = await TestApp.StartAsync(Database.ConnectionString,
            settings: new Dictionary<string, string?> { ["RateLimits:ImportPerMinute"] = "2" });
        using var client = app.CreateClient();
        await client.RegisterAsync("limited");
        var token = await client.CreateTokenAsync("limited");
        client.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        var statuses = new List<int>();
        for (var i = 0; i < 3; i++)
        {
            using var content = new MultipartFormDataContent();
            var file = new ByteArrayContent("""{"name":"Tiny","first_mes":"hi"}"""u8.ToArray());
            file.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            content.Add(file, "files", $"tiny{i}.json");
            var response = await client.Http.PostAsync("/api/characters/import", content);
            statuses.Add((int)response.StatusCode);
            if (i == 2) Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/problem+json"));
        }
        Assert.That(statuses, Is.EqualTo(new[] { 200, 200, 429 }));
    }
}
