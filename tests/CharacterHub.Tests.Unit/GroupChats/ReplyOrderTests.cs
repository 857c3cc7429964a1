using CharacterHub.Kernel.Contracts.Characters;
using CharacterHub.Modules.Interaction.Chats;
using CharacterHub.Modules.Interaction.Prompting;

namespace CharacterHub.Tests.Unit.GroupChats;

public sealed class ReplyOrderTests
{
    // Silent members (talkativeness 0): only mentions and the one-member fallback speak, as these tests expect;
    // TalkativenessTests covers the members who speak up.
    private static readonly ReplyCandidate Ada = new(1, "Ada Lovelace", null, false, 0);
    private static readonly ReplyCandidate Bob = new(2, "Robert", "Bob", false, 0);
    private static readonly ReplyCandidate Cy = new(3, "Cy", null, false, 0);
    private static readonly IReadOnlyList<ReplyCandidate> Three = [Ada, Bob, Cy];

    private static IReadOnlyList<long> Natural(string text, IReadOnlyList<ReplyCandidate>? members = null, long? last = null, int seed = 1) =>
        ReplyOrder.Speakers(ReplyOrders.Natural, members ?? Three, text, last, new Random(seed));

    [Test]
    public void Natural_MentionedMembersReply_InOrderOfFirstMention()
    {
        Assert.That(Natural("cy, what does Ada think?"), Is.EqualTo(new long[] { 3, 1 }));
        Assert.That(Natural("Ada first, then Cy. Ada again!"), Is.EqualTo(new long[] { 1, 3 }));
    }

    [Test]
    public void Natural_NicknameFirstNameAndFullName_AllCount_AnyCase()
    {
        Assert.That(Natural("hey BOB"), Is.EqualTo(new long[] { 2 }));
        Assert.That(Natural("robert?"), Is.EqualTo(new long[] { 2 }));
        Assert.That(Natural("ada lovelace, hello"), Is.EqualTo(new long[] { 1 }));
        Assert.That(Natural("ADA!"), Is.EqualTo(new long[] { 1 }));
    }

    [Test]
    public void Natural_NamesMatchOnlyAsWholeWords()
    {
        // "Bobby", "Adam", "cyan" and "Robertson" contain names but mention nobody: one member is picked instead.
        var speakers = Natural("Bobby and Adam like cyan, says Robertson", last: null);
        Assert.That(speakers, Has.Count.EqualTo(1));
        Assert.That(Natural("(Bob)"), Is.EqualTo(new long[] { 2 }));
        Assert.That(Natural("Bob's hat"), Is.EqualTo(new long[] { 2 }));
    }

    [Test]
    public void Natural_MutedMembers_AreNeverPicked_EvenWhenMentioned()
    {
        var members = new[] { Ada, Bob with { Muted = true }, Cy };
        Assert.That(Natural("Bob and Cy", members), Is.EqualTo(new long[] { 3 }));
        for (var seed = 0; seed < 50; seed++)
            Assert.That(Natural("hello everyone", members, seed: seed), Is.Not.Contains(2L));
    }

    [Test]
    public void Natural_NobodyMentioned_PicksOne_NotTheLastSpeaker()
    {
        for (var seed = 0; seed < 50; seed++)
        {
            var speakers = Natural("so what now?", last: 1, seed: seed);
            Assert.That(speakers, Has.Count.EqualTo(1));
            Assert.That(speakers[0], Is.Not.EqualTo(1L));
        }
        // The last speaker is picked only when nobody else can speak.
        Assert.That(Natural("so?", [Ada, Bob with { Muted = true }], last: 1), Is.EqualTo(new long[] { 1 }));
    }

    [Test]
    public void AllMuted_NobodyReplies()
    {
        var muted = Three.Select(m => m with { Muted = true }).ToList();
        foreach (var order in ReplyOrders.All)
            Assert.That(ReplyOrder.Speakers(order, muted, "Ada?", null, new Random(1)), Is.Empty);
    }

    [Test]
    public void List_EveryUnmutedMember_InListOrder()
    {
        Assert.That(ReplyOrder.Speakers(ReplyOrders.List, [Cy, Ada with { Muted = true }, Bob], "Bob?", 3, new Random(1)),
            Is.EqualTo(new long[] { 3, 2 }));
    }

    [Test]
    public void Random_OneUnmutedMember_AndEventuallyEach()
    {
        var seen = new HashSet<long>();
        for (var seed = 0; seed < 100; seed++)
        {
            var s = ReplyOrder.Speakers(ReplyOrders.Random, [Ada, Bob, Cy with { Muted = true }], "Cy!", null, new Random(seed));
            Assert.That(s, Has.Count.EqualTo(1));
            seen.Add(s[0]);
        }
        Assert.That(seen, Is.EquivalentTo(new long[] { 1, 2 }));
    }

    [Test]
    public void ShortNames_AreIgnored_ToAvoidFalseHits()
    {
        var members = new[] { new ReplyCandidate(9, "Q", null, false, 0), Cy };
        Assert.That(ReplyOrder.Names(members[0]), Is.Empty);
        Assert.That(Natural("Q and Cy", members), Is.EqualTo(new long[] { 3 }));
    }

    private static ChatCharacter Card(long id, string name, string description, string nickname = "") => new(
        id, 1, DateTimeOffset.UnixEpoch, name, nickname, description, "", "", "", [], "", "", "", null, new ChatLorebook(null, null, false, []));

    [Test]
    public void GroupPrompt_NamesTheSpeakerAndTheGroup_AndLabelsOthersLines()
    {
        var a = Card(1, "Ada", "Ada builds engines.");
        var b = Card(2, "Robert", "{{char}} sells lamps.", nickname: "Bob");
        var group = new GroupPrompt(2, [a, b]);
        var shaped = group.Shape(b);
        Assert.That(shaped.Description, Does.StartWith("Bob sells lamps.").Or.StartWith("{{char}} sells lamps."));
        Assert.That(shaped.Description, Does.Contain("[Group chat with Ada and Bob. You are Bob.]"));
        Assert.That(shaped.Description, Does.Contain("[Ada: Ada builds engines.]"));
        Assert.That(shaped.PostHistoryInstructions, Does.EndWith("[Write the next reply only as Bob.]"));
        // The other member's card text has its own {{char}} filled with its own name.
        Assert.That(new GroupPrompt(1, [a, b]).Shape(a).Description, Does.Contain("[Bob: Bob sells lamps.]"));

        var at = DateTimeOffset.UnixEpoch;
        var page = new List<ChatMessageView>
        {
            new(3, "assistant", at, 3, "Lamps!", "complete", "reply", null, null, null, false, 1, 1, 2),
            new(2, "assistant", at, 2, "Engines.", "complete", "reply", null, null, null, false, 1, 1, 1),
            new(1, "user", at, 1, "Hi all", "complete", "user", null, null, null, false, 1, 1, null),
        };
        var history = group.History(page, "Sam");
        Assert.That(history.Select(h => (h.Role, h.Content)), Is.EqualTo(new[]
        {
            (ChatRole.User, "Hi all"), (ChatRole.Assistant, "Ada: Engines."), (ChatRole.Assistant, "Lamps!"),
        }));
    }
}
