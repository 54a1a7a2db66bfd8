-- desk_sessions: the sessions of the practice's desk (the secretary's pages,
-- booking.DeskSessions). Same as migrations/sqlite/0012_desk_sessions.sql.
CREATE TABLE desk_sessions (
    id_hash      text        NOT NULL PRIMARY KEY,
    csrf         text        NOT NULL,
    user_name    text        NOT NULL,
    token_print  text        NOT NULL,
    created_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL
);
CREATE INDEX desk_sessions_expiry ON desk_sessions (expires_at);
