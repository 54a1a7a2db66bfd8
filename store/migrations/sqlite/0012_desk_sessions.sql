-- desk_sessions: the sessions of the practice's desk (the secretary's pages,
-- booking.DeskSessions). id_hash is the SHA-256 of the session id, in hex:
-- the id itself is only in the browser's cookie. token_print is a
-- fingerprint of the admin token, or of the desk user's password hash,
-- the session was opened with. No patient
-- data.
CREATE TABLE desk_sessions (
    id_hash      TEXT NOT NULL PRIMARY KEY,
    csrf         TEXT NOT NULL,
    user_name    TEXT NOT NULL, -- the desk user, '' for the admin token
    token_print  TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at   TEXT NOT NULL
) STRICT;
CREATE INDEX desk_sessions_expiry ON desk_sessions (expires_at);
