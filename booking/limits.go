package booking

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Limits bound what one patient, and the public as a whole, may take of a
// practitioner's agenda and of the practice's mail. They are checked
// against the store under the practitioner's lock, so they hold across
// replicas sharing a store. A field left 0 takes its default; a negative
// one turns that limit off. See docs/limits.md.
type Limits struct {
	// ActivePerContact is how many active bookings (pending or confirmed,
	// not yet over) one email address, or one phone number, may hold with
	// one practitioner. DefaultActivePerContact if 0.
	ActivePerContact int
	// PendingPerEmail is how many of them may wait for confirmation at once:
	// a booking of a type that needs confirmation is refused past it.
	// DefaultPendingPerEmail if 0.
	PendingPerEmail int
	// MovesPerBooking is how many times a patient may move one booking.
	// The practitioner's own moves are not counted. DefaultMovesPerBooking
	// if 0.
	MovesPerBooking int
	// MessagesPerHour is how many emails one address may have been sent in
	// the last hour before a booking or a move for it is refused, so that
	// no one can make the practice mail a stranger over and over. It is
	// checked under the lock of the booking's practitioner: requests for one
	// address with two practitioners at the same instant may both pass.
	// DefaultMessagesPerHour if 0.
	MessagesPerHour int
	// NewPerMinute is how many new bookings a practitioner takes per minute,
	// all patients together (those still active: one cancelled at once
	// does not count): a ceiling that stops a crowd of addresses from
	// emptying an agenda in seconds. DefaultNewPerMinute if 0.
	NewPerMinute int
}

// Default limits.
const (
	DefaultActivePerContact = 2
	DefaultPendingPerEmail  = 1
	DefaultMovesPerBooking  = 3
	DefaultMessagesPerHour  = 10
	DefaultNewPerMinute     = 30
)

// NoLimits returns Limits with every limit turned off, for a service that
// only trusted callers reach (a practice's own desk, a load test).
func NoLimits() Limits {
	return Limits{ActivePerContact: -1, PendingPerEmail: -1, MovesPerBooking: -1, MessagesPerHour: -1, NewPerMinute: -1}
}

// The limits an ELimit error may name (Error.Limit). The api package also
// uses LimitRate for its per-client rate limits.
const (
	LimitActive   = "active_bookings"   // Limits.ActivePerContact
	LimitPending  = "pending_bookings"  // Limits.PendingPerEmail
	LimitMoves    = "moves"             // Limits.MovesPerBooking
	LimitMessages = "messages_per_hour" // Limits.MessagesPerHour
	LimitNew      = "new_per_minute"    // Limits.NewPerMinute
	LimitRate     = "rate"              // too many requests from one client
)

// withDefaults returns l with its zero fields set to the defaults.
func (l Limits) withDefaults() Limits {
	set := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	set(&l.ActivePerContact, DefaultActivePerContact)
	set(&l.PendingPerEmail, DefaultPendingPerEmail)
	set(&l.MovesPerBooking, DefaultMovesPerBooking)
	set(&l.MessagesPerHour, DefaultMessagesPerHour)
	set(&l.NewPerMinute, DefaultNewPerMinute)
	return l
}

// EmailKey is the form of an email address under which Limits counts it:
// lower case, without a "+tag" in the local part, so that name+1@example.org
// and Name+2@example.org are one patient.
func EmailKey(email string) string {
	local, domain, ok := strings.Cut(strings.ToLower(email), "@")
	if !ok {
		return strings.ToLower(email)
	}
	if i := strings.IndexByte(local, '+'); i > 0 {
		local = local[:i]
	}
	return local + "@" + domain
}

// PhoneKey is the form of a phone number under which Limits counts it: its
// last nine digits, so that "+33 6 12 34 56 78" and "06.12.34.56.78" are one
// number; "" for a number without digits.
func PhoneKey(phone string) string {
	var d []byte
	for i := 0; i < len(phone); i++ {
		if c := phone[i]; c >= '0' && c <= '9' {
			d = append(d, c)
		}
	}
	if len(d) > 9 {
		d = d[len(d)-9:]
	}
	return string(d)
}

// limitError returns the ELimit error about limit, with msg and, when the
// practice has a contact, how to reach it.
func limitError(p *Practitioner, limit string, retry time.Duration, msg string) *Error {
	if p.Contact != "" {
		msg += "; to book by phone, call the practice: " + p.Contact
	}
	return &Error{Code: ELimit, Message: msg, Limit: limit, RetryAfter: retry}
}

// Activity is what the store counts for the limits of a new booking (see
// Store.PatientActivity).
type Activity struct {
	ActiveByEmail  int // the patient's active bookings with the practitioner, by email address
	ActiveByPhone  int // the same, by phone number
	PendingByEmail int // of those by email, the pending ones
	New            int // the practitioner's bookings created in the last minute, still active
}

// checkNewBooking checks the limits a new booking for patient must stay
// within: the patient's active and pending bookings with the
// practitioner, the practitioner's new bookings in the last minute and the
// emails sent to the patient's address in the last hour. The caller holds
// the practitioner's lock for an exact answer; without it the answer is a
// good guess, which is how Book refuses early.
func (s *Service) checkNewBooking(ctx context.Context, e *entry, t *AppointmentType, patient Patient) error {
	l := s.limits
	if l.ActivePerContact > 0 || l.PendingPerEmail > 0 || l.NewPerMinute > 0 {
		now := s.now()
		a, err := s.store.PatientActivity(ctx, e.p.ID, EmailKey(patient.Email), PhoneKey(patient.Phone), now, now.Add(-time.Minute))
		if err != nil {
			return err
		}
		switch {
		case l.NewPerMinute > 0 && a.New >= l.NewPerMinute:
			return limitError(&e.p, LimitNew, time.Minute, "many patients are booking with this practice right now: try again in a minute")
		case l.ActivePerContact > 0 && (a.ActiveByEmail >= l.ActivePerContact || a.ActiveByPhone >= l.ActivePerContact):
			return limitError(&e.p, LimitActive, 0, plural(l.ActivePerContact, "you already have %d upcoming appointment with this practice", "you already have %d upcoming appointments with this practice")+": to book another one, cancel one from the link in its email")
		case l.PendingPerEmail > 0 && a.PendingByEmail >= l.PendingPerEmail && t.RequireConfirmation:
			return limitError(&e.p, LimitPending, 0, "you already have an appointment waiting for confirmation: confirm it from the email we sent, then book again")
		}
	}
	return s.checkMessages(ctx, e, patient.Email)
}

// checkMessages checks Limits.MessagesPerHour for a change that will email
// the address email.
func (s *Service) checkMessages(ctx context.Context, e *entry, email string) error {
	if s.limits.MessagesPerHour <= 0 {
		return nil
	}
	n, err := s.store.MessagesTo(ctx, email, s.now().Add(-time.Hour))
	if err != nil {
		return err
	}
	if n >= s.limits.MessagesPerHour {
		return limitError(&e.p, LimitMessages, time.Hour, "too many emails were sent to this address in the last hour: try again later")
	}
	return nil
}

// checkMove checks Limits.MovesPerBooking and Limits.MessagesPerHour for a
// move of b asked by its patient.
func (s *Service) checkMove(ctx context.Context, e *entry, b *Booking) error {
	if m := s.limits.MovesPerBooking; m > 0 && b.Moves >= m {
		return limitError(&e.p, LimitMoves, 0, plural(m, "this appointment was already moved %d time, the most allowed online", "this appointment was already moved %d times, the most allowed online"))
	}
	return s.checkMessages(ctx, e, b.Patient.Email)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf(one, n)
	}
	return fmt.Sprintf(many, n)
}
