using CharacterHub.Kernel.Contracts.Characters;
using CharacterHub.Modules.Interaction.Personas;
using CharacterHub.Modules.Interaction.Prompting;
using Dapper;
using Mediator;
using Npgsql;

namespace CharacterHub.Modules.Interaction.Chats;

/// <summary>A row of interaction.chat_members; <see cref="Talkativeness"/> null: the card's.</summary>
internal sealed record ChatMemberRow(long CharacterId, int Position, bool Muted, double? Talkativeness = null);

/// <summary>A member as the page shows it; <see cref="Character"/> is null when the user may no longer read it.
/// <see cref="Talkativeness"/> is the member's own setting in this chat (null: the card's, else the default).</summary>
internal sealed record GroupMemberView(long CharacterId, int Position, bool Muted, ChatCharacter? Character, double? Talkativeness = null)
{
    public string Name => Character is null ? "(unavailable character)" : GroupChats.DisplayName(Character);

    public double EffectiveTalkativeness => Chats.Talkativeness.Effective(Talkativeness, Character?.Talkativeness);
}

/// <summary>Who an assistant message is shown as.</summary>
internal sealed record ChatSpeaker(string Name, string? AvatarUrl);

/// <summary>The group side of a chat page: members in list order, the reply order, and who every shown speaker is.</summary>
internal sealed record GroupInfo(IReadOnlyList<GroupMemberView> Members, string ReplyOrder, IReadOnlyDictionary<long, ChatSpeaker> Speakers)
{
    /// <summary>Two or more members make a group chat; a chat with one member looks and behaves like before.</summary>
    public bool IsGroup => Members.Count > 1;

    /// <summary>Who an assistant message is shown as: its own speaker (avatars only in a group, where they tell
    /// speakers apart); null keeps the chat's character name.</summary>
    public ChatSpeaker? SpeakerOf(ChatMessageView m) =>
        m.Role == "assistant" && m.CharacterId is { } id && Speakers.TryGetValue(id, out var s) ? (IsGroup ? s : s with { AvatarUrl = null }) : null;
}

/// <summary>
/// Group chats (SillyTavern's, which users know): two or more characters in one chat. The chat's character_id stays
/// its primary character (the first member), so the single-character paths keep working; members, their order, who
/// is muted and the reply order live beside it. After the user writes, the reply order picks the speakers; the first
/// one's reply is created pending and the rest wait in chats.reply_queue. When a reply's generation ends, the request
/// that claimed it (exactly one, see <see cref="ChatStore.ClaimSql"/>) creates the next speaker's pending reply,
/// so each speaker sees the replies before it and a reconnect or a second tab never generates twice.
/// </summary>
internal sealed class GroupChats(NpgsqlDataSource db, IMediator mediator, ChatCharacters characters)
{
    public const int MaxMembers = 10;

    /// <summary>Text of another member's card given to the speaker, per member, so a big group cannot crowd out the history.</summary>
    public const int OtherDescriptionLimit = 600;

    public static string DisplayName(ChatCharacter c) => string.IsNullOrWhiteSpace(c.Nickname) ? c.Name : c.Nickname;

    public static async Task<List<ChatMemberRow>> MembersAsync(NpgsqlConnection c, long chatId, System.Data.IDbTransaction? tx, CancellationToken ct) =>
        (await c.QueryAsync<ChatMemberRow>(new CommandDefinition(
            "select character_id, position, muted, talkativeness::float8 as talkativeness from interaction.chat_members where chat_id = @chatId order by position, added_at, character_id",
            new { chatId }, tx, cancellationToken: ct))).AsList();

    /// <summary>Takes the row lock of the user's chat (false: not theirs). It serialises member changes of one chat, so
    /// two adds cannot both pass the size check and two moves cannot interleave their renumbering.</summary>
    public static async Task<bool> LockOwnedChatAsync(NpgsqlConnection c, System.Data.IDbTransaction tx, long chatId, long userId, CancellationToken ct) =>
        await c.ExecuteScalarAsync<long?>(new CommandDefinition(
            "select id from interaction.chats where id = @chatId and user_id = @userId for update", new { chatId, userId }, tx, cancellationToken: ct)) is not null;

    public static Task<string> ReplyOrderAsync(NpgsqlConnection c, long chatId, System.Data.IDbTransaction? tx, CancellationToken ct) =>
        c.ExecuteScalarAsync<string>(new CommandDefinition(
            "select reply_order from interaction.chats where id = @chatId", new { chatId }, tx, cancellationToken: ct))!;

    public static Task AddMemberRowAsync(NpgsqlConnection c, System.Data.IDbTransaction tx, long chatId, long characterId, CancellationToken ct) =>
        c.ExecuteAsync(new CommandDefinition(
            """
            insert into interaction.chat_members (chat_id, character_id, position)
            values (@chatId, @characterId, coalesce((select max(position) + 1 from interaction.chat_members where chat_id = @chatId), 0))
            on conflict (chat_id, character_id) do nothing
            """, new { chatId, characterId }, tx, cancellationToken: ct));

    /// <summary>The characters behind the rows, read through the per-process cache (one version read each).</summary>
    public async Task<List<GroupMemberView>> ViewsAsync(IReadOnlyList<ChatMemberRow> rows, long userId, CancellationToken ct)
    {
        var views = new List<GroupMemberView>(rows.Count);
        foreach (var row in rows)
            views.Add(new GroupMemberView(row.CharacterId, row.Position, row.Muted, await characters.GetAsync(mediator, row.CharacterId, userId, ct), row.Talkativeness));
        return views;
    }

    /// <summary>The chat page's group side: the members, and a name and avatar for every character who speaks in
    /// <paramref name="messages"/> (members, and former members whose messages are still shown).</summary>
    public async Task<GroupInfo> InfoAsync(NpgsqlConnection c, long chatId, long userId, IEnumerable<ChatMessageView> messages, CancellationToken ct)
    {
        var rows = await MembersAsync(c, chatId, null, ct);
        var order = await ReplyOrderAsync(c, chatId, null, ct);
        var members = await ViewsAsync(rows, userId, ct);
        var speakers = new Dictionary<long, ChatSpeaker>();
        foreach (var m in members)
            speakers[m.CharacterId] = new ChatSpeaker(m.Name, m.Character?.AvatarUrl);
        foreach (var id in messages.Select(m => m.CharacterId).OfType<long>().Distinct())
        {
            if (speakers.ContainsKey(id)) continue;
            var character = await characters.GetAsync(mediator, id, userId, ct);
            speakers[id] = character is null ? new ChatSpeaker("(unavailable character)", null) : new ChatSpeaker(DisplayName(character), character.AvatarUrl);
        }
        return new GroupInfo(members, order, speakers);
    }

    /// <summary>
    /// Picks who replies to the user's message and creates the first one's pending reply, queueing the rest. A chat
    /// with one member always answers with it (as before groups existed); a group whose members are all muted (or
    /// none of whom the user may still read) gets no reply. Returns the pending reply's id, or null.
    /// </summary>
    public async Task<long?> StartTurnAsync(NpgsqlConnection c, System.Data.IDbTransaction tx, ChatHeader chat, string userText, CancellationToken ct)
    {
        var rows = await MembersAsync(c, chat.Id, tx, ct);
        IReadOnlyList<long> speakers;
        if (rows.Count <= 1)
        {
            speakers = [rows.Count == 1 ? rows[0].CharacterId : chat.CharacterId];
        }
        else
        {
            var order = await ReplyOrderAsync(c, chat.Id, tx, ct);
            var candidates = new List<ReplyCandidate>(rows.Count);
            foreach (var row in rows)
            {
                var character = await characters.GetAsync(mediator, row.CharacterId, chat.UserId, ct);
                // A member the user may no longer read cannot speak; it is left out like a muted one.
                candidates.Add(new ReplyCandidate(row.CharacterId, character?.Name ?? "", character?.Nickname, row.Muted || character is null,
                    Talkativeness.Effective(row.Talkativeness, character?.Talkativeness)));
            }
            var last = await c.ExecuteScalarAsync<long?>(new CommandDefinition(
                """
                select m.character_id from interaction.messages m
                where m.chat_id = @Id and m.role = 'assistant'
                  and not exists (select 1 from interaction.message_tombstones t where t.message_id = m.id)
                order by m.id desc limit 1
                """, new { chat.Id }, tx, cancellationToken: ct));
            speakers = ReplyOrder.Speakers(order, candidates, userText, last, Random.Shared);
        }
        if (speakers.Count <= 1)
        {
            // Nothing to queue: only an older round still queued is dropped (a no-op write for a one-character chat).
            await c.ExecuteAsync(new CommandDefinition(
                "update interaction.chats set reply_queue = '{}', reply_queue_after = null where id = @Id and reply_queue_after is not null",
                new { chat.Id }, tx, cancellationToken: ct));
            if (speakers.Count == 0) return null;
            return await ChatStore.InsertMessageAsync(c, tx, chat.Id, "assistant", [""], SwipeStatus.Pending, "reply", ct, speakers[0]);
        }
        var replyId = await ChatStore.InsertMessageAsync(c, tx, chat.Id, "assistant", [""], SwipeStatus.Pending, "reply", ct, speakers[0]);
        await SetQueueAsync(c, tx, chat.Id, speakers.Skip(1).ToArray(), replyId, ct);
        return replyId;
    }

    private static Task SetQueueAsync(NpgsqlConnection c, System.Data.IDbTransaction? tx, long chatId, long[] queue, long? after, CancellationToken ct) =>
        c.ExecuteAsync(new CommandDefinition(
            "update interaction.chats set reply_queue = @queue, reply_queue_after = @after where id = @chatId",
            new { chatId, queue, after }, tx, cancellationToken: ct));

    /// <summary>
    /// Called once by the request that generated <paramref name="messageId"/>'s reply, after saving it. When the
    /// chat's queue waits on that message: if the reply went well, the next queued speaker who is still an unmuted
    /// member gets its pending reply (and the queue now waits on that); otherwise (stopped, failed, the page closed)
    /// the rest of the turn is dropped, as SillyTavern stops a group's round. The row lock makes this safe against a
    /// send or "let X speak" that replaces the queue at the same moment.
    /// </summary>
    public async Task<long?> AdvanceAsync(long chatId, long messageId, bool wentWell, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        var queue = await c.QuerySingleOrDefaultAsync<long[]>(new CommandDefinition(
            "select reply_queue from interaction.chats where id = @chatId and reply_queue_after = @messageId for update",
            new { chatId, messageId }, tx, cancellationToken: ct));
        if (queue is null || queue.Length == 0) return null;
        if (!wentWell)
        {
            await SetQueueAsync(c, tx, chatId, [], null, ct);
            await tx.CommitAsync(ct);
            return null;
        }
        var unmuted = (await MembersAsync(c, chatId, tx, ct)).Where(m => !m.Muted).Select(m => m.CharacterId).ToHashSet();
        var rest = queue.SkipWhile(id => !unmuted.Contains(id)).ToArray();
        if (rest.Length == 0)
        {
            await SetQueueAsync(c, tx, chatId, [], null, ct);
            await tx.CommitAsync(ct);
            return null;
        }
        var replyId = await ChatStore.InsertMessageAsync(c, tx, chatId, "assistant", [""], SwipeStatus.Pending, "reply", ct, rest[0]);
        await SetQueueAsync(c, tx, chatId, rest[1..], replyId, ct);
        await tx.CommitAsync(ct);
        return replyId;
    }

    /// <summary>"Let X speak": a pending reply from that member now (muted or not, as in SillyTavern). It replaces
    /// whatever was still queued. Null when the chat is not the user's or the character is not a member.</summary>
    public async Task<ChatMessageView?> SpeakAsync(long chatId, long userId, long characterId, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        var chat = await ChatStore.GetChatAsync(c, chatId, userId, tx, ct);
        if (chat is null) return null;
        if ((await MembersAsync(c, chatId, tx, ct)).All(m => m.CharacterId != characterId)) return null;
        if (await characters.GetAsync(mediator, characterId, userId, ct) is null) return null;
        var replyId = await ChatStore.InsertMessageAsync(c, tx, chatId, "assistant", [""], SwipeStatus.Pending, "reply", ct, characterId);
        await SetQueueAsync(c, tx, chatId, [], null, ct);
        await ChatStore.RecordInteractionAsync(c, tx, characterId, userId, chatId, "let_speak", ct);
        await tx.CommitAsync(ct);
        return await ChatStore.MessageAsync(c, chatId, replyId, ct: ct);
    }

    /// <summary>
    /// What the speaker of a group turn needs beyond its own card, or null for a one-member chat (whose prompt stays
    /// exactly as before): the other members, named, with the start of their descriptions; and the speaker's name
    /// on the history lines of the others.
    /// </summary>
    public async Task<GroupPrompt?> PromptAsync(long chatId, long speakerId, long userId, CancellationToken ct)
    {
        List<ChatMemberRow> rows;
        await using (var c = await db.OpenConnectionAsync(ct))
        {
            rows = await MembersAsync(c, chatId, null, ct);
        }
        if (rows.Count <= 1) return null;
        var members = await ViewsAsync(rows, userId, ct);
        return new GroupPrompt(speakerId, members.Where(m => m.Character is not null).Select(m => m.Character!).ToList());
    }
}

/// <summary>The group part of one speaker's prompt (pure, so a unit test can read it).</summary>
internal sealed class GroupPrompt(long speakerId, IReadOnlyList<ChatCharacter> members)
{
    public IReadOnlyList<ChatCharacter> Members => members;

    private Dictionary<long, string> Names { get; } = members.ToDictionary(m => m.Id, GroupChats.DisplayName);

    /// <summary>
    /// The speaker's card with the group around it: "[Group chat with A, B and C. You are A.]" and the others'
    /// descriptions after its own description (their {{char}} already filled with their own names), and a last
    /// instruction to write only as the speaker (SillyTavern's group nudge) after its post-history instructions.
    /// </summary>
    public ChatCharacter Shape(ChatCharacter speaker)
    {
        var name = GroupChats.DisplayName(speaker);
        var all = members.Select(GroupChats.DisplayName).ToList();
        if (!members.Any(m => m.Id == speaker.Id)) all.Insert(0, name);
        var list = all.Count <= 1 ? all[0] : string.Join(", ", all.Take(all.Count - 1)) + " and " + all[^1];
        var about = new System.Text.StringBuilder();
        about.Append($"[Group chat with {list}. You are {name}.]");
        foreach (var other in members.Where(m => m.Id != speaker.Id))
        {
            var text = other.Description.Replace("{{char}}", GroupChats.DisplayName(other), StringComparison.OrdinalIgnoreCase).Trim();
            if (text.Length > GroupChats.OtherDescriptionLimit) text = text[..GroupChats.OtherDescriptionLimit].TrimEnd() + "…";
            if (text.Length > 0) about.Append($"\n[{GroupChats.DisplayName(other)}: {text}]");
        }
        var description = speaker.Description.Length == 0 ? about.ToString() : speaker.Description + "\n\n" + about;
        var nudge = $"[Write the next reply only as {name}.]";
        var post = speaker.PostHistoryInstructions.Length == 0 ? nudge : speaker.PostHistoryInstructions + "\n" + nudge;
        return speaker with { Description = description, PostHistoryInstructions = post };
    }

    /// <summary>History in chat order: the speaker's own lines as they are, the other characters' lines as
    /// assistant turns that start with their name ("B: ..."), so the model can tell who said what.</summary>
    public List<HistoryMessage> History(IReadOnlyList<ChatMessageView> newestFirst, string userName)
    {
        var history = new List<HistoryMessage>(newestFirst.Count);
        var speakerName = Names.TryGetValue(speakerId, out var n) ? n : "";
        for (var i = newestFirst.Count - 1; i >= 0; i--)
        {
            var m = newestFirst[i];
            if (m.IsOpen || m.Content.Length == 0 || SystemLines.IsHidden(m)) continue;
            if (m.Role == "user")
            {
                history.Add(new HistoryMessage(ChatRole.User, userName, m.Content, m.CreatedAt, ChatPrompting.Source(m)));
                continue;
            }
            if (m.CharacterId is { } who && who != speakerId)
            {
                var other = Names.TryGetValue(who, out var on) ? on : "Another character";
                history.Add(new HistoryMessage(ChatRole.Assistant, other, $"{other}: {m.Content}", m.CreatedAt, ChatPrompting.Source(m, $"{other}: ")));
            }
            else
            {
                history.Add(new HistoryMessage(ChatRole.Assistant, speakerName, m.Content, m.CreatedAt, ChatPrompting.Source(m)));
            }
        }
        return history;
    }
}
