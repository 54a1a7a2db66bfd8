-- moves counts the times the patient moved the booking (Service.Reschedule),
-- which ServiceConfig.Limits.MovesPerBooking bounds. The index on the
-- patient's address serves MessagesTo, the count of emails sent to one
-- address, which Limits.MessagesPerHour bounds.
ALTER TABLE bookings ADD COLUMN moves INTEGER NOT NULL DEFAULT 0 CHECK (moves >= 0);
CREATE INDEX bookings_email ON bookings (lower(patient_email));
