-- Events, subscriptions and broadcasts (issue 7).

-- Explicit opt-in only: a row exists because the person pressed "Subscribe"; unsubscribing
-- deletes it. Area = a province and optionally one of its wards. topics is a bit mask
-- (1 events in my area, 2 weekly awareness fact, 4 quiz contests). active = 0 once the person
-- blocked the bot (403 or a my_chat_member "kicked"); they are skipped until they come back.
CREATE TABLE subscriptions (
    user_id         INTEGER PRIMARY KEY REFERENCES users(user_id) ON DELETE CASCADE,
    province_code   TEXT NOT NULL,
    ward_code       TEXT,
    topics          INTEGER NOT NULL DEFAULT 7,
    active          INTEGER NOT NULL DEFAULT 1,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX subscriptions_area ON subscriptions(active, province_code, ward_code);

-- Local events created by unit officers and admins. scope 'ward' uses ward_code (and its
-- province_code), 'province' uses province_code, 'national' neither. Times are UTC seconds.
CREATE TABLE events (
    id              INTEGER PRIMARY KEY,
    title           TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    place           TEXT NOT NULL DEFAULT '',
    starts_at       INTEGER NOT NULL,
    ends_at         INTEGER NOT NULL,
    scope           TEXT NOT NULL CHECK (scope IN ('ward', 'province', 'national')),
    province_code   TEXT,
    ward_code       TEXT,
    photo_file_id   TEXT,
    created_by      INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    cancelled_at    INTEGER
);
CREATE INDEX events_time ON events(starts_at);
CREATE INDEX events_area ON events(scope, province_code, ward_code);

-- Campaigns: content (JSON: texts per language, optional photo file id, URL buttons), target
-- (JSON: province, ward, topic bit, language), when. `key` makes automatic campaigns
-- idempotent (each is created once). status: scheduled -> running -> done | cancelled |
-- expired. Materialisation copies recipients into deliveries in batches; `cursor` is the last
-- user id copied, `materialised` = 1 once all are in.
CREATE TABLE campaigns (
    id              INTEGER PRIMARY KEY,
    key             TEXT UNIQUE,
    kind            TEXT NOT NULL DEFAULT 'manual',
    content         TEXT NOT NULL,
    target          TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'scheduled'
                    CHECK (status IN ('scheduled', 'running', 'done', 'cancelled', 'expired')),
    scheduled_at    INTEGER NOT NULL,
    expires_at      INTEGER,
    created_by      INTEGER,
    created_at      INTEGER NOT NULL,
    started_at      INTEGER,
    finished_at     INTEGER,
    cursor          INTEGER NOT NULL DEFAULT 0,
    materialised    INTEGER NOT NULL DEFAULT 0,
    progress_chat   INTEGER,
    progress_msg    INTEGER
);
CREATE INDEX campaigns_due ON campaigns(status, scheduled_at);

-- One row per recipient of a campaign. status: pending -> sent | failed | blocked | skipped.
-- A row is marked sent only after Telegram confirmed the message.
CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY,
    campaign_id     INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    user_id         INTEGER NOT NULL,
    locale          TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    message_id      INTEGER,
    done_at         INTEGER,
    UNIQUE (campaign_id, user_id)
);
CREATE INDEX deliveries_work ON deliveries(campaign_id, status, id);
CREATE INDEX deliveries_user ON deliveries(user_id);
