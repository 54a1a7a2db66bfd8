package booking

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// The waiting list's jobs: the alerts of free slots, the delivery of its
// messages, the retention of its entries (waitlist.go has the entries).

// Alert records, under a lock shared by the replicas, the alerts of the
// free slots that lie in the windows of the active entries: for each free
// slot, by start, at most Batch entries of its window that were not told of
// it yet, in the order they joined; none while a batch told of it less than
// Interval ago; none to an entry told of any slot less than Interval ago.
// An entry whose patient booked the type in its window meanwhile is marked
// booked instead. A shared type's entries are one group: its free slots are
// the merged slots of its practitioners (SharedSlots), and its patient's
// booking of any of their types marks it booked. Each alert is recorded
// once (Deliver sends it). It returns how many it recorded. A practitioner
// whose calendar can't be read is left for the next round, and so is a
// shared type one of whose practitioners' calendars can't be read.
func (w *Waitlist) Alert(ctx context.Context) (int, error) {
	unlock, err := w.svc.locker.Lock(ctx, waitLock)
	if err != nil {
		return 0, err
	}
	defer unlock()
	now := w.svc.now()
	entries, err := w.st.ActiveWaitEntries(ctx, now)
	if err != nil {
		return 0, err
	}
	type group struct{ p, t, shared string }
	var order []group
	byGroup := map[group][]*WaitEntry{}
	for _, en := range entries {
		g := group{en.PractitionerID, en.TypeID, en.SharedID}
		if byGroup[g] == nil {
			order = append(order, g)
		}
		byGroup[g] = append(byGroup[g], en)
	}
	total := 0
	var errs []error
	for _, g := range order {
		n, err := w.alertGroup(ctx, g.p, g.t, g.shared, byGroup[g], now)
		total += n
		if err != nil {
			errs = append(errs, err)
		}
	}
	return total, errors.Join(errs...)
}

// alertGroup records the alerts of the entries of one practitioner's type,
// or of one shared type.
func (w *Waitlist) alertGroup(ctx context.Context, pid, tid, sharedID string, entries []*WaitEntry, now time.Time) (int, error) {
	s := w.svc
	g, err := s.waitTarget(pid, tid, sharedID)
	if err != nil {
		return 0, nil // a type no longer offered: its entries expire
	}
	loc := g.loc
	from, until := entries[0].Window.From, entries[0].Window.Until
	for _, en := range entries {
		from = minDate(from, en.Window.From)
		if until.Before(en.Window.Until) {
			until = en.Window.Until
		}
	}
	start, end := from.Midnight(loc), until.AddDays(1).Midnight(loc)
	entries, err = w.dropBooked(ctx, g, entries, start, end, now)
	if err != nil {
		return 0, err
	}
	if len(entries) == 0 {
		return 0, nil
	}
	if start.Before(now) {
		start = now
	}
	starts, err := s.waitFree(ctx, g, start, end)
	if err != nil {
		return 0, err
	}
	ids := make([]string, len(entries))
	for i, en := range entries {
		ids[i] = en.ID
	}
	past, err := w.st.WaitAlerts(ctx, ids)
	if err != nil {
		return 0, err
	}
	type key struct {
		entry string
		slot  int64
	}
	told := map[key]bool{}
	lastOfSlot := map[int64]time.Time{}   // the latest alert of a slot start
	lastOfEntry := map[string]time.Time{} // the latest alert to an entry
	for _, m := range past {
		told[key{m.EntryID, m.Slot.UnixNano()}] = true
		if m.CreatedAt.After(lastOfSlot[m.Slot.UnixNano()]) {
			lastOfSlot[m.Slot.UnixNano()] = m.CreatedAt
		}
		if m.CreatedAt.After(lastOfEntry[m.EntryID]) {
			lastOfEntry[m.EntryID] = m.CreatedAt
		}
	}
	var out []WaitMessage
	for _, slot := range starts {
		k := slot.UnixNano()
		if last, ok := lastOfSlot[k]; ok && now.Sub(last) < w.cfg.Interval {
			continue
		}
		n := 0
		for _, en := range entries {
			if n == w.cfg.Batch {
				break
			}
			if told[key{en.ID, k}] || !en.Window.Matches(slot, loc) {
				continue
			}
			if last, ok := lastOfEntry[en.ID]; ok && now.Sub(last) < w.cfg.Interval {
				continue
			}
			out = append(out, WaitMessage{EntryID: en.ID, Kind: WaitAlert, Slot: slot, CreatedAt: now})
			told[key{en.ID, k}] = true
			lastOfEntry[en.ID] = now
			n++
		}
	}
	if len(out) == 0 {
		return 0, nil
	}
	n, err := w.st.RecordWaitAlerts(ctx, out)
	w.stats[0].Add(int64(n))
	if err == nil && n > 0 {
		s.log.InfoContext(ctx, "waiting-list alerts recorded", "practitioner", pid, "shared", sharedID, "alerts", n)
	}
	return n, err
}

// dropBooked marks booked the entries whose patient holds an active booking
// of the target's type in the entry's window (for a shared type, of any of
// its practitioners' types), and returns the others.
func (w *Waitlist) dropBooked(ctx context.Context, g *waitTarget, entries []*WaitEntry, from, to time.Time, now time.Time) ([]*WaitEntry, error) {
	loc := g.loc
	booked := map[string][]*Booking{}
	for i, e := range g.es {
		bs, err := w.svc.store.BookingsBetween(ctx, e.p.ID, from, to)
		if err != nil {
			return nil, err
		}
		for _, b := range bs {
			if b.TypeID == g.ts[i].ID && b.Status.Active() && b.Patient.Email != "" {
				k := EmailKey(b.Patient.Email)
				booked[k] = append(booked[k], b)
			}
		}
	}
	var out []*WaitEntry
	for _, en := range entries {
		hit := false
		for _, b := range booked[en.EmailKey] {
			if en.Window.Matches(b.Start, loc) {
				hit = true
				break
			}
		}
		if !hit {
			out = append(out, en)
			continue
		}
		if _, err := w.st.SetWaitStatus(ctx, en.ID, WaitActive, WaitBooked, time.Time{}, now); err != nil {
			return nil, err
		}
		w.svc.log.InfoContext(ctx, "waiting-list entry booked", "entry", en.ID)
	}
	return out, nil
}

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func minDate(a, b Date) Date {
	if b.Before(a) {
		return b
	}
	return a
}

// Deliver sends the waiting list's messages that wait, in the order they
// were recorded, and returns how many it sent. A confirmation whose entry
// is no longer pending, or an alert whose entry is no longer active or
// whose slot has begun, is dropped unsent. A message the mail server
// refuses for now is tried again after a backoff (a minute per attempt),
// and given up after maxWaitAttempts attempts; the messages after it are
// not tried in this call (the server may be down) but by the next, so that
// one address that keeps failing holds back no one for long. Each message
// is claimed (leased for waitLease) just before it is sent.
func (w *Waitlist) Deliver(ctx context.Context) (int, error) {
	sent := 0
	for {
		// One at a time, each claimed just before it is sent: a batch
		// claimed at once could outlive its lease behind a slow mail
		// server, and be sent again by another process.
		now := w.svc.now()
		ms, err := w.st.ClaimWaitMessages(ctx, now, now.Add(waitLease), 1)
		if err != nil || len(ms) == 0 {
			return sent, err
		}
		m := ms[0]
		ok, err := w.deliver(ctx, m)
		if err != nil {
			// The ones after it wait for the next call (the server may be
			// down), not for this one's backoff.
			retry := now.Add(time.Duration(min(m.Attempts, maxWaitAttempts)) * time.Minute)
			return sent, errors.Join(err, w.st.WaitMessageRetry(ctx, m.Seq, retry))
		}
		if ok {
			sent++
		}
	}
}

func (w *Waitlist) deliverQuietly(ctx context.Context) {
	if _, err := w.Deliver(ctx); err != nil {
		w.svc.log.WarnContext(ctx, "waiting-list messages left for the jobs", "err", err)
	}
}

// deliver sends m if it still applies, and marks it done; it reports
// whether it was sent. An error means m waits for another attempt.
func (w *Waitlist) deliver(ctx context.Context, m WaitMessage) (bool, error) {
	s := w.svc
	done := func(failed bool) error { return w.st.WaitMessageDone(ctx, m.Seq, s.now(), failed) }
	en, err := w.st.WaitEntry(ctx, m.EntryID)
	if ErrorCode(err) == ENotFound {
		return false, done(true)
	} else if err != nil {
		return false, err
	}
	now := s.now()
	want := WaitActive
	if m.Kind == WaitConfirm {
		want = WaitPending
	}
	g, terr := s.waitTarget(en.PractitionerID, en.TypeID, en.SharedID)
	if en.State(now) != want || en.TokenHash == "" || terr != nil || (m.Kind == WaitAlert && !m.Slot.After(now)) {
		w.stats[2].Add(1)
		return false, done(false)
	}
	p := g.es[0].p
	n := WaitNotification{
		ID: fmt.Sprintf("%s-%d", en.ID, m.Seq), Kind: m.Kind, Entry: en, Practitioner: &p, Type: g.ts[0],
		Token: w.token(en.ID),
	}
	if g.st != nil {
		st := *g.st
		n.Shared = &st
	}
	if m.Kind == WaitAlert {
		n.Slot = Interval{Start: m.Slot, End: m.Slot.Add(g.duration())}
	}
	if err := w.n.NotifyWait(ctx, n); err != nil {
		code := ErrorCode(err)
		if code == EInvalid || code == EInternal || m.Attempts >= maxWaitAttempts {
			s.log.ErrorContext(ctx, "waiting-list message given up", "entry", en.ID, "kind", m.Kind, "err", err)
			w.stats[3].Add(1)
			return false, done(true)
		}
		s.log.WarnContext(ctx, "waiting-list message not sent, will retry", "entry", en.ID, "kind", m.Kind, "err", err)
		return false, err
	}
	s.log.InfoContext(ctx, "waiting-list message sent", "entry", en.ID, "kind", m.Kind)
	w.stats[1].Add(1)
	return true, done(false)
}

// Retain erases the contact of the entries that ended more than the
// retention of cancelled bookings ago (Retention.Cancelled).
func (w *Waitlist) Retain(ctx context.Context) (int, error) {
	before := w.svc.now().Add(-w.svc.retention.WithDefaults().Cancelled)
	total := 0
	for {
		ids, err := w.st.EraseWaitEntries(ctx, before, 500)
		total += len(ids)
		if err != nil || len(ids) < 500 {
			return total, err
		}
	}
}
