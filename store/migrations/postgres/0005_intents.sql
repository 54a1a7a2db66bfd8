-- Write intents, as migrations/sqlite/0005_intents.sql: what rdv is about
-- to write to a calendar, recorded before the write and deleted by the
-- transaction that records the change after it. Instants as in bookings
-- (timestamptz and the nanoseconds below the microsecond); start_at and
-- end_at are NULL for a removal.
CREATE TABLE write_intents (
    id              text        NOT NULL PRIMARY KEY,
    booking_id      text        NOT NULL,
    practitioner_id text        NOT NULL,
    op              text        NOT NULL CHECK (op IN ('create', 'update', 'delete')),
    href            text        NOT NULL,
    revision        bigint      NOT NULL CHECK (revision >= 0),
    start_at        timestamptz,
    start_ns        smallint    NOT NULL DEFAULT 0,
    end_at          timestamptz,
    end_ns          smallint    NOT NULL DEFAULT 0,
    status          text        NOT NULL DEFAULT '',
    sequence        bigint      NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL,
    created_ns      smallint    NOT NULL DEFAULT 0,
    process         text        NOT NULL DEFAULT '',
    CHECK (id <> '' AND booking_id <> '' AND practitioner_id <> '')
);

CREATE INDEX write_intents_practitioner ON write_intents (practitioner_id, created_at);
CREATE INDEX write_intents_created ON write_intents (created_at);
