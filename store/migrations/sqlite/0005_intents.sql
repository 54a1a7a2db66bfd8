-- Write intents: before rdv writes to a calendar (a new event, an event
-- rewritten or removed), it records here what it is about to write, in a
-- transaction of its own; the transaction that records the booking change
-- after the write deletes the intent. An intent that stays marks a write
-- cut short between the calendar and the ledger: it is rdv's proof that
-- the object is its own to remove or put back (booking.Intent,
-- docs/calendar-safety.md). No foreign key to bookings: the intent of a
-- new booking comes before its row. start_at/end_at/status/sequence are
-- the event as the write leaves it ('' for a removal), instants as in
-- bookings.
CREATE TABLE write_intents (
    id              TEXT    NOT NULL PRIMARY KEY,
    booking_id      TEXT    NOT NULL,
    practitioner_id TEXT    NOT NULL,
    op              TEXT    NOT NULL CHECK (op IN ('create', 'update', 'delete')),
    href            TEXT    NOT NULL,
    revision        INTEGER NOT NULL CHECK (revision >= 0),
    start_at        TEXT    NOT NULL DEFAULT '',
    end_at          TEXT    NOT NULL DEFAULT '',
    status          TEXT    NOT NULL DEFAULT '',
    sequence        INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT    NOT NULL,
    process         TEXT    NOT NULL DEFAULT '',
    CHECK (id <> '' AND booking_id <> '' AND practitioner_id <> '')
) STRICT;

CREATE INDEX write_intents_practitioner ON write_intents (practitioner_id, created_at);
CREATE INDEX write_intents_created ON write_intents (created_at);
