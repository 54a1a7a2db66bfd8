package booking

import (
	"context"
	"time"
)

// Appointment is what the calendar and the notifier need to render a booking:
// the booking with its practitioner and appointment type.
type Appointment struct {
	Booking      *Booking
	Practitioner *Practitioner
	Type         *AppointmentType
}

// EventRef locates a booking's event in the bookings calendar.
type EventRef struct {
	Href string // path of the calendar object
	ETag string // entity tag returned by the server, "" if it gave none
}

// Calendar is the practitioner's calendar, as the booking service needs it.
// Implementations: caldav.Calendar.
type Calendar interface {
	// Busy returns the busy time of the practitioner's busy calendars that
	// overlaps [from, to): recurrences expanded, TRANSPARENT and CANCELLED events
	// left out. It returns an EUnavailable error when a calendar cannot be read.
	Busy(ctx context.Context, from, to time.Time) ([]Interval, error)
	// Create writes a new event for a.Booking, whose UID is the booking id, only
	// if no object exists at its place (If-None-Match: *). It returns an
	// EConflict error when one does, EUnavailable when the server can't be reached.
	Create(ctx context.Context, a Appointment) (EventRef, error)
	// Update rewrites the event of a.Booking at ref.Href if it still has
	// ref.ETag (If-Match). It returns EConflict when the event changed or
	// vanished, EUnavailable when the server can't be reached.
	Update(ctx context.Context, a Appointment, ref EventRef) (EventRef, error)
	// Delete removes the event at ref. A missing event is not an error.
	Delete(ctx context.Context, ref EventRef) error
}

// Store keeps the booking ledger. Implementations: store.SQLite.
type Store interface {
	// CreateBooking records a new booking. EConflict if its id exists.
	CreateBooking(ctx context.Context, b *Booking) error
	// UpdateBooking saves b's status, times, event reference, sequence and
	// UpdatedAt. ENotFound if there is no booking with b.ID.
	UpdateBooking(ctx context.Context, b *Booking) error
	// BookingByTokenHash returns the booking whose manage token has this hash,
	// or an ENotFound error.
	BookingByTokenHash(ctx context.Context, hash string) (*Booking, error)
	// Booking returns the booking with this id, or an ENotFound error.
	Booking(ctx context.Context, id string) (*Booking, error)
}

// Notification kinds.
const (
	NotifyCreated   = "created"   // a new booking: confirmation email with the invitation
	NotifyConfirmed = "confirmed" // the patient confirmed a pending booking
	NotifyCancelled = "cancelled" // the booking was cancelled
)

// Notification is a message to send to a patient about their booking.
type Notification struct {
	Kind        string
	Appointment Appointment
	// ManageToken is the patient's secret token, set only on NotifyCreated (the
	// only moment rdv knows it); the notifier builds the manage link from it.
	ManageToken string
}

// Notifier hands notifications to the patient. Implementations: notify.Mailer.
type Notifier interface {
	Notify(ctx context.Context, n Notification) error
}

// Locker serialises bookings per practitioner. Lock blocks until the lock on key
// is held or ctx is done, and returns the function that releases it.
type Locker interface {
	Lock(ctx context.Context, key string) (unlock func(), err error)
}
