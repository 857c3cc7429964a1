-- Characters: the product's core object. Later migrations add versions, lorebooks, templates and more.
create schema if not exists characters;

create table characters.characters (
    id           bigint generated always as identity primary key,
    creator_id   bigint      not null, -- accounts.users.id (another module's schema: a plain id, no foreign key)
    name         text        not null check (char_length(name) between 1 and 100),
    description  text        not null default '',
    is_public    boolean     not null default false,
    created_at   timestamptz not null default now(),
    updated_at   timestamptz not null default now(),
    version      integer     not null default 1
);
create index characters_creator_updated on characters.characters (creator_id, updated_at desc, id desc);
