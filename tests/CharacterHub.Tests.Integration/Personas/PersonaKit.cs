using System.Net;
using System.Net.Http.Headers;
using AngleSharp.Html.Dom;
using CharacterHub.Tests.Support;
using SkiaSharp;

namespace CharacterHub.Tests.Integration.Personas;

/// <summary>The persona form posted the way the page's htmx form posts it: multipart, with the antiforgery token. An
/// edit opens the edit form first and sends the version it shows (as the page does), unless <paramref name="version"/>
/// names one (<see cref="NoVersion"/>: none at all).</summary>
internal static class PersonaKit
{
    public const string NoVersion = "\0none";

    public static async Task<HttpResponseMessage> SaveAsync(TestClient client, string name, string description = "", long? personaId = null,
        bool makeDefault = false, byte[]? avatar = null, bool htmx = true, string? version = null)
    {
        var (_, page) = await client.GetPageAsync("/personas");
        var token = TestClient.AntiforgeryToken(page) ?? throw new InvalidOperationException("No antiforgery token on /personas");
        if (personaId is { } editing && version is null)
        {
            // Another user's persona has no edit form: the post then goes without a version (and is refused anyway).
            var (opened, form) = await client.GetPageAsync($"/personas?edit={editing}");
            if (opened.StatusCode == HttpStatusCode.OK) version = VersionIn(form);
        }
        var content = new MultipartFormDataContent
        {
            { new StringContent(token), "__RequestVerificationToken" },
            { new StringContent(name), "name" },
            { new StringContent(description), "description" },
        };
        if (version is not null && version != NoVersion) content.Add(new StringContent(version), "version");
        if (makeDefault) content.Add(new StringContent("true"), "makeDefault");
        if (avatar is not null)
        {
            var part = new ByteArrayContent(avatar);
            part.Headers.ContentType = new MediaTypeHeaderValue("image/png");
            content.Add(part, "avatar", "me.png");
        }
        var action = "/personas?handler=Save" + (personaId is { } id ? $"&personaId={id}" : "");
        using var request = new HttpRequestMessage(HttpMethod.Post, action) { Content = content };
        if (htmx) request.Headers.Add("HX-Request", "true");
        return await client.Http.SendAsync(request);
    }

    /// <summary>Creates a persona and returns its id, read from the list fragment the save answers with.</summary>
    public static async Task<long> CreateAsync(TestClient client, string name, string description = "", bool makeDefault = false)
    {
        var response = await SaveAsync(client, name, description, makeDefault: makeDefault);
        var html = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), html);
        var item = Items(TestClient.Parse(html)).LastOrDefault(li => li.QuerySelector(".persona-name")!.TextContent == name);
        Assert.That(item, Is.Not.Null, html);
        return long.Parse(item!.GetAttribute("data-persona-id")!);
    }

    /// <summary>The version an edit form carries (its hidden field), or null when the page has none.</summary>
    public static string? VersionIn(string html) =>
        TestClient.Parse(html).QuerySelector("#persona-form input[name=version]")?.GetAttribute("value");

    public static IEnumerable<AngleSharp.Dom.IElement> Items(IHtmlDocument doc) => doc.QuerySelectorAll("li.persona");

    public static Task<HttpResponseMessage> ActAsync(TestClient client, string handler, long personaId) =>
        client.PostFormAsync("/personas", new Dictionary<string, string>(), $"/personas?handler={handler}&personaId={personaId}", htmx: true);

    public static byte[] Png(int width, int height)
    {
        using var bitmap = new SKBitmap(width, height);
        using (var canvas = new SKCanvas(bitmap)) canvas.Clear(SKColors.SteelBlue);
        using var image = SKImage.FromBitmap(bitmap);
        return image.Encode(SKEncodedImageFormat.Png, 100).ToArray();
    }
}
