-- lang: the language of the patient's messages (booking.Booking.Lang),
-- "fr" or "en"; '' leaves it to the mailer's default, as for every row
-- older than this migration.
ALTER TABLE bookings ADD COLUMN lang TEXT NOT NULL DEFAULT '';
