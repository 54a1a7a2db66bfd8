-- What the limits of booking.Limits count. moves: the times the patient
-- moved the booking (Service.Reschedule, Limits.MovesPerBooking).
-- email_key and phone_key: the patient's address and phone as the limits
-- compare them (booking.EmailKey: lower case, no +tag; booking.PhoneKey:
-- the last nine digits), for PatientActivity (active and pending bookings
-- per contact) and MessagesTo (emails per address per hour). Rows older
-- than this migration get their address in lower case, +tag kept.
ALTER TABLE bookings ADD COLUMN moves INTEGER NOT NULL DEFAULT 0 CHECK (moves >= 0);
ALTER TABLE bookings ADD COLUMN email_key TEXT NOT NULL DEFAULT '';
ALTER TABLE bookings ADD COLUMN phone_key TEXT NOT NULL DEFAULT '';
UPDATE bookings SET email_key = lower(patient_email),
    phone_key = substr(replace(replace(replace(replace(replace(replace(
        patient_phone, ' ', ''), '.', ''), '-', ''), '(', ''), ')', ''), '+', ''), -9);
CREATE INDEX bookings_email_key ON bookings (email_key);
CREATE INDEX bookings_practitioner_phone_key ON bookings (practitioner_id, phone_key) WHERE phone_key <> '';
CREATE INDEX bookings_practitioner_created ON bookings (practitioner_id, created_at);
