-- The revision of a booking's row: 0 when it is created, one more with
-- each update. Every update is a compare-and-set on it (UPDATE … WHERE id
-- = ? AND revision = ?, setting revision + 1): a process updates a row
-- only as it read it, so that two processes whose per-practitioner lock
-- failed (a PostgreSQL session lost under one) can't both write a change.
ALTER TABLE bookings ADD COLUMN revision INTEGER NOT NULL DEFAULT 0 CHECK (revision >= 0);
