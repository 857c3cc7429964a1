using System.Text.Json.Nodes;
using CharacterHub.Kernel.Contracts.Characters;
using CharacterHub.Modules.Characters.Features;
using CharacterHub.Modules.Interaction.Chats;
using CharacterHub.Modules.Interaction.Prompting;

namespace CharacterHub.Tests.Unit.GroupChats;

/// <summary>Natural reply order with talkativeness, driven by a scripted random source, and where the values come from.</summary>
public sealed class TalkativenessTests
{
    /// <summary>A random source a test scripts: each roll (NextDouble) is the next of <paramref name="rolls"/> (then
    /// 0.999: nobody speaks up), and every Next(n) returns n - 1, so shuffles keep list order and a fallback pick is
    /// the last of its pool.</summary>
    private sealed class Scripted(params double[] rolls) : Random
    {
        private readonly Queue<double> rolls = new(rolls);
        public int Rolled { get; private set; }

        public override double NextDouble()
        {
            Rolled++;
            return rolls.TryDequeue(out var r) ? r : 0.999;
        }

        public override int Next(int maxValue) => maxValue - 1;
    }

    private static ReplyCandidate Member(long id, string name, double talkativeness, bool muted = false) => new(id, name, null, muted, talkativeness);

    private static IReadOnlyList<long> Natural(string text, IReadOnlyList<ReplyCandidate> members, Random random, long? last = null) =>
        ReplyOrder.Speakers(ReplyOrders.Natural, members, text, last, random);

    [Test]
    public void MentionedFirst_ThenEachOtherMemberWhoseRollIsUnderItsTalkativeness()
    {
        IReadOnlyList<ReplyCandidate> members = [Member(1, "Ada", 0.9), Member(2, "Bob", 0.1), Member(3, "Cy", 0.5)];
        // Cy is mentioned; Ada and Bob roll 0.5 each: Ada (0.9) speaks, Bob (0.1) does not.
        var random = new Scripted(0.5, 0.5);
        Assert.That(Natural("Cy, and you?", members, random), Is.EqualTo(new long[] { 3, 1 }));
        Assert.That(random.Rolled, Is.EqualTo(2), "the mentioned member does not roll");

        // Nobody mentioned: each rolls in (shuffled) order; a roll equal to the talkativeness misses.
        Assert.That(Natural("well?", members, new Scripted(0.05, 0.2, 0.5)), Is.EqualTo(new long[] { 1 }));
        Assert.That(Natural("well?", members, new Scripted(0.89, 0.09, 0.49)), Is.EqualTo(new long[] { 1, 2, 3 }));
    }

    [Test]
    public void TheLastSpeaker_SitsOutTheRolls_WhenSomeoneElseCanSpeak()
    {
        IReadOnlyList<ReplyCandidate> members = [Member(1, "Ada", 1), Member(2, "Bob", 1), Member(3, "Cy", 0)];
        Assert.That(Natural("hm", members, new Scripted(0, 0, 0), last: 1), Is.EqualTo(new long[] { 2 }));
        // ...unless they are mentioned.
        Assert.That(Natural("Ada?", members, new Scripted(0, 0, 0), last: 1), Is.EqualTo(new long[] { 1, 2 }));
        // Alone (the others muted) the last speaker rolls like anyone.
        Assert.That(Natural("hm", [Member(1, "Ada", 1), Member(2, "Bob", 1, muted: true)], new Scripted(0), last: 1), Is.EqualTo(new long[] { 1 }));
    }

    [Test]
    public void NobodyPicked_OneMemberAnyway_PreferringTheTalkative_NeverTheLastSpeakerWhenOthersCan()
    {
        // All rolls miss: one member is picked from those with talkativeness above 0 (Bob), not silent Ada or Cy.
        IReadOnlyList<ReplyCandidate> members = [Member(1, "Ada", 0), Member(2, "Bob", 0.2), Member(3, "Cy", 0)];
        Assert.That(Natural("hm", members, new Scripted()), Is.EqualTo(new long[] { 2 }));
        // Everyone silent: any member but the last speaker (the scripted pick takes the last of the pool).
        IReadOnlyList<ReplyCandidate> silent = [Member(1, "Ada", 0), Member(2, "Bob", 0), Member(3, "Cy", 0)];
        Assert.That(Natural("hm", silent, new Scripted(), last: 3), Is.EqualTo(new long[] { 2 }));
        for (var seed = 0; seed < 100; seed++)
            Assert.That(Natural("hm", silent, new Random(seed), last: 3), Has.Count.EqualTo(1).And.No.Contains(3L));
    }

    [Test]
    public void MutedMembers_NeverRoll()
    {
        var random = new Scripted(0, 0, 0);
        Assert.That(Natural("hm", [Member(1, "Ada", 1, muted: true), Member(2, "Bob", 1)], random), Is.EqualTo(new long[] { 2 }));
        Assert.That(random.Rolled, Is.EqualTo(1));
    }

    [Test]
    public void OverManyTurns_AMemberSpeaksUpAboutAsOftenAsItsTalkativeness()
    {
        IReadOnlyList<ReplyCandidate> members = [Member(1, "Ada", 0.3), Member(2, "Bob", 0.8), Member(3, "Cy", 1)];
        var random = new Random(20261124);
        int ada = 0, bob = 0;
        const int turns = 4000;
        for (var i = 0; i < turns; i++)
        {
            var speakers = Natural("hm", members, random);
            Assert.That(speakers, Does.Contain(3L), "talkativeness 1 always speaks");
            Assert.That(speakers, Is.Unique);
            if (speakers.Contains(1)) ada++;
            if (speakers.Contains(2)) bob++;
        }
        Assert.That(ada / (double)turns, Is.EqualTo(0.3).Within(0.03));
        Assert.That(bob / (double)turns, Is.EqualTo(0.8).Within(0.03));
    }

    [Test]
    public void Effective_IsTheMembersOwn_ElseTheCards_ElseOneHalf()
    {
        Assert.That(Talkativeness.Effective(0.2, 0.9), Is.EqualTo(0.2));
        Assert.That(Talkativeness.Effective(null, 0.9), Is.EqualTo(0.9));
        Assert.That(Talkativeness.Effective(null, null), Is.EqualTo(0.5));
        Assert.That(Talkativeness.Effective(0, 0.9), Is.EqualTo(0));
    }

    [TestCase("", true, null)]
    [TestCase("  ", true, null)]
    [TestCase("0", true, 0.0)]
    [TestCase("1", true, 1.0)]
    [TestCase("0.25", true, 0.25)]
    [TestCase(" 0,75 ", true, 0.75)]
    [TestCase(".5", true, 0.5)]
    [TestCase("1.0001", false, null)]
    [TestCase("-0.1", false, null)]
    [TestCase("NaN", false, null)]
    [TestCase("Infinity", false, null)]
    [TestCase("1e-1", false, null)]
    [TestCase("50%", false, null)]
    [TestCase("0.5.5", false, null)]
    [TestCase("000000000000000000000", false, null)]
    public void TypedValue_IsANumberFrom0To1_OrEmptyForTheCards(string text, bool ok, double? expected)
    {
        Assert.That(SetGroupMemberTalkativenessHandler.TryParse(text, out var value), Is.EqualTo(ok));
        Assert.That(value, Is.EqualTo(expected));
    }

    [Test]
    public void CardValue_ComesFromExtensions_AsStringOrNumber_ElseNone()
    {
        static double? Read(string json) => GetCharacterForChatHandler.Talkativeness(JsonNode.Parse(json)!.AsObject());
        Assert.That(Read("""{"talkativeness":"0.7"}"""), Is.EqualTo(0.7));
        Assert.That(Read("""{"talkativeness":0.25}"""), Is.EqualTo(0.25));
        Assert.That(Read("""{"talkativeness":1}"""), Is.EqualTo(1));
        Assert.That(Read("""{"talkativeness":" 0.5 "}"""), Is.EqualTo(0.5));
        Assert.That(Read("""{}"""), Is.Null);
        Assert.That(Read("""{"talkativeness":"chatty"}"""), Is.Null);
        Assert.That(Read("""{"talkativeness":2}"""), Is.Null);
        Assert.That(Read("""{"talkativeness":-0.5}"""), Is.Null);
        Assert.That(Read("""{"talkativeness":null}"""), Is.Null);
        Assert.That(Read("""{"talkativeness":{"value":0.5}}"""), Is.Null);
        Assert.That(Read("""{"talkativeness":true}"""), Is.Null);
    }

    private static ChatMessageView Line(long id, string role, string text, long? characterId = null) =>
        new(id, role, DateTimeOffset.UnixEpoch.AddMinutes(id), id, text, "complete", role == "user" ? "user" : "reply", null, null, null, false, 1, 1, characterId);

    [Test]
    public void SystemLines_NeverReachAPromptsHistory_SingleOrGroup()
    {
        // Newest first, as the store returns them.
        var page = new List<ChatMessageView>
        {
            Line(4, "assistant", "Mind the stairs.", 1),
            Line(3, "system", "A note for the reader."),
            Line(2, "user", "Can I come up?"),
            Line(1, "assistant", "The lamp is lit.", 1),
        };
        var single = ChatPrompting.History(page, "Mira", "Ann");
        Assert.That(single.Select(h => h.Content), Is.EqualTo(new[] { "The lamp is lit.", "Can I come up?", "Mind the stairs." }));

        ChatCharacter Card(long id, string name) => new(id, 1, DateTimeOffset.UnixEpoch, name, "", "", "", "", "", [], "", "", "", null,
            new ChatLorebook(null, null, false, []));
        var group = new GroupPrompt(1, [Card(1, "Mira"), Card(2, "Tom")]).History(page, "Ann");
        Assert.That(group.Select(h => h.Content), Is.EqualTo(new[] { "The lamp is lit.", "Can I come up?", "Mind the stairs." }));
        Assert.That(group.Any(h => h.Role == ChatRole.System), Is.False);
    }
}
