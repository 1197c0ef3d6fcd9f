-- Police side hardening (issue 11).

-- Refused police presses, one row per person and 10-minute window: the count limits how often a
-- stranger is answered (then a "too many" message, then silence) and the audit keeps one row per
-- window (audit_id, its detail carries the count) instead of one per forged press.
-- actor_id is whoever pressed a police button (police staff or a stranger), never a tipster's
-- identity taken from a tip.
CREATE TABLE tip_refusals (
    actor_id     INTEGER NOT NULL,
    window_start INTEGER NOT NULL,
    count        INTEGER NOT NULL,
    action       TEXT NOT NULL,
    audit_id     INTEGER NOT NULL,
    PRIMARY KEY (actor_id, window_start)
);

-- Why a failed outbox row failed: '' = the chat cannot be reached (re-routed), 'rejected' =
-- Telegram refused this message for good (a 400 after bounded retries; admins are told).
ALTER TABLE tip_outbox ADD COLUMN failure TEXT NOT NULL DEFAULT '';
