-- Police units: the police of one commune/ward (kind 'ward', keyed by the official 5-digit
-- ward code) or a province-level drug police unit (kind 'province', 2-digit province code).
-- Rows are created lazily, by an invite or a CSV import. name NULL = derived from the
-- official name; hotline NULL = from configuration (if any).
CREATE TABLE police_units (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('ward', 'province')),
    code            TEXT NOT NULL,
    province_code   TEXT NOT NULL,
    name            TEXT,
    hotline         TEXT,
    group_chat_id   INTEGER UNIQUE,
    created_at      INTEGER NOT NULL,
    UNIQUE (kind, code)
);
CREATE INDEX police_units_province ON police_units(province_code, kind);

-- Officers enrolled in a unit (police staff, not tipsters).
CREATE TABLE unit_officers (
    unit_id     INTEGER NOT NULL REFERENCES police_units(id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL,
    enrolled_at INTEGER NOT NULL,
    PRIMARY KEY (unit_id, user_id)
);
CREATE INDEX unit_officers_user ON unit_officers(user_id);

-- Province admins (national admins come from configuration).
CREATE TABLE province_admins (
    province_code   TEXT NOT NULL,
    user_id         INTEGER NOT NULL,
    added_by        INTEGER,
    added_at        INTEGER NOT NULL,
    PRIMARY KEY (province_code, user_id)
);
CREATE INDEX province_admins_user ON province_admins(user_id);

-- One-time invite codes, stored only as a keyed hash. A code is used once, expires, or is
-- revoked when the unit's codes are re-issued.
CREATE TABLE unit_invites (
    code_hash   BLOB PRIMARY KEY,
    unit_id     INTEGER NOT NULL REFERENCES police_units(id) ON DELETE CASCADE,
    purpose     TEXT NOT NULL CHECK (purpose IN ('group', 'officer')),
    created_by  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER,
    revoked_at  INTEGER
);
CREATE INDEX unit_invites_unit ON unit_invites(unit_id);

-- Wrong invite codes, for the guessing limit: the key is a keyed pseudonym of the user id.
CREATE TABLE unit_invite_failures (
    key     BLOB NOT NULL,
    at      INTEGER NOT NULL
);
CREATE INDEX unit_invite_failures_key ON unit_invite_failures(key, at);

-- Who changed what about units and roles (actors are admins and officers, never tipsters).
CREATE TABLE unit_audit (
    id          INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    actor_id    INTEGER,
    unit_id     INTEGER,
    action      TEXT NOT NULL,
    detail      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX unit_audit_unit ON unit_audit(unit_id, at);
