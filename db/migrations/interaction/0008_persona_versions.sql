-- Optimistic concurrency for personas: the edit form carries the version it was opened at and a save names it
-- (`where version = @expected`); a stale form (another tab saved first) is shown as a conflict, nothing overwritten.
-- Existing personas start at version 1.
alter table interaction.personas add column version integer not null default 1 check (version >= 1);
