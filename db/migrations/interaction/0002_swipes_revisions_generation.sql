-- Turns as an append-only record. A message is a slot in the chat; its text lives in swipes (alternatives: greetings,
-- regenerations, continuations), the chosen swipe is shown; an edit adds a revision, a delete adds a tombstone.
-- Nothing a user saw is ever rewritten: a swipe's content is written once, when its generation ends.

-- The shown alternative: a view choice, not history, so it is the one column a browse updates.
alter table interaction.messages add column chosen_swipe_id bigint;

create table interaction.message_swipes (
    id                  bigint generated always as identity primary key,
    message_id          bigint      not null references interaction.messages (id) on delete cascade,
    content             text        not null default '',
    -- pending: waiting for its stream; streaming: a request is generating it; then complete, partial or offline.
    status              text        not null check (status in ('pending', 'streaming', 'complete', 'partial', 'offline')),
    kind                text        not null check (kind in ('user', 'greeting', 'reply', 'regenerate', 'continue')),
    -- A continuation's text is its base's text plus what the model appended.
    continues_swipe_id  bigint      references interaction.message_swipes (id),
    -- Why a partial reply ended early; detail is the sentence shown to the user.
    reason              text        check (reason in ('stopped', 'upstream_error', 'timeout', 'stalled', 'malformed',
                                     'connection_lost', 'unreachable', 'browser_gone', 'character_unavailable', 'refused', 'failed')),
    detail              text,
    model               text,
    finish_reason       text,
    prompt_tokens       integer,
    completion_tokens   integer,
    -- Set by the stop button; the node streaming this swipe polls it, so stop works whichever node serves the stream.
    stop_requested      boolean     not null default false,
    created_at          timestamptz not null default now(),
    started_at          timestamptz,
    finished_at         timestamptz,
    check ((status = 'partial') = (reason is not null))
);
create index message_swipes_message on interaction.message_swipes (message_id, id);

create table interaction.message_revisions (
    id          bigint generated always as identity primary key,
    swipe_id    bigint      not null references interaction.message_swipes (id) on delete cascade,
    content     text        not null,
    created_at  timestamptz not null default now()
);
create index message_revisions_swipe on interaction.message_revisions (swipe_id, id desc);

create table interaction.message_tombstones (
    message_id  bigint      primary key references interaction.messages (id) on delete cascade,
    deleted_at  timestamptz not null default now()
);

-- Messages written before swipes existed become their own single swipe, so every message has exactly one shown text.
insert into interaction.message_swipes (message_id, content, status, kind, created_at, finished_at)
select id, content, 'complete', case role when 'user' then 'user' else 'reply' end, created_at, created_at
from interaction.messages;
update interaction.messages m set chosen_swipe_id = s.id from interaction.message_swipes s where s.message_id = m.id;

-- The latest page and "load older" are keyset scans on (chat_id, id): messages_chat_id from 0001 serves both.
create index character_interactions_conversation on interaction.character_interactions (conversation_id, created_at);
