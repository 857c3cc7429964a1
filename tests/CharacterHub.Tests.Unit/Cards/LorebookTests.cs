using System.Text;
using System.Text.Json.Nodes;
using CharacterHub.Modules.Characters.Cards;

namespace CharacterHub.Tests.Unit.Cards;

public sealed class LorebookTests
{
    [Test]
    public void Decorators_AreParsedAndContentIsLeftUntouched()
    {
        const string content = "@@depth 4\n@@role system\n@@position after_desc\n@@activate_only_after 3\n@@scan_depth 5\n@@exclude_keys a, b\n@@dont_activate\nThe body.\n@@not a decorator";
        var entry = new LorebookEntry { Content = content };
        var d = entry.Decorators;
        Assert.That(d.Depth, Is.EqualTo(4));
        Assert.That(d.Role, Is.EqualTo("system"));
        Assert.That(d.Position, Is.EqualTo("after_desc"));
        Assert.That(d.ActivateOnlyAfter, Is.EqualTo(3));
        Assert.That(d.ScanDepth, Is.EqualTo(5));
        Assert.That(d.ExcludeKeys, Is.EqualTo(new[] { "a", "b" }));
        Assert.That(d.DontActivate, Is.True);
        Assert.That(d.Activate, Is.False);
        Assert.That(d.Body, Is.EqualTo("The body.\n@@not a decorator"), "decorators only count at the top");
        Assert.That(entry.Content, Is.EqualTo(content));
    }

    [Test]
    public void Decorators_FallbacksAttachToThePrecedingDecorator()
    {
        var d = LorebookDecorators.Parse("@@instruct_depth 2\r\n@@@depth 2\r\n@@@position after_desc\r\n@@activate\r\nText");
        Assert.That(d.All.Select(x => x.Name), Is.EqualTo(new[] { "instruct_depth", "activate" }));
        Assert.That(d.All[0].Fallbacks.Select(f => (f.Name, f.Value)), Is.EqualTo(new[] { ("depth", (string?)"2"), ("position", "after_desc") }));
        Assert.That(d.Activate, Is.True);
        Assert.That(d.Body, Is.EqualTo("Text"));
    }

    [TestCase("")]
    [TestCase("Plain text @@depth 4")]
    [TestCase("@ single at")]
    public void Decorators_NoneWhenContentDoesNotStartWithThem(string content)
    {
        var d = LorebookDecorators.Parse(content);
        Assert.That(d.All, Is.Empty);
        Assert.That(d.Depth, Is.Null);
    }

    [Test]
    public void Decorators_BadNumbersAreIgnored()
    {
        Assert.That(LorebookDecorators.Parse("@@depth deep\nx").Depth, Is.Null);
    }

    [Test]
    public void ReadLorebook_V3_ReadsEntriesAndKeepsUnknownKeys()
    {
        const string json = """
            {"spec":"lorebook_v3","app":{"v":1},"data":{"name":"World","scan_depth":3,"extensions":{"e":1},"custom":true,"entries":[
              {"keys":["a"],"content":"@@depth 2\nA","extensions":{},"enabled":true,"insertion_order":5,"use_regex":true,"id":"x1","name":"First","priority":9}]}}
            """;
        var result = LorebookReader.Read(Encoding.UTF8.GetBytes(json), "w.json");
        var book = result.Lorebook!;
        Assert.That((book.Name, book.ScanDepth), Is.EqualTo(("World", (int?)3)));
        Assert.That(book.Unknown.ContainsKey("custom"), Is.True);
        var entry = book.Entries.Single();
        Assert.That((entry.Name, entry.Priority, entry.UseRegex, entry.Id), Is.EqualTo(("First", (int?)9, true, (LorebookEntryId?)LorebookEntryId.FromText("x1"))));
        Assert.That(entry.Decorators.Depth, Is.EqualTo(2));
        var written = JsonNode.Parse(CardWriter.WriteLorebookJson(book))!;
        JsonAssert.ContainsAll(JsonNode.Parse(json)!["data"], written["data"]);
        Assert.That(JsonNode.DeepEquals(written["app"], JsonNode.Parse("{\"v\":1}")), Is.True, "unknown root keys stay at the root");
    }

    [Test]
    public void ReadLorebook_CharacterCard_ReturnsItsEmbeddedBook()
    {
        var json = """{"spec":"chara_card_v2","spec_version":"2.0","data":{"name":"N","character_book":{"entries":[{"keys":["k"],"content":"c"}]}}}""";
        var result = LorebookReader.Read(Encoding.UTF8.GetBytes(json), "n.json");
        Assert.That(result.Lorebook!.Entries.Single().Content, Is.EqualTo("c"));
    }

    [TestCase("not json", "lorebooks are JSON")]
    [TestCase("{\"x\":1}", "no \"entries\"")]
    [TestCase("{\"spec\":\"lorebook_v3\"}", "no \"data\"")]
    [TestCase("{\"entries\":[", "not valid JSON")]
    public void ReadLorebook_Refusals_AreClear(string text, string expected)
    {
        var result = LorebookReader.Read(Encoding.UTF8.GetBytes(text), "x.json");
        Assert.That(result.Success, Is.False);
        Assert.That(result.Error, Does.Contain(expected));
    }

    [Test]
    public void ReadLorebook_TooManyEntries_IsRefused()
    {
        var entries = string.Join(",", Enumerable.Range(0, 30).Select(i => $"{{\"keys\":[\"k{i}\"],\"content\":\"c\"}}"));
        var result = LorebookReader.Read(Encoding.UTF8.GetBytes($"{{\"entries\":[{entries}]}}"), "x.json", new CardLimits { MaxLorebookEntries = 10 });
        Assert.That(result.Error, Does.Contain("30 entries; at most 10"));
    }

    [Test]
    public void ReadLorebook_WorldInfo_MapsFieldsAndKeepsTheRestInExtensions()
    {
        const string json = """{"entries":{"5":{"uid":5,"key":["k"],"keysecondary":["s"],"content":"c","comment":"note","constant":true,"selective":false,"order":50,"position":4,"disable":true,"depth":2,"probability":80}}}""";
        var entry = LorebookReader.Read(Encoding.UTF8.GetBytes(json), "w.json").Lorebook!.Entries.Single();
        Assert.That(entry.Id, Is.EqualTo(LorebookEntryId.FromNumber(5)));
        Assert.That(entry.SecondaryKeys, Is.EqualTo(new[] { "s" }));
        Assert.That((entry.Comment, entry.Constant, entry.Selective, entry.InsertionOrder, entry.Enabled), Is.EqualTo(("note", (bool?)true, (bool?)false, 50, false)));
        Assert.That(entry.Position, Is.EqualTo("after_char"));
        Assert.That((int)entry.Extensions["position"]!, Is.EqualTo(4));
        Assert.That((int)entry.Extensions["depth"]!, Is.EqualTo(2));
        Assert.That((int)entry.Extensions["probability"]!, Is.EqualTo(80));
    }
}
