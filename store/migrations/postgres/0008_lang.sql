-- lang: the language of the patient's messages (booking.Booking.Lang),
-- "fr" or "en"; '' leaves it to the mailer's default, as for every row
-- older than this migration. Same as migrations/sqlite/0008_lang.sql.
ALTER TABLE bookings ADD COLUMN lang text NOT NULL DEFAULT '';
