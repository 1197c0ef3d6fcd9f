-- Accounts: one person as the bot knows them on a channel, (channel, external id) -> user id.
-- Quiz results, subscriptions, officer roles and admins keep using the user id. A Telegram
-- account's user id is its Telegram user id (Telegram ids fit in 52 bits), so every existing
-- row stays valid as it is; other channels get ids from 2^53 on, which never collide.
-- The tip flow never creates an account.
CREATE TABLE accounts (
    channel      TEXT NOT NULL,
    external_id  TEXT NOT NULL,
    user_id      INTEGER NOT NULL,
    PRIMARY KEY (channel, external_id)
);
CREATE INDEX accounts_user ON accounts(user_id);

-- Existing Telegram people, wherever a user id already stands.
INSERT OR IGNORE INTO accounts(channel, external_id, user_id)
    SELECT 'telegram', CAST(user_id AS TEXT), user_id FROM (
        SELECT user_id FROM users
        UNION SELECT user_id FROM unit_officers
        UNION SELECT user_id FROM province_admins
    );
