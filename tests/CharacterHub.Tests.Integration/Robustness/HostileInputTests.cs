using System.Net;
using System.Net.Http.Headers;
using System.Text;
using CharacterHub.Tests.Integration.Chats;
using CharacterHub.Tests.Support;

namespace CharacterHub.Tests.Integration.Robustness;

/// <summary>What a signed-in user (or API caller) can reach, sent what they should not send.</summary>
internal sealed record Setting(TestClient Web, HttpClient Api, TestClient Anonymous, TestClient Eve, long Mine, long Chat, long Message, long Theirs, long TheirChat);

/// <summary>One hostile request; <see cref="IsApi"/> demands a problem document for any error.</summary>
public sealed record HostileCase(string Name, bool IsApi, Func<object, Task<HttpResponseMessage>> Send)
{
    public override string ToString() => Name;
}

/// <summary>
/// The house rule, route by route: bad input is a 4xx (a problem document on /api) or a page with a message, never a 5xx.
/// Every case runs against one user with a character and a chat of their own, next to another user's private character and chat.
/// The setting is arranged once (a fresh database per case would make this run for many minutes): no case may destroy what the
/// user has, which the test checks after each one.
/// </summary>
public sealed class HostileInputTests
{
    private Setting setting = null!;
    private readonly List<IDisposable> owned = [];

    private const string Overflow = "99999999999999999999";
    private const string TsQuery = "a & | ! :* ( ' \\";
    /// <summary>Just under the site's 1 MiB request limit (a larger body is refused with 413 before it is read).</summary>
    private static readonly string Huge = new('x', 1_000_000);
    private const int SiteBodyLimit = 1_048_576;
    /// <summary>Over every field's limit, and small enough that a form with several such fields stays under the request limit.</summary>
    private static readonly string Long = new('x', 100_000);
    private static readonly string DeepJson = new string('[', 20_000) + new string(']', 20_000);
    private static readonly string DeepObject = string.Concat(Enumerable.Repeat("{\"a\":", 5_000)) + "1" + new string('}', 5_000);

    /// <summary>Values for a text field, url-encoded as sent: a NUL, bytes that are not UTF-8 (a lone surrogate's CESU form), 1 MB.</summary>
    private static readonly (string Label, string Encoded)[] BadText =
    [
        ("nul", "a%00b"), ("surrogate", "%ED%A0%80x%FF"), ("long", Long), ("empty", ""),
    ];

    /// <summary>Values for a numeric or boolean field.</summary>
    private static readonly string[] BadNumbers = ["abc", "1e309", "-1", "99999999999", Overflow, "NaN", ""];

    private static Setting S(object o) => (Setting)o;

    private static HostileCase Page(string name, Func<Setting, string> url) =>
        new($"GET {name}", false, o => S(o).Web.GetAsync(url(S(o))));

    /// <summary>A form post with the page's antiforgery token; <paramref name="body"/> is already url-encoded (so it may repeat names).</summary>
    private static HostileCase Form(string name, Func<Setting, string> page, Func<Setting, string> action, Func<Setting, string> body,
        bool anonymous = false) =>
        new($"POST {name}", false, async o =>
        {
            var s = S(o);
            var client = anonymous ? s.Anonymous : s.Web;
            var (_, html) = await client.GetPageAsync(page(s));
            var token = TestClient.AntiforgeryToken(html) ?? throw new InvalidOperationException($"No antiforgery token on {page(s)}");
            var content = new StringContent($"__RequestVerificationToken={Uri.EscapeDataString(token)}&{body(s)}", Encoding.ASCII,
                "application/x-www-form-urlencoded");
            using var request = new HttpRequestMessage(HttpMethod.Post, action(s)) { Content = content };
            request.Headers.Add("HX-Request", "true");
            return await client.Http.SendAsync(request);
        });

    private static HostileCase Upload(string name, Func<Setting, string> page, Func<Setting, string> action, string field, byte[] file,
        string fileName, string contentType) =>
        new($"POST {name}", false, o => S(o).Web.PostMultipartAsync(page(S(o)), action(S(o)), field, file, fileName, contentType, htmx: true));

    /// <summary>A multipart post with only the antiforgery token (and maybe a field or two), no file at all.</summary>
    private static HostileCase EmptyMultipart(string name, Func<Setting, string> page, Func<Setting, string> action) =>
        new($"POST {name}", false, async o =>
        {
            var s = S(o);
            var (_, html) = await s.Web.GetPageAsync(page(s));
            var content = new MultipartFormDataContent { { new StringContent(TestClient.AntiforgeryToken(html)!), "__RequestVerificationToken" } };
            using var request = new HttpRequestMessage(HttpMethod.Post, action(s)) { Content = content };
            return await s.Web.Http.SendAsync(request);
        });

    private static HostileCase Api(string method, string name, Func<Setting, string> url, string? body = null,
        string contentType = "application/json") =>
        new($"API {method} {name}", true, async o =>
        {
            var s = S(o);
            using var request = new HttpRequestMessage(new HttpMethod(method), url(s));
            if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, contentType);
            // A body over the site's limit is refused from its headers; with "Expect: 100-continue" the client waits
            // for that answer instead of racing it with its writes (which can end in a broken pipe, not the 413).
            if (body is not null && Encoding.UTF8.GetByteCount(body) > SiteBodyLimit) request.Headers.ExpectContinue = true;
            return await s.Api.SendAsync(request);
        });

    private static HostileCase ApiMultipart(string name, Func<Setting, string> url, byte[]? file, string fileName = "x.png") =>
        new($"API POST {name}", true, async o =>
        {
            var s = S(o);
            var content = new MultipartFormDataContent();
            if (file is not null) content.Add(new ByteArrayContent(file), "file", fileName);
            else content.Add(new StringContent("nothing"), "note");
            return await s.Api.PostAsync(url(s), content);
        });

    private static string E(string s) => Uri.EscapeDataString(s);

    /// <summary>Cursors encoded as the site encodes them (base64url JSON of key and id), with keys of every wrong kind.</summary>
    private static IEnumerable<(string Label, string Cursor)> CraftedCursors()
    {
        static string Encode(string json) => Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        yield return ("key=word", Encode("{\"Key\":\"abc\",\"Id\":1}"));
        yield return ("key=date", Encode("{\"Key\":\"2026-01-01T00:00:00+00:00\",\"Id\":1}"));
        yield return ("key=number", Encode("{\"Key\":\"99999999999\",\"Id\":-1}"));
        yield return ("key=nul", Encode("{\"Key\":\"a\\u0000\",\"Id\":1}"));
        yield return ("id=overflow", Encode("{\"Key\":\"1\",\"Id\":99999999999999999999}"));
        yield return ("key=null", Encode("{\"Key\":null,\"Id\":1}"));
        yield return ("not an object", Encode("[1,2]"));
    }

    public static IEnumerable<TestCaseData> Cases() => All().Select(c => new TestCaseData(c).SetName($"Hostile: {c.Name}"));

    private static IEnumerable<HostileCase> All()
    {
        // ---- pages: paths and query strings
        foreach (var path in new[] { "/characters/0", "/characters/-1", "/characters/9223372036854775807/edit", $"/characters/{Overflow}",
                     "/chats/abc", "/chats/0", "/chats/-1", "/characters/import/-1", "/characters/import/abc", "/c/%00", "/c/..%2F..%2Fx",
                     "/error/abc", "/error/-1", "/error/99999999999", "/characters?cursor=%ff", "/characters?cursor=abc",
                     "/characters?cursor=" + E("9223372036854775807|zz"), "/characters?sort=../../x", "/characters?view=../../x",
                     "/characters?q=" + E(TsQuery), "/characters?q=%00", "/characters?q=%ED%A0%80", "/characters?fav=abc&archived=1e309",
                     "/characters?visibility=bogus&category=%00&tag=" + E(TsQuery), "/characters/new?template=%00",
                     "/characters/new?template=-1", "/characters/new?template=" + Overflow, "/characters/export-selected?ids=abc",
                     "/characters/export-selected?ids=-1&ids=9223372036854775807", "/users/-1/avatar/large", "/users/abc/avatar/%00",
                     "/account/login?ReturnUrl=%2F%2Fevil.example", "/account/login?ReturnUrl=%00", "/chats?x=%ff", "/memories?x=%ff" })
            yield return Page(path, _ => path);
        foreach (var (label, cursor) in CraftedCursors())
            foreach (var sort in new[] { "name", "chats", "created", "updated" })
            {
                yield return Page($"/characters?sort={sort}&cursor={label}", _ => $"/characters?sort={sort}&cursor={cursor}");
                yield return Api("GET", $"/api/characters?sort={sort}&cursor={label}", _ => $"/api/characters?sort={sort}&cursor={cursor}");
            }
        yield return Page("/characters/{theirs}", s => $"/characters/{s.Theirs}");
        yield return Page("/characters/{theirs}/edit", s => $"/characters/{s.Theirs}/edit");
        yield return Page("/chats/{theirs}", s => $"/chats/{s.TheirChat}");
        yield return Page("/characters/{mine}/versions?a=abc&b=-1", s => $"/characters/{s.Mine}/versions?a=abc&b=-1");
        yield return Page("/characters/{mine}/versions?a=99999999999&b=2147483647", s => $"/characters/{s.Mine}/versions?a=99999999999&b=2147483647");
        yield return Page("/characters/{mine}/versions?a=-5&b=0", s => $"/characters/{s.Mine}/versions?a=-5&b=0");
        yield return Page("/characters/{mine}/avatar/%00", s => $"/characters/{s.Mine}/avatar/%00");
        yield return Page("/characters/{mine}/avatar/huge?s=abc", s => $"/characters/{s.Mine}/avatar/huge?s=abc");
        yield return Page("/characters/{mine}/expressions/..%2F..%2Fx", s => $"/characters/{s.Mine}/expressions/..%2F..%2Fx");
        yield return Page("/characters/{theirs}/voice/preview", s => $"/characters/{s.Theirs}/voice/preview");
        yield return Page("/characters/{theirs}/export", s => $"/characters/{s.Theirs}/export");
        yield return Page("/characters/{theirs}/avatar/create", s => $"/characters/{s.Theirs}/avatar/create");
        yield return Page("/characters/{theirs}/lorebook/import", s => $"/characters/{s.Theirs}/lorebook/import");
        yield return Page("/chats/{mine}/messages/-1/stream", s => $"/chats/{s.Chat}/messages/-1/stream");
        yield return Page("/chats/{theirs}/messages/1/stream", s => $"/chats/{s.TheirChat}/messages/1/stream");
        foreach (var n in BadNumbers)
        {
            yield return Page($"/chats/{{mine}}?handler=Older&before={n}", s => $"/chats/{s.Chat}?handler=Older&before={E(n)}");
            yield return Page($"/chats/{{mine}}?handler=Message&messageId={n}", s => $"/chats/{s.Chat}?handler=Message&messageId={E(n)}");
            yield return Page($"/chats/{{mine}}?handler=Edit&messageId={n}", s => $"/chats/{s.Chat}?handler=Edit&messageId={E(n)}");
        }
        yield return Page("/chats/{mine}?handler=Bogus", s => $"/chats/{s.Chat}?handler=Bogus");

        // ---- the character editor (new and edit)
        var editorFields = new List<(string Label, string Body)>();
        foreach (var n in BadNumbers)
            editorFields.Add(($"numbers={n}", $"Form.Name=A&Form.Openness={E(n)}&Form.LorebookScanDepth={E(n)}&Form.VoicePitch={E(n)}" +
                                              $"&Form.Traits.index=t&Form.Traits[t].Name=x&Form.Traits[t].Intensity={E(n)}&Form.LorebookRecursive={E(n)}" +
                                              $"&Form.Entries.index=e&Form.Entries[e].Content=c&Form.Entries[e].Priority={E(n)}&Form.Entries[e].Enabled={E(n)}"));
        foreach (var (label, text) in BadText)
            editorFields.Add(($"text={label}", $"Form.Name={text}&Form.Description={text}&Form.Tags={text}&Form.Likes={text}" +
                                               $"&Form.FirstMessage={text}&Form.AlternateGreetings={text}&Form.VersionMessage={text}" +
                                               $"&Form.Entries.index=e&Form.Entries[e].Keys={text}&Form.Entries[e].Content={text}"));
        editorFields.Add(("one 1 MB field", $"Form.Name=A&Form.Description={Huge}"));
        editorFields.Add(("enums", "Form.Name=A&Form.Visibility=bogus&Form.VoiceProvider=..%2Fx&Form.Category=%00&Form.VoiceLanguage=%ff" +
                                   "&Form.Entries.index=e&Form.Entries[e].Content=c&Form.Entries[e].Position=sideways"));
        editorFields.Add(("duplicated fields", "Form.Name=A&Form.Name=B&Form.Openness=1&Form.Openness=abc&Form.Visibility=private&Form.Visibility=public"));
        editorFields.Add(("missing fields", "nothing=here"));
        foreach (var json in new[] { "[]", "null", "42", "\"s\"", "{bad", DeepJson, DeepObject, "{\"a\":\"\\u0000\"}", "{\"a\":\"\\ud800\"}",
                     "{\"description\":5,\"id\":\"\\ud800\",\"extensions\":[]}", "{\"description\":\"\\ud800\",\"extensions\":{\"a\":\"\\u0000\"}}" })
            editorFields.Add(($"json={(json.Length > 100 ? "deep" + json[0] : json)}",
                $"Form.Name=A&Form.ExtensionsJson={E(json)}&Form.LorebookHiddenJson={E(json)}&Form.Entries.index=e&Form.Entries[e].Content=c&Form.Entries[e].HiddenJson={E(json)}"));
        editorFields.Add(("index overflow", "Form.Name=A&Form.Traits[99999999999].Name=x&Form.Entries[-1].Content=c"));
        foreach (var (label, body) in editorFields)
        {
            yield return Form($"/characters/new {label}", _ => "/characters/new", _ => "/characters/new", _ => body);
            yield return Form($"/characters/{{mine}}/edit {label}", s => $"/characters/{s.Mine}/edit", s => $"/characters/{s.Mine}/edit",
                _ => body + "&ExpectedVersion=1");
        }
        foreach (var n in BadNumbers)
            yield return Form($"/characters/{{mine}}/edit ExpectedVersion={n}", s => $"/characters/{s.Mine}/edit", s => $"/characters/{s.Mine}/edit",
                _ => $"Form.Name=A&ExpectedVersion={E(n)}");
        foreach (var json in new[] { "", "{bad", "[]", "null", "42", DeepJson, DeepObject, "{\"name\":5}", "{\"name\":\"\\u0000\"}", "{\"name\":\"\\ud800\"}" })
            yield return Form($"/characters/{{mine}}/edit?handler=Merge MineJson={(json.Length > 100 ? "deep" + json[0] : json)}",
                s => $"/characters/{s.Mine}/edit", s => $"/characters/{s.Mine}/edit?handler=Merge",
                _ => $"MineJson={E(json)}&ExpectedVersion=1&Choice[name]=mine&Choice[%00]=mine");
        yield return Form("/characters/{theirs}/edit", s => $"/characters/{s.Mine}/edit", s => $"/characters/{s.Theirs}/edit", _ => "Form.Name=Mine&ExpectedVersion=1");

        // ---- the character page's handlers
        foreach (var (handler, body) in new[]
                 {
                     ("Collaborator", "collaboratorName=%00&collaboratorRole=bogus"), ("Collaborator", "collaboratorName=nobody&collaboratorRole=owner"),
                     ("Collaborator", $"collaboratorName={Long}&collaboratorRole=%ED%A0%80"), ("Collaborator", "collaboratorName=rob&collaboratorRole=editor"),
                     ("Collaborator", ""), ("RemoveCollaborator", "userId=abc"), ("RemoveCollaborator", "userId=-1"), ("RemoveCollaborator", $"userId={Overflow}"),
                     ("Favorite", "favorite=abc"), ("Favorite", "favorite=1e309&favorite=true"), ("Archive", "archived=maybe"), ("Archive", ""),
                     ("Template", "templateName=%00"), ("Template", $"templateName={Long}"), ("Template", ""), ("Template", "templateName=%ED%A0%80"),
                     ("Bogus", "x=1"),
                 })
            yield return Form($"/characters/{{mine}}?handler={handler} {(body.Length > 60 ? body[..60] : body)}", s => $"/characters/{s.Mine}",
                s => $"/characters/{s.Mine}?handler={handler}", _ => body);
        foreach (var handler in new[] { "Favorite", "Archive", "Delete", "Template", "Collaborator" })
            yield return Form($"/characters/{{theirs}}?handler={handler}", s => $"/characters/{s.Mine}", s => $"/characters/{s.Theirs}?handler={handler}",
                _ => "favorite=true&archived=true&templateName=t&collaboratorName=rob&collaboratorRole=editor");
        yield return Upload("/characters/{mine}?handler=Avatar text file", s => $"/characters/{s.Mine}", s => $"/characters/{s.Mine}?handler=Avatar",
            "avatar", "not an image"u8.ToArray(), "a.png", "image/png");
        yield return Upload("/characters/{mine}?handler=Avatar truncated png", s => $"/characters/{s.Mine}", s => $"/characters/{s.Mine}?handler=Avatar",
            "avatar", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13], "a.png", "image/png");
        yield return Upload("/characters/{mine}?handler=Avatar empty file", s => $"/characters/{s.Mine}", s => $"/characters/{s.Mine}?handler=Avatar",
            "avatar", [], "a.png", "image/png");
        yield return EmptyMultipart("/characters/{mine}?handler=Avatar no file", s => $"/characters/{s.Mine}", s => $"/characters/{s.Mine}?handler=Avatar");

        // ---- the library's bulk actions, templates, versions, avatar creator
        foreach (var body in new[] { "action=bogus&ids=1", "ids=abc&ids=-1&action=delete", $"action=tag&ids={Overflow}&bulkTag=%00", "action=archive",
                     "action=tag&bulkTag=" + Long, "action=%00&ids=1&ids=1" })
            yield return Form($"/characters?handler=Bulk {(body.Length > 60 ? body[..60] : body)}", _ => "/characters", _ => "/characters?handler=Bulk", _ => body);
        yield return Form("/characters?handler=Bulk theirs", _ => "/characters", _ => "/characters?handler=Bulk", s => $"action=delete&ids={s.Theirs}");
        foreach (var n in BadNumbers)
        {
            yield return Form($"/characters/templates?handler=Delete templateId={n}", _ => "/characters/templates", _ => "/characters/templates?handler=Delete",
                _ => $"templateId={E(n)}");
            yield return Form($"/characters/{{mine}}/versions?handler=Restore version={n}", s => $"/characters/{s.Mine}/versions",
                s => $"/characters/{s.Mine}/versions?handler=Restore", _ => $"version={E(n)}");
        }
        foreach (var handler in new[] { "Preview", "Random", "Save" })
        {
            yield return Form($"/characters/{{mine}}/avatar/create?handler={handler} garbage", s => $"/characters/{s.Mine}/avatar/create",
                s => $"/characters/{s.Mine}/avatar/create?handler={handler}",
                _ => "skin=abc&hair=%00&eyes=99999999999&seed=1e309&style=..%2F..%2Fx&expression=bogus&background=%ED%A0%80&hue=-1&hue=abc");
            yield return Form($"/characters/{{theirs}}/avatar/create?handler={handler}", s => $"/characters/{s.Mine}/avatar/create",
                s => $"/characters/{s.Theirs}/avatar/create?handler={handler}", _ => "seed=1");
        }

        // ---- imports
        yield return EmptyMultipart("/characters/import no files", _ => "/characters/import", _ => "/characters/import");
        yield return Upload("/characters/import text file", _ => "/characters/import", _ => "/characters/import", "files", "hello"u8.ToArray(), "a.png", "image/png");
        yield return Upload("/characters/import json array", _ => "/characters/import", _ => "/characters/import", "files", "[1,2]"u8.ToArray(), "a.json", "application/json");
        yield return Upload("/characters/import deep json", _ => "/characters/import", _ => "/characters/import", "files", Encoding.UTF8.GetBytes(DeepJson), "a.json", "application/json");
        yield return Upload("/characters/import nul json", _ => "/characters/import", _ => "/characters/import", "files",
            Encoding.UTF8.GetBytes("{\"spec\":\"chara_card_v2\",\"data\":{\"name\":\"a\\u0000b\",\"description\":\"\\ud800\"}}"), "a.json", "application/json");
        yield return Form("/characters/import Duplicates=bogus no files", _ => "/characters/import", _ => "/characters/import", _ => "Duplicates=..%2Fx");
        foreach (var (label, bytes) in new[] { ("text", "not json"u8.ToArray()), ("array", "[1]"u8.ToArray()), ("deep", Encoding.UTF8.GetBytes(DeepObject)),
                     ("empty", Array.Empty<byte>()), ("nul", "{\"name\":\"a\\u0000\",\"entries\":{\"1\":{\"key\":[\"\\ud800\"],\"content\":\"x\\u0000\"}}}"u8.ToArray()),
                     ("wrong types", "{\"name\":5,\"entries\":{\"1\":{\"key\":5,\"content\":[],\"order\":\"abc\",\"depth\":1e309}}}"u8.ToArray()) })
            yield return Upload($"/characters/{{mine}}/lorebook/import {label}", s => $"/characters/{s.Mine}",
                s => $"/characters/{s.Mine}/lorebook/import", "lorebook", bytes, "book.json", "application/json");
        yield return EmptyMultipart("/characters/{mine}/lorebook/import no file", s => $"/characters/{s.Mine}", s => $"/characters/{s.Mine}/lorebook/import");

        // ---- chats
        foreach (var n in BadNumbers.Append("{theirs}"))
            yield return Form($"/chats/new characterId={n}", _ => "/chats", s => $"/chats/new?characterId={(n == "{theirs}" ? s.Theirs.ToString() : E(n))}", _ => "");
        foreach (var (label, text) in BadText)
        {
            yield return Form($"/chats/{{mine}}?handler=Rename title={label}", s => $"/chats/{s.Chat}", s => $"/chats/{s.Chat}?handler=Rename", _ => $"title={text}");
            yield return Form($"/chats/{{mine}}?handler=Edit text={label}", s => $"/chats/{s.Chat}", s => $"/chats/{s.Chat}?handler=Edit&messageId={s.Message}",
                _ => $"text={text}");
        }
        yield return Form("/chats/{mine}?handler=Rename title=1 MB", s => $"/chats/{s.Chat}", s => $"/chats/{s.Chat}?handler=Rename", _ => $"title={Huge}");
        yield return Form("/chats/{mine}?handler=Edit text=1 MB", s => $"/chats/{s.Chat}", s => $"/chats/{s.Chat}?handler=Edit&messageId={s.Message}",
            _ => $"text={Huge}");
        yield return Form("/account?handler=Profile bio=1 MB", _ => "/account", _ => "/account?handler=Profile", _ => $"DisplayName=Rob&Bio={Huge}");
        yield return Form("/chats/{mine}?handler=Send text=missing", s => $"/chats/{s.Chat}", s => $"/chats/{s.Chat}?handler=Send", _ => "");
        foreach (var handler in new[] { "Regenerate", "Continue", "Swipe", "Stop", "Edit", "Delete" })
            foreach (var n in BadNumbers)
                yield return Form($"/chats/{{mine}}?handler={handler} messageId={n}", s => $"/chats/{s.Chat}",
                    s => $"/chats/{s.Chat}?handler={handler}&messageId={E(n)}", _ => $"direction={E(n)}&text=x");
        foreach (var n in BadNumbers)
            yield return Form($"/chats/{{mine}}?handler=Swipe direction={n}", s => $"/chats/{s.Chat}", s => $"/chats/{s.Chat}?handler=Swipe&messageId={s.Message}",
                _ => $"direction={E(n)}");
        foreach (var handler in new[] { "Send", "Rename", "DeleteChat", "Edit", "Delete" })
            yield return Form($"/chats/{{theirs}}?handler={handler}", s => $"/chats/{s.Chat}", s => $"/chats/{s.TheirChat}?handler={handler}&messageId=1",
                _ => "text=x&title=x");
        yield return Form("/chats/{mine}?handler=Bogus", s => $"/chats/{s.Chat}", s => $"/chats/{s.Chat}?handler=Bogus", _ => "x=1");

        // ---- account
        foreach (var (label, text) in BadText)
        {
            yield return Form($"/account?handler=Profile text={label}", _ => "/account", _ => "/account?handler=Profile",
                _ => $"DisplayName={text}&Email={text}&Bio={text}");
            yield return Form($"/account?handler=Password text={label}", _ => "/account", _ => "/account?handler=Password",
                _ => $"CurrentPassword={text}&NewPassword={text}&ConfirmPassword={text}");
            yield return Form($"/account?handler=CreateToken name={label}", _ => "/account", _ => "/account?handler=CreateToken", _ => $"TokenName={text}");
        }
        foreach (var n in BadNumbers)
        {
            yield return Form($"/account?handler=CreateToken days={n}", _ => "/account", _ => "/account?handler=CreateToken", _ => $"TokenName=t&TokenExpiresInDays={E(n)}");
            yield return Form($"/account?handler=RevokeToken tokenId={n}", _ => "/account", _ => "/account?handler=RevokeToken", _ => $"tokenId={E(n)}");
        }
        yield return Form("/account?handler=Profile duplicated", _ => "/account", _ => "/account?handler=Profile", _ => "DisplayName=a&DisplayName=b&Email=x&Email=y%40z");
        yield return Upload("/account?handler=Avatar text file", _ => "/account", _ => "/account?handler=Avatar", "avatar", "nope"u8.ToArray(), "a.png", "image/png");
        yield return EmptyMultipart("/account?handler=Avatar no file", _ => "/account", _ => "/account?handler=Avatar");
        yield return Form("/account?handler=Bogus", _ => "/account", _ => "/account?handler=Bogus", _ => "x=1");
        foreach (var (label, text) in BadText)
        {
            yield return Form($"/account/register text={label}", _ => "/account/register", _ => "/account/register",
                _ => $"Username={text}&Email={text}&Password={text}&ConfirmPassword={text}", anonymous: true);
            yield return Form($"/account/login text={label}", _ => "/account/login", _ => "/account/login",
                _ => $"Username={text}&Password={text}&RememberMe={text}&ReturnUrl={text}", anonymous: true);
        }

        // ---- API: characters
        foreach (var q in new[] { "cursor=%ff", "cursor=abc", "cursor=" + E("9223372036854775807|zz"), "sort=../../x", "q=" + E(TsQuery), "q=%00",
                     "limit=-1", "limit=0", "limit=99999999999", "limit=2147483647", "creator_id=abc", "creator_id=-1", "scope=%00&visibility=bogus" })
            yield return Api("GET", $"/api/characters?{q}", _ => $"/api/characters?{q}");
        foreach (var (label, body) in new[]
                 {
                     ("[]", "[]"), ("null", "null"), ("number", "42"), ("string", "\"s\""), ("empty", ""), ("not json", "{bad"),
                     ("deep array", DeepJson), ("deep object", "{\"extensions\":" + DeepObject + "}"), ("name number", "{\"name\":5}"),
                     ("name nul", "{\"name\":\"a\\u0000b\",\"description\":\"\\u0000\",\"tags\":[\"\\u0000\"]}"),
                     ("extensions surrogate", "{\"name\":\"a\",\"extensions\":{\"x\":\"\\ud800\",\"y\":\"\\u0000\"}}"),
                     ("name surrogate", "{\"name\":\"a\\ud800b\",\"tags\":[\"\\udfff\"]}"), ("huge", $"{{\"name\":\"{Huge}\",\"description\":\"{Huge}\"}}"),
                     ("visibility bogus", "{\"name\":\"a\",\"visibility\":\"bogus\"}"), ("duplicated keys", "{\"name\":\"a\",\"name\":\"b\"}"),
                     ("big five overflow", "{\"name\":\"a\",\"big_five\":{\"openness\":1e309,\"extraversion\":\"abc\"}}"),
                     ("lorebook bad", "{\"name\":\"a\",\"lorebook\":{\"entries\":[{\"keys\":\"x\",\"position\":\"sideways\",\"priority\":99999999999}]}}"),
                     ("lists wrong", "{\"name\":\"a\",\"tags\":\"x\",\"likes\":[1,[2]],\"alternate_greetings\":{}}"),
                 })
        {
            yield return Api("POST", $"/api/characters {label}", _ => "/api/characters", body);
            yield return Api("PUT", $"/api/characters/{{mine}} {label}", s => $"/api/characters/{s.Mine}",
                body.StartsWith("{\"name\"", StringComparison.Ordinal) ? "{\"version\":1," + body[1..] : body);
        }
        yield return Api("POST", "/api/characters text/plain", _ => "/api/characters", "{\"name\":\"a\"}", "text/plain");
        foreach (var v in new[] { "\"abc\"", "99999999999", "-1", "1e309", "null", "[]" })
            yield return Api("PUT", $"/api/characters/{{mine}} version={v}", s => $"/api/characters/{s.Mine}", $"{{\"name\":\"a\",\"version\":{v}}}");
        yield return Api("PUT", "/api/characters/{theirs}", s => $"/api/characters/{s.Theirs}", "{\"name\":\"a\",\"version\":1}");
        foreach (var id in new[] { "-1", "0", "9223372036854775807", Overflow, "abc" })
        {
            yield return Api("GET", $"/api/characters/{id}", _ => $"/api/characters/{id}");
            yield return Api("PUT", $"/api/characters/{id}", _ => $"/api/characters/{id}", "{\"name\":\"a\",\"version\":1}");
            yield return Api("DELETE", $"/api/characters/{id}", _ => $"/api/characters/{id}");
            yield return Api("GET", $"/api/characters/{id}/versions", _ => $"/api/characters/{id}/versions");
            yield return Api("GET", $"/api/characters/{id}/export", _ => $"/api/characters/{id}/export");
            yield return Api("GET", $"/api/characters/import/{id}", _ => $"/api/characters/import/{id}");
            yield return Api("DELETE", $"/api/tokens/{id}", _ => $"/api/tokens/{id}");
        }
        yield return Api("DELETE", "/api/characters/{theirs}", s => $"/api/characters/{s.Theirs}");
        yield return Api("GET", "/api/characters/{theirs}/versions", s => $"/api/characters/{s.Theirs}/versions");
        yield return Api("GET", "/api/characters/{theirs}/export", s => $"/api/characters/{s.Theirs}/export");
        yield return Api("GET", "/api/characters/{mine}/export?format=bogus", s => $"/api/characters/{s.Mine}/export?format=..%2Fx");
        yield return Api("GET", "/api/nothing-here", _ => "/api/nothing-here");

        // ---- API: interact (only requests that must be refused before any generation)
        foreach (var (label, body) in new[]
                 {
                     ("[]", "[]"), ("null", "null"), ("empty", ""), ("deep", DeepJson), ("message number", "{\"message\":5}"),
                     ("conversation abc", "{\"message\":\"hi\",\"conversation_id\":\"abc\"}"),
                     ("conversation overflow", "{\"message\":\"hi\",\"conversation_id\":1e309}"),
                     ("conversation -1", "{\"message\":\"hi\",\"conversation_id\":-1}"),
                     ("message missing", "{\"conversation_id\":1}"),
                 })
            yield return Api("POST", $"/api/characters/{{mine}}/interact {label}", s => $"/api/characters/{s.Mine}/interact", body);
        yield return Api("POST", "/api/characters/{mine}/interact no body", s => $"/api/characters/{s.Mine}/interact");
        yield return Api("POST", "/api/characters/{theirs}/interact", s => $"/api/characters/{s.Theirs}/interact", "{\"message\":\"hi\",\"conversation_id\":1}");
        yield return Api("POST", "/api/characters/-1/interact", _ => "/api/characters/-1/interact", "{\"message\":\"hi\"}");

        // ---- API: import and tokens
        yield return ApiMultipart("/api/characters/import no file", _ => "/api/characters/import", null);
        yield return ApiMultipart("/api/characters/import text", _ => "/api/characters/import", "not a card"u8.ToArray());
        yield return ApiMultipart("/api/characters/import json array", _ => "/api/characters/import", "[1]"u8.ToArray(), "a.json");
        yield return ApiMultipart("/api/characters/import empty file", _ => "/api/characters/import", [], "a.json");
        yield return Api("POST", "/api/characters/import json body", _ => "/api/characters/import", "{\"name\":\"a\"}");
        foreach (var (label, body) in new[]
                 {
                     ("[]", "[]"), ("null", "null"), ("empty", ""), ("not json", "{bad"), ("deep", DeepJson), ("wrong types", "{\"username\":5,\"password\":[]}"),
                     ("days abc", "{\"username\":\"rob\",\"password\":\"correct horse battery\",\"expires_in_days\":\"abc\"}"),
                     ("days overflow", "{\"username\":\"rob\",\"password\":\"correct horse battery\",\"expires_in_days\":99999999999}"),
                     ("days -1", "{\"username\":\"rob\",\"password\":\"correct horse battery\",\"expires_in_days\":-1}"),
                     ("nul", "{\"username\":\"r\\u0000\",\"password\":\"\\ud800\",\"name\":\"\\u0000\"}"),
                     ("huge", $"{{\"username\":\"{Huge}\",\"password\":\"{Huge}\"}}"),
                 })
            yield return Api("POST", $"/api/tokens {label}", _ => "/api/tokens", body);
    }

    [OneTimeSetUp]
    public async Task ArrangeAsync()
    {
        await IntegrationFixture.Database.ResetAsync();
        var eve = Own(IntegrationFixture.App.CreateClient());
        await eve.RegisterAsync("eve");
        var theirs = await ChatKit.CreateCharacterAsync(eve, "eve", new { name = "Hers", first_message = "Hello from hers." });
        var theirChat = await ChatKit.StartChatAsync(eve, theirs);

        var rob = Own(IntegrationFixture.App.CreateClient());
        await rob.RegisterAsync("rob");
        var mine = await ChatKit.CreateCharacterAsync(rob, "rob", new { name = "Mine", first_message = "Hello there." });
        var chat = await ChatKit.StartChatAsync(rob, mine);
        var (_, html) = await rob.GetPageAsync($"/chats/{chat}");
        var message = long.Parse(TestClient.Parse(html).QuerySelector("article.chat-message[data-message-id]")!.GetAttribute("data-message-id")!);
        var api = Own(await ChatKit.ApiAsync(rob, "rob"));
        setting = new Setting(rob, api, Own(IntegrationFixture.App.CreateClient()), eve, mine, chat, message, theirs, theirChat);
    }

    private T Own<T>(T disposable) where T : IDisposable
    {
        owned.Add(disposable);
        return disposable;
    }

    [OneTimeTearDown]
    public void Dispose()
    {
        foreach (var d in owned) d.Dispose();
    }

    [TestCaseSource(nameof(Cases))]
    public async Task NeverA5xx(HostileCase hostile)
    {
        using var response = await hostile.Send(setting);
        var body = await response.Content.ReadAsStringAsync();
        var status = (int)response.StatusCode;
        Assert.That(status, Is.LessThan(500), $"{hostile.Name} → {status}\n{(body.Length > 3000 ? body[..3000] : body)}");
        if (hostile.IsApi && status >= 400)
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"), $"{hostile.Name} → {status}\n{body}");

        // Whatever was sent, what each user had is still there, and the user is still signed in as themselves.
        var (page, _) = await setting.Web.GetPageAsync($"/chats/{setting.Chat}");
        Assert.That(page.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the user's chat is still there");
        var (character, _) = await setting.Web.GetPageAsync($"/characters/{setting.Mine}");
        Assert.That(character.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the user's character is still there");
        var (their, _) = await setting.Eve.GetPageAsync($"/characters/{setting.Theirs}");
        Assert.That(their.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the other user's character is untouched");
    }
}
