package booking

import (
	"context"
)

// Sync notices what the practitioners did, in their own calendars, to the
// events of the bookings to come: an event deleted or set to
// STATUS:CANCELLED cancels its booking, an event moved moves it, and the
// patient is told (NotifyCancelled, NotifyRescheduled), as Reconcile does
// (see there for every case). It looks at the bookings that end after now
// and start within the practitioners' booking horizons (a visit that is
// over is not cancelled because its event was tidied away), and returns how
// many bookings it changed. Run it periodically: cmd/rdv does, every two
// minutes by default.
//
// A pass that finds nothing changed is cheap and writes nothing. For each
// practitioner it reads the events of the window (Calendar.Events, which
// the caldav adapter answers from its cache once a sync-token or CTag
// request has shown that nothing changed) and the ledger's rows of the
// window (one query), and compares them without taking the practitioner's
// lock, so that it never holds up a booking. Only when they disagree does it
// take the lock and reconcile the window, reading both again under it: a
// disagreement that was only a booking under way (its event written, its
// row not yet) is then gone, and with several replicas sharing the store and
// its locks, each change is made, and each patient told, once.
//
// An error with one practitioner does not stop the others; the first is
// returned.
func (s *Service) Sync(ctx context.Context) (int, error) {
	n := 0
	var first error
	for _, e := range s.order {
		k, err := s.sync(ctx, e)
		n += k
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("booking: calendar sync failed", "practitioner", e.p.ID, "err", err)
			}
			if first == nil {
				first = err
			}
		}
	}
	return n, first
}

// sync is Sync for one practitioner.
func (s *Service) sync(ctx context.Context, e *entry) (int, error) {
	now := s.now()
	from, to := now, s.windowEnd(e, now)
	events, err := e.cal.Events(ctx, from, to)
	if err != nil {
		return 0, err
	}
	rows, err := s.store.BookingsBetween(ctx, e.p.ID, from, to)
	if err != nil {
		return 0, err
	}
	agree, err := s.inSync(ctx, e, events, rows)
	if err != nil || agree {
		return 0, err
	}
	n, err := s.reconcileWindow(ctx, e, from, to)
	if n > 0 {
		s.log.Info("booking: calendar changes applied", "practitioner", e.p.ID, "changed", n)
	}
	return n, err
}

// inSync reports whether the events and the ledger rows of a window of e
// agree as reconcileBooking leaves them, so that reconciling the window
// would change nothing: each event has its row, each active row its event
// showing it as rdv last wrote it (time, status, sequence, href and ETag),
// and no ended row an active event. The rows of types no longer configured,
// which reconciliation leaves alone, are not looked at; nor are the events
// of another practitioner's bookings, in a calendar two of them share.
func (s *Service) inSync(ctx context.Context, e *entry, events []BookingEvent, rows []*Booking) (bool, error) {
	rowByID := make(map[string]*Booking, len(rows))
	for _, b := range rows {
		rowByID[b.ID] = b
	}
	evByID := make(map[string]BookingEvent, len(events))
	for _, ev := range events {
		evByID[ev.Booking] = ev
		if rowByID[ev.Booking] != nil {
			continue
		}
		// No row in the window: moved, orphaned, or another practitioner's.
		b, err := s.store.Booking(ctx, ev.Booking)
		switch {
		case ErrorCode(err) == ENotFound:
			return false, nil
		case err != nil:
			return false, err
		case b.PractitionerID == e.p.ID:
			return false, nil
		}
	}
	for _, b := range rows {
		if _, _, err := s.entryAndType(b.PractitionerID, b.TypeID); err != nil {
			continue
		}
		ev, found := evByID[b.ID]
		active := found && ev.Status != StatusCancelled
		if !b.Status.Active() {
			if active {
				return false, nil
			}
			continue
		}
		if !found || !matches(ev, b) || ev.Ref != (EventRef{Href: b.EventHref, ETag: b.EventETag}) {
			return false, nil
		}
	}
	return true, nil
}
