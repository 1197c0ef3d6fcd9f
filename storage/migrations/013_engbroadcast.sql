-- Media of campaigns (and later events): the bytes themselves, named by their SHA-256, so a
-- campaign refers to a picture every channel can send (Telegram uploads it once per process
-- and reuses the file id it gets back, inside bot/channels/telegram/).
CREATE TABLE media (
    id          TEXT PRIMARY KEY,      -- sha256 hex of data
    mime        TEXT NOT NULL,
    data        BLOB NOT NULL,
    created_at  INTEGER NOT NULL
);

-- An event's photo by value too (a media key); photo_file_id stays for events saved before.
ALTER TABLE events ADD COLUMN photo_media TEXT;
