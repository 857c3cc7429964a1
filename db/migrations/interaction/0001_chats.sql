-- Interaction: chats and their messages (append-only), and the record of every turn.
create schema if not exists interaction;

create table interaction.chats (
    id            bigint generated always as identity primary key,
    user_id       bigint      not null,
    character_id  bigint      not null,
    title         text        not null check (char_length(title) between 1 and 200),
    created_at    timestamptz not null default now(),
    last_message_at timestamptz not null default now()
);
create index chats_user_last on interaction.chats (user_id, last_message_at desc, id desc);

create table interaction.messages (
    id          bigint generated always as identity primary key,
    chat_id     bigint      not null references interaction.chats (id) on delete cascade,
    role        text        not null check (role in ('user', 'assistant', 'system')),
    content     text        not null,
    created_at  timestamptz not null default now()
);
create index messages_chat_id on interaction.messages (chat_id, id);

create table interaction.character_interactions (
    id                  bigint generated always as identity primary key,
    character_id        bigint      not null,
    user_id             bigint      not null,
    conversation_id     bigint      not null references interaction.chats (id) on delete cascade,
    interaction_type    text        not null,
    emotional_state     jsonb,
    relationship_level  integer,
    created_at          timestamptz not null default now()
);
create index character_interactions_character on interaction.character_interactions (character_id, created_at desc);
