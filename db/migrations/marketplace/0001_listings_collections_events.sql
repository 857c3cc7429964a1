-- Marketplace: a read model of published characters (fed by the Characters module's notifications),
-- ratings, collections and community events.
create schema if not exists marketplace;

create table marketplace.listings (
    character_id  bigint      primary key, -- characters.characters.id
    creator_id    bigint      not null,
    name          text        not null,
    tagline       text        not null default '',
    published_at  timestamptz not null default now(),
    rating_avg    numeric(3,2) not null default 0,
    rating_count  integer     not null default 0,
    downloads     integer     not null default 0
);
create index listings_published on marketplace.listings (published_at desc, character_id desc);

create table marketplace.ratings (
    character_id  bigint      not null,
    user_id       bigint      not null,
    stars         smallint    not null check (stars between 1 and 5),
    created_at    timestamptz not null default now(),
    primary key (character_id, user_id)
);

create table marketplace.collections (
    id          bigint generated always as identity primary key,
    owner_id    bigint      not null,
    name        text        not null check (char_length(name) between 1 and 100),
    description text        not null default '',
    is_public   boolean     not null default false,
    created_at  timestamptz not null default now()
);
create index collections_owner on marketplace.collections (owner_id, created_at desc);

create table marketplace.collection_items (
    collection_id bigint      not null references marketplace.collections (id) on delete cascade,
    character_id  bigint      not null,
    added_at      timestamptz not null default now(),
    primary key (collection_id, character_id)
);

create table marketplace.events (
    id          bigint generated always as identity primary key,
    title       text        not null check (char_length(title) between 1 and 200),
    description text        not null default '',
    starts_at   timestamptz not null,
    ends_at     timestamptz not null,
    created_by  bigint      not null,
    created_at  timestamptz not null default now(),
    check (ends_at > starts_at)
);
create index events_starts on marketplace.events (starts_at);
