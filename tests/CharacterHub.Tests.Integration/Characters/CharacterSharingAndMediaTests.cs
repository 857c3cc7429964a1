using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CharacterHub.FakeLlm;
using CharacterHub.Tests.Support;
using Dapper;
using Npgsql;
using SkiaSharp;

namespace CharacterHub.Tests.Integration.Characters;

public sealed class CharacterSharingAndMediaTests : IntegrationTest
{
    private static async Task<long> Create(TestClient client, string name, string visibility = "private", string firstMessage = "")
    {
        var response = await client.PostFormAsync("/characters/new", new Dictionary<string, string>
        {
            ["Form.Name"] = name, ["Form.Visibility"] = visibility, ["Form.FirstMessage"] = firstMessage,
        });
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
        return long.Parse(response.Headers.Location!.ToString().Split('/').Last());
    }

    [Test]
    public async Task Collaborators_EditorCanSave_ViewerCanOnlyRead_OthersSeeNothing()
    {
        var owner = await SignedInClient("owner1");
        var editor = await SignedInClient("editor1");
        var viewer = await SignedInClient("viewer1");
        var stranger = await SignedInClient("stranger1");
        var id = await Create(owner, "Shared hero");

        var unknown = await owner.PostFormAsync($"/characters/{id}", new Dictionary<string, string> { ["collaboratorName"] = "nobody_here", ["collaboratorRole"] = "editor" },
            action: $"/characters/{id}?handler=Collaborator", htmx: true);
        Assert.That(await unknown.Content.ReadAsStringAsync(), Does.Contain("There is no user with that name."));
        await owner.PostFormAsync($"/characters/{id}", new Dictionary<string, string> { ["collaboratorName"] = "Editor1", ["collaboratorRole"] = "editor" },
            action: $"/characters/{id}?handler=Collaborator");
        await owner.PostFormAsync($"/characters/{id}", new Dictionary<string, string> { ["collaboratorName"] = "viewer1", ["collaboratorRole"] = "viewer" },
            action: $"/characters/{id}?handler=Collaborator");

        Assert.That((await editor.GetPageAsync("/characters")).Body, Does.Contain("Shared hero").And.Contain("shared with you"));
        Assert.That((await viewer.GetPageAsync("/characters")).Body, Does.Contain("Shared hero"));
        Assert.That((await stranger.GetPageAsync("/characters")).Body, Does.Not.Contain("Shared hero"));
        Assert.That((await stranger.GetAsync($"/characters/{id}")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));

        var save = await editor.PostFormAsync($"/characters/{id}/edit", new Dictionary<string, string>
        {
            ["Form.Name"] = "Shared hero", ["Form.Visibility"] = "public", ["Form.Description"] = "edited by the editor", ["ExpectedVersion"] = "1",
        });
        Assert.That(save.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
        await using var db = new NpgsqlConnection(Database.ConnectionString);
        var row = await db.QuerySingleAsync<(string Description, string Visibility)>("select description, visibility from characters.characters");
        Assert.That(row, Is.EqualTo(("edited by the editor", "private")), "editors change content, never visibility");

        Assert.That((await viewer.GetAsync($"/characters/{id}")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await viewer.GetAsync($"/characters/{id}/edit")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));

        var editorId = await db.ExecuteScalarAsync<long>("select id from accounts.users where username = 'editor1'");
        var notOwner = await viewer.PostFormAsync($"/characters/{id}", new Dictionary<string, string> { ["userId"] = editorId.ToString() },
            action: $"/characters/{id}?handler=RemoveCollaborator");
        Assert.That(notOwner.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "a viewer cannot remove others");
        await owner.PostFormAsync($"/characters/{id}", new Dictionary<string, string> { ["userId"] = editorId.ToString() },
            action: $"/characters/{id}?handler=RemoveCollaborator");
        Assert.That((await editor.GetAsync($"/characters/{id}")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task AvatarBuilder_PreviewsSafeSvg_AndSavingStoresAvatarAndNineExpressions()
    {
        var client = await SignedInClient("artist");
        var id = await Create(client, "Drawn");
        var (page, html) = await client.GetPageAsync($"/characters/{id}/avatar/create");
        Assert.That(page.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(TestClient.Parse(html).QuerySelectorAll("#avatar-preview svg"), Has.Length.EqualTo(10), "the face and nine expressions");

        var fields = new Dictionary<string, string>
        {
            ["face_shape"] = "heart", ["skin_tone"] = "#8d5524", ["eye_shape"] = "almond", ["eye_color"] = "#2e7d32",
            ["brow_style"] = "thin", ["mouth_style"] = "smirk", ["hair_style"] = "ponytail", ["hair_color"] = "#b71c1c",
            ["accessories"] = "glasses", ["shirt_color"] = "#123456", ["accent_color"] = "#654321", ["background"] = "solid",
            ["background_color"] = "#ffffff", ["background_color2"] = "#000000",
        };
        var hostile = new Dictionary<string, string>(fields) { ["hair_color"] = "red\" onload=\"alert(1)" };
        var preview = await client.PostFormAsync($"/characters/{id}/avatar/create", hostile, action: $"/characters/{id}/avatar/create?handler=Preview", htmx: true);
        var previewHtml = await preview.Content.ReadAsStringAsync();
        Assert.That(previewHtml, Does.Contain("<svg").And.Not.Contain("onload").And.Not.Contain("alert"));

        var save = await client.PostFormAsync($"/characters/{id}/avatar/create", fields, action: $"/characters/{id}/avatar/create?handler=Save");
        Assert.That(save.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
        using var avatar = SKBitmap.Decode(await (await client.GetAsync($"/characters/{id}/avatar/large")).Content.ReadAsByteArrayAsync());
        Assert.That(avatar.Width, Is.EqualTo(512));
        await using var db = new NpgsqlConnection(Database.ConnectionString);
        var expressions = (await db.QueryAsync<string>("select expression from characters.expressions order by 1")).ToList();
        Assert.That(expressions, Is.EqualTo(new[] { "anger", "disgust", "fear", "joy", "love", "neutral", "sadness", "surprise", "thinking" }));
        Assert.That((await client.GetAsync($"/characters/{id}/expressions/joy")).Content.Headers.ContentType!.MediaType, Is.EqualTo("image/png"));
        Assert.That((await Client().GetAsync($"/characters/{id}/expressions/joy")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));

        var (_, again) = await client.GetPageAsync($"/characters/{id}/avatar/create");
        Assert.That(TestClient.Parse(again).QuerySelector("select[name=hair_style] option[selected]")!.GetAttribute("value"), Is.EqualTo("ponytail"),
            "the builder reopens with the saved parameters");
    }

    [Test]
    public async Task VoicePreview_WithoutTts_Is503WithAReason_WithTtsReturnsAudio()
    {
        var client = await SignedInClient("singer");
        var id = await Create(client, "Voice", firstMessage: "Hello there, {{user}}!");
        var none = await client.GetAsync($"/characters/{id}/voice/preview");
        Assert.That((int)none.StatusCode, Is.EqualTo(503));
        Assert.That(await none.Content.ReadAsStringAsync(), Does.Contain("No text-to-speech service"));

        await using var tts = await FakeLlmServer.StartAsync();
        await using var app = await TestApp.StartAsync(Database.ConnectionString, settings: new Dictionary<string, string?>
        {
            ["Tts:BaseUrl"] = tts.BaseUrl, ["Tts:Model"] = "tts-test",
        });
        using var other = app.CreateClient();
        await other.LoginAsync("singer");
        var audio = await other.GetAsync($"/characters/{id}/voice/preview");
        Assert.That(audio.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await audio.Content.ReadAsByteArrayAsync()).Length, Is.GreaterThan(100));
        var request = tts.Requests.Single(r => r.Path.EndsWith("/audio/speech", StringComparison.Ordinal));
        Assert.That(request.Body!.Value.GetProperty("input").GetString(), Does.Contain("Hello there"));
        Assert.That((await Client().GetAsync($"/characters/{id}/voice/preview")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }
}
