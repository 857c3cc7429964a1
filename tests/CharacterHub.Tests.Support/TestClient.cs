using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;

namespace CharacterHub.Tests.Support;

/// <summary>A browser-like HTTP client: keeps cookies, does not follow redirects (tests assert them), and posts
/// forms with the antiforgery token taken from the page, as a browser would.</summary>
public sealed partial class TestClient : IDisposable
{
    private readonly HttpClientHandler handler;

    public TestClient(Uri baseAddress)
    {
        handler = new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false, UseCookies = true };
        Http = new HttpClient(handler) { BaseAddress = baseAddress };
    }

    public HttpClient Http { get; }
    public CookieContainer Cookies => handler.CookieContainer;

    public Task<HttpResponseMessage> GetAsync(string url) => Http.GetAsync(url);

    public async Task<(HttpResponseMessage Response, string Body)> GetPageAsync(string url)
    {
        var response = await Http.GetAsync(url);
        return (response, await response.Content.ReadAsStringAsync());
    }

    /// <summary>GETs <paramref name="pageUrl"/>, then posts <paramref name="fields"/> with its antiforgery token.</summary>
    public async Task<HttpResponseMessage> PostFormAsync(string pageUrl, IDictionary<string, string> fields, string? action = null,
        bool htmx = false)
    {
        var (_, html) = await GetPageAsync(pageUrl);
        var token = AntiforgeryToken(html) ?? throw new InvalidOperationException($"No antiforgery token on {pageUrl}");
        var form = new Dictionary<string, string>(fields) { ["__RequestVerificationToken"] = token };
        using var request = new HttpRequestMessage(HttpMethod.Post, action ?? pageUrl) { Content = new FormUrlEncodedContent(form) };
        if (htmx) request.Headers.Add("HX-Request", "true");
        return await Http.SendAsync(request);
    }

    public async Task<HttpResponseMessage> PostMultipartAsync(string pageUrl, string action, string fieldName, byte[] file,
        string fileName, string contentType, bool htmx = false)
    {
        var (_, html) = await GetPageAsync(pageUrl);
        var token = AntiforgeryToken(html) ?? throw new InvalidOperationException($"No antiforgery token on {pageUrl}");
        var content = new MultipartFormDataContent { { new StringContent(token), "__RequestVerificationToken" } };
        var part = new ByteArrayContent(file);
        part.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        content.Add(part, fieldName, fileName);
        using var request = new HttpRequestMessage(HttpMethod.Post, action) { Content = content };
        if (htmx) request.Headers.Add("HX-Request", "true");
        return await Http.SendAsync(request);
    }

    public async Task RegisterAsync(string username, string password = "correct horse battery", string? email = null)
    {
        var response = await PostFormAsync("/account/register", new Dictionary<string, string>
        {
            ["Username"] = username, ["Email"] = email ?? "", ["Password"] = password, ["ConfirmPassword"] = password,
        });
        if (response.StatusCode != HttpStatusCode.Redirect)
            throw new InvalidOperationException($"Registering {username} failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    public Task<HttpResponseMessage> LoginAsync(string username, string password = "correct horse battery") =>
        PostFormAsync("/account/login", new Dictionary<string, string> { ["Username"] = username, ["Password"] = password });

    public async Task<string> CreateTokenAsync(string username, string password = "correct horse battery", string name = "tests")
    {
        var response = await Http.PostAsJsonAsync("/api/tokens", new { username, password, name });
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<Dictionary<string, object>>();
        return body!["token"].ToString()!;
    }

    public static IHtmlDocument Parse(string html) => new HtmlParser().ParseDocument(html);

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();

    public static string? AntiforgeryToken(string html) => TokenPattern().Match(html) is { Success: true } m ? m.Groups[1].Value : null;

    public void Dispose()
    {
        Http.Dispose();
        handler.Dispose();
    }
}
