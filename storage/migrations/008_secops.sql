-- A value sealed with master.key when the key is made (or first seen by this version). At start
-- the bot opens it: a lost or replaced key file is refused at once instead of making every new
-- tip fail. It is a fixed text, so it reveals nothing but "this key belongs to this database".
CREATE TABLE key_check (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    sealed      BLOB NOT NULL,
    created_at  TEXT NOT NULL DEFAULT (datetime('now'))
);
