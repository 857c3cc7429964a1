using System.Collections.Concurrent;

namespace CharacterHub.Modules.Interaction.Chats;

/// <summary>
/// Per process, the history window each chat's last turn read, so the next turn reads only the messages added since
/// (usually two) instead of up to <see cref="ChatStore.HistoryWindow"/> again. Never trusted on its own: the turn's
/// statement compares the chat's <c>history_rev</c> and <c>messages_added</c> (kept by triggers, see migration
/// interaction/0012) with the values the copy was taken at, in the same snapshot as the rows it returns, and reads the
/// whole window when they differ. Only windows of finished messages are kept (an open swipe's text is still to come).
/// Safe to lose: another node, or this one after a restart, reads the window whole once.
/// </summary>
internal sealed class HistoryCache
{
    /// <summary>Chats kept at once; beyond it (or <see cref="MaxChars"/>) everything is dropped and refilled.</summary>
    public const int Capacity = 2_048;

    /// <summary>Characters of message text kept at once, about 32 MB.</summary>
    public const long MaxChars = 16_000_000;

    private readonly ConcurrentDictionary<long, HistoryWindow> byChat = new();
    private long chars;

    public HistoryWindow? Get(long chatId) => byChat.TryGetValue(chatId, out var window) ? window : null;

    public void Put(long chatId, HistoryWindow window)
    {
        if (byChat.Count >= Capacity || Interlocked.Read(ref chars) + window.Chars > MaxChars) Clear();
        if (byChat.TryGetValue(chatId, out var old) && byChat.TryUpdate(chatId, window, old))
        {
            Interlocked.Add(ref chars, window.Chars - old.Chars);
        }
        else if (byChat.TryAdd(chatId, window))
        {
            Interlocked.Add(ref chars, window.Chars);
        }
    }

    public void Forget(long chatId)
    {
        if (byChat.TryRemove(chatId, out var old)) Interlocked.Add(ref chars, -old.Chars);
    }

    private void Clear()
    {
        byChat.Clear();
        Interlocked.Exchange(ref chars, 0);
    }
}

/// <summary>
/// A chat's history before <see cref="Before"/> as one turn read it: <see cref="Rows"/> newest first, cut at the
/// window's length and character budget. <see cref="ChatStamp"/> is the chat's creation time in microseconds (an id
/// handed out again after a database reset is another chat); <see cref="Rev"/> and <see cref="AddedBelow"/> (messages ever added with an
/// id below <see cref="Before"/>) are the chat's counters at that read; <see cref="ReachesStart"/> says nothing older
/// exists, so a later, larger budget needs no further read.
/// </summary>
internal sealed record HistoryWindow(long ChatStamp, long Before, long Rev, long AddedBelow, IReadOnlyList<ChatMessageView> Rows, bool ReachesStart)
{
    public long Chars { get; } = Rows.Sum(r => (long)r.Content.Length);

    /// <summary>
    /// The window before <paramref name="before"/> from <paramref name="added"/> (newest first, the messages since this
    /// window) on top of this one, cut at <paramref name="limit"/> messages and <paramref name="budget"/> characters the
    /// way the database cuts a whole read. Null when this window runs out before the cut and older messages may exist:
    /// then only a whole read will do.
    /// </summary>
    public HistoryWindow? Extend(long before, long rev, long addedBelow, IReadOnlyList<ChatMessageView> added, int limit, long budget)
    {
        var rows = new List<ChatMessageView>(Math.Min(limit, added.Count + Rows.Count));
        long read = 0;
        foreach (var row in added.Concat(Rows))
        {
            if (rows.Count == limit || read >= budget) return new HistoryWindow(ChatStamp, before, rev, addedBelow, rows, false);
            rows.Add(row);
            read += TextLength(row.Content);
        }
        // Every new and kept message fitted. The cut falls right here if the window is full; otherwise the result is
        // whole only if nothing older was left out of this window.
        if (rows.Count == limit || read >= budget) return new HistoryWindow(ChatStamp, before, rev, addedBelow, rows, false);
        return ReachesStart ? new HistoryWindow(ChatStamp, before, rev, addedBelow, rows, true) : null;
    }

    /// <summary>A text's length as PostgreSQL's <c>length()</c> counts it: characters, not UTF-16 units.</summary>
    public static int TextLength(string text)
    {
        // Most text has no surrogate pair at all: one vectorised search says so.
        var span = text.AsSpan();
        var first = span.IndexOfAnyInRange('\uD800', '\uDBFF');
        if (first < 0) return text.Length;
        var length = text.Length;
        foreach (var c in span[first..]) if (char.IsHighSurrogate(c)) length--;
        return length;
    }
}
