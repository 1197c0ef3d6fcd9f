-- Statistics gaps of issue 17: practice rounds, and the reach of purged campaigns.

-- One anonymous row per finished practice round: no user, no chat, no area, no time of day
-- (the local day only), so a row cannot be matched to anyone. Practice is counted nationally.
CREATE TABLE quiz_practice_rounds (
    day             INTEGER NOT NULL,  -- local midnight (Asia/Ho_Chi_Minh), Unix seconds
    topic           TEXT NOT NULL,     -- the round's topic, 'mix' for mixed rounds
    questions       INTEGER NOT NULL,
    correct         INTEGER NOT NULL
);
CREATE INDEX quiz_practice_rounds_day ON quiz_practice_rounds(day);

-- A finished campaign's deliveries are purged after 30 days (they name the recipients); its
-- reach is kept here first so later reports still count it. NULL: deliveries not purged yet.
ALTER TABLE campaigns ADD COLUMN sent_total INTEGER;
ALTER TABLE campaigns ADD COLUMN failed_total INTEGER;
ALTER TABLE campaigns ADD COLUMN blocked_total INTEGER;
