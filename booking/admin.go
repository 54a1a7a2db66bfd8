package booking

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
)

// The practitioner's side of the service: the agenda with the patients'
// contact, cancelling a booking whatever the cut-off, and closing days at
// runtime. What these methods return is for the practitioner only: never
// show it to a patient.

// Bookings returns the bookings of the practitioner whose visit overlaps
// [from, to), whatever their status, ordered by start then id, with their
// patient's contact and their times in the practitioner's zone. Errors:
// ENotFound for an unknown practitioner, EInvalid for an empty window or
// one longer than MaxWindow, EUnavailable when the store can't be read.
func (s *Service) Bookings(ctx context.Context, practitionerID string, from, to time.Time) ([]*Booking, error) {
	e, err := s.entry(practitionerID)
	if err != nil {
		return nil, err
	}
	if !from.Before(to) {
		return nil, Errorf(EInvalid, "the window is empty: 'to' must be after 'from'")
	}
	if to.Sub(from) > MaxWindow {
		return nil, Errorf(EInvalid, "the window is too long: at most %d days", int(MaxWindow.Hours()/24))
	}
	bs, err := s.store.BookingsBetween(ctx, e.p.ID, from, to)
	if err != nil {
		return nil, err
	}
	for _, b := range bs {
		b.Start, b.End = b.Start.In(e.p.Location), b.End.In(e.p.Location)
	}
	if bs == nil {
		bs = []*Booking{}
	}
	return bs, nil
}

// PractitionerCancel cancels the booking with this id on the practitioner's
// behalf: as Cancel does, but whatever the type's cut-off, even once the
// visit has begun. The event stays with STATUS:CANCELLED (or is deleted,
// with ServiceConfig.DeleteCancelled) and the patient is told. Cancelling a
// cancelled booking is a no-op. Errors: ENotFound for an unknown booking,
// EConflict for an expired one or an event the practitioner changed in the
// calendar meanwhile (Sync brings the ledger up to date), EUnavailable as
// for Cancel.
func (s *Service) PractitionerCancel(ctx context.Context, id string) (Appointment, error) {
	return s.changeByID(ctx, id, func(e *entry, a Appointment) ([]OutboxMessage, error) {
		b := a.Booking
		switch b.Status {
		case StatusCancelled:
			return nil, nil
		case StatusPending, StatusConfirmed:
		default:
			return nil, Errorf(EConflict, "this booking is %s and can't be cancelled", b.Status)
		}
		after := *b
		after.Status = StatusCancelled
		after.Sequence++
		msgs, err := s.commit(ctx, e, a, &after, s.deleteCancelled, NotifyCancelled)
		if err == nil {
			s.log.InfoContext(ctx, "booking: cancelled by the practitioner", "booking", b.ID, "practitioner", e.p.ID)
		}
		return msgs, err
	})
}

// MaxClosureLabelLen is the longest label of a closure, in characters.
const MaxClosureLabelLen = 200

// Closures returns the closures of the practitioner that cover at least one
// of the local days from to to, both included: those of its configured
// Schedule (whose ID is "") and those added with AddClosure, ordered by
// From, then To, then ID. Errors: ENotFound for an unknown practitioner,
// EInvalid for dates not in order, EUnavailable when the store can't be
// read.
func (s *Service) Closures(ctx context.Context, practitionerID string, from, to Date) ([]Closure, error) {
	e, err := s.entry(practitionerID)
	if err != nil {
		return nil, err
	}
	if !from.valid() || !to.valid() || to.Before(from) {
		return nil, Errorf(EInvalid, "closures from %s to %s: want two dates in order", from, to)
	}
	stored, err := s.store.Closures(ctx, e.p.ID, from, to)
	if err != nil {
		return nil, err
	}
	out := []Closure{}
	for _, c := range e.p.Schedule.Closures {
		if !c.To.Before(from) && !to.Before(c.From) {
			out = append(out, c)
		}
	}
	out = append(out, stored...)
	slices.SortStableFunc(out, compareClosures)
	return out, nil
}

// compareClosures orders closures by From, then To, then ID.
func compareClosures(a, b Closure) int {
	if d := a.From.key() - b.From.key(); d != 0 {
		return d
	}
	if d := a.To.key() - b.To.key(); d != 0 {
		return d
	}
	return strings.Compare(a.ID, b.ID)
}

// AddClosure closes the practitioner on the local days c.From to c.To, both
// included, on top of the configured Schedule: from then on no slot is
// offered on them, and a booking or a move onto them is refused (EConflict,
// the slot being no longer free), by this process and by every other one
// sharing the Store. The closure is returned with its new ID and its Label
// trimmed; the label is for the practitioner, never shown to patients.
//
// The bookings already made on those days are left as they are: the
// practitioner decides what to do with each (call the patient, cancel it
// with PractitionerCancel). AddClosure returns the active ones (pending or
// confirmed), ordered by start, with their patient's contact. It records
// the closure under the practitioner's lock, so that the list is complete:
// a booking made at the same moment is either listed or refused.
//
// Errors: ENotFound for an unknown practitioner; EInvalid for dates that
// are not dates or not in order, a closure that ends before today (in the
// practitioner's zone), or a label longer than MaxClosureLabelLen or with
// control characters; EUnavailable when the store can't be used.
func (s *Service) AddClosure(ctx context.Context, practitionerID string, c Closure) (Closure, []*Booking, error) {
	e, err := s.entry(practitionerID)
	if err != nil {
		return Closure{}, nil, err
	}
	c.Label = strings.TrimSpace(c.Label)
	switch {
	case !c.From.valid() || !c.To.valid() || c.From.Year < 1 || c.To.Year > 9999:
		return Closure{}, nil, Errorf(EInvalid, "a closure needs two dates YYYY-MM-DD")
	case c.To.Before(c.From):
		return Closure{}, nil, Errorf(EInvalid, "the closure ends (%s) before it starts (%s)", c.To, c.From)
	case c.To.Before(DateOf(s.now().In(e.p.Location))):
		return Closure{}, nil, Errorf(EInvalid, "the closure ends in the past (%s)", c.To)
	case !utf8.ValidString(c.Label) || utf8.RuneCountInString(c.Label) > MaxClosureLabelLen:
		return Closure{}, nil, Errorf(EInvalid, "the closure's label must be text of at most %d characters", MaxClosureLabelLen)
	case hasControl(c.Label):
		return Closure{}, nil, Errorf(EInvalid, "the closure's label must not contain line breaks or control characters")
	}
	c.ID = uuid.NewString()

	unlock, err := s.locker.Lock(ctx, e.p.ID)
	if err != nil {
		return Closure{}, nil, err
	}
	defer unlock()
	if err := s.store.AddClosure(ctx, e.p.ID, c); err != nil {
		return Closure{}, nil, err
	}
	s.log.InfoContext(ctx, "booking: closure added", "practitioner", e.p.ID, "closure", c.ID, "from", c.From.String(), "to", c.To.String())
	loc := e.p.Location
	rows, err := s.store.BookingsBetween(ctx, e.p.ID, c.From.Midnight(loc), c.To.AddDays(1).Midnight(loc))
	if err != nil {
		// The closure holds; only the list is missing.
		return c, nil, WrapError(ErrorCode(err), err, "the closure was added, but the bookings on those days can't be listed: list them for the same dates")
	}
	affected := []*Booking{}
	for _, b := range rows {
		if b.Status.Active() {
			b.Start, b.End = b.Start.In(loc), b.End.In(loc)
			affected = append(affected, b)
		}
	}
	return c, affected, nil
}

// RemoveClosure removes the closure id added with AddClosure: its days are
// open again as the configured Schedule says. A closure of the
// configuration is removed from the configuration only. Errors: ENotFound
// for an unknown practitioner or closure, EUnavailable when the store
// can't be used.
func (s *Service) RemoveClosure(ctx context.Context, practitionerID, id string) error {
	e, err := s.entry(practitionerID)
	if err != nil {
		return err
	}
	if id == "" {
		return Errorf(ENotFound, "no closure %q for practitioner %s", id, e.p.ID)
	}
	if err := s.store.DeleteClosure(ctx, e.p.ID, id); err != nil {
		if ErrorCode(err) == ENotFound {
			return Errorf(ENotFound, "no closure %q for practitioner %s", id, e.p.ID)
		}
		return err
	}
	s.log.InfoContext(ctx, "booking: closure removed", "practitioner", e.p.ID, "closure", id)
	return nil
}

// schedule returns the practitioner's Schedule for the local days that
// Schedule.Open examines for [from, to): the configured one with the
// closures of the store on those days added, and the open time of the
// calendar (see AvailabilitySource). e's own is left as it is.
func (s *Service) schedule(ctx context.Context, e *entry, from, to time.Time) (Schedule, error) {
	loc := e.p.Location
	first, last := DateOf(from.In(loc)).AddDays(-1), DateOf(to.In(loc)).AddDays(1)
	extra, err := s.store.Closures(ctx, e.p.ID, first, last)
	if err != nil {
		return Schedule{}, err
	}
	sch := e.p.Schedule
	if len(extra) > 0 {
		sch.Closures = slices.Concat(e.p.Schedule.Closures, extra)
	}
	return s.withAvailability(ctx, e, sch, from, to)
}

// hasControl reports whether s holds a control character or a line or
// paragraph separator.
func hasControl(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return true
		}
	}
	return false
}

// FailedMessages returns up to limit notifications given up at or after
// since, newest first: messages a patient, the practice or a webhook never
// received. Nothing in them but ids, kinds and reasons (no patient data).
func (s *Service) FailedMessages(ctx context.Context, since time.Time, limit int) ([]FailedMessage, error) {
	return s.store.FailedMessages(ctx, since, limit)
}
