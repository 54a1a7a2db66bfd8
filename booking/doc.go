// Package booking is the domain of rdv: practitioners, their opening hours and
// appointment types, the slot engine that turns opening hours and busy time into
// bookable slots, and the booking service that takes a slot at most once.
//
// The package is pure: it imports only the standard library and google/uuid, does
// no I/O of its own and reads no clock. What it needs from the outside world is
// declared here as small interfaces (Calendar, Store, Notifier, Locker) and
// implemented by the adapter packages caldav, store and notify.
//
// All arithmetic is done on instants (time.Time). Wall-clock rules (opening
// hours) are resolved per local day in the practitioner's time zone, so a day
// with a daylight-saving change has 23 or 25 hours and no slot is lost, doubled
// or shifted.
package booking
