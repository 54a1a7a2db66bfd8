-- Delivery in order, and messages that no longer apply. recipient: who a
-- message is for ('' the patient, 'practice', 'webhook'); the messages of
-- one booking to one recipient leave in the order of their rowid.
-- dropped_at: when a message was dropped, superseded by a newer one of its
-- booking or by a change (a reminder of a cancelled visit); it is then
-- never sent. about: for a message that tells of another given up
-- ('undelivered'), that one's kind.
ALTER TABLE outbox ADD COLUMN recipient TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN about TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN dropped_at TEXT;
DROP INDEX outbox_due;
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL AND dropped_at IS NULL;
CREATE INDEX outbox_failed ON outbox (failed_at) WHERE failed_at IS NOT NULL;
