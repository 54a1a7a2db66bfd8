-- moves counts the times the patient moved the booking (Service.Reschedule),
-- which ServiceConfig.Limits.MovesPerBooking bounds. email_key is the
-- patient's address as the limits compare it (booking.EmailKey: lower case,
-- no +tag), indexed for MessagesTo, the count of emails sent to one
-- address, which Limits.MessagesPerHour bounds. Rows older than this
-- migration get their address in lower case, +tag kept. Same as
-- migrations/sqlite/0006_limits.sql.
ALTER TABLE bookings ADD COLUMN moves integer NOT NULL DEFAULT 0 CHECK (moves >= 0);
ALTER TABLE bookings ADD COLUMN email_key text NOT NULL DEFAULT '';
UPDATE bookings SET email_key = lower(patient_email);
CREATE INDEX bookings_email_key ON bookings (email_key);
