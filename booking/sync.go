package booking

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"
)

// Sync notices what the practitioners did, in their own calendars, to the
// events of the bookings to come: an event deleted or set to
// STATUS:CANCELLED cancels its booking, an event moved moves it, and the
// patient is told (NotifyCancelled, NotifyRescheduled), as Reconcile does
// (see there for every case). It looks at the bookings that end after now
// and start within the practitioners' booking horizons (a visit that is
// over is not cancelled because its event was tidied away), and returns how
// many bookings it changed. Run it periodically: rdv.App.Run does, every two
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
// A bookings calendar emptied, or recreated at the same URL, would cancel
// every booking to come and email every patient in one pass (a listing that
// misses events by mistake does not: each event missing from it is read at
// its href). So a pass that would cancel, because
// their events are missing, more than ServiceConfig.SyncMaxCancel of a
// practitioner's active bookings in the window and more than
// SyncMaxCancelPercent of them changes nothing for that practitioner: it
// logs an error with the counts and the booking ids, returns an error
// wrapping ErrSyncHeld, and SyncHolds reports the practitioner until a pass
// finds the calendar within the limits again. The practitioner deleting a
// few events is not held. An event still at its place that is not one rdv
// can read is not missing (see Reconcile).
//
// An error with one practitioner does not stop the others; the first is
// returned.
func (s *Service) Sync(ctx context.Context) (int, error) {
	n := 0
	var first error
	for _, e := range s.order {
		k, err := s.sync(ctx, e)
		n += k
		switch {
		case err == nil:
			s.syncCounts.ok.Add(1)
		case errors.Is(err, ErrSyncHeld):
			s.syncCounts.held.Add(1)
		default:
			s.syncCounts.failed.Add(1)
		}
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, ErrSyncHeld) { // a hold is logged with its counts
				s.log.WarnContext(ctx, "booking: calendar sync failed", "practitioner", e.p.ID, "err", err)
			}
			if first == nil {
				first = err
			}
		}
	}
	return n, first
}

// SyncStats counts the passes of Sync in this process, one per
// practitioner and call, by outcome: OK (done, changes applied or none),
// Held (by the guard against mass cancellation) and Failed (a calendar or
// the store could not be read, or the pass was cut short).
type SyncStats struct {
	OK, Held, Failed uint64
}

type syncCounts struct {
	ok, held, failed atomic.Uint64
}

// SyncStats returns the counts of the passes of Sync in this process.
func (s *Service) SyncStats() SyncStats {
	return SyncStats{OK: s.syncCounts.ok.Load(), Held: s.syncCounts.held.Load(), Failed: s.syncCounts.failed.Load()}
}

// sync is Sync for one practitioner.
func (s *Service) sync(ctx context.Context, e *entry) (int, error) {
	now := s.now()
	from, to := now, s.windowEnd(e, now)
	events, err := e.events(ctx, from, to)
	if err != nil {
		return 0, err
	}
	rows, err := s.store.BookingsBetween(ctx, e.p.ID, from, to)
	if err != nil {
		return 0, err
	}
	agree, err := s.inSync(ctx, e, events, rows, from, to)
	if err != nil {
		return 0, err
	}
	if agree {
		s.setHold(e.p.ID, nil) // no event missing
		return 0, nil
	}
	n, err := s.reconcileWindow(ctx, e, from, to)
	if n > 0 {
		s.log.InfoContext(ctx, "booking: calendar changes applied", "practitioner", e.p.ID, "changed", n)
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
func (s *Service) inSync(ctx context.Context, e *entry, events []BookingEvent, rows []*Booking, from, to time.Time) (bool, error) {
	rowByID := make(map[string]*Booking, len(rows))
	for _, b := range rows {
		rowByID[b.ID] = b
	}
	evByID := make(map[string]BookingEvent, len(events))
	var unknown []BookingEvent
	var intents map[string]bool // booking ids with a write intent, read once if needed
	for _, ev := range events {
		evByID[ev.Booking] = ev
		if rowByID[ev.Booking] != nil {
			continue
		}
		// No row in the window: moved, a write under way or cut short,
		// another practitioner's, or unknown to this store.
		b, err := s.store.Booking(ctx, ev.Booking)
		switch {
		case ErrorCode(err) == ENotFound:
			if intents == nil {
				all, err := s.store.Intents(ctx, e.p.ID, farFuture)
				if err != nil {
					return false, err
				}
				intents = map[string]bool{}
				for _, in := range all {
					intents[in.BookingID] = true
				}
			}
			if intents[ev.Booking] {
				return false, nil
			}
			unknown = append(unknown, ev) // someone else's: left as it is
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
	s.noteUnknown(e, unknown, from, to)
	return true, nil
}

// Defaults of the guard against mass cancellation (see
// ServiceConfig.SyncMaxCancel).
const (
	DefaultSyncMaxCancel        = 5
	DefaultSyncMaxCancelPercent = 50
)

// SyncHold is a practitioner whose calendar sync is held by the guard
// against mass cancellation: the events of too many of its bookings are
// missing from the bookings calendar (see Sync).
type SyncHold struct {
	PractitionerID string
	// Missing lists the active bookings whose event is missing, by id; the
	// pass may stop looking once it knows it holds, so the list may be
	// short of the whole.
	Missing []string
	// Active counts the active bookings of the window looked at.
	Active int
	// Rewrites lists the bookings whose event the pass would rewrite or
	// delete to show the ledger again (see holdIfMassCancel).
	Rewrites []string
	// Since is when a pass was first held, Last when it was last held.
	Since, Last time.Time
}

// massCancel reports whether cancelling missing bookings out of active ones
// at once is more than the guard allows.
func (s *Service) massCancel(missing, active int) bool {
	return missing > s.syncMaxCancel && missing*100 > active*s.syncMaxCancelPercent
}

// holdIfMassCancel is the guard against mass cancellation: if reconciling
// w would cancel too many bookings because their events are missing, it
// records and logs the hold and returns an error wrapping ErrSyncHeld;
// otherwise it clears e's hold, if any, and returns nil.
//
// It also holds a pass that would rewrite or delete, to make them show the
// ledger again, the events of more than SyncMaxCancel bookings and of more
// than SyncMaxCancelPercent of the rows looked at: a calendar restored from
// an old backup, say, where writing the ledger's view back over every event
// could destroy the practitioner's own changes.
func (s *Service) holdIfMassCancel(e *entry, w *window) error {
	cancel := s.massCancel(len(w.missing), w.active)
	rewrite := s.massCancel(len(w.rewrites), len(w.rows))
	if !cancel && !rewrite {
		s.setHold(e.p.ID, nil)
		return nil
	}
	h := &SyncHold{PractitionerID: e.p.ID, Missing: w.missing, Active: w.active, Rewrites: w.rewrites}
	s.setHold(e.p.ID, h)
	if rewrite && !cancel {
		shown := w.rewrites[:min(len(w.rewrites), maxLoggedIDs)]
		s.log.Error("booking: calendar sync held: the events of too many bookings disagree with the ledger (calendar restored from a backup?); nothing changed for this practitioner",
			"practitioner", e.p.ID, "rewrites", len(w.rewrites), "rows", len(w.rows),
			"max_cancel", s.syncMaxCancel, "max_cancel_percent", s.syncMaxCancelPercent, "bookings", shown)
		return fmt.Errorf("booking: practitioner %s: the events of %d of %d bookings would be rewritten: %w", e.p.ID, len(w.rewrites), len(w.rows), ErrSyncHeld)
	}
	shown := w.missing[:min(len(w.missing), maxLoggedIDs)]
	s.log.Error("booking: calendar sync held: the events of too many bookings are missing from the bookings calendar (emptied, replaced, or misread?); nothing changed for this practitioner",
		"practitioner", e.p.ID, "missing", len(w.missing), "active", w.active,
		"max_cancel", s.syncMaxCancel, "max_cancel_percent", s.syncMaxCancelPercent, "bookings", shown)
	return fmt.Errorf("booking: practitioner %s: %d of %d active bookings have no event: %w", e.p.ID, len(w.missing), w.active, ErrSyncHeld)
}

// maxLoggedIDs bounds the booking ids a hold logs.
const maxLoggedIDs = 20

// setHold records h as the hold of practitioner id, or clears it when h is
// nil. A hold that goes on keeps its Since.
func (s *Service) setHold(id string, h *SyncHold) {
	s.holdMu.Lock()
	defer s.holdMu.Unlock()
	if h == nil {
		if _, ok := s.holds[id]; ok {
			delete(s.holds, id)
			s.log.Info("booking: calendar sync no longer held", "practitioner", id)
		}
		return
	}
	now := s.now()
	h.Since, h.Last = now, now
	if old, ok := s.holds[id]; ok {
		h.Since = old.Since
	}
	if s.holds == nil {
		s.holds = map[string]SyncHold{}
	}
	s.holds[id] = *h
}

// SyncHolds returns the practitioners whose last pass of Sync or Reconcile
// in this process was held by the guard against mass cancellation, in the
// order they were registered; none when every calendar looks as it should.
// Monitoring reports them: while held, nothing the practitioner changes in
// the calendar is followed. The hold ends with the first pass that finds
// the calendar within the limits: the events put back, or the limits
// raised (which lets the pass cancel the bookings and tell the patients).
func (s *Service) SyncHolds() []SyncHold {
	s.holdMu.Lock()
	defer s.holdMu.Unlock()
	var out []SyncHold
	for _, e := range s.order {
		if h, ok := s.holds[e.p.ID]; ok {
			h.Missing = slices.Clone(h.Missing)
			h.Rewrites = slices.Clone(h.Rewrites)
			out = append(out, h)
		}
	}
	return out
}

// CheckSync tells, without changing anything nor taking any lock, which
// practitioners a pass of Sync would hold now: for each, it reads the
// bookings to come and their events as Sync does and applies the guard
// against mass cancellation. It is for diagnosis (rdv check): the holds it
// returns are not recorded. An error with one practitioner does not stop
// the others; the first is returned.
func (s *Service) CheckSync(ctx context.Context) ([]SyncHold, error) {
	var out []SyncHold
	var first error
	for _, e := range s.order {
		now := s.now()
		from, to := now, s.windowEnd(e, now)
		w, err := s.readWindow(ctx, e, from, to, nil)
		if err == nil {
			err = errors.Join(w.errs...)
			s.noteUnknown(e, w.unknown, from, to)
		}
		if err != nil && first == nil {
			first = err
		}
		if w != nil && (s.massCancel(len(w.missing), w.active) || s.massCancel(len(w.rewrites), len(w.rows))) {
			out = append(out, SyncHold{PractitionerID: e.p.ID, Missing: w.missing, Active: w.active, Rewrites: w.rewrites, Since: now, Last: now})
		}
	}
	return out, first
}
