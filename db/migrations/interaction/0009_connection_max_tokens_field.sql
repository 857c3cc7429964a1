-- Which JSON field a connection's reply-length limit goes out as. 'max_tokens' is what llama.cpp, Ollama, KoboldCpp
-- and most OpenAI-compatible servers read; OpenAI's reasoning models (o1, o3, gpt-5) refuse it and require
-- 'max_completion_tokens'. Existing connections keep sending what they sent before.
alter table interaction.llm_connections
    add column max_tokens_field text not null default 'max_tokens'
        check (max_tokens_field in ('max_tokens', 'max_completion_tokens'));
