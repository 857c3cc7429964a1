using System.Net;
using CharacterHub.Tests.Support;
using SkiaSharp;
using static CharacterHub.Tests.Integration.Chats.ChatKit;
using static CharacterHub.Tests.Integration.Personas.PersonaKit;

namespace CharacterHub.Tests.Integration.Personas;

/// <summary>/personas and the chat's persona selector on the shared host (no model: replies are offline).</summary>
public sealed class PersonaPageTests : IntegrationTest
{
    private static object Card => new
    {
        name = "Mira", description = "A lighthouse keeper.", first_message = "Welcome to the lighthouse, {{user}}.", visibility = "private",
    };

    [Test]
    public async Task CreateEditDelete_WithInlineValidation()
    {
        var client = await SignedInClient("ada");
        var (page, html) = await client.GetPageAsync("/personas");
        Assert.That(page.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(TestClient.Parse(html).QuerySelector(".menu-panel a[href='/personas']")?.TextContent, Is.EqualTo("Personas"));

        // Each rule answers the form fragment (200) with the message beside its field, keeping what was typed.
        var blank = await SaveAsync(client, "   ", "kept text");
        var blankDoc = TestClient.Parse(await blank.Content.ReadAsStringAsync());
        Assert.That(blank.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(blankDoc.QuerySelector("#persona-name-error")!.TextContent, Is.EqualTo("Give the persona a name."));
        Assert.That(blankDoc.QuerySelector("#persona-description")!.TextContent, Is.EqualTo("kept text"));
        var tooLong = TestClient.Parse(await (await SaveAsync(client, new string('n', 65), new string('d', 5001))).Content.ReadAsStringAsync());
        Assert.That(tooLong.QuerySelector("#persona-name-error")!.TextContent, Does.Contain("at most 64"));
        Assert.That(tooLong.QuerySelector("#persona-description-error")!.TextContent, Does.Contain("at most 5,000"));
        var notImage = await SaveAsync(client, "Ada", avatar: "<?php echo 1; ?>"u8.ToArray());
        Assert.That(TestClient.Parse(await notImage.Content.ReadAsStringAsync()).QuerySelector("#persona-avatar-error")!.TextContent,
            Does.Contain("not a PNG, JPEG, WebP or GIF"));
        Assert.That(await CountAsync("select count(*) from interaction.personas"), Is.Zero, "nothing invalid was saved");

        var id = await CreateAsync(client, "Captain Ada", "Retired starship captain.");
        var edited = await SaveAsync(client, "Admiral Ada", "Promoted.", personaId: id, makeDefault: true);
        var list = TestClient.Parse(await edited.Content.ReadAsStringAsync());
        var item = Items(list).Single();
        Assert.That(item.QuerySelector(".persona-name")!.TextContent, Is.EqualTo("Admiral Ada"));
        Assert.That(item.QuerySelector(".persona-description")!.TextContent, Is.EqualTo("Promoted."));
        Assert.That(list.QuerySelector("[role=status]")!.TextContent, Is.EqualTo("Persona saved."));

        // Without htmx the same actions redirect back to the page.
        var edit = TestClient.Parse((await client.GetPageAsync($"/personas?edit={id}")).Body);
        Assert.That(edit.QuerySelector("#persona-name")!.GetAttribute("value"), Is.EqualTo("Admiral Ada"));
        var deleted = await client.PostFormAsync("/personas", new Dictionary<string, string>(), $"/personas?handler=Delete&personaId={id}");
        Assert.That(deleted.Headers.Location!.ToString(), Is.EqualTo("/personas"));
        Assert.That(Items(TestClient.Parse((await client.GetPageAsync("/personas")).Body)), Is.Empty);
    }

    [Test]
    public async Task Default_FirstPersonaIsDefault_AndThereIsOnlyEverOne()
    {
        var client = await SignedInClient("bea");
        var first = await CreateAsync(client, "First");
        var second = await CreateAsync(client, "Second");
        Assert.That(await DefaultsAsync(), Is.EqualTo(new[] { first }), "the first persona becomes the default by itself");

        var third = await CreateAsync(client, "Third", makeDefault: true);
        Assert.That(await DefaultsAsync(), Is.EqualTo(new[] { third }));
        var made = await ActAsync(client, "Default", second);
        var list = TestClient.Parse(await made.Content.ReadAsStringAsync());
        Assert.That(Items(list).First().QuerySelector(".persona-name")!.TextContent, Is.EqualTo("Second"), "the default is listed first");
        Assert.That(Items(list).First().QuerySelector(".badge")!.TextContent, Is.EqualTo("default"));
        Assert.That(await DefaultsAsync(), Is.EqualTo(new[] { second }));

        // Concurrent "make default" requests serialise: whichever wins, exactly one default remains.
        await Task.WhenAll(ActAsync(client, "Default", first), ActAsync(client, "Default", third));
        Assert.That(await DefaultsAsync(), Has.Count.EqualTo(1));
        Assert.ThrowsAsync<Npgsql.PostgresException>(() => ScalarAsync<int>(Database.ConnectionString,
            "update interaction.personas set is_default = true where user_id = (select user_id from interaction.personas where id = @first)",
            new { first }), "the database refuses a second default");
    }

    [Test]
    public async Task Avatar_IsReencoded_ServedWithCacheHeaders_OnlyToItsOwner()
    {
        var client = await SignedInClient("cleo");
        var response = await SaveAsync(client, "Cleo", avatar: Png(300, 200));
        var src = Items(TestClient.Parse(await response.Content.ReadAsStringAsync())).Single().QuerySelector("img.persona-avatar")!.GetAttribute("src")!;
        var id = long.Parse(src.Split('/')[2]);

        var large = await client.GetAsync($"/personas/{id}/avatar");
        Assert.That(large.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(large.Content.Headers.ContentType!.MediaType, Is.EqualTo("image/webp"));
        Assert.That(large.Headers.CacheControl!.Private, Is.True);
        using (var decoded = SKBitmap.Decode(await large.Content.ReadAsByteArrayAsync()))
            Assert.That((decoded.Width, decoded.Height), Is.EqualTo((200, 200)), "cropped square, never upscaled");
        var small = await client.GetAsync(src);
        using (var decoded = SKBitmap.Decode(await small.Content.ReadAsByteArrayAsync()))
            Assert.That((decoded.Width, decoded.Height), Is.EqualTo((64, 64)));

        using var again = new HttpRequestMessage(HttpMethod.Get, $"/personas/{id}/avatar");
        again.Headers.IfNoneMatch.Add(large.Headers.ETag!);
        Assert.That((await client.Http.SendAsync(again)).StatusCode, Is.EqualTo(HttpStatusCode.NotModified));

        var other = await SignedInClient("mallory");
        Assert.That((await other.GetAsync($"/personas/{id}/avatar")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((await Client().GetAsync($"/personas/{id}/avatar")).StatusCode, Is.Not.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task AnotherUsersPersona_IsNotFound_AndCannotBeChosenForMyChat()
    {
        var owner = await SignedInClient("olga");
        var theirs = await CreateAsync(owner, "Olga's persona", "Private.");
        var me = await SignedInClient("pete");
        var mine = await CreateAsync(me, "Pete");

        Assert.That((await me.GetAsync($"/personas?edit={theirs}")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((await SaveAsync(me, "Stolen", personaId: theirs)).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((await ActAsync(me, "Default", theirs)).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((await ActAsync(me, "Delete", theirs)).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(await ScalarAsync<string>(Database.ConnectionString, "select name from interaction.personas where id = @theirs", new { theirs }),
            Is.EqualTo("Olga's persona"));
        Assert.That(await DefaultsAsync(), Is.EquivalentTo(new[] { theirs, mine }), "a refused make-default leaves both defaults alone");

        var chatId = await StartChatAsync(me, await CreateCharacterAsync(me, "pete", Card));
        var refused = await PostAsync(me, chatId, "Persona", fields: new Dictionary<string, string> { ["personaId"] = theirs.ToString() });
        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(await ScalarAsync<long?>(Database.ConnectionString, "select persona_id from interaction.chats where id = @chatId", new { chatId }),
            Is.EqualTo(mine));
        var page = TestClient.Parse((await me.GetPageAsync($"/chats/{chatId}")).Body);
        Assert.That(page.QuerySelectorAll("#chat-persona option").Select(o => o.TextContent), Has.None.Contain("Olga"));
    }

    [Test]
    public async Task Chat_StartsWithTheDefaultPersona_AndTheSelectorSwitchesIt()
    {
        var client = await SignedInClient("quinn");
        var ada = await CreateAsync(client, "Captain Ada", "A retired captain.");
        var bob = await CreateAsync(client, "Bob");
        var chatId = await StartChatAsync(client, await CreateCharacterAsync(client, "quinn", Card));

        var doc = TestClient.Parse((await client.GetPageAsync($"/chats/{chatId}")).Body);
        Assert.That(doc.QuerySelector("article.chat-message.assistant .chat-text")!.TextContent, Does.Contain("Welcome to the lighthouse, Captain Ada."));
        Assert.That(doc.QuerySelector("#chat-persona option[selected]")!.GetAttribute("value"), Is.EqualTo(ada.ToString()));
        var (html, _) = await SendAsync(client, chatId, "Hello?");
        Assert.That(TestClient.Parse(html).QuerySelector("article.chat-message.user .chat-speaker strong")!.TextContent, Is.EqualTo("Captain Ada"));

        var switched = await client.PostFormAsync($"/chats/{chatId}", new Dictionary<string, string> { ["personaId"] = bob.ToString() },
            $"/chats/{chatId}?handler=Persona");
        Assert.That(switched.Headers.Location!.ToString(), Is.EqualTo($"/chats/{chatId}"));
        doc = TestClient.Parse((await client.GetPageAsync($"/chats/{chatId}")).Body);
        Assert.That(doc.QuerySelector("article.chat-message.user .chat-speaker strong")!.TextContent, Is.EqualTo("Bob"),
            "earlier messages show who the user speaks as now");

        // Deleting the chat's persona sends the chat back to the default; with no personas left, the account name.
        await ActAsync(client, "Delete", bob);
        Assert.That(Speaker(await client.GetPageAsync($"/chats/{chatId}")), Is.EqualTo("Captain Ada"));
        await ActAsync(client, "Delete", ada);
        Assert.That(Speaker(await client.GetPageAsync($"/chats/{chatId}")), Is.EqualTo("quinn"));
        Assert.That((await PostAsync(client, chatId, "Persona", fields: new Dictionary<string, string> { ["personaId"] = "" })).StatusCode,
            Is.EqualTo(HttpStatusCode.NoContent), "the empty choice (follow the default) is accepted");
    }

    [Test]
    public async Task HtmlInPersonaFields_RendersInert()
    {
        var client = await SignedInClient("rita");
        const string name = "<img src=x onerror=alert(1)>";
        const string description = "<script>alert('persona')</script> **not bold**";
        await CreateAsync(client, name, description);

        var body = (await client.GetPageAsync("/personas")).Body;
        Assert.That(body, Does.Not.Contain("<script>alert('persona')").And.Not.Contain("<img src=x"));
        var item = Items(TestClient.Parse(body)).Single();
        Assert.That(item.QuerySelector(".persona-name")!.TextContent, Is.EqualTo(name));
        Assert.That(item.QuerySelector(".persona-description")!.TextContent, Is.EqualTo(description));

        var chatId = await StartChatAsync(client, await CreateCharacterAsync(client, "rita", Card));
        await SendAsync(client, chatId, "hi");
        var chat = await client.GetPageAsync($"/chats/{chatId}");
        Assert.That(chat.Body, Does.Not.Contain("<img src=x"));
        Assert.That(Speaker(chat), Is.EqualTo(name));
        Assert.That(TestClient.Parse(chat.Body).QuerySelector("article.chat-message.assistant .chat-text")!.TextContent,
            Does.Contain($"Welcome to the lighthouse, {name}."), "the greeting shows the name as text");
    }

    private static string Speaker((HttpResponseMessage Response, string Body) page) =>
        TestClient.Parse(page.Body).QuerySelector("article.chat-message.user .chat-speaker strong")!.TextContent;

    private static async Task<List<long>> DefaultsAsync()
    {
        await using var db = new Npgsql.NpgsqlConnection(Database.ConnectionString);
        return (await Dapper.SqlMapper.QueryAsync<long>(db, "select id from interaction.personas where is_default order by id")).ToList();
    }

    private static Task<long> CountAsync(string sql) => ScalarAsync<long>(Database.ConnectionString, sql);
}
