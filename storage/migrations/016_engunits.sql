-- A unit's bound group, named the way the engine names a chat: (channel, key). Telegram groups
-- keep group_chat_id (the chat id tips are delivered to, bot/tip_police.py) and get
-- ('telegram', '<chat id>') here too; a group on another channel has only these two columns
-- until that channel can deliver tips.
ALTER TABLE police_units ADD COLUMN group_channel TEXT;
ALTER TABLE police_units ADD COLUMN group_key TEXT;
UPDATE police_units SET group_channel = 'telegram', group_key = CAST(group_chat_id AS TEXT)
    WHERE group_chat_id IS NOT NULL;
CREATE UNIQUE INDEX police_units_group ON police_units(group_channel, group_key);
