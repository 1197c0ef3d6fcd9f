-- Tip notifications name their destination's channel: a Telegram chat id as before, or an
-- officer's account id on Zalo (bot/channels/zalo/chat_port.py resolves it to their Zalo chat).
-- Rows written before this migration were all for Telegram.
ALTER TABLE tip_outbox ADD COLUMN channel TEXT NOT NULL DEFAULT 'telegram';
