// Package booking is the domain of rdv: practitioners, their open time and
// appointment types, the slot engine that turns open time and busy time into
// bookable slots, and the booking service that takes a slot at most once.
//
// The package is pure: it imports only the standard library and google/uuid, does
// no I/O of its own and reads no clock. What it needs from the outside world is
// declared here as small interfaces (Calendar, Store, Notifier, Locker) and
// implemented by the adapter packages caldav, store and notify.
//
// Open time comes from a Schedule: a weekly template, per-date overrides,
// closed periods, French public holidays (computed, Easter-based ones
// included, with the Alsace-Moselle days as an option) and open intervals
// from an availability calendar. Schedule.Open resolves it into intervals of
// time for a window, which the slot engine (Slots) cuts into slots.
//
// All arithmetic is done on instants (time.Time). Wall-clock rules (opening
// hours, closed days, holidays) are resolved per local day in the
// practitioner's time zone, so a day with a daylight-saving change has 23 or
// 25 hours and no slot is lost, doubled or shifted.
//
// The Service runs a booking's life: pending (its event TENTATIVE, holding
// the slot) → confirmed → cancelled, or pending → expired when not confirmed
// in time; moved to another slot in one conditional write; cancelled or
// moved online only before its type's cut-off; several bookings per slot for
// a type with a capacity. Each step runs under the practitioner's lock,
// checks the slot against fresh busy time, writes the calendar first and
// then records the ledger row with its notifications in one transaction
// (Store.Record), undoing the calendar write if that fails; a write intent
// recorded before the write lets any process settle what a crash between
// the two leaves. Since a lock can be lost
// while held, calendar writes are conditional and ledger updates are
// compare-and-set on the row's revision: a change whose row was changed
// meanwhile records nothing, and its calendar write is compensated. Notifications wait in the
// store's outbox until the Notifier takes them (Dispatch retries with a
// backoff), so none is lost when the mail server is down. A request with an
// Idempotency-Key is answered once and replayed after.
//
// The calendar is the practitioner's: what they delete, move or cancel there
// is what rdv sees. Reconcile, on start, and Sync, periodically, bring the
// ledger in line and tell the patients; Sync compares the calendar (through
// its validated cache) with the ledger without the lock and takes it only to
// apply a change, so that a pass that finds nothing changed costs little and
// writes nothing. A pass that would cancel too many bookings at once because
// their events are missing (a calendar emptied or replaced) is held instead
// (SyncHolds), and an event that is there but can't be read as rdv's is not
// taken for a deleted one (ErrForeignEvent).
//
// rdv deletes or rewrites a calendar object only when it can prove it wrote
// it: a write intent recorded in the Store before every calendar write
// (Intent), or the ledger row of the booking whose event it is. A write cut
// short is settled by what the patient was told (SettleIntents); a booking
// event the store has no record of is someone else's, left as it is and
// reported (UnknownEvents), and can be adopted back (Adopt). Every path that
// writes to a calendar, and its proof: docs/calendar-safety.md.
//
// The practitioner's side (admin.go) lists the bookings with the patients'
// contact, cancels one whatever the cut-off (PractitionerCancel), and closes
// days at runtime (AddClosure): such closures are kept in the Store and
// merged with the configured Schedule wherever open time is resolved, for
// the slots listed and for the check of a booking under the lock.
package booking
