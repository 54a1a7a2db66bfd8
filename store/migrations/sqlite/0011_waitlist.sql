-- The waiting list (booking.WaitStore): its entries, and the emails they are
-- sent (the confirmation, the alerts of free slots), recorded before they
-- leave and sent in the order of seq. An alert is recorded once per entry
-- and slot (the unique key), whatever the replicas. Erasing an entry
-- (retention) sets name, email, phone and email_key to '', token_hash to
-- NULL and erased_at, and deletes its messages.
CREATE TABLE waitlist_entries (
    id              TEXT    PRIMARY KEY,
    practitioner_id TEXT    NOT NULL,
    type_id         TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    email           TEXT    NOT NULL,
    phone           TEXT    NOT NULL,
    email_key       TEXT    NOT NULL,
    lang            TEXT    NOT NULL,
    from_day        TEXT    NOT NULL, -- YYYY-MM-DD, the practitioner's local date
    until_day       TEXT    NOT NULL, -- included
    part            TEXT    NOT NULL, -- any, morning, afternoon
    weekdays        INTEGER NOT NULL, -- bit d for time.Weekday d; 0 is every day
    status          TEXT    NOT NULL, -- pending, active, booked, left
    token_hash      TEXT    UNIQUE,
    created_at      TEXT    NOT NULL,
    expires_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL,
    erased_at       TEXT
) STRICT;
CREATE INDEX waitlist_entries_live ON waitlist_entries (status, expires_at);
CREATE INDEX waitlist_entries_email ON waitlist_entries (email_key);

CREATE TABLE waitlist_messages (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    entry_id   TEXT    NOT NULL REFERENCES waitlist_entries (id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL,
    slot_at    TEXT    NOT NULL, -- the free slot's start; year 1 for a confirmation
    created_at TEXT    NOT NULL,
    due_at     TEXT    NOT NULL, -- claimable once due_at is past (the lease of a claim)
    attempts   INTEGER NOT NULL DEFAULT 0,
    sent_at    TEXT,
    failed_at  TEXT,
    UNIQUE (entry_id, kind, slot_at)
) STRICT;
CREATE INDEX waitlist_messages_waiting ON waitlist_messages (seq) WHERE sent_at IS NULL AND failed_at IS NULL;
