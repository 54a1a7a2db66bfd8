-- The waiting list (booking.WaitStore). Same as
-- migrations/sqlite/0011_waitlist.sql.
CREATE TABLE waitlist_entries (
    id              text        PRIMARY KEY,
    practitioner_id text        NOT NULL,
    type_id         text        NOT NULL,
    name            text        NOT NULL,
    email           text        NOT NULL,
    phone           text        NOT NULL,
    email_key       text        NOT NULL,
    lang            text        NOT NULL,
    from_day        text        NOT NULL,
    until_day       text        NOT NULL,
    part            text        NOT NULL,
    weekdays        integer     NOT NULL,
    status          text        NOT NULL,
    token_hash      text        UNIQUE,
    created_at      timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    erased_at       timestamptz
);
CREATE INDEX waitlist_entries_live ON waitlist_entries (status, expires_at);
CREATE INDEX waitlist_entries_email ON waitlist_entries (email_key);

CREATE TABLE waitlist_messages (
    seq        bigserial   PRIMARY KEY,
    entry_id   text        NOT NULL REFERENCES waitlist_entries (id) ON DELETE CASCADE,
    kind       text        NOT NULL,
    slot_at    timestamptz NOT NULL,
    created_at timestamptz NOT NULL,
    due_at     timestamptz NOT NULL,
    attempts   integer     NOT NULL DEFAULT 0,
    sent_at    timestamptz,
    failed_at  timestamptz,
    UNIQUE (entry_id, kind, slot_at)
);
CREATE INDEX waitlist_messages_waiting ON waitlist_messages (seq) WHERE sent_at IS NULL AND failed_at IS NULL;
