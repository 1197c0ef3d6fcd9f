-- Zalo Bot Platform updates (issue 14). getUpdates consumes an update once it is returned and a
-- webhook delivery is answered at once, so each update is stored here (sealed: it names the
-- sender's Zalo id and holds the text) before it is handled; at start the rows left are handled
-- again. `key` is a keyed pseudonym of event name + message id: a second delivery of the same
-- message is recognised and ignored. Once handled, the body is erased and only the key stays,
-- for two days, to recognise late duplicates.
CREATE TABLE zalo_inbox (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    key         BLOB NOT NULL UNIQUE,
    body        BLOB,
    received_at INTEGER NOT NULL
);
