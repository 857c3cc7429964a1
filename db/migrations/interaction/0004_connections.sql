-- Per-user LLM connections: an OpenAI-compatible endpoint, its model and the sampling a turn sends by default.
-- The API key is stored only as ASP.NET Data Protection ciphertext (keys persisted in accounts.data_protection_keys);
-- null means "no key" (local servers). Null sampling columns leave the field out so the server's own default applies.
create table interaction.llm_connections (
    id                  bigint generated always as identity primary key,
    user_id             bigint      not null,
    name                text        not null check (char_length(name) between 1 and 64),
    base_url            text        not null check (char_length(base_url) between 1 and 2048),
    api_key_protected   text,
    model               text        not null check (char_length(model) between 1 and 200),
    context_size        integer     not null default 8192 check (context_size between 512 and 2000000),
    temperature         double precision check (temperature between 0 and 2),
    top_p               double precision check (top_p between 0 and 1),
    max_tokens          integer     check (max_tokens between 1 and 100000),
    frequency_penalty   double precision check (frequency_penalty between -2 and 2),
    presence_penalty    double precision check (presence_penalty between -2 and 2),
    stop_strings        text[]      not null default '{}' check (cardinality(stop_strings) <= 8),
    is_default          boolean     not null default false,
    -- Optimistic concurrency: an edit says which version it started from; a miss is a conflict shown to the user.
    version             integer     not null default 1,
    created_at          timestamptz not null default now(),
    updated_at          timestamptz not null default now()
);
-- Names are unique per user regardless of case, so "Local" and "local" cannot both appear in the model selector.
create unique index llm_connections_user_name on interaction.llm_connections (user_id, lower(name));
-- At most one default per user, whatever the application does.
create unique index llm_connections_one_default on interaction.llm_connections (user_id) where is_default;

-- The chat's connection; null means "the user's default connection, else the site default". Deleting a connection
-- sends its chats back to that fallback instead of deleting them.
alter table interaction.chats add column connection_id bigint references interaction.llm_connections (id) on delete set null;
create index chats_connection on interaction.chats (connection_id) where connection_id is not null;

-- interaction:close-abandoned-replies looks for replies still open long after their generation must have ended;
-- open swipes are few at any moment, so a partial index keeps that scan small however long the history grows.
create index message_swipes_open on interaction.message_swipes (coalesce(started_at, created_at)) where status in ('pending', 'streaming');
