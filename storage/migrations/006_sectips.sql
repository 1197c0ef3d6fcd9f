-- Issue 11, the tipster side of the anonymous tip flow.

-- The abuse-limit key of the day now lives only in the bot's memory (a restart starts today's
-- counters afresh): a sealed copy in the database let whoever holds it and master.key
-- brute-force the user ids behind today's counters. The stored keys go.
DELETE FROM tip_rate_keys;
DROP TABLE tip_rate_keys;

-- Photos of a tip draft, cleaned and sealed (aad = the draft id), kept out of the session blob.
-- draft = the draft's random id (it lives inside the sealed session; it names nobody).
-- Deleted with the draft (sent, cancelled, photos redone, started again, /deleteme); rows of a
-- draft abandoned without any of these are purged at expires_at.
CREATE TABLE tip_draft_photos (
    id          INTEGER PRIMARY KEY,
    draft       BLOB NOT NULL,
    data        BLOB NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX tip_draft_photos_draft ON tip_draft_photos(draft);
CREATE INDEX tip_draft_photos_expiry ON tip_draft_photos(expires_at);

-- The key of the tip flows' sessions lives in memory; at a clean shutdown it is written here
-- sealed (so a restart resumes drafts) and at the next start it is read and deleted at once.
CREATE TABLE session_restart (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    key         BLOB NOT NULL
);
