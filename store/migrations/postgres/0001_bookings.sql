-- The booking ledger: one row per booking. The calendar event is the
-- practitioner's view of the booking; this row is rdv's. Same table as
-- migrations/sqlite/0001_bookings.sql, in PostgreSQL's types.
--
-- Instants are timestamptz, which holds microseconds; the nanoseconds below
-- the microsecond are kept in the *_ns column beside each, so that an instant
-- round-trips exactly: the instant is (x_at, x_ns). Patient fields are
-- personal health-related data: keep them to what the booking needs.
CREATE TABLE bookings (
    id              text        NOT NULL PRIMARY KEY,
    practitioner_id text        NOT NULL,
    type_id         text        NOT NULL,
    start_at        timestamptz NOT NULL,
    start_ns        smallint    NOT NULL DEFAULT 0,
    end_at          timestamptz NOT NULL,
    end_ns          smallint    NOT NULL DEFAULT 0,
    status          text        NOT NULL
        CHECK (status IN ('pending', 'confirmed', 'cancelled', 'expired')),
    patient_name    text        NOT NULL,
    patient_email   text        NOT NULL,
    patient_phone   text        NOT NULL DEFAULT '',
    token_hash      text,       -- hex SHA-256 of the manage token; NULL if none
    event_href      text        NOT NULL DEFAULT '',
    event_etag      text        NOT NULL DEFAULT '',
    sequence        bigint      NOT NULL DEFAULT 0 CHECK (sequence >= 0),
    created_at      timestamptz NOT NULL,
    created_ns      smallint    NOT NULL DEFAULT 0,
    updated_at      timestamptz NOT NULL,
    updated_ns      smallint    NOT NULL DEFAULT 0,
    CHECK (id <> '' AND practitioner_id <> '' AND type_id <> ''),
    CHECK (start_ns BETWEEN 0 AND 999 AND end_ns BETWEEN 0 AND 999
        AND created_ns BETWEEN 0 AND 999 AND updated_ns BETWEEN 0 AND 999),
    CHECK ((end_at, end_ns) > (start_at, start_ns))
);

CREATE INDEX bookings_practitioner_start ON bookings (practitioner_id, start_at, start_ns);

-- Unique, so that a manage token designates one booking only.
CREATE UNIQUE INDEX bookings_token_hash ON bookings (token_hash);
