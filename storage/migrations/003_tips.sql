-- Anonymous tips (issue 4). Nothing here names a tipster: no user id, chat id, username, name
-- or phone, in clear or hashed. Content columns are AES-GCM sealed with tip-purpose keys.

-- One tip. code = the police-facing tip code (random, not the receipt). The receipt exists only
-- as an argon2id hash; lookup is a short keyed tag of the receipt so /followup does not have to
-- try every hash. body = sealed JSON {text, place, lat, lon}. unit_id = the unit holding the
-- tip now (NULL: the national admins). created_at is rounded to the minute.
CREATE TABLE tips (
    id              INTEGER PRIMARY KEY,
    code            TEXT NOT NULL UNIQUE,
    lookup          BLOB NOT NULL,
    receipt_hash    TEXT NOT NULL,
    category        TEXT NOT NULL,
    ward_code       TEXT NOT NULL,
    province_code   TEXT NOT NULL,
    when_code       TEXT NOT NULL,
    body            BLOB NOT NULL,
    unit_id         INTEGER,
    escalated_to    INTEGER,
    status          TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'acknowledged', 'closed')),
    outcome         TEXT,
    created_at      INTEGER NOT NULL,
    routed_at       INTEGER NOT NULL,
    acknowledged_at INTEGER,
    closed_at       INTEGER,
    reminded_at     INTEGER,
    escalated_at    INTEGER
);
CREATE INDEX tips_lookup ON tips(lookup);
CREATE INDEX tips_unit ON tips(unit_id, status);
CREATE INDEX tips_status ON tips(status, created_at);

-- Cleaned photos (re-encoded, no EXIF/GPS), sealed. by_tipster = 1 for the tipster's photos.
CREATE TABLE tip_attachments (
    id          INTEGER PRIMARY KEY,
    tip_id      INTEGER NOT NULL REFERENCES tips(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL DEFAULT 'photo',
    data        BLOB NOT NULL,
    added_at    INTEGER NOT NULL
);
CREATE INDEX tip_attachments_tip ON tip_attachments(tip_id);

-- The two-way thread: police questions and tipster answers/additions, sealed.
-- officer_id is the police officer who asked (police staff, never a tipster).
CREATE TABLE tip_messages (
    id          INTEGER PRIMARY KEY,
    tip_id      INTEGER NOT NULL REFERENCES tips(id) ON DELETE CASCADE,
    author      TEXT NOT NULL CHECK (author IN ('police', 'tipster')),
    officer_id  INTEGER,
    body        BLOB NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX tip_messages_tip ON tip_messages(tip_id);

-- Where a tip's card was delivered (police groups or officers' private chats), so answers and
-- reminders can reply to it. role: primary | info | escalated.
CREATE TABLE tip_cards (
    tip_id      INTEGER NOT NULL REFERENCES tips(id) ON DELETE CASCADE,
    chat_id     INTEGER NOT NULL,
    unit_id     INTEGER,
    role        TEXT NOT NULL,
    message_id  INTEGER,
    PRIMARY KEY (tip_id, chat_id)
);

-- Durable notifications, written in the same transaction as the change they announce.
-- kind: card | answer | photo | remind | notice | ping. chat_id is a police destination
-- (NULL for 'ping': the opted-in tipster chat is read, sealed, from tip_watchers).
-- step = how many parts of a multi-part card were already sent (resume after a crash).
CREATE TABLE tip_outbox (
    id          INTEGER PRIMARY KEY,
    tip_id      INTEGER NOT NULL REFERENCES tips(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    chat_id     INTEGER,
    unit_id     INTEGER,
    role        TEXT NOT NULL DEFAULT '',
    ref         INTEGER NOT NULL DEFAULT 0,
    step        INTEGER NOT NULL DEFAULT 0,
    state       TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed', 'skipped')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    sent_at     INTEGER,
    UNIQUE (tip_id, kind, chat_id, ref)
);
CREATE INDEX tip_outbox_pending ON tip_outbox(state, id);

-- Explicit opt-in "tell me when police reply": the chat id sealed (aad = tip id), kept apart
-- from the tip, deleted when the tip closes.
CREATE TABLE tip_watchers (
    tip_id      INTEGER PRIMARY KEY REFERENCES tips(id) ON DELETE CASCADE,
    chat        BLOB NOT NULL,
    created_at  INTEGER NOT NULL
);

-- Abuse limits. The key of a day is random, kept sealed only for that day and then deleted, so
-- yesterday's counters (deleted too) cannot be linked to anyone even with the master key.
CREATE TABLE tip_rate_keys (
    day     TEXT PRIMARY KEY,
    key     BLOB NOT NULL
);
CREATE TABLE tip_rate (
    day     TEXT NOT NULL,
    who     BLOB NOT NULL,
    kind    TEXT NOT NULL,
    at      INTEGER NOT NULL
);
CREATE INDEX tip_rate_who ON tip_rate(who, kind, at);

-- Every police view and action (officer, time, tip, action). No tipster data.
CREATE TABLE tip_audit (
    id          INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    actor_id    INTEGER,
    tip_id      INTEGER,
    unit_id     INTEGER,
    action      TEXT NOT NULL,
    detail      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX tip_audit_tip ON tip_audit(tip_id, at);
