using System.Net;
using CharacterHub.FakeLlm;
using CharacterHub.Tests.Support;
using static CharacterHub.Tests.Integration.Chats.ChatKit;
using static CharacterHub.Tests.Integration.PromptTools.PromptToolsKit;

namespace CharacterHub.Tests.Integration.PromptTools;

/// <summary>Prompt tools against the fake OpenAI-compatible server, which records what reached the model.</summary>
public sealed class PromptToolsModelTests : IntegrationTest
{
    private FakeModelHost host = null!;
    private FakeLlmServer server => host.Model;

    [OneTimeSetUp]
    public async Task StartAsync() => host = await FakeModelHost.StartAsync(Database.ConnectionString);

    [OneTimeTearDown]
    public async Task StopAsync() => await host.DisposeAsync();

    [TearDown]
    public void ResetHost() => host.Reset();

    private async Task<(TestClient Client, long CharacterId, long ChatId)> ChatAsync(string username, string name = "Vex")
    {
        var client = host.CreateClient();
        await client.RegisterAsync(username);
        var characterId = await CreateCharacterAsync(client, username, new
        {
            name, description = "A smuggler. <script>alert('card')</script>", scenario = "A rainy port.", first_message = "You again.",
            lorebook = new { entries = new[] { new { keys = new[] { "harbor" }, content = "The harbor is closed at night.", comment = "Harbor rule" } } },
        });
        return (client, characterId, await StartChatAsync(client, characterId));
    }

    private async Task<List<SentMessage>> TurnAsync(TestClient client, long chatId, string text)
    {
        var (_, replyId) = await SendAsync(client, chatId, text);
        await StreamAsync(client, chatId, replyId);
        return Messages(server.ChatRequests[^1]);
    }

    [Test]
    public async Task Inspector_ShowsEachSectionWithTokens_LoreThatFired_AndIsEncoded()
    {
        var (client, _, chatId) = await ChatAsync("inspector");
        server.Script(FakeLlmBehavior.Reply("The harbor? Closed."));
        var (_, replyId) = await SendAsync(client, chatId, "What about the harbor? <b>now</b>");
        await StreamAsync(client, chatId, replyId);

        var message = await MessageAsync(client, chatId, replyId);
        var action = message.QuerySelector($"a[data-prompt-toggle='prompt-{replyId}']")!;
        Assert.That(action.GetAttribute("href"), Is.EqualTo($"/chats/{chatId}/messages/{replyId}/prompt"));

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/chats/{chatId}/messages/{replyId}/prompt");
        request.Headers.Add("HX-Request", "true");
        var response = await client.Http.SendAsync(request);
        var html = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var doc = TestClient.Parse(html);
        Assert.That(doc.QuerySelector("script, b"), Is.Null, "card and user text are shown as text");
        Assert.That(doc.QuerySelector(".prompt-inspector")!.Id, Is.EqualTo($"prompt-{replyId}"));

        var sections = doc.QuerySelectorAll(".prompt-section").ToList();
        var story = sections.First(s => s.GetAttribute("data-kind") == "StoryString");
        Assert.That(story.QuerySelector(".prompt-text")!.TextContent, Does.Contain("A smuggler. <script>alert('card')</script>").And.Contain("The harbor is closed at night."));
        Assert.That(int.Parse(story.QuerySelector("[data-tokens]")!.GetAttribute("data-tokens")!), Is.GreaterThan(5));
        var history = sections.Where(s => s.GetAttribute("data-kind") == "History").Select(s => s.QuerySelector(".prompt-text")!.TextContent).ToList();
        Assert.That(history, Is.EqualTo(new[] { "You again.", "What about the harbor? <b>now</b>" }));
        // The sent (not nested) sections add up to the total, which is what the model was charged for.
        var sent = sections.Where(s => !s.ClassList.Contains("nested") && s.QuerySelector("[data-tokens]") is not null)
            .Sum(s => int.Parse(s.QuerySelector("[data-tokens]")!.GetAttribute("data-tokens")!));
        Assert.That(int.Parse(doc.QuerySelector("[data-total-tokens]")!.TextContent), Is.EqualTo(sent));
        Assert.That(doc.QuerySelector(".prompt-lore")!.TextContent, Does.Contain("Harbor rule").And.Contain("key \"harbor\""));
        Assert.That(doc.QuerySelector("[data-dropped]")!.TextContent, Is.EqualTo("none"));
        Assert.That(html, Does.Contain("fake-model"));

        // The whole page works without htmx; the greeting says it had no prompt.
        var (page, full) = await client.GetPageAsync($"/chats/{chatId}/messages/{replyId}/prompt");
        Assert.That(page.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(TestClient.Parse(full).QuerySelectorAll(".prompt-section"), Has.Length.EqualTo(sections.Count));
        var greetingId = long.Parse(TestClient.Parse((await client.GetPageAsync($"/chats/{chatId}")).Body)
            .QuerySelector("article.chat-message.assistant")!.GetAttribute("data-message-id")!);
        Assert.That((await client.GetPageAsync($"/chats/{chatId}/messages/{greetingId}/prompt")).Body, Does.Contain("greeting from the card: no prompt was sent"));

        // Someone else's chat (or a message of another chat) does not exist for them.
        var other = host.CreateClient();
        await other.RegisterAsync("snoop");
        Assert.That((await other.GetAsync($"/chats/{chatId}/messages/{replyId}/prompt")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        var (_, _, otherChat) = await ChatAsync("neighbour");
        Assert.That((await client.GetAsync($"/chats/{otherChat}/messages/{replyId}/prompt")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((await client.GetAsync($"/chats/{chatId}/messages/{long.MaxValue}/prompt")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task AuthorsNote_ReachesThePrompt_AtTheChosenDepthAndRole()
    {
        var (client, _, chatId) = await ChatAsync("author");
        var saved = await SetNoteAsync(client, chatId, "  [Style: rain on every page.]  ", "1", "user");
        Assert.That(saved.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var form = TestClient.Parse(await saved.Content.ReadAsStringAsync());
        Assert.That(form.QuerySelector("#authors-note-text")!.TextContent, Is.EqualTo("[Style: rain on every page.]"));
        Assert.That(form.QuerySelector("#authors-note-depth")!.GetAttribute("value"), Is.EqualTo("1"));

        var sent = await TurnAsync(client, chatId, "Hello there.");
        // Depth 1: one message (the latest) comes after the note.
        Assert.That(sent[^2], Is.EqualTo(new SentMessage("user", "[Style: rain on every page.]")));
        Assert.That(sent[^1].Content, Is.EqualTo("Hello there."));

        await SetNoteAsync(client, chatId, "Keep it short.", "0", "system");
        sent = await TurnAsync(client, chatId, "And now?");
        Assert.That(sent[^1], Is.EqualTo(new SentMessage("system", "Keep it short.")));
        Assert.That(sent.Count(m => m.Content.Contains("rain on every page", StringComparison.Ordinal)), Is.Zero);

        // The chat page shows the saved note in its options.
        var page = TestClient.Parse((await client.GetPageAsync($"/chats/{chatId}")).Body);
        Assert.That(page.QuerySelector("#authors-note-text")!.TextContent, Is.EqualTo("Keep it short."));
        Assert.That(page.QuerySelector("#authors-note-role option[selected]")!.GetAttribute("value"), Is.EqualTo("system"));

        // An empty note turns it off.
        await SetNoteAsync(client, chatId, "", "4", "system");
        sent = await TurnAsync(client, chatId, "Still there?");
        Assert.That(sent.Any(m => m.Content == "Keep it short."), Is.False);
    }

    [Test]
    public async Task StoryString_CharacterOverride_ThenUserTemplate_ThenDefault()
    {
        var (client, characterId, chatId) = await ChatAsync("templater");
        var otherCharacter = await CreateCharacterAsync(client, "templater", new { name = "Nox", description = "A night owl.", first_message = "Hoo." });
        var otherChat = await StartChatAsync(client, otherCharacter);
        server.Script(FakeLlmBehavior.Reply("ok"));

        // Default: the card's parts, and the global system prompt once set.
        var sent = await TurnAsync(client, chatId, "one");
        Assert.That(sent[0].Content, Does.StartWith("A smuggler."));

        var saved = await SaveSettingsAsync(client, "USER {{char}} in {{scenario}}\n{{system}}", "GLOBAL RULES for {{user}}.");
        Assert.That(saved.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await saved.Content.ReadAsStringAsync(), Does.Contain("are saved"));
        sent = await TurnAsync(client, chatId, "two");
        Assert.That(sent[0].Content, Is.EqualTo("USER Vex in A rainy port.\nGLOBAL RULES for templater."));

        Assert.That((await SaveCharacterAsync(client, characterId, "CHARACTER {{user}} and {{char}}")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        sent = await TurnAsync(client, chatId, "three");
        Assert.That(sent[0].Content, Is.EqualTo("CHARACTER templater and Vex"));
        // The override is this character's only.
        sent = await TurnAsync(client, otherChat, "four");
        Assert.That(sent[0].Content, Does.StartWith("USER Nox in"));

        // Removing the override falls back to the user's template; resetting that falls back to the default.
        await SaveCharacterAsync(client, characterId, "  ");
        sent = await TurnAsync(client, chatId, "five");
        Assert.That(sent[0].Content, Does.StartWith("USER Vex"));
        await client.PostFormAsync("/settings/prompt", new Dictionary<string, string>(), "/settings/prompt?handler=Reset", htmx: true);
        sent = await TurnAsync(client, chatId, "six");
        Assert.That(sent[0].Content, Does.StartWith("GLOBAL RULES for templater.\nA smuggler."));
        Assert.That(await ScalarAsync<string?>(Database.ConnectionString, "select story_string from interaction.prompt_settings"), Is.Null);
    }

    [Test]
    public async Task SettingsPage_Previews_AgainstTheChosenCharacter()
    {
        var (client, characterId, _) = await ChatAsync("previewer");
        var (page, html) = await client.GetPageAsync($"/settings/prompt?characterId={characterId}");
        Assert.That(page.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var doc = TestClient.Parse(html);
        Assert.That(doc.QuerySelector("#ps-story-string")!.TextContent, Is.EqualTo(CharacterHub.Modules.Interaction.Prompting.PromptSettings.DefaultStoryString));
        Assert.That(doc.QuerySelector("#ps-character option[selected]")!.TextContent, Is.EqualTo("Vex"));

        var preview = await client.PostFormAsync("/settings/prompt", new Dictionary<string, string>
        {
            ["storyString"] = "Hi {{char}}, I am {{user}}. {{description}}", ["characterId"] = characterId.ToString(),
        }, "/settings/prompt?handler=Preview", htmx: true);
        var fragment = TestClient.Parse(await preview.Content.ReadAsStringAsync());
        Assert.That(fragment.QuerySelector("[data-preview]")!.TextContent, Is.EqualTo("Hi Vex, I am previewer. A smuggler. <script>alert('card')</script>"));
        Assert.That(fragment.QuerySelector("script"), Is.Null);

        var broken = await client.PostFormAsync("/settings/prompt", new Dictionary<string, string>
        {
            ["storyString"] = "ok\n{{#each}}", ["characterId"] = characterId.ToString(),
        }, "/settings/prompt?handler=Preview", htmx: true);
        Assert.That(TestClient.Parse(await broken.Content.ReadAsStringAsync()).QuerySelector("[data-template-problem]")!.TextContent, Does.StartWith("Line 2:"));
    }

    [Test]
    public async Task InvalidTemplate_IsRefused_WithItsMessageAndLine_KeepsTheText_AndSavesNothing()
    {
        var (client, characterId, chatId) = await ChatAsync("careless");
        const string broken = "{{description}}\n{{#if scenario}}Scenario: {{scenario}}";
        var response = await SaveSettingsAsync(client, broken, "a system prompt");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var doc = TestClient.Parse(await response.Content.ReadAsStringAsync());
        Assert.That(doc.QuerySelector("#ps-story-string-error")!.TextContent, Does.StartWith("Line 2:").And.Contain("'if'"));
        Assert.That(doc.QuerySelector("#ps-story-string")!.TextContent, Is.EqualTo(broken));
        Assert.That(doc.QuerySelector("#ps-system-prompt")!.TextContent, Is.EqualTo("a system prompt"));
        Assert.That(await ScalarAsync<long>(Database.ConnectionString, "select count(*) from interaction.prompt_settings"), Is.Zero);

        // Without htmx the page comes back the same way.
        var plain = await SaveSettingsAsync(client, broken, htmx: false);
        Assert.That(plain.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(TestClient.Parse(await plain.Content.ReadAsStringAsync()).QuerySelector("#ps-story-string-error")!.TextContent, Does.Contain("'if'"));

        var character = await SaveCharacterAsync(client, characterId, "{{/each}}");
        var characterDoc = TestClient.Parse(await character.Content.ReadAsStringAsync());
        Assert.That(characterDoc.QuerySelector("#ps-character-story-error")!.TextContent, Does.StartWith("Line 1:"));
        Assert.That(characterDoc.QuerySelector("#ps-character-story")!.TextContent, Is.EqualTo("{{/each}}"));
        Assert.That(await ScalarAsync<long>(Database.ConnectionString, "select count(*) from interaction.character_story_strings"), Is.Zero);

        // Turns still use the default.
        var sent = await TurnAsync(client, chatId, "hi");
        Assert.That(sent[0].Content, Does.StartWith("A smuggler."));
    }

    [Test]
    public async Task Impersonate_StreamsADraftAsTheUser_AndSavesNoMessage()
    {
        var (client, characterId, chatId) = await ChatAsync("actor");
        server.Script(FakeLlmBehavior.ReplyTokens("*I lean* ", "\"Tell me ", "about the harbor.\"\n", "<b>"));
        var messagesBefore = await ScalarAsync<long>(Database.ConnectionString, "select count(*) from interaction.messages");

        var (status, events) = await ImpersonateAsync(client, chatId);
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(Draft(events), Is.EqualTo("*I lean* \"Tell me about the harbor.\"\n<b>"));
        Assert.That(events[^1].Name, Is.EqualTo("done"));
        Assert.That(events.Any(e => e.Name == "problem"), Is.False);

        var sent = Messages(server.ChatRequests.Single());
        Assert.That(sent[^1].Role, Is.EqualTo("system"));
        Assert.That(sent[^1].Content, Is.EqualTo("[Write your next reply from the point of view of actor, using the chat history so far as a guideline for the writing style of actor. Don't write as Vex or system. Don't describe actions of Vex.]"));
        Assert.That(sent[0].Content, Does.StartWith("A smuggler."));
        Assert.That(sent.Any(m => m.Content == "You again."), Is.True);

        Assert.That(await ScalarAsync<long>(Database.ConnectionString, "select count(*) from interaction.messages"), Is.EqualTo(messagesBefore));
        Assert.That(await ScalarAsync<long>(Database.ConnectionString,
            "select count(*) from interaction.character_interactions where interaction_type = 'impersonate' and conversation_id = @chatId and character_id = @characterId",
            new { chatId, characterId }), Is.EqualTo(1));

        // An upstream failure is said in words, and the stream still ends.
        server.Script(FakeLlmBehavior.Error(500, "model exploded"));
        (status, events) = await ImpersonateAsync(client, chatId);
        Assert.That(events.Single(e => e.Name == "problem").Data, Does.Contain("could not be written"));
        Assert.That(events[^1].Name, Is.EqualTo("done"));

        // Another user's chat does not exist; a post without the antiforgery token is refused.
        var other = host.CreateClient();
        await other.RegisterAsync("intruder");
        var (_, otherChatPage) = await other.GetPageAsync("/chats");
        var token = TestClient.AntiforgeryToken(otherChatPage) ?? TestClient.AntiforgeryToken((await other.GetPageAsync("/personas")).Body)!;
        var foreign = await other.Http.PostAsync($"/chats/{chatId}/impersonate",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = token }));
        Assert.That(foreign.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        var forged = await client.Http.PostAsync($"/chats/{chatId}/impersonate", new FormUrlEncodedContent(new Dictionary<string, string>()));
        Assert.That(forged.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(server.ChatRequests, Has.Count.EqualTo(2));
    }
}
