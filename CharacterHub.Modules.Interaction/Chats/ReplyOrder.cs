namespace CharacterHub.Modules.Interaction.Chats;

/// <summary>How the next speakers of a group chat are chosen after the user writes (SillyTavern's "reply order").</summary>
internal static class ReplyOrders
{
    public const string Natural = "natural", List = "list", Random = "random";

    public static readonly IReadOnlyList<string> All = [Natural, List, Random];

    public static bool IsValid(string? order) => order is Natural or List or Random;

    public static string Describe(string order) => order switch
    {
        List => "List order: every unmuted member replies, top to bottom",
        Random => "Random: one unmuted member replies",
        _ => "Natural: whoever is mentioned replies first, then others by their talkativeness; at least one member",
    };
}

/// <summary>A member as the reply order sees it: its names (the card name and the nickname), whether it is muted,
/// and its talkativeness (0..1: the chance it speaks up unasked in natural order).</summary>
internal sealed record ReplyCandidate(long CharacterId, string Name, string? Nickname, bool Muted, double Talkativeness);

/// <summary>SillyTavern's talkativeness: a member's own setting in this chat, else the card's, else 0.5.</summary>
internal static class Talkativeness
{
    public const double Default = 0.5;

    public static double Effective(double? member, double? card) => Math.Clamp(member ?? card ?? Default, 0, 1);
}

/// <summary>
/// Pure: who replies, in which order (the random source is a parameter, so a test can script it). Natural, as in
/// SillyTavern: every unmuted member whose name, nickname or first name appears in the user's message as a whole
/// word (any case), in the order of their first mention; then every other unmuted member, in shuffled order, speaks
/// with the probability of its talkativeness (whoever spoke last sits this out when someone else can speak); when
/// nobody was picked, one unmuted member at random, avoiding whoever spoke last when someone else can, and preferring
/// members whose talkativeness is above 0 (a silent member speaks only when asked, or when everyone is silent).
/// List: every unmuted member in list order. Random: one unmuted member. Muted members never reply here (but
/// "let X speak" still works for them).
/// </summary>
internal static class ReplyOrder
{
    public static IReadOnlyList<long> Speakers(string order, IReadOnlyList<ReplyCandidate> members, string userText, long? lastSpeaker, Random random)
    {
        var active = members.Where(m => !m.Muted).ToList();
        if (active.Count == 0) return [];
        switch (order)
        {
            case ReplyOrders.List:
                return active.Select(m => m.CharacterId).ToList();
            case ReplyOrders.Random:
                return [active[random.Next(active.Count)].CharacterId];
        }
        var mentioned = active
            .Select(m => (m.CharacterId, At: FirstMention(userText, Names(m))))
            .Where(x => x.At >= 0)
            .OrderBy(x => x.At)
            .Select(x => x.CharacterId)
            .ToList();
        var others = active.Where(m => m.CharacterId != lastSpeaker).ToList();
        var speakers = mentioned;
        // Everyone not mentioned rolls once; the order of the rolls (and so of the talkative speakers) is shuffled.
        var rolling = (others.Count > 0 ? others : active).Where(m => !mentioned.Contains(m.CharacterId)).ToList();
        Shuffle(rolling, random);
        foreach (var m in rolling)
        {
            if (random.NextDouble() < m.Talkativeness) speakers.Add(m.CharacterId);
        }
        if (speakers.Count > 0) return speakers;
        var pool = others.Count > 0 ? others : active;
        var chatty = pool.Where(m => m.Talkativeness > 0).ToList();
        if (chatty.Count > 0) pool = chatty;
        return [pool[random.Next(pool.Count)].CharacterId];
    }

    private static void Shuffle<T>(List<T> items, Random random)
    {
        for (var i = items.Count - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>The full name, the nickname, and the first word of the name ("Seraphina" of "Seraphina the Knight"),
    /// so a user writes names the way people do. Names shorter than two letters are ignored (too many false hits).</summary>
    public static IEnumerable<string> Names(ReplyCandidate m)
    {
        var names = new List<string> { m.Name.Trim() };
        if (!string.IsNullOrWhiteSpace(m.Nickname)) names.Add(m.Nickname.Trim());
        var first = m.Name.Trim().Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        if (first is not null) names.Add(first);
        return names.Where(n => n.Length >= 2).Distinct(StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>Where the earliest of the names occurs in the text as a whole word (letters or digits do not touch it
    /// on either side), ignoring case; -1 when none does.</summary>
    public static int FirstMention(string text, IEnumerable<string> names)
    {
        var best = -1;
        foreach (var name in names)
        {
            var from = 0;
            while (from <= text.Length - name.Length)
            {
                var at = text.IndexOf(name, from, StringComparison.OrdinalIgnoreCase);
                if (at < 0) break;
                var end = at + name.Length;
                var startsWord = at == 0 || !char.IsLetterOrDigit(text[at - 1]);
                var endsWord = end >= text.Length || !char.IsLetterOrDigit(text[end]);
                if (startsWord && endsWord)
                {
                    if (best < 0 || at < best) best = at;
                    break;
                }
                from = at + 1;
            }
        }
        return best;
    }
}
