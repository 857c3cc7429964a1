-- Branches: a chat copied from another chat up to one of its messages. The link is only for showing where a branch
-- came from; deleting the source chat (or the message, with its chat) keeps the branch and forgets the link.
alter table interaction.chats
    add column branched_from_chat_id    bigint references interaction.chats (id) on delete set null,
    add column branched_from_message_id bigint references interaction.messages (id) on delete set null;
-- Deleting a chat looks up the branches pointing at it (and at its messages) to clear their links.
create index chats_branched_from_chat on interaction.chats (branched_from_chat_id) where branched_from_chat_id is not null;
create index chats_branched_from_message on interaction.chats (branched_from_message_id) where branched_from_message_id is not null;
