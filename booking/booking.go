package booking

import "time"

// Status is the state of a booking.
type Status string

// The states of a booking: pending → confirmed → cancelled, or pending → expired.
const (
	StatusPending   Status = "pending"
	StatusConfirmed Status = "confirmed"
	StatusCancelled Status = "cancelled"
	StatusExpired   Status = "expired"
)

// Active reports whether a booking in state s holds its slot.
func (s Status) Active() bool { return s == StatusPending || s == StatusConfirmed }

// Patient is the person who books. These fields are personal health-related data:
// they must never appear in logs, metrics or error messages.
type Patient struct {
	Name  string
	Email string
	Phone string // optional
}

// Booking is one appointment taken by a patient.
type Booking struct {
	ID             string // UUID; also the UID of the calendar event
	PractitionerID string
	TypeID         string
	Start, End     time.Time
	Status         Status
	Patient        Patient
	TokenHash      string // SHA-256 of the manage token, hex; the token itself is never stored
	EventHref      string // path of the event in the bookings calendar
	EventETag      string // its ETag after rdv's last write
	Sequence       int    // iCalendar SEQUENCE of the event
	CreatedAt      time.Time
	UpdatedAt      time.Time
	// Lang is the language of the patient's messages, "fr" or "en"; ""
	// means the notifier's default (see Languages).
	Lang string
	// Moves counts the times the patient moved the booking (Reschedule);
	// ServiceConfig.Limits.MovesPerBooking bounds it. The practitioner's
	// own moves do not count.
	Moves int
	// Revision is the version of the booking's ledger row: 0 when it is
	// created, one more with each update the store records. An update is
	// recorded only if the row still has the Revision it was read with
	// (see Change).
	Revision int64
}

// Interval returns the span of the visit.
func (b *Booking) Interval() Interval { return Interval{b.Start, b.End} }

// Languages are the languages a patient's messages may be written in
// (Booking.Lang).
var Languages = []string{"fr", "en"}

// ValidLang reports whether lang is one of Languages, or "" (the notifier's
// default).
func ValidLang(lang string) bool {
	if lang == "" {
		return true
	}
	for _, l := range Languages {
		if l == lang {
			return true
		}
	}
	return false
}
