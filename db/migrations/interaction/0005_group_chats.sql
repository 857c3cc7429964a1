-- Group chats: two or more characters in one chat, as in SillyTavern. chats.character_id stays the first (primary)
-- character so single-character code paths (the interact API, the chat list) keep working unchanged.
create table interaction.chat_members (
    chat_id       bigint      not null references interaction.chats (id) on delete cascade,
    character_id  bigint      not null, -- characters.characters.id (another module's schema: a plain id)
    position      integer     not null,
    -- A muted member is still in the chat (its messages stay, "let X speak" still works) but is never picked to reply.
    muted         boolean     not null default false,
    added_at      timestamptz not null default now(),
    primary key (chat_id, character_id)
);

insert into interaction.chat_members (chat_id, character_id, position, added_at)
select id, character_id, 0, created_at from interaction.chats;

-- How the next speakers are picked after the user writes: 'natural' (mentioned first, else one member), 'list' (every
-- unmuted member in list order) or 'random' (one unmuted member).
alter table interaction.chats add column reply_order text not null default 'natural'
    check (reply_order in ('natural', 'list', 'random'));

-- Speakers still to reply in this turn, in order; the next one's pending reply is created when the reply of
-- reply_queue_after ends. Only the request that claimed that reply advances the queue, so it advances once.
alter table interaction.chats add column reply_queue bigint[] not null default '{}';
alter table interaction.chats add column reply_queue_after bigint;

-- Which character spoke an assistant message (null for user and system messages).
alter table interaction.messages add column character_id bigint;
update interaction.messages m set character_id = c.character_id
from interaction.chats c where c.id = m.chat_id and m.role = 'assistant';
