package booking

import (
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

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

// Limits on patient fields.
const (
	MaxNameLen  = 200
	MaxEmailLen = 254
	MaxPhoneLen = 32
)

// Validate normalises the patient's fields (trimming spaces) and checks them. An
// error is an EInvalid *Error whose Field and Reason say which field is wrong
// and how (see ErrorField); its message names the field, never its value.
func (p *Patient) Validate(phoneRequired bool) error {
	p.Name = strings.TrimSpace(p.Name)
	p.Email = strings.TrimSpace(p.Email)
	p.Phone = strings.TrimSpace(p.Phone)
	switch {
	case p.Name == "":
		return FieldError(FieldName, ReasonRequired, "patient name is required")
	case !utf8.ValidString(p.Name) || utf8.RuneCountInString(p.Name) > MaxNameLen:
		return FieldError(FieldName, ReasonInvalid, "patient name must be valid text of at most %d characters", MaxNameLen)
	case hasControl(p.Name):
		return FieldError(FieldName, ReasonInvalid, "patient name must not contain line breaks or control characters")
	}
	if err := validateEmail(p.Email); err != nil {
		return err
	}
	if p.Phone == "" {
		if phoneRequired {
			return FieldError(FieldPhone, ReasonRequired, "patient phone is required")
		}
		return nil
	}
	if len(p.Phone) > MaxPhoneLen {
		return FieldError(FieldPhone, ReasonInvalid, "patient phone must have at most %d characters", MaxPhoneLen)
	}
	digits := 0
	for i, r := range p.Phone {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '+' && i == 0:
		case r == ' ' || r == '.' || r == '-' || r == '(' || r == ')':
		default:
			return FieldError(FieldPhone, ReasonInvalid, "patient phone may hold only digits, spaces, a leading + and . - ( )")
		}
	}
	if digits < 6 {
		return FieldError(FieldPhone, ReasonInvalid, "patient phone must have at least 6 digits")
	}
	return nil
}

func validateEmail(s string) error {
	if s == "" {
		return FieldError(FieldEmail, ReasonRequired, "patient email is required")
	}
	if len(s) > MaxEmailLen || hasControl(s) {
		return FieldError(FieldEmail, ReasonInvalid, "patient email is not a valid address")
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return FieldError(FieldEmail, ReasonInvalid, "patient email is not a valid address (want name@domain)")
	}
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || domain == "" || strings.ContainsAny(domain, "@ ") || !strings.Contains(domain, ".") && domain != "localhost" {
		return FieldError(FieldEmail, ReasonInvalid, "patient email is not a valid address (want name@domain)")
	}
	return nil
}

func hasControl(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return true
		}
	}
	return false
}
