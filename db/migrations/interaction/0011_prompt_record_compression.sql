-- The prompt inspector's records are written after every reply; lz4 compresses them several times faster than the
-- default pglz, so writing one costs the next turn less CPU. Only where the server was built with lz4 (Debian's and
-- the official images are); elsewhere the default stays and nothing fails.
do $$
begin
    alter table interaction.swipe_prompts alter column prompt set compression lz4;
exception when feature_not_supported or invalid_parameter_value then
    raise notice 'lz4 is not available on this server; prompt records keep the default compression';
end $$;
