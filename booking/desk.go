package booking

import (
	"context"
	"time"
)

// The practice's desk (the secretary's pages of package api): moving a
// booking by its id, and the sessions of the people logged in to the desk.

// MoveSlots returns the free slots to which the booking with this id may be
// moved, whose start lies in [from, to): the slots of its type, its own time
// not counting as busy, its current start left out. It is RescheduleSlots
// for the practice's side. Errors: ENotFound for an unknown booking, and
// those of Slots.
func (s *Service) MoveSlots(ctx context.Context, id string, from, to time.Time) ([]Slot, error) {
	b, err := s.store.Booking(ctx, id)
	if err != nil {
		if ErrorCode(err) == ENotFound {
			return nil, Errorf(ENotFound, "no booking %s", id)
		}
		return nil, err
	}
	a, err := s.appointment(b)
	if err != nil {
		return nil, err
	}
	e := s.byID[a.Practitioner.ID]
	slots, err := s.slots(ctx, e, a.Type, from, to, b.ID)
	if err != nil {
		return nil, err
	}
	out := slots[:0]
	for _, sl := range slots {
		if !sl.Start.Equal(b.Start) {
			out = append(out, sl)
		}
	}
	return out, nil
}

// PractitionerMove moves the booking with this id to start on the
// practitioner's behalf: as Reschedule does, but whatever the type's
// cut-off and the patient's limit of moves (the practice arranged it with
// the patient). The event is rewritten in place and the patient is told.
// Errors: ENotFound for an unknown booking; EInvalid when start is not a
// slot of the type; EConflict when the slot is not free or the booking is
// not active; EUnavailable as for Book. Moving a booking to its own start
// is a no-op.
func (s *Service) PractitionerMove(ctx context.Context, id string, start time.Time) (Appointment, error) {
	return s.changeByID(ctx, id, func(e *entry, a Appointment) ([]OutboxMessage, error) {
		b, t := a.Booking, a.Type
		if !b.Status.Active() {
			return nil, Errorf(EConflict, "this booking is %s and can't be moved", b.Status)
		}
		start := start.In(e.p.Location)
		if start.Equal(b.Start) {
			return nil, nil
		}
		q, err := s.freshQuery(ctx, e, t, start, b.ID)
		if err != nil {
			return nil, err
		}
		open, err := s.rulesOpen(ctx, e, t, start)
		if err != nil {
			return nil, err
		}
		if rules := (SlotQuery{Location: q.Location, Open: open, Type: t, Now: q.Now}); !IsSlot(rules, start) {
			return nil, FieldError(FieldStart, ReasonInvalid, "%s is not a bookable start for %q", start.Format(time.RFC3339), t.ID)
		}
		if !IsSlot(q, start) {
			return nil, Errorf(EConflict, "the slot %s is no longer free", start.Format(time.RFC3339))
		}
		after := *b
		after.Start, after.End = start, start.Add(t.Duration)
		after.Sequence++
		msgs, err := s.commit(ctx, e, a, &after, false, NotifyRescheduled)
		if err == nil {
			s.log.InfoContext(ctx, "booking: moved by the practitioner", "booking", b.ID, "practitioner", e.p.ID)
		}
		return msgs, err
	})
}

// DeskSession is a session of the practice's desk: someone who logged in
// with the admin token. The browser holds its id in a cookie; the store
// keeps only the id's hash.
type DeskSession struct {
	// IDHash is the SHA-256 of the session's id.
	IDHash []byte
	// CSRF is the token every form of the session carries.
	CSRF string
	// User is the name of the desk user who logged in, "" for the admin
	// token.
	User string
	// TokenPrint is a fingerprint of the admin token, or of the user's
	// password hash, the session was opened with: a session opened with
	// another one is no longer valid.
	TokenPrint string
	// Created, LastSeen and Expires are when the session was opened, last
	// used, and when it ends whatever its use.
	Created, LastSeen, Expires time.Time
}

// DeskSessions keeps the sessions of the desk, shared by every replica.
// store.SQLite and store.Postgres implement it; package api has an
// in-memory one for a single process.
type DeskSessions interface {
	// CreateDeskSession records s. EConflict if its IDHash is taken.
	CreateDeskSession(ctx context.Context, s DeskSession) error
	// DeskSession returns the session whose id has this hash; ENotFound
	// if there is none.
	DeskSession(ctx context.Context, idHash []byte) (DeskSession, error)
	// TouchDeskSession sets the LastSeen of the session to at; no error
	// if it is gone.
	TouchDeskSession(ctx context.Context, idHash []byte, at time.Time) error
	// DeleteDeskSession deletes the session; no error if it is gone.
	DeleteDeskSession(ctx context.Context, idHash []byte) error
	// PurgeDeskSessions deletes the sessions that expire before now or
	// were last seen before idleBefore.
	PurgeDeskSessions(ctx context.Context, now, idleBefore time.Time) error
}

// DeskBooking returns the booking with this id, with its practitioner and
// type, its times in the practitioner's zone: for the practice only.
// Errors: ENotFound for an unknown booking, EUnavailable when the store
// can't be read.
func (s *Service) DeskBooking(ctx context.Context, id string) (Appointment, error) {
	b, err := s.store.Booking(ctx, id)
	if err != nil {
		if ErrorCode(err) == ENotFound {
			return Appointment{}, Errorf(ENotFound, "no booking %s", id)
		}
		return Appointment{}, err
	}
	return s.appointment(b)
}
