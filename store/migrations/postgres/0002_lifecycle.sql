-- The booking lifecycle (as migrations/sqlite/0002_lifecycle.sql): pending
-- bookings found quickly for expiry, the outbox of notifications recorded
-- with the booking changes that cause them, and the Idempotency-Keys of
-- booking requests. The outbox and the keys keep microseconds: their times
-- are only compared and shown, never used to find a booking.

CREATE INDEX bookings_pending ON bookings (created_at, created_ns) WHERE status = 'pending';

CREATE TABLE outbox (
    id                text        NOT NULL PRIMARY KEY,
    booking_id        text        NOT NULL REFERENCES bookings (id) ON DELETE CASCADE,
    kind              text        NOT NULL CHECK (kind <> ''),
    status            text        NOT NULL,
    start_at          timestamptz NOT NULL,
    end_at            timestamptz NOT NULL,
    sequence          bigint      NOT NULL DEFAULT 0,
    previous_start_at timestamptz,
    previous_end_at   timestamptz,
    sealed            bytea,
    created_at        timestamptz NOT NULL,
    attempts          integer     NOT NULL DEFAULT 0,
    next_attempt_at   timestamptz NOT NULL,
    sent_at           timestamptz,
    failed_at         timestamptz,
    last_error        text        NOT NULL DEFAULT ''
);

CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;
CREATE INDEX outbox_booking ON outbox (booking_id);

CREATE TABLE idempotency_keys (
    key          text        NOT NULL PRIMARY KEY,
    request_hash text        NOT NULL,
    booking_id   text        NOT NULL REFERENCES bookings (id) ON DELETE CASCADE,
    response     bytea       NOT NULL,
    created_at   timestamptz NOT NULL
);

CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
