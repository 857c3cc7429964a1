using System.Text.Json.Nodes;
using CharacterHub.Modules.Characters.Cards;
using CsCheck;

namespace CharacterHub.Tests.Unit.Cards;

/// <summary>Generated cards survive every writer/reader pair unchanged; damaged files never throw.</summary>
public sealed class CardPropertyTests
{
    // Whole code points only: a generator picking single UTF-16 units would produce lone surrogates, which no
    // UTF-8 file can hold, and the test would be about the generator, not the codec.
    private static readonly Gen<string> Text = Gen.OneOf("a", "Z", "7", " ", "é", "ß", "猫", "🐱", "\r\n", "\n", "\"", "\\", "<", "&", "{{char}}", "@@depth 3\n", "\t", "\u00a0")
        .Array[0, 12].Select(string.Concat);

    private static readonly Gen<List<string>> Texts = Text.List[0, 4];

    private static readonly Gen<JsonObject> Extras = Gen.Select(Gen.OneOf("x_tool", "chub", "fav", "depth_prompt", "weird key"), Gen.Int[-1000, 1000], Text, Gen.Bool)
        .Array[0, 3]
        .Select(items =>
        {
            var obj = new JsonObject();
            foreach (var (key, n, s, b) in items)
                obj[key] = b ? new JsonObject { ["n"] = n, ["s"] = s, ["list"] = new JsonArray(n, s, null) } : (JsonNode?)JsonValue.Create(s);
            return obj;
        });

    private static readonly Gen<LorebookEntry> Entry = Gen.Select(Texts, Texts.Null(0.5), Text, Extras, Gen.Bool, Gen.Int[-100, 1000], Gen.Bool.Nullable(0.5),
        Gen.Bool, Gen.Select(Gen.Long[0, 99999].Select(LorebookEntryId.FromNumber), Text.Select(LorebookEntryId.FromText), Gen.Bool).Select((n, t, pick) => pick ? n : t).Nullable(0.3),
        Gen.Select(Text.Null(0.5), Gen.Int[0, 50].Nullable(0.5), Gen.OneOf("before_char", "after_char").Null(0.3), Gen.Bool.Nullable(0.5), Extras),
        (keys, secondary, content, ext, enabled, order, caseSensitive, regex, id, rest) => new LorebookEntry
        {
            Keys = keys, SecondaryKeys = secondary, Content = content, Extensions = ext, Enabled = enabled, InsertionOrder = order,
            CaseSensitive = caseSensitive, UseRegex = regex, Id = id, Name = rest.Item1, Comment = rest.Item1, Priority = rest.Item2,
            Position = rest.Item3, Selective = rest.Item4, Constant = rest.Item4, Unknown = rest.Item5,
        });

    private static readonly Gen<Lorebook> Book = Gen.Select(Text.Null(0.5), Gen.Int[0, 20].Nullable(0.5), Gen.Bool.Nullable(0.5), Entry.List[0, 4], Extras, Extras,
        (name, depth, recursive, entries, ext, unknown) => new Lorebook
        {
            Name = name, Description = name, ScanDepth = depth, TokenBudget = depth * 100, RecursiveScanning = recursive,
            Entries = entries, Extensions = ext, Unknown = unknown,
        });

    private static readonly Gen<CardAsset> Asset = Gen.Select(Gen.OneOf("icon", "background", "emotion", "x_custom"), Gen.OneOf("ccdefault:", "https://example.org/a.png", "embeded://assets/a.png"), Text, Gen.OneOf("png", "webp", "mp3"),
        (type, uri, name, ext) => new CardAsset { Type = type, Uri = uri, Name = name, Ext = ext });

    private static readonly Gen<CharacterCard> Card = Gen.Select(
        Gen.Select(Text, Text, Text, Text, Text, Text),
        Gen.Select(Text, Text, Text, Texts, Texts, Text, Text),
        Gen.Select(Extras, Book.Null(0.4), Text.Null(0.5), Texts.Null(0.5), Texts, Gen.Long[0, 4_000_000_000].Nullable(0.5)),
        Gen.Select(Asset.List[0, 3].Null(0.5), Extras, Extras, Gen.Select(Gen.OneOf("en", "ja", "fr"), Text).Array[0, 3].Select(pairs => pairs.DistinctBy(p => p.Item1).ToDictionary(p => p.Item1, p => p.Item2)).Null(0.5)),
        (a, b, c, d) => new CharacterCard
        {
            Name = a.Item1, Description = a.Item2, Personality = a.Item3, Scenario = a.Item4, FirstMessage = a.Item5, MessageExamples = a.Item6,
            CreatorNotes = b.Item1, SystemPrompt = b.Item2, PostHistoryInstructions = b.Item3, AlternateGreetings = b.Item4, Tags = b.Item5,
            Creator = b.Item6, CharacterVersion = b.Item7,
            Extensions = c.Item1, CharacterBook = c.Item2, Nickname = c.Item3, Source = c.Item4, GroupOnlyGreetings = c.Item5,
            CreationDate = c.Item6, ModificationDate = c.Item6,
            Assets = d.Item1, UnknownData = d.Item2, UnknownTopLevel = d.Item3,
            CreatorNotesMultilingual = d.Item4 is null ? null : new Dictionary<string, string>(d.Item4),
        })
        // An empty name is replaced by the file name on import (by design), so generated names are never empty.
        .Where(card => !string.IsNullOrWhiteSpace(card.Name));

    private static readonly byte[] Image = CardTestFiles.Png(3, 2, CardTestFiles.TextChunk("Software", "test"));

    private static void AssertSameCard(CharacterCard expected, CharacterCard actual, CardSpec spec)
    {
        var a = CardWriter.ToJsonObject(expected, spec);
        var b = CardWriter.ToJsonObject(actual, spec);
        Assert.That(JsonNode.DeepEquals(a, b), Is.True, () => $"{a.ToJsonString()}\n!=\n{b.ToJsonString()}");
    }

    [TestCase(2)]
    [TestCase(3)]
    public void RoundTrip_GeneratedCardsThroughJson_AreUnchanged(int version)
    {
        var spec = version == 3 ? CardSpec.V3 : CardSpec.V2;
        Card.Sample(card =>
        {
            var result = CardReader.Read(CardWriter.WriteJson(card, spec), "gen.json");
            Assert.That(result.Error, Is.Null);
            Assert.That(result.Spec, Is.EqualTo(spec));
            AssertSameCard(card, result.Card!, spec);
        }, iter: 200, threads: 1);
    }

    [Test]
    public void RoundTrip_GeneratedCardsThroughPng_AreUnchangedInBothChunks()
    {
        Card.Sample(card =>
        {
            var png = CardWriter.WritePng(card, Image);
            var result = CardReader.Read(png, "gen.png");
            Assert.That(result.Error, Is.Null);
            Assert.That(result.Spec, Is.EqualTo(CardSpec.V3));
            AssertSameCard(card, result.Card!, CardSpec.V3);
            // The chara chunk alone (what a V2-only reader sees) holds the same card.
            var v2 = CardTestFiles.CardChunks(png)["chara"];
            var fromV2 = CardReader.Read(CardJson.ToUtf8(v2), "gen.json");
            Assert.That(fromV2.Spec, Is.EqualTo(CardSpec.V2));
            AssertSameCard(card, fromV2.Card!, CardSpec.V2);
        }, iter: 150, threads: 1);
    }

    [Test]
    public void RoundTrip_GeneratedCardsThroughCharx_AreUnchanged()
    {
        Card.Sample(card =>
        {
            var result = CardReader.Read(CardWriter.WriteCharx(card, []), "gen.charx");
            Assert.That(result.Error, Is.Null);
            Assert.That(result.Container, Is.EqualTo(CardContainer.Charx));
            AssertSameCard(card, result.Card!, CardSpec.V3);
        }, iter: 100, threads: 1);
    }

    [Test]
    public void Read_DamagedFixtureBytes_NeverThrow()
    {
        var original = CardTestFiles.Load("st_default_Seraphina_2024-09-28.png");
        var charx = CardWriter.WriteCharx(CardReader.Read(original, "s.png").Card!, [], original);
        Gen.Select(Gen.Bool, Gen.Int[0, int.MaxValue], Gen.Int[0, int.MaxValue].Array[1, 8], Gen.Byte, Gen.Int[0, 2]).Sample((useCharx, cut, positions, value, mode) =>
        {
            var source = useCharx ? charx : original;
            var bytes = (byte[])source.Clone();
            switch (mode)
            {
                case 0:
                    bytes = bytes[..(cut % bytes.Length)];
                    break;
                default:
                    foreach (var p in positions) bytes[p % bytes.Length] = value;
                    break;
            }
            CardReadResult? result = null;
            Assert.DoesNotThrow(() => result = CardReader.Read(bytes, "fuzz.png"));
            Assert.That(result!.Success || !string.IsNullOrWhiteSpace(result.Error), Is.True);
        }, iter: 300, threads: 1);
    }
}
