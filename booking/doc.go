// Package booking is the domain of rdv, pure: practitioners, their open
// time and appointment types, the slot engine, and the booking service that
// takes a slot at most once and keeps ledger and calendar in agreement. It
// imports only the standard library, google/uuid and x/text's Unicode
// normalisation (NFC of the patient's fields); what it needs from the
// outside is declared as ports (Calendar, Store, Notifier, Locker) in
// ports.go, with one error model (errors.go) and one interval algebra
// (intervals.go).
//
// The protocol of a booking, the sync with the practitioner's calendar and
// the write intents: docs/booking.md and docs/calendar-safety.md.
package booking
