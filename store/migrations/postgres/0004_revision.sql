-- The revision of a booking's row: 0 when it is created, one more with
-- each update. Every update is a compare-and-set on it (UPDATE … WHERE id
-- = $1 AND revision = $2, setting revision + 1): a process updates a row
-- only as it read it, so that two processes whose per-practitioner lock
-- failed (a session lost while it held its advisory lock) can't both write
-- a change. Same column as migrations/sqlite/0004_revision.sql.
ALTER TABLE bookings ADD COLUMN revision bigint NOT NULL DEFAULT 0 CHECK (revision >= 0);
