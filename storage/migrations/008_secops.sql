-- A value sealed with master.key when the key is made. At start the bot opens it: a lost or
-- replaced key file is refused at once instead of leaving every sealed tip unreadable behind a
-- healthy-looking bot. It is a fixed text, so it reveals nothing but "this key belongs here".
-- sealed IS NULL: a database that held tips before this check existed; the first start checks
-- the key against the newest tip instead, then records the check. No row: nothing to check
-- (a new database, or an operator who deleted the row to accept a lost key).
CREATE TABLE key_check (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    sealed      BLOB,
    created_at  TEXT NOT NULL DEFAULT (datetime('now'))
);
INSERT INTO key_check(id, sealed) SELECT 1, NULL WHERE EXISTS (SELECT 1 FROM tips);
