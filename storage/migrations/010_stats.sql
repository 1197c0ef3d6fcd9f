-- Statistics and filed reports (issue 17).

-- Figures by period: the report queries filter tips by area and creation time.
CREATE INDEX IF NOT EXISTS tips_province_created ON tips(province_code, created_at);
CREATE INDEX IF NOT EXISTS tips_unit_created ON tips(unit_id, created_at);
CREATE INDEX IF NOT EXISTS tips_created ON tips(created_at);

-- Closed tips are purged after the retention period (bot.tips.purge), but the yearly report
-- still has to count them. The trigger keeps only what the figures need: no code, no text,
-- no receipt, and the creation time floored to the hour (the tip kept it to the minute), so an
-- archived row cannot be matched to anyone's activity.
CREATE TABLE tip_facts (
    created_at      INTEGER NOT NULL,
    category        TEXT NOT NULL,
    ward_code       TEXT NOT NULL,
    province_code   TEXT NOT NULL,
    unit_id         INTEGER,
    status          TEXT NOT NULL,
    outcome         TEXT,
    ack_seconds     INTEGER,
    close_seconds   INTEGER,
    reminded        INTEGER NOT NULL,
    escalated       INTEGER NOT NULL
);
CREATE INDEX tip_facts_province ON tip_facts(province_code, created_at);
CREATE INDEX tip_facts_unit ON tip_facts(unit_id, created_at);

CREATE TRIGGER tips_keep_facts BEFORE DELETE ON tips
BEGIN
    INSERT INTO tip_facts(created_at, category, ward_code, province_code, unit_id, status,
                          outcome, ack_seconds, close_seconds, reminded, escalated)
    VALUES (OLD.created_at - OLD.created_at % 3600, OLD.category, OLD.ward_code,
            OLD.province_code, OLD.unit_id, OLD.status, OLD.outcome,
            OLD.acknowledged_at - OLD.routed_at, OLD.closed_at - OLD.created_at,
            OLD.reminded_at IS NOT NULL, OLD.escalated_at IS NOT NULL); END;

-- Contests are counted in a province's report when they belong to it; NULL = national only.
ALTER TABLE quiz_contests ADD COLUMN province_code TEXT;
CREATE INDEX quiz_contests_province ON quiz_contests(province_code, starts_at);
CREATE INDEX IF NOT EXISTS events_province_start ON events(province_code, starts_at);

-- Automatic reports (six-monthly, yearly, after the action month): one row per report and
-- recipient, created once (the key is unique) and sent by a job; `step` = parts already sent,
-- so a restart resumes a half-sent report instead of starting again. Recipients are police
-- administrators, never tipsters.
CREATE TABLE stats_reports (
    id              INTEGER PRIMARY KEY,
    key             TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL,
    scope           TEXT NOT NULL,
    period_start    TEXT NOT NULL,
    period_end      TEXT NOT NULL,
    recipient_id    INTEGER NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'sent', 'failed')),
    step            INTEGER NOT NULL DEFAULT 0,
    attempts        INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER
);
CREATE INDEX stats_reports_pending ON stats_reports(state, id);
