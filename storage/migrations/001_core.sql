-- Core: people who chose to save something, per-chat flow state, processed updates.
-- A user row exists only after someone saves a setting, subscribes or joins a quiz; it has no
-- last-seen time, so it cannot be matched to the time of a tip.
CREATE TABLE users (
    user_id     INTEGER PRIMARY KEY,
    locale      TEXT,
    created_at  TEXT NOT NULL DEFAULT (date('now'))
);

-- Flow state (which step of which flow a chat is in). The key is a keyed pseudonym of the chat,
-- the value is sealed with the session key: neither names the person.
CREATE TABLE sessions (
    key         BLOB PRIMARY KEY,
    value       BLOB NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX sessions_expiry ON sessions(expires_at);

-- Telegram delivers updates at least once; an update id seen here is not processed again.
CREATE TABLE processed_updates (
    update_id   INTEGER PRIMARY KEY,
    seen_at     INTEGER NOT NULL
);
CREATE INDEX processed_updates_seen ON processed_updates(seen_at);
