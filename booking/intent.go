package booking

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/google/uuid"
)

// IntentOp is the kind of calendar write an Intent announces.
type IntentOp string

// Write intents.
const (
	IntentCreate IntentOp = "create" // a new event (Calendar.Create)
	IntentUpdate IntentOp = "update" // an event rewritten (Calendar.Update)
	IntentDelete IntentOp = "delete" // an event removed (Calendar.Delete)
)

// Intent is rdv's note, recorded in its store before it writes to a
// calendar, of the write it is about to make: which booking, which object,
// and what the event will show once written. The change that follows the
// write (Change) deletes it in the same transaction as the booking row it
// records. An intent that is still there once its writer is gone marks a
// write that was interrupted between the calendar and the ledger; it is the
// proof that lets rdv remove or put back an object no patient was told
// about (see docs/calendar-safety.md). Without an intent or a ledger row,
// rdv never deletes nor rewrites a calendar object.
type Intent struct {
	ID             string // UUID
	BookingID      string // the booking, and the event's UID
	PractitionerID string
	Op             IntentOp
	Href           string // the calendar object written
	// Revision is the revision of the booking's row the write starts from
	// (IntentUpdate, IntentDelete); 0 for IntentCreate, made before any row.
	Revision int64
	// The event as the write leaves it (IntentCreate, IntentUpdate): its
	// time, status (as BookingEvent.Status reads it) and SEQUENCE.
	Start, End time.Time
	Status     Status
	Sequence   int
	CreatedAt  time.Time
	Process    string // who wrote it: host and process id, for the operator
}

// DefaultIntentGrace is how long an intent is left to its writer before
// another process may settle it, when ServiceConfig.IntentGrace is 0.
const DefaultIntentGrace = time.Minute

// processName names this process in the intents it records.
func processName() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s:%d", host, os.Getpid())
}

// intend records, before a calendar write of op on the event of after at
// href, the intent of it, and returns it. after is the booking as the write
// leaves the event (nil for IntentDelete); rev the revision of its row.
func (s *Service) intend(ctx context.Context, op IntentOp, after *Booking, href string, rev int64) (*Intent, error) {
	in := &Intent{
		ID:             uuid.NewString(),
		BookingID:      after.ID,
		PractitionerID: after.PractitionerID,
		Op:             op,
		Href:           href,
		Revision:       rev,
		CreatedAt:      s.now(),
		Process:        s.process,
	}
	if op != IntentDelete {
		in.Start, in.End = after.Start, after.End
		in.Status, in.Sequence = eventStatus(after.Status), after.Sequence
	}
	if err := s.store.AddIntent(ctx, *in); err != nil {
		return nil, err
	}
	return in, nil
}

// forget deletes intents whose write is accounted for otherwise (it failed
// for sure, or it was undone); a failure is logged, and SettleIntents
// removes them later.
func (s *Service) forget(ctx context.Context, ids ...string) {
	if err := s.store.DeleteIntents(context.WithoutCancel(ctx), ids...); err != nil {
		s.log.WarnContext(ctx, "booking: write intent not removed; it is settled later", "err", err)
	}
}

// shows reports whether ev is the event the intent's write leaves
// (IntentCreate, IntentUpdate).
func (in *Intent) shows(ev BookingEvent) bool {
	return ev.Booking == in.BookingID && ev.Ref.Href == in.Href &&
		ev.Start.Equal(in.Start) && ev.End.Equal(in.End) &&
		ev.Status == in.Status && ev.Sequence == in.Sequence
}

// SettleIntents settles the write intents older than the grace period, of
// every practitioner: writes that a process began and did not finish (it
// crashed, or its request failed and its own clean-up failed too). For each,
// under the practitioner's lock, what the patient was told wins, which is
// what the ledger holds:
//
//   - a new event without its booking row is removed (no one was given
//     that booking);
//   - an event rewritten or removed by a change the ledger did not record
//     is put back as the row shows it;
//   - a write that never reached the calendar, or an event changed since
//     by someone else, is left alone and only the intent is dropped.
//
// It returns how many calendar objects it removed or put back. Run it
// periodically (rdv.App.Run does, with the other jobs): an object left by a
// crash then holds its slot for at most the grace period and one interval.
// Safe with several replicas. An error with one practitioner does not stop
// the others; the first is returned.
func (s *Service) SettleIntents(ctx context.Context) (int, error) {
	old, err := s.store.Intents(ctx, "", s.now().Add(-s.intentGrace))
	if err != nil {
		return 0, err
	}
	seen := map[string]bool{}
	n := 0
	var first error
	for _, in := range old {
		if seen[in.PractitionerID] {
			continue
		}
		seen[in.PractitionerID] = true
		e, ok := s.byID[in.PractitionerID]
		if !ok {
			continue // no longer configured: its calendar is unknown
		}
		k, err := s.settleLocked(ctx, e)
		n += k
		if err != nil && first == nil {
			first = err
		}
	}
	return n, first
}

// settleLocked settles the intents of e older than the grace period, under
// e's lock.
func (s *Service) settleLocked(ctx context.Context, e *entry) (int, error) {
	unlock, err := s.locker.Lock(ctx, e.p.ID)
	if err != nil {
		return 0, err
	}
	defer unlock()
	_, n, err := s.settle(ctx, e, nil)
	return n, err
}

// settle settles, under e's lock, the intents of e older than the grace
// period, and those of the bookings in now whatever their age (a change of
// that booking is about to be made under the lock: an update intent found
// then is from a writer that is gone or lost its lock, and the row's
// revision keeps such a writer from recording anything after). It returns
// the booking ids of the intents left (writes that may be in flight), and
// how many objects it removed or put back.
func (s *Service) settle(ctx context.Context, e *entry, now map[string]bool) (map[string]bool, int, error) {
	all, err := s.store.Intents(ctx, e.p.ID, farFuture)
	if err != nil {
		return nil, 0, err
	}
	cutoff := s.now().Add(-s.intentGrace)
	young := map[string]bool{}
	n := 0
	var first error
	for i := range all {
		in := &all[i]
		if in.CreatedAt.After(cutoff) && !(now[in.BookingID] && in.Op != IntentCreate) {
			young[in.BookingID] = true
			continue
		}
		changed, err := s.settleOne(ctx, e, in)
		if err != nil {
			s.log.ErrorContext(ctx, "booking: interrupted calendar write not settled", "booking", in.BookingID, "practitioner", e.p.ID, "op", in.Op, "err", err)
			young[in.BookingID] = true // leave the booking alone meanwhile
			if first == nil {
				first = err
			}
			continue
		}
		if changed {
			n++
		}
	}
	return young, n, first
}

// farFuture bounds the intents listed "whatever their age".
var farFuture = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// settleOne settles one intent, under the lock (see SettleIntents), and
// reports whether it removed or put back a calendar object.
func (s *Service) settleOne(ctx context.Context, e *entry, in *Intent) (bool, error) {
	row, err := s.store.Booking(ctx, in.BookingID)
	switch {
	case ErrorCode(err) == ENotFound:
		row = nil
	case err != nil:
		return false, err
	}
	if row != nil && row.PractitionerID != e.p.ID {
		return false, s.store.DeleteIntents(ctx, in.ID)
	}
	drop := func(why string) (bool, error) {
		s.log.InfoContext(ctx, "booking: write intent settled: "+why, "booking", in.BookingID, "practitioner", e.p.ID, "op", in.Op, "by", in.Process)
		return false, s.store.DeleteIntents(ctx, in.ID)
	}
	if in.Href == "" {
		return drop("it names no calendar object")
	}
	if in.Op == IntentCreate {
		if row != nil {
			return drop("the booking was recorded")
		}
		ev, found, err := e.event(ctx, in.Href)
		switch {
		case errors.Is(err, ErrForeignEvent):
			return drop("the object there is not this write's; left as it is")
		case err != nil:
			return false, err
		case !found:
			return drop("the event was never written")
		case ev.Booking != in.BookingID:
			return drop("the object there is not this write's; left as it is")
		}
		if err := e.cal.Delete(ctx, ev.Ref); err != nil {
			return false, err
		}
		s.log.WarnContext(ctx, "booking: event of an interrupted booking removed: no row, no patient was given it", "booking", in.BookingID, "practitioner", e.p.ID, "by", in.Process)
		return true, s.store.DeleteIntents(ctx, in.ID)
	}

	// An update or a removal of a recorded booking.
	if row == nil {
		return drop("the booking is not in the ledger")
	}
	if row.Revision != in.Revision {
		return drop("the ledger recorded a change since")
	}
	a, err := s.appointment(row)
	if err != nil {
		return drop("the booking's type is no longer configured")
	}
	ev, found, err := e.event(ctx, in.Href)
	if errors.Is(err, ErrForeignEvent) {
		return drop("the object there is not one rdv can read; left as it is")
	}
	if err != nil {
		return false, err
	}
	wantEvent := row.Status.Active() || !s.deleteCancelled && row.Status == StatusCancelled
	if found && matches(ev, row) || !found && !wantEvent {
		return drop("the calendar already shows what the ledger holds")
	}
	var wrote bool // the calendar shows this intent's write
	switch in.Op {
	case IntentDelete:
		wrote = !found
	default:
		wrote = found && in.shows(ev)
	}
	if !wrote {
		return drop("the calendar does not show this write (never made, or changed since by someone else)")
	}
	// The calendar shows a change no one was told about: put the event
	// back as the row shows it, which is what the patient was told.
	after := *row
	after.UpdatedAt = s.now()
	switch {
	case !found && wantEvent:
		ref, err := e.cal.Create(ctx, a)
		if err != nil {
			return false, err
		}
		after.EventHref, after.EventETag = ref.Href, ref.ETag
	case !wantEvent:
		if err := e.cal.Delete(ctx, ev.Ref); err != nil {
			return false, err
		}
		after.EventETag = ""
	default:
		ref, err := e.cal.Update(ctx, a, ev.Ref)
		if err != nil {
			return false, err
		}
		after.EventHref, after.EventETag = ref.Href, ref.ETag
		if after.EventHref == "" {
			after.EventHref = in.Href
		}
	}
	if err := s.store.Record(ctx, Change{Booking: &after, Intents: []string{in.ID}}); err != nil {
		return false, err
	}
	s.log.WarnContext(ctx, "booking: interrupted change reverted: the event shows again what the patient was told", "booking", in.BookingID, "practitioner", e.p.ID, "op", in.Op, "status", row.Status, "by", in.Process)
	return true, nil
}
