using CharacterHub.Modules.Interaction.Chats;

namespace CharacterHub.Tests.Unit.Chats;

/// <summary>A cached history window extended by the messages added since must cut exactly as a whole read would.</summary>
public sealed class HistoryWindowTests
{
    private static WindowMessage Message(long id, int length) =>
        new(new ChatMessageView(id, "user", DateTimeOffset.UnixEpoch, id, new string('x', length), "complete", "user", null, null, null, false, 0, 0),
            length);

    private static HistoryWindow Window(long before, bool reachesStart, params WindowMessage[] messages) =>
        new(77, before, 1, 10, messages, reachesStart);

    private static long[] Ids(HistoryWindow window) => window.Messages.Select(m => m.View.Id).ToArray();

    [Test]
    public void New_messages_go_first_and_the_window_is_cut_at_its_length()
    {
        var window = Window(10, true, Message(9, 1), Message(8, 1), Message(7, 1));
        var extended = window.Extend(12, 1, 12, [Message(11, 1), Message(10, 1)], limit: 4, budget: 1_000)!;
        Assert.That(Ids(extended), Is.EqualTo(new long[] { 11, 10, 9, 8 }));
        Assert.That(extended.ReachesStart, Is.False, "message 7 was left out");
        Assert.That((extended.ChatStamp, extended.Before, extended.Rev, extended.AddedBelow), Is.EqualTo((77L, 12L, 1L, 12L)));
    }

    [Test]
    public void The_message_that_crosses_the_budget_is_kept_and_nothing_older()
    {
        // As the database cuts: a message is read while the characters before it are under the budget.
        var window = Window(10, false, Message(9, 40), Message(8, 40), Message(7, 40));
        var extended = window.Extend(11, 1, 11, [Message(10, 30)], limit: 200, budget: 100)!;
        Assert.That(Ids(extended), Is.EqualTo(new long[] { 10, 9, 8 }));
    }

    [Test]
    public void The_cut_counts_the_lengths_the_database_gave_not_the_strings()
    {
        // PostgreSQL's length() counts characters; a string's Length counts UTF-16 units (an emoji is two).
        var emoji = new WindowMessage(new ChatMessageView(9, "user", DateTimeOffset.UnixEpoch, 9, "😀😀😀", "complete", "user", null, null, null, false, 0, 0), 3);
        var window = Window(10, false, emoji, Message(8, 3));
        var extended = window.Extend(11, 1, 11, [Message(10, 3)], limit: 200, budget: 7)!;
        Assert.That(Ids(extended), Is.EqualTo(new long[] { 10, 9, 8 }), "6 characters before message 8, under the budget of 7");
    }

    [Test]
    public void A_window_that_runs_out_before_the_cut_needs_a_whole_read_unless_it_reached_the_start()
    {
        var partial = Window(10, false, Message(9, 10), Message(8, 10));
        Assert.That(partial.Extend(11, 1, 11, [Message(10, 10)], limit: 200, budget: 1_000), Is.Null, "older messages may exist");

        var whole = Window(10, true, Message(9, 10), Message(8, 10));
        var extended = whole.Extend(11, 1, 11, [Message(10, 10)], limit: 200, budget: 1_000)!;
        Assert.That(extended.Messages, Has.Count.EqualTo(3));
        Assert.That(extended.ReachesStart, Is.True);
    }

    [Test]
    public void A_window_filled_exactly_to_the_cut_is_complete()
    {
        var window = Window(10, false, Message(9, 50), Message(8, 50));
        var extended = window.Extend(11, 1, 11, [Message(10, 50)], limit: 200, budget: 150);
        Assert.That(extended, Is.Not.Null);
        Assert.That(extended!.Messages, Has.Count.EqualTo(3));
    }

    [Test]
    public void Each_turn_gets_its_own_list()
    {
        var window = Window(10, true, Message(9, 5), Message(8, 5));
        var first = window.Views();
        first.Reverse();
        first.RemoveAt(0);
        Assert.That(window.Views().Select(v => v.Id), Is.EqualTo(new long[] { 9, 8 }), "the cached window is untouched");
    }

    [Test]
    public void The_cache_keeps_the_latest_window_and_stays_bounded()
    {
        var cache = new HistoryCache();
        cache.Put(1, Window(10, true, Message(9, 5)));
        cache.Put(1, Window(12, true, Message(11, 5), Message(9, 5)));
        Assert.That(cache.Get(1)!.Before, Is.EqualTo(12));
        cache.Forget(1);
        Assert.That(cache.Get(1), Is.Null);
        for (var chat = 0; chat <= HistoryCache.Capacity; chat++) cache.Put(chat, Window(10, true, Message(9, 5)));
        Assert.That(cache.Get(HistoryCache.Capacity), Is.Not.Null, "the newest is kept");
        Assert.That(cache.Get(0), Is.Null, "a full cache was emptied before it grew past its bound");
    }
}
