-- A turn reads its history from a per-process copy of the chat's older messages plus the few added since, instead of
-- re-reading up to 200 messages every turn. Two counters on the chat tell a node whether its copy still holds:
--
-- history_rev     bumped whenever a message already written changes what a prompt would show: another swipe chosen,
--                 an edit (a revision), a delete or undelete (a tombstone), a finished swipe rewritten, a message
--                 removed. Appending messages and finishing an open swipe do not bump it: a copy holds only finished
--                 messages, and new ones are read as they come.
-- messages_added  how many messages were ever inserted into the chat. Identity ids are handed out before commit, so a
--                 message can become visible after one with a higher id; comparing how many messages lie below a
--                 cursor now with how many did when the copy was taken catches such a late arrival.
--
-- Both are kept by triggers, so no write path can forget them.
--
-- Tombstones also learn their chat, so a history read collects a chat's deleted ids once (an index lookup) instead of
-- probing the tombstones for every message: with a small tombstone table the planner preferred scanning all of it
-- once per message, and with a misjudged chat size, hashing every message of the chat.
alter table interaction.chats
    add column history_rev bigint not null default 0,
    add column messages_added bigint not null default 0;

update interaction.chats c set messages_added = (select count(*) from interaction.messages m where m.chat_id = c.id);

create function interaction.count_added_messages() returns trigger language plpgsql as $$
begin
    update interaction.chats c set messages_added = c.messages_added + n.added
    from (select chat_id, count(*) as added from added_messages group by chat_id) n
    where c.id = n.chat_id;
    return null;
end $$;

create trigger messages_count_added after insert on interaction.messages
    referencing new table as added_messages for each statement execute function interaction.count_added_messages();

-- (A chat deleted with its messages is no longer visible to these updates, which then simply find nothing.)
create function interaction.bump_history_rev_for_chat() returns trigger language plpgsql as $$
begin
    update interaction.chats set history_rev = history_rev + 1
    where id = case when tg_op = 'DELETE' then old.chat_id else new.chat_id end;
    return null;
end $$;

create function interaction.bump_history_rev_for_message() returns trigger language plpgsql as $$
begin
    update interaction.chats c set history_rev = c.history_rev + 1
    from interaction.messages m
    where m.id = case when tg_op = 'DELETE' then old.message_id else new.message_id end and c.id = m.chat_id;
    return null;
end $$;

create function interaction.bump_history_rev_for_revision() returns trigger language plpgsql as $$
begin
    update interaction.chats c set history_rev = c.history_rev + 1
    from interaction.message_swipes s join interaction.messages m on m.id = s.message_id
    where s.id = case when tg_op = 'DELETE' then old.swipe_id else new.swipe_id end and c.id = m.chat_id;
    return null;
end $$;

-- The first choice of a new message's swipe is part of writing it; any later change of a written message is not.
create trigger messages_history_changed after update on interaction.messages
    for each row when (old.chosen_swipe_id is not null and old.* is distinct from new.*)
    execute function interaction.bump_history_rev_for_chat();
create trigger messages_history_removed after delete on interaction.messages
    for each row execute function interaction.bump_history_rev_for_chat();

-- Open swipes (pending, streaming) are written once when they finish; a finished one is never meant to change again.
create trigger message_swipes_history_changed after update on interaction.message_swipes
    for each row when (old.status not in ('pending', 'streaming') and old.* is distinct from new.*)
    execute function interaction.bump_history_rev_for_message();

create trigger message_revisions_history_changed after insert or update or delete on interaction.message_revisions
    for each row execute function interaction.bump_history_rev_for_revision();

create trigger message_tombstones_history_changed after insert or update or delete on interaction.message_tombstones
    for each row execute function interaction.bump_history_rev_for_message();

alter table interaction.message_tombstones add column chat_id bigint;
update interaction.message_tombstones t set chat_id = m.chat_id from interaction.messages m where m.id = t.message_id;
alter table interaction.message_tombstones alter column chat_id set not null;
create index message_tombstones_chat on interaction.message_tombstones (chat_id);

create function interaction.tombstone_chat() returns trigger language plpgsql as $$
begin
    new.chat_id := (select m.chat_id from interaction.messages m where m.id = new.message_id);
    return new;
end $$;

create trigger message_tombstones_chat before insert or update of message_id on interaction.message_tombstones
    for each row execute function interaction.tombstone_chat();
