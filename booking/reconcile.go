package booking

import (
	"context"
	"errors"
	"time"
)

// ReconcileBack is how far back Reconcile looks: bookings that ended
// earlier are left as they are.
const ReconcileBack = 24 * time.Hour

// Reconcile makes each practitioner's ledger and bookings calendar agree,
// by booking id (the event's UID), for the bookings that end after now −
// ReconcileBack and start within the practitioner's booking horizon. Run it
// on start, before serving: it repairs what a crash between a calendar write
// and the ledger's transaction left. It returns how many bookings it
// changed.
//
// The ledger is what the patient was told (its rows and their messages are
// recorded together); the calendar is what the practitioner sees. First,
// the writes that a process began and did not finish are settled by their
// write intents (see SettleIntents): an event no one was given is removed,
// a change no one was told of is undone; writes that may still be under way
// (intents younger than ServiceConfig.IntentGrace) are left, with their
// bookings, to the next pass. Then:
//
//   - a booking event this store has no row nor intent for is someone
//     else's (another install writing to the same calendar, or this one
//     before its store was lost): it is never deleted nor rewritten, it
//     stays busy time, and it is reported once (see UnknownEvents and
//     Adopt);
//   - a cancelled or expired row whose event is still active: the event is
//     cancelled (deleted for an expired booking, or with DeleteCancelled),
//     since the patient was told;
//   - an active row whose event is gone or cancelled is cancelled (expired
//     if it was pending past its deadline), and the patient is told: either
//     the practitioner removed it, or a cancellation was cut short after its
//     calendar write. The event is not written again: the slot may have been
//     given to someone else since, and the practitioner's calendar wins;
//   - an active row whose active event shows another time or status takes
//     the event's (the patient is told of a new time, or of a confirmation),
//     except a confirmed row whose event went back to tentative, whose event
//     is confirmed again;
//   - a row whose event only has a new ETag takes it;
//   - an active row whose event is still at its place but is not one of
//     rdv's booking events any more, or can't be read as one (a client that
//     dropped X-RDV-BOOKING, a malformed object: see ErrForeignEvent), is
//     left as it is, with a warning: its event was not deleted.
//
// Like Sync, a pass that would cancel too many of a practitioner's bookings
// at once because their events are missing, or rewrite or delete too many
// events at once, changes nothing for that practitioner (see
// ServiceConfig.SyncMaxCancel); its error wraps ErrSyncHeld.
//
// Every object this deletes or rewrites is one rdv can prove it wrote: an
// intent of this store, or the ledger row of the booking whose event it is,
// at the href the row names (docs/calendar-safety.md lists every path).
//
// Each practitioner is reconciled under its lock. An error with one does not
// stop the others; the first is returned.
func (s *Service) Reconcile(ctx context.Context) (int, error) {
	n := 0
	var errs []error
	for _, e := range s.order {
		k, err := s.reconcile(ctx, e)
		n += k
		if err != nil {
			if !errors.Is(err, ErrSyncHeld) { // logged with its counts
				s.log.ErrorContext(ctx, "booking: reconciliation failed", "practitioner", e.p.ID, "err", err)
			}
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return n, errs[0]
	}
	return n, nil
}

func (s *Service) reconcile(ctx context.Context, e *entry) (int, error) {
	now := s.now()
	return s.reconcileWindow(ctx, e, now.Add(-ReconcileBack), s.windowEnd(e, now))
}

// windowEnd is the end of the window Reconcile and Sync look at: past the
// practitioner's longest booking horizon from now.
func (s *Service) windowEnd(e *entry, now time.Time) time.Time {
	horizon := time.Duration(0)
	for i := range e.p.Types {
		horizon = max(horizon, e.p.Types[i].horizon())
	}
	return now.Add(horizon + 48*time.Hour)
}

// reconcileWindow reconciles the bookings and events of e that overlap
// [from, to), under e's lock, unless the guard against mass cancellation
// holds the pass (see holdIfMassCancel): then it changes nothing and returns
// an error wrapping ErrSyncHeld.
func (s *Service) reconcileWindow(ctx context.Context, e *entry, from, to time.Time) (int, error) {
	unlock, err := s.locker.Lock(ctx, e.p.ID)
	if err != nil {
		return 0, err
	}
	var msgs []OutboxMessage
	n, err := func() (int, error) {
		// Writes cut short first: what they left is rdv's to put right,
		// and must not be taken for the practitioner's changes.
		inFlight, n, serr := s.settle(ctx, e, nil)
		if inFlight == nil {
			return 0, serr
		}
		w, err := s.readWindow(ctx, e, from, to, inFlight)
		if err != nil {
			return n, err
		}
		s.noteUnknown(e, w.unknown, from, to)
		if err := s.holdIfMassCancel(e, w); err != nil {
			return n, err
		}
		errs := w.errs
		for _, r := range w.rows {
			m, changed, err := s.reconcileBooking(ctx, e, r.b, r.ev, r.found)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			msgs = append(msgs, m...)
			if changed {
				n++
			}
		}
		return n, errors.Join(errs...)
	}()
	unlock()
	s.deliver(ctx, msgs)
	return n, err
}

// window is what reconciling a window of a practitioner works on, as
// readWindow found it.
type window struct {
	// unknown are the booking events this store has no row nor write
	// intent for: another install's, or a lost store's. They are left as
	// they are (see Reconcile).
	unknown []BookingEvent
	rows    []windowRow // the rows to reconcile, with their events
	// active counts the active rows (of types still configured); missing
	// lists those whose event is absent from the calendar, which
	// reconciling would cancel; rewrites those whose event reconciling
	// would rewrite or delete.
	active   int
	missing  []string
	rewrites []string
	errs     []error // what could not be read; those rows are left out
}

// windowRow is a ledger row and its event (found false if there is none).
type windowRow struct {
	b     *Booking
	ev    BookingEvent
	found bool
}

// readWindow reads the events and the ledger rows of e that overlap
// [from, to) and pairs them by booking id. The rows of types no longer
// configured are left out (reconcileBooking leaves them alone). A row whose
// event is not among the window's is looked up at its href, where it may
// have been moved out of the window; when what is there is not a booking
// event of rdv (ErrForeignEvent) or is another booking's, the row is left
// out with a warning: it is not a deleted event. Once holdIfMassCancel is
// sure to hold the pass, the rows not looked up yet are left out too.
//
// The bookings in inFlight (a write of theirs may be under way, see
// settle) are left out, as are their events.
func (s *Service) readWindow(ctx context.Context, e *entry, from, to time.Time, inFlight map[string]bool) (*window, error) {
	events, err := e.events(ctx, from, to)
	if err != nil {
		return nil, err
	}
	rows, err := s.store.BookingsBetween(ctx, e.p.ID, from, to)
	if err != nil {
		return nil, err
	}
	evByID := make(map[string]BookingEvent, len(events))
	for _, ev := range events {
		evByID[ev.Booking] = ev
	}
	rowByID := make(map[string]*Booking, len(rows))
	for _, b := range rows {
		rowByID[b.ID] = b
	}
	w := &window{}
	// Events whose row is not in the window: in the ledger at another
	// time (the event was moved), or not at all.
	for _, ev := range events {
		if rowByID[ev.Booking] != nil || inFlight[ev.Booking] {
			continue
		}
		b, err := s.store.Booking(ctx, ev.Booking)
		switch {
		case ErrorCode(err) == ENotFound:
			w.unknown = append(w.unknown, ev)
		case err != nil:
			w.errs = append(w.errs, err)
		case b.PractitionerID == e.p.ID:
			rows = append(rows, b)
		}
	}
	add := func(b *Booking, ev BookingEvent, found bool) {
		w.rows = append(w.rows, windowRow{b: b, ev: ev, found: found})
		if !found && b.Status.Active() {
			w.missing = append(w.missing, b.ID)
		}
		if found && rewrites(b, ev) {
			w.rewrites = append(w.rewrites, b.ID)
		}
	}
	var unseen []*Booking
	for _, b := range rows {
		if _, _, err := s.entryAndType(b.PractitionerID, b.TypeID); err != nil || inFlight[b.ID] {
			continue
		}
		if b.Status.Active() {
			w.active++
		}
		ev, found := evByID[b.ID]
		if !found && b.EventHref != "" {
			unseen = append(unseen, b)
			continue
		}
		add(b, ev, found)
	}
	for _, b := range unseen {
		if s.massCancel(len(w.missing), w.active) {
			break // held whatever the rest shows
		}
		// Moved out of the window, perhaps: read it where it is.
		ev, found, err := e.event(ctx, b.EventHref)
		switch {
		case errors.Is(err, ErrForeignEvent) || err == nil && found && ev.Booking != b.ID:
			s.log.WarnContext(ctx, "booking: the event of a booking is there but is not one rdv can read; booking left as it is", "booking", b.ID, "practitioner", e.p.ID)
			continue
		case err != nil:
			w.errs = append(w.errs, err)
			continue
		}
		add(b, ev, found)
	}
	return w, nil
}

// reconcileBooking brings the row b and its event ev (found false if there
// is none) to agree, under the lock (see Reconcile).
func (s *Service) reconcileBooking(ctx context.Context, e *entry, b *Booking, ev BookingEvent, found bool) ([]OutboxMessage, bool, error) {
	a, err := s.appointment(b)
	if err != nil {
		return nil, false, nil // no longer configured: leave it
	}
	active := found && ev.Status != StatusCancelled
	switch {
	case !b.Status.Active():
		if !active {
			return nil, false, nil
		}
		// The patient was told it is off: so must the calendar show.
		changed, err := s.putBack(ctx, e, a, ev, b.Status == StatusExpired || s.deleteCancelled)
		if changed {
			s.log.WarnContext(ctx, "booking: event of an ended booking cancelled", "booking", b.ID, "status", b.Status)
		}
		return nil, changed, err

	case !active:
		// The practitioner removed or cancelled the event, or a
		// cancellation stopped after its calendar write.
		after := *b
		kind := NotifyCancelled
		after.Status = StatusCancelled
		if b.Status == StatusPending && !s.now().Before(s.deadline(b, a.Type)) {
			kind, after.Status = NotifyExpired, StatusExpired
		}
		after.Sequence++
		if found {
			after.EventETag = ev.Ref.ETag
		}
		after.UpdatedAt = s.now()
		msgs := s.fanOut(e, s.message(kind, &after, ""))
		c := Change{Booking: &after, Outbox: msgs}
		s.remind(&c, a.Type, e.p.Location)
		if err := s.store.Record(ctx, c); err != nil {
			return nil, false, err
		}
		s.log.WarnContext(ctx, "booking: event gone or cancelled in the calendar; booking "+string(after.Status), "booking", b.ID)
		return msgs, true, nil

	case matches(ev, b):
		if ev.Ref.ETag == b.EventETag && ev.Ref.Href == b.EventHref {
			return nil, false, nil
		}
		b.EventHref, b.EventETag, b.UpdatedAt = ev.Ref.Href, ev.Ref.ETag, s.now()
		return nil, false, s.store.Record(ctx, Change{Booking: b})

	case ev.Start.Equal(b.Start) && ev.End.Equal(b.End) && b.Status == StatusConfirmed && ev.Status == StatusPending:
		// The ledger is ahead: the event shows the confirmation again.
		changed, err := s.putBack(ctx, e, a, ev, false)
		return nil, changed, err

	default:
		// The event moved, or was confirmed, without the ledger knowing:
		// the calendar wins and the patient is told.
		after := *b
		after.Start, after.End = ev.Start.In(e.p.Location), ev.End.In(e.p.Location)
		after.Status = ev.Status
		after.Sequence = max(ev.Sequence, b.Sequence)
		after.EventHref, after.EventETag = ev.Ref.Href, ev.Ref.ETag
		after.UpdatedAt = s.now()
		var msgs []OutboxMessage
		switch {
		case !after.Start.Equal(b.Start) || !after.End.Equal(b.End):
			m := s.message(NotifyRescheduled, &after, "")
			m.PreviousStart, m.PreviousEnd = b.Start, b.End
			msgs = append(msgs, m)
		case after.Status == StatusConfirmed && b.Status == StatusPending:
			msgs = append(msgs, s.message(NotifyConfirmed, &after, ""))
		}
		for i := range msgs {
			// The patient's calendar applies a change only with a SEQUENCE
			// above the last one it was sent, which a practitioner's
			// client may have kept. The row keeps the event's, which is
			// how the next pass knows the event is as the row says.
			msgs[i].Sequence = max(after.Sequence, b.Sequence+1)
		}
		msgs = s.fanOut(e, msgs...)
		c := Change{Booking: &after, Outbox: msgs}
		s.remind(&c, a.Type, e.p.Location)
		if err := s.store.Record(ctx, c); err != nil {
			return nil, false, err
		}
		s.log.WarnContext(ctx, "booking: ledger updated from the calendar", "booking", b.ID)
		return msgs, true, nil
	}
}

// rewrites reports whether reconcileBooking rewrites or deletes the event
// ev of the row b: an ended booking whose event is active, or a confirmed
// one whose event went back to tentative at the same time.
func rewrites(b *Booking, ev BookingEvent) bool {
	if !b.Status.Active() {
		return ev.Status != StatusCancelled
	}
	return b.Status == StatusConfirmed && ev.Status == StatusPending && ev.Start.Equal(b.Start) && ev.End.Equal(b.End)
}

// putBack makes the event ev of a's booking show the row again (deleted
// when del), under the lock, and records the row with the event's new ETag.
// The proof that the object is rdv's to rewrite is the row itself: it names
// the object rdv created at ev's href for this booking id. An object with
// the booking's UID at another href is not the one rdv wrote: it is left as
// it is. The write is announced by a write intent, like every other.
func (s *Service) putBack(ctx context.Context, e *entry, a Appointment, ev BookingEvent, del bool) (bool, error) {
	b := a.Booking
	if ev.Ref.Href != b.EventHref {
		s.log.WarnContext(ctx, "booking: an event of this booking is not where rdv wrote it; left as it is", "booking", b.ID, "practitioner", e.p.ID)
		return false, nil
	}
	op := IntentUpdate
	if del {
		op = IntentDelete
	}
	in, err := s.intend(ctx, op, b, ev.Ref.Href, b.Revision)
	if err != nil {
		return false, err
	}
	if del {
		err = e.cal.Delete(ctx, ev.Ref)
		b.EventETag = ""
	} else {
		var ref EventRef
		if ref, err = e.cal.Update(ctx, a, ev.Ref); err == nil && ref.Href != "" {
			b.EventHref, b.EventETag = ref.Href, ref.ETag
		} else if err == nil {
			b.EventETag = ref.ETag
		}
	}
	if err != nil {
		if ErrorCode(err) == EConflict {
			s.forget(ctx, in.ID) // refused: nothing written
		}
		return false, err
	}
	b.UpdatedAt = s.now()
	return true, s.store.Record(ctx, Change{Booking: b, Intents: []string{in.ID}})
}
