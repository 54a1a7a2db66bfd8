-- Delivery in order, and messages that no longer apply. recipient: who a
-- message is for ('' the patient, 'practice', 'webhook'); the messages of
-- one booking to one recipient leave in the order of n. dropped_at: when a
-- message was dropped, superseded by a newer one of its booking or by a
-- change (a reminder of a cancelled visit); it is then never sent. about:
-- for a message that tells of another given up ('undelivered'), that one's
-- kind. Same as
-- migrations/sqlite/0007_delivery.sql, but for n (SQLite has its rowid).
ALTER TABLE outbox ADD COLUMN recipient text NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN about text NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN dropped_at timestamptz;
ALTER TABLE outbox ADD COLUMN n bigserial;
-- bigserial numbered the rows already there in their physical order, which
-- updates shuffle: number them again in the order they were recorded.
UPDATE outbox SET n = o.rn FROM (SELECT id, row_number() OVER (ORDER BY created_at, id) AS rn FROM outbox) o
    WHERE outbox.id = o.id;
SELECT setval(pg_get_serial_sequence('outbox', 'n'), coalesce((SELECT max(n) FROM outbox), 0) + 1, false);
DROP INDEX outbox_due;
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL AND dropped_at IS NULL;
CREATE INDEX outbox_failed ON outbox (failed_at) WHERE failed_at IS NOT NULL;
CREATE INDEX outbox_booking_n ON outbox (booking_id, n);
