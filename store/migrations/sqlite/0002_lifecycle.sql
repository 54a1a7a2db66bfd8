-- The booking lifecycle: pending bookings found quickly for expiry, the
-- outbox of notifications recorded with the booking changes that cause
-- them, and the Idempotency-Keys of booking requests.

CREATE INDEX bookings_pending ON bookings (created_at) WHERE status = 'pending';

-- One row per notification to send. The booking's time and status are a
-- snapshot of when the notification was decided; the patient's contact is
-- read from the booking. sealed is the manage token of a new booking,
-- encrypted with the service's secret (the database can't open it), wiped
-- once the message is sent or given up.
CREATE TABLE outbox (
    id                TEXT    NOT NULL PRIMARY KEY,
    booking_id        TEXT    NOT NULL REFERENCES bookings (id) ON DELETE CASCADE,
    kind              TEXT    NOT NULL CHECK (kind <> ''),
    status            TEXT    NOT NULL,
    start_at          TEXT    NOT NULL,
    end_at            TEXT    NOT NULL,
    sequence          INTEGER NOT NULL DEFAULT 0,
    previous_start_at TEXT,
    previous_end_at   TEXT,
    sealed            BLOB,
    created_at        TEXT    NOT NULL,
    attempts          INTEGER NOT NULL DEFAULT 0,
    next_attempt_at   TEXT    NOT NULL,
    sent_at           TEXT,
    failed_at         TEXT,
    last_error        TEXT    NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;
CREATE INDEX outbox_booking ON outbox (booking_id);

-- key and request_hash are keyed hashes (HMAC) of the Idempotency-Key and
-- of the request; response is the first result, encrypted with a key
-- derived from the Idempotency-Key: the database alone reveals neither the
-- manage token nor the patient.
CREATE TABLE idempotency_keys (
    key          TEXT NOT NULL PRIMARY KEY,
    request_hash TEXT NOT NULL,
    booking_id   TEXT NOT NULL REFERENCES bookings (id) ON DELETE CASCADE,
    response     BLOB NOT NULL,
    created_at   TEXT NOT NULL
) STRICT;

CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
