-- Card interoperability: files a card carried that we keep for re-export, duplicate detection, bulk import jobs.

-- Embedded files of an imported card other than its main icon (emotion sprites, backgrounds, RisuAI modules),
-- keyed by their path inside the original container so the card's asset URIs still point at them on export.
create table characters.assets (
    character_id  bigint      not null references characters.characters (id) on delete cascade,
    path          text        not null check (char_length(path) between 1 and 500),
    data          bytea       not null,
    primary key (character_id, path)
);

-- SHA-256 of the canonical V3 JSON of each imported card, per user: the same card again is a duplicate whatever
-- container or picture it arrives in. Deleting the character forgets the hash.
create table characters.import_hashes (
    user_id       bigint      not null,
    sha256        bytea       not null check (octet_length(sha256) = 32),
    character_id  bigint      not null references characters.characters (id) on delete cascade,
    created_at    timestamptz not null default now(),
    primary key (user_id, sha256)
);

-- A bulk import run by Hangfire. The uploaded bytes live in import_job_files until their file is processed,
-- so any worker process can run the job and a retry resumes where the last attempt stopped.
create table characters.import_jobs (
    id              bigint generated always as identity primary key,
    user_id         bigint      not null,
    duplicate_mode  text        not null check (duplicate_mode in ('skip', 'new_version')),
    status          text        not null default 'queued' check (status in ('queued', 'running', 'done')),
    created_at      timestamptz not null default now(),
    finished_at     timestamptz
);
create index import_jobs_user on characters.import_jobs (user_id, id desc);

create table characters.import_job_files (
    job_id        bigint      not null references characters.import_jobs (id) on delete cascade,
    seq           integer     not null,
    file_name     text        not null,
    data          bytea,
    status        text        not null default 'pending' check (status in ('pending', 'imported', 'skipped', 'failed')),
    character_id  bigint,
    reason        text,
    primary key (job_id, seq)
);
