-- Accounts: users, personal access tokens, failed-login tracking and the Data Protection key ring.
create schema if not exists accounts;

create table accounts.users (
    id              bigint generated always as identity primary key,
    username        text        not null,
    email           text,
    password_hash   text        not null,
    -- Changes whenever the password changes; every cookie carries the stamp it was issued with, so changing
    -- it signs out every other session.
    security_stamp  uuid        not null default gen_random_uuid(),
    display_name    text        not null default '',
    bio             text        not null default '',
    is_admin        boolean     not null default false,
    created_at      timestamptz not null default now(),
    updated_at      timestamptz not null default now(),
    version         integer     not null default 1,
    constraint users_username_format check (username ~ '^[a-z0-9_.-]{3,32}$'),
    constraint users_display_name_length check (char_length(display_name) <= 64),
    constraint users_bio_length check (char_length(bio) <= 2000),
    constraint users_email_length check (email is null or char_length(email) <= 254)
);
create unique index users_username_key on accounts.users (username);
create unique index users_email_key on accounts.users (lower(email)) where email is not null;

create table accounts.user_avatars (
    user_id      bigint      primary key references accounts.users (id) on delete cascade,
    small        bytea       not null,
    large        bytea       not null,
    content_type text        not null,
    etag         text        not null,
    updated_at   timestamptz not null default now()
);

create table accounts.personal_access_tokens (
    id            bigint generated always as identity primary key,
    user_id       bigint      not null references accounts.users (id) on delete cascade,
    name          text        not null check (char_length(name) between 1 and 64),
    -- SHA-256 of the token; the token itself is shown once and never stored.
    token_hash    bytea       not null,
    token_prefix  text        not null,
    created_at    timestamptz not null default now(),
    last_used_at  timestamptz,
    expires_at    timestamptz,
    revoked_at    timestamptz
);
create unique index personal_access_tokens_hash_key on accounts.personal_access_tokens (token_hash);
create index personal_access_tokens_user on accounts.personal_access_tokens (user_id, created_at desc);

-- Failed logins, kept in the database so that the limit holds across several web processes.
create table accounts.failed_logins (
    id          bigint generated always as identity primary key,
    username    text        not null,
    ip          text        not null,
    at          timestamptz not null default now()
);
create index failed_logins_username_at on accounts.failed_logins (username, at);
create index failed_logins_ip_at on accounts.failed_logins (ip, at);

-- ASP.NET Core Data Protection keys (cookies, antiforgery, encrypted secrets), shared by every process.
create table accounts.data_protection_keys (
    id            bigint generated always as identity primary key,
    friendly_name text        not null unique,
    xml           text        not null,
    created_at    timestamptz not null default now()
);
