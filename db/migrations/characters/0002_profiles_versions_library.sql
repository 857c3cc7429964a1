-- Characters become full profiles: card fields, personality, lorebook, voice, visibility; every save is a version.
-- Reshapes 0001's rows: is_public becomes visibility (public or private), then a generated column.

create table characters.categories (
    slug        text primary key check (slug ~ '^[a-z0-9-]{2,40}$'),
    name        text not null,
    sort_order  integer not null
);
insert into characters.categories (slug, name, sort_order) values
    ('fantasy', 'Fantasy', 10), ('sci-fi', 'Sci-fi', 20), ('anime', 'Anime', 30), ('games', 'Games', 40),
    ('historical', 'Historical', 50), ('horror', 'Horror', 60), ('mystery', 'Mystery', 70), ('romance', 'Romance', 80),
    ('slice-of-life', 'Slice of life', 90), ('comedy', 'Comedy', 100), ('assistant', 'Assistant / utility', 110),
    ('educational', 'Educational', 120), ('original', 'Original', 130);

alter table characters.characters
    add column nickname        text    not null default '' check (char_length(nickname) <= 100),
    add column tagline         text    not null default '' check (char_length(tagline) <= 200),
    add column avatar_path     text,
    add column personality     jsonb   not null default '{}',
    add column background      text    not null default '',
    add column traits          jsonb   not null default '[]',
    add column voice_config    jsonb   not null default '{}',
    add column scenario        text    not null default '',
    add column first_message   text    not null default '',
    add column alternate_greetings jsonb not null default '[]',
    add column example_dialogues text  not null default '',
    add column system_prompt   text    not null default '',
    add column post_history_instructions text not null default '',
    add column creator_notes   text    not null default '',
    add column category        text    references characters.categories (slug),
    add column tags            text[]  not null default '{}',
    add column visibility      text    not null default 'private' check (visibility in ('private', 'unlisted', 'public')),
    add column share_token     text    unique,
    add column lorebook        jsonb   not null default '{}',
    add column extensions      jsonb   not null default '{}',
    add column rating          numeric(3,2) not null default 0,
    add column downloads       integer not null default 0,
    add column chat_count      integer not null default 0,
    add column archived_at     timestamptz,
    add constraint characters_tags_count check (cardinality(tags) <= 30);

update characters.characters set visibility = case when is_public then 'public' else 'private' end;
alter table characters.characters drop column is_public;
alter table characters.characters add column is_public boolean generated always as (visibility = 'public') stored;

-- Full-text search over what a user remembers a character by; 'simple' works for every language.
-- array_to_string is only STABLE (it may call type output functions); for text[] it is immutable in fact.
create function characters.tags_text(tags text[]) returns text
    language sql immutable parallel safe as $$ select array_to_string(tags, ' ') $$;
alter table characters.characters add column search tsvector generated always as (
    setweight(to_tsvector('simple', name), 'A') ||
    setweight(to_tsvector('simple', nickname || ' ' || tagline || ' ' || characters.tags_text(tags)), 'B') ||
    setweight(to_tsvector('simple', left(description, 4000)), 'C')) stored;

create index characters_search on characters.characters using gin (search);
create index characters_creator_name on characters.characters (creator_id, lower(name), id);
create index characters_creator_created on characters.characters (creator_id, created_at desc, id desc);
create index characters_creator_chats on characters.characters (creator_id, chat_count desc, id desc);
create index characters_tags on characters.characters using gin (tags);
create index characters_public_updated on characters.characters (updated_at desc, id desc) where visibility = 'public';

-- Immutable full snapshots: version N of a character is exactly what was saved N-th.
create table characters.character_versions (
    id            bigint generated always as identity primary key,
    character_id  bigint      not null references characters.characters (id) on delete cascade,
    version       integer     not null,
    snapshot      jsonb       not null,
    author_id     bigint      not null,
    message       text        not null default '' check (char_length(message) <= 500),
    created_at    timestamptz not null default now(),
    unique (character_id, version)
);

create table characters.favorites (
    user_id       bigint      not null,
    character_id  bigint      not null references characters.characters (id) on delete cascade,
    created_at    timestamptz not null default now(),
    primary key (user_id, character_id)
);

-- People a creator shares a character with: editors may save, viewers may read and chat.
create table characters.collaborators (
    character_id  bigint      not null references characters.characters (id) on delete cascade,
    user_id       bigint      not null,
    role          text        not null check (role in ('editor', 'viewer')),
    added_at      timestamptz not null default now(),
    primary key (character_id, user_id)
);
create index collaborators_user on characters.collaborators (user_id);

create table characters.templates (
    id          bigint generated always as identity primary key,
    owner_id    bigint      not null,
    name        text        not null check (char_length(name) between 1 and 100),
    description text        not null default '' check (char_length(description) <= 500),
    snapshot    jsonb       not null,
    created_at  timestamptz not null default now()
);
create index templates_owner on characters.templates (owner_id, created_at desc);

create table characters.avatars (
    character_id  bigint      primary key references characters.characters (id) on delete cascade,
    large         bytea       not null,
    small         bytea       not null,
    content_type  text        not null,
    etag          text        not null,
    source        text        not null check (source in ('upload', 'builder', 'card')),
    builder_params jsonb,
    updated_at    timestamptz not null default now()
);

-- Expression images (neutral, joy, ...) from the avatar builder or a card's emotion assets.
create table characters.expressions (
    character_id  bigint      not null references characters.characters (id) on delete cascade,
    expression    text        not null check (expression ~ '^[a-z0-9_-]{1,40}$'),
    image         bytea       not null,
    content_type  text        not null,
    primary key (character_id, expression)
);
