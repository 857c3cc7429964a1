-- Memory: what a character remembers about a user, distilled from chats by background consolidation.
create schema if not exists memory;

create table memory.memories (
    id            bigint generated always as identity primary key,
    user_id       bigint      not null,
    character_id  bigint      not null,
    kind          text        not null check (kind in ('fact', 'event', 'preference', 'summary')),
    content       text        not null check (char_length(content) between 1 and 4000),
    importance    smallint    not null default 5 check (importance between 1 and 10),
    created_at    timestamptz not null default now(),
    last_recalled_at timestamptz
);
create index memories_user_character on memory.memories (user_id, character_id, created_at desc);
