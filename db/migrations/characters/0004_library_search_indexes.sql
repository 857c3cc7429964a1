-- Public search (the API's listing and the marketplace) only ever looks at public rows, so it gets a GIN index of
-- its own. A user's own library needs none: their rows are found through characters_creator_* and the tsvector is
-- tested on those in sort order (bench/BENCHMARKS.md, "library").
create index characters_public_search on characters.characters using gin (search) where visibility = 'public';
-- Superseded: a GIN over every row's search vector made each save slower and no query of ours uses it now.
drop index if exists characters.characters_search;
