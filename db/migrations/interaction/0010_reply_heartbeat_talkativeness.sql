-- A streaming reply proves it is alive: the node streaming it refreshes heartbeat_at (at most every ~30 s, one UPDATE
-- per node for all of its streams). The abandoned-reply job closes only open swipes whose heartbeat (else their claim,
-- else their creation) is older than a couple of minutes, so a long, slow generation is no longer closed mid-stream.
alter table interaction.message_swipes add column heartbeat_at timestamptz;

-- The job's scan follows the new age expression; open swipes are few, so the index stays small.
drop index interaction.message_swipes_open;
create index message_swipes_open on interaction.message_swipes (coalesce(heartbeat_at, started_at, created_at))
    where status in ('pending', 'streaming');

-- SillyTavern's talkativeness per group member: the chance (0..1) that a member not mentioned speaks in natural order.
-- Null: the card's extensions.talkativeness, else 0.5.
alter table interaction.chat_members add column talkativeness real check (talkativeness between 0 and 1);
