-- Retention (booking.Store.EraseExpired, EraseBookings): erased_at is when
-- the patient data of a booking was erased (name, email, phone and their
-- keys set to '', token_hash to NULL, its outbox messages and idempotency
-- records deleted); NULL while it is held. The row stays, anonymous, for
-- counts, and so that its calendar event is still known as rdv's.
ALTER TABLE bookings ADD COLUMN erased_at TEXT;
CREATE INDEX bookings_retention ON bookings (end_at) WHERE erased_at IS NULL;

-- The email keys that migration 0006 left with their +tag (rows older than
-- it) lose it, as booking.EmailKey does, so that a patient's address finds
-- every booking of theirs (booking.Store.PatientRecords).
UPDATE bookings
    SET email_key = substr(email_key, 1, instr(email_key, '+') - 1) || substr(email_key, instr(email_key, '@'))
    WHERE instr(email_key, '+') > 1 AND instr(email_key, '+') < instr(email_key, '@');
