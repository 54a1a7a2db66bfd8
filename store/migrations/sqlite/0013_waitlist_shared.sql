-- waitlist_entries.shared_id: the shared type (booking.SharedType) an entry
-- waits for, '' for a practitioner's type (practitioner_id, type_id). A
-- shared entry has practitioner_id '' and the shared type's type_id.
-- Same as migrations/postgres/0013_waitlist_shared.sql.
ALTER TABLE waitlist_entries ADD COLUMN shared_id TEXT NOT NULL DEFAULT '';
