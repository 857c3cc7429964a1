-- Prompt tools: the author's note per chat, the user's prompt settings, a per-character story string, and what was
-- sent to the model for each reply (the prompt inspector).

-- The author's note: text injected at a depth in the history on every turn of this chat.
alter table interaction.chats
    add column authors_note       text    not null default '' check (char_length(authors_note) <= 5000),
    add column authors_note_depth integer not null default 4 check (authors_note_depth between 0 and 100),
    add column authors_note_role  text    not null default 'system' check (authors_note_role in ('system', 'user', 'assistant'));

-- One row per user who changed anything; no row means the defaults. A null story string means the built-in one, so
-- an improved default reaches everyone who never edited theirs.
create table interaction.prompt_settings (
    user_id           bigint      primary key,
    story_string      text        check (char_length(story_string) <= 20000),
    system_prompt     text        not null default '' check (char_length(system_prompt) <= 20000),
    example_behaviour text        not null default 'normal' check (example_behaviour in ('normal', 'always', 'disabled')),
    updated_at        timestamptz not null default now()
);

-- A user's story string for one character; wins over the user's own template. character_id is the Characters
-- module's id (a plain id across schemas).
create table interaction.character_story_strings (
    user_id      bigint      not null,
    character_id bigint      not null,
    story_string text        not null check (char_length(story_string) between 1 and 20000),
    updated_at   timestamptz not null default now(),
    primary key (user_id, character_id)
);

-- What one generation sent: written once, in the same statement that saves the swipe's text. The document holds the
-- sections in prompt order (each sent message is a section with its role), token counts, the lorebook entries that
-- fired and why, dropped history and any template error. Deleting the swipe (its chat) deletes it.
create table interaction.swipe_prompts (
    swipe_id    bigint      primary key references interaction.message_swipes (id) on delete cascade,
    prompt      jsonb       not null,
    created_at  timestamptz not null default now()
);
