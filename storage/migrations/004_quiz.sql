-- Quizzes (issue 6): class contests with join codes, and quiz-poll rounds in groups.
-- Practice rounds keep nothing here (their state is the chat's sealed session).
-- Times are Unix seconds (REAL where sub-second answer times matter).

-- A contest made by a teacher. question_ids is the JSON list of bank ids drawn at creation;
-- each student sees them in their own shuffled order (quiz_entries.plan).
CREATE TABLE quiz_contests (
    id                      INTEGER PRIMARY KEY,
    code                    TEXT NOT NULL UNIQUE,
    owner_id                INTEGER NOT NULL,
    title                   TEXT NOT NULL,
    question_ids            TEXT NOT NULL,
    topics                  TEXT NOT NULL DEFAULT '',
    difficulty              TEXT NOT NULL DEFAULT '',
    seconds_per_question    INTEGER NOT NULL,
    speed_bonus             INTEGER NOT NULL DEFAULT 0,
    starts_at               INTEGER NOT NULL,
    ends_at                 INTEGER NOT NULL,
    locale                  TEXT NOT NULL DEFAULT 'vi',
    created_at              INTEGER NOT NULL,
    final_sent_at           INTEGER
);
CREATE INDEX quiz_contests_owner ON quiz_contests(owner_id, created_at);
CREATE INDEX quiz_contests_final ON quiz_contests(final_sent_at, ends_at);

-- One student in one contest: a display name only (never a real identity). The user row is
-- the minimal record /deleteme erases (cascade). plan = JSON [[question_id, [option order]]…];
-- position = the question being asked (or next), shown_at = when it was shown (NULL: not yet).
CREATE TABLE quiz_entries (
    id              INTEGER PRIMARY KEY,
    contest_id      INTEGER NOT NULL REFERENCES quiz_contests(id) ON DELETE CASCADE,
    user_id         INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    display_name    TEXT NOT NULL,
    name_locked     INTEGER NOT NULL DEFAULT 0,
    plan            TEXT NOT NULL,
    position        INTEGER NOT NULL DEFAULT 0,
    shown_at        REAL,
    score           INTEGER NOT NULL DEFAULT 0,
    correct         INTEGER NOT NULL DEFAULT 0,
    answered        INTEGER NOT NULL DEFAULT 0,
    seconds         REAL NOT NULL DEFAULT 0,
    joined_at       INTEGER NOT NULL,
    finished_at     INTEGER,
    UNIQUE (contest_id, user_id)
);
CREATE INDEX quiz_entries_user ON quiz_entries(user_id);
CREATE INDEX quiz_entries_rank ON quiz_entries(contest_id, score DESC, seconds);

-- One answer per (entry, position): the primary key is what makes a duplicate a no-op.
-- outcome: on_time | late (after seconds_per_question) | missed (never answered in time).
-- chosen = bank option indexes, comma separated ('' when nothing counted).
CREATE TABLE quiz_answers (
    entry_id        INTEGER NOT NULL REFERENCES quiz_entries(id) ON DELETE CASCADE,
    position        INTEGER NOT NULL,
    question_id     TEXT NOT NULL,
    chosen          TEXT NOT NULL,
    correct         INTEGER NOT NULL,
    points          INTEGER NOT NULL,
    elapsed         REAL NOT NULL,
    outcome         TEXT NOT NULL,
    answered_at     REAL NOT NULL,
    PRIMARY KEY (entry_id, position)
) WITHOUT ROWID;

-- A round of native quiz polls in a group chat. position = index of the poll now open
-- (-1 before the first); deadline = when the round moves on.
CREATE TABLE quiz_group_rounds (
    id              INTEGER PRIMARY KEY,
    chat_id         INTEGER NOT NULL,
    question_ids    TEXT NOT NULL,
    seconds         INTEGER NOT NULL,
    position        INTEGER NOT NULL DEFAULT -1,
    deadline        REAL NOT NULL,
    locale          TEXT NOT NULL DEFAULT 'vi',
    status          TEXT NOT NULL DEFAULT 'running'
                    CHECK (status IN ('running', 'finished', 'stopped')),
    created_at      INTEGER NOT NULL,
    finished_at     INTEGER
);
CREATE UNIQUE INDEX quiz_group_rounds_running ON quiz_group_rounds(chat_id)
    WHERE status = 'running';
CREATE INDEX quiz_group_rounds_due ON quiz_group_rounds(status, deadline);

CREATE TABLE quiz_group_polls (
    poll_id         TEXT PRIMARY KEY,
    round_id        INTEGER NOT NULL REFERENCES quiz_group_rounds(id) ON DELETE CASCADE,
    position        INTEGER NOT NULL,
    question_id     TEXT NOT NULL,
    option_order    TEXT NOT NULL,
    sent_at         REAL NOT NULL,
    closes_at       REAL NOT NULL,
    UNIQUE (round_id, position)
);

-- A group member's vote, with the name Telegram shows in that group (for the round's
-- leaderboard); deleted with the round a day later, or by /deleteme.
CREATE TABLE quiz_group_answers (
    poll_id         TEXT NOT NULL REFERENCES quiz_group_polls(poll_id) ON DELETE CASCADE,
    user_id         INTEGER NOT NULL,
    name            TEXT NOT NULL,
    correct         INTEGER NOT NULL,
    elapsed         REAL NOT NULL,
    PRIMARY KEY (poll_id, user_id)
) WITHOUT ROWID;
CREATE INDEX quiz_group_answers_user ON quiz_group_answers(user_id);
