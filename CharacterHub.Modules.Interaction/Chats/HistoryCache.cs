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

    // Entries added while another thread clears may leave the count a little off; it only decides when to clear.
    private void Clear()
    {
        byChat.Clear();
        Interlocked.Exchange(ref chars, 0);
    }
}

/// <summary>A message of a window with its length as PostgreSQL's <c>length()</c> gave it (the unit the cut is in).</summary>
internal readonly record struct WindowMessage(ChatMessageView View, long Chars);

/// <summary>
/// A chat's history before <see cref="Before"/> as one turn read it: <see cref="Messages"/> newest first, cut at the
/// window's length and character budget. <see cref="ChatStamp"/> is the chat's creation time in microseconds (an id
/// handed out again after a database reset is another chat); <see cref="Rev"/> and <see cref="AddedBelow"/> (messages
/// ever added with an id below <see cref="Before"/>) are the chat's counters at that read; <see cref="ReachesStart"/>
/// says nothing older exists, so a later, larger budget needs no further read. Immutable: turns of one chat share it.
/// </summary>
internal sealed class HistoryWindow(long chatStamp, long before, long rev, long addedBelow, WindowMessage[] messages, bool reachesStart)
{
    public long ChatStamp { get; } = chatStamp;
    public long Before { get; } = before;
    public long Rev { get; } = rev;
    public long AddedBelow { get; } = addedBelow;
    public IReadOnlyList<WindowMessage> Messages { get; } = messages;
    public bool ReachesStart { get; } = reachesStart;
    public long Chars { get; } = messages.Sum(m => m.Chars);

    /// <summary>A fresh list of the window's messages for one turn to use as it likes.</summary>
    public List<ChatMessageView> Views() => Messages.Select(m => m.View).ToList();

    /// <summary>
    /// The window the database would cut from <paramref name="messages"/> (newest first, all of the chat's messages
    /// before <paramref name="before"/> from some point on): at most <paramref name="limit"/> messages, each read while
    /// the characters before it are under <paramref name="budget"/>. Null when the list ran out before the cut and
    /// <paramref name="throughStart"/> does not say it holds the chat's oldest message: then only a whole read will do.
    /// </summary>
    public static HistoryWindow? Cut(long chatStamp, long before, long rev, long addedBelow, IEnumerable<WindowMessage> messages,
        bool throughStart, int limit, long budget)
    {
        var kept = new List<WindowMessage>();
        long read = 0;
        foreach (var message in messages)
        {
            if (kept.Count == limit || read >= budget) return new HistoryWindow(chatStamp, before, rev, addedBelow, [.. kept], false);
            kept.Add(message);
            read += message.Chars;
        }
        // Every message fitted. The cut falls right here if the window is full; otherwise the result is whole only if
        // nothing older was left out.
        if (kept.Count == limit || read >= budget) return new HistoryWindow(chatStamp, before, rev, addedBelow, [.. kept], false);
        return throughStart ? new HistoryWindow(chatStamp, before, rev, addedBelow, [.. kept], true) : null;
    }

    /// <summary>This window extended by <paramref name="added"/> (newest first, the messages since it), cut the same
    /// way; null when it runs out before the cut and older messages may exist.</summary>
    public HistoryWindow? Extend(long before, long rev, long addedBelow, IReadOnlyList<WindowMessage> added, int limit, long budget) =>
        Cut(ChatStamp, before, rev, addedBelow, added.Concat(Messages), ReachesStart, limit, budget);
}
