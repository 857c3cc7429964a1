-- Personas: who the user plays in a chat. The prompt's {{user}} is the persona's name and {{persona}} its description.
create table interaction.personas (
    id                  bigint generated always as identity primary key,
    user_id             bigint      not null,
    name                text        not null check (char_length(name) between 1 and 64),
    description         text        not null default '' check (char_length(description) <= 5000),
    -- Re-encoded squares (256 and 64 px) of the upload; the original file is never kept.
    avatar              bytea,
    avatar_small        bytea,
    avatar_content_type text,
    avatar_etag         text,
    is_default          boolean     not null default false,
    created_at          timestamptz not null default now(),
    updated_at          timestamptz not null default now(),
    check ((avatar is null) = (avatar_etag is null) and (avatar is null) = (avatar_content_type is null)
           and (avatar is null) = (avatar_small is null))
);
create index personas_user on interaction.personas (user_id, lower(name), id);
-- At most one default per user, whatever the application does.
create unique index personas_one_default on interaction.personas (user_id) where is_default;

-- The chat's persona; null means "the user's default persona, else the username". Deleting a persona sends its
-- chats back to that fallback instead of deleting them.
alter table interaction.chats add column persona_id bigint references interaction.personas (id) on delete set null;
create index chats_persona on interaction.chats (persona_id) where persona_id is not null;
