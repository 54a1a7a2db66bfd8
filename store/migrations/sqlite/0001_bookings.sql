-- The booking ledger: one row per booking. The calendar event is the
-- practitioner's view of the booking; this row is rdv's.
--
-- Instants are TEXT in UTC, fixed width, with nanoseconds
-- (2026-12-01T08:00:00.000000000Z), so that comparing the strings compares
-- the instants. Patient fields are personal health-related data: keep them
-- to what the booking needs.
CREATE TABLE bookings (
    id              TEXT    NOT NULL PRIMARY KEY,
    practitioner_id TEXT    NOT NULL,
    type_id         TEXT    NOT NULL,
    start_at        TEXT    NOT NULL,
    end_at          TEXT    NOT NULL,
    status          TEXT    NOT NULL
        CHECK (status IN ('pending', 'confirmed', 'cancelled', 'expired')),
    patient_name    TEXT    NOT NULL,
    patient_email   TEXT    NOT NULL,
    patient_phone   TEXT    NOT NULL DEFAULT '',
    token_hash      TEXT,   -- hex SHA-256 of the manage token; NULL if none
    event_href      TEXT    NOT NULL DEFAULT '',
    event_etag      TEXT    NOT NULL DEFAULT '',
    sequence        INTEGER NOT NULL DEFAULT 0 CHECK (sequence >= 0),
    created_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL,
    CHECK (id <> '' AND practitioner_id <> '' AND type_id <> ''),
    CHECK (end_at > start_at)
) STRICT;

CREATE INDEX bookings_practitioner_start ON bookings (practitioner_id, start_at);

-- Unique, so that a manage token designates one booking only.
CREATE UNIQUE INDEX bookings_token_hash ON bookings (token_hash);
