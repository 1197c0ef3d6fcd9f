-- Fetched updates not yet handled (issue 11, item 20). A getUpdates call with the next offset
-- (or a webhook's 200) tells Telegram it may forget the updates before it; the bot writes each
-- fetched update here first, so a crash before it is handled loses nothing: at start the rows
-- left are handled again. The body names the sender (user id, chat id, text), so it is sealed
-- with the keyring and the row is deleted, with secure_delete and a WAL checkpoint, as soon as
-- the update was handled.
CREATE TABLE update_inbox (
    update_id   INTEGER PRIMARY KEY,
    body        BLOB NOT NULL,
    received_at INTEGER NOT NULL
);

-- Wrong contest join codes, for the guessing limit (issue 11, item 12). The key is a keyed
-- pseudonym of the chat that changes every day (bot.quiz), so rows name nobody and cannot be
-- linked across days; rows older than the window are deleted as new ones are added.
CREATE TABLE quiz_join_failures (
    key         BLOB NOT NULL,
    at          INTEGER NOT NULL
);
CREATE INDEX quiz_join_failures_key ON quiz_join_failures(key, at);
