package main

import (
	"context"
	"errors"
	"maps"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
)

// Writes cut short, as the patient and the practitioner meet them: within
// the grace period of their write intent nothing undoes them (a request may
// be in flight on another replica), yet a patient's next change is not
// refused for rdv's own crash, and nobody is told of a change that no
// request was answered with; past it, what they left is settled.
func TestInterruptedWrites(t *testing.T) {
	ctx := context.Background()

	t.Run("a new event without its row holds its slot for the grace period only", func(t *testing.T) {
		h := newHarness(t, harnessOptions{})
		h.fstore.failNext("create", 1)
		h.fcal.failBefore("delete", 1) // and its clean-up fails too
		if _, _, err := h.svc.Book(ctx, bookRequest("consultation", day(2, 9, 0), 1)); err == nil {
			t.Fatal("book: no error")
		}
		if n := len(h.objects()); n != 1 {
			t.Fatalf("%d events after the failed booking, want its orphan", n)
		}
		// Within the grace period: reconcile, sync and the jobs leave it;
		// it is not reported as someone else's; its slot is taken.
		if _, err := h.svc.Reconcile(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := h.svc.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if n, err := h.svc.SettleIntents(ctx); n != 0 || err != nil {
			t.Errorf("SettleIntents within the grace period = %d, %v", n, err)
		}
		if n := len(h.objects()); n != 1 {
			t.Errorf("%d events within the grace period, want the orphan still", n)
		}
		if u, _ := h.svc.UnknownEvents("demo"); len(u) != 0 {
			t.Errorf("rdv's own orphan reported as unknown: %+v", u)
		}
		if _, _, err := h.svc.Book(ctx, bookRequest("consultation", day(2, 9, 0), 2)); booking.ErrorCode(err) != booking.EConflict {
			t.Errorf("booking the orphan's slot within the grace period: %v, want a conflict", err)
		}
		// Past it, the booking of that slot settles the orphan itself,
		// without waiting for the jobs.
		h.clock.Add(booking.DefaultIntentGrace + time.Second)
		b, _ := h.book("consultation", day(2, 9, 0), 3)
		if objs := h.objects(); len(objs) != 1 || objs[b.EventHref] == "" {
			t.Errorf("events after booking the freed slot: %v, want only %s", objs, b.EventHref)
		}
		h.checkAgree()
		if got := h.notes.kinds(b.ID); len(got) != 1 {
			t.Errorf("notifications %v", got)
		}
	})

	t.Run("a move cut short is not the practitioner's, and the patient may move again", func(t *testing.T) {
		h := newHarness(t, harnessOptions{})
		b, token := h.book("consultation", day(2, 10, 0), 1)
		h.fstore.failNext("update", 1)
		h.fcal.failLater("update", 1) // the move lands, its ledger write fails, and so does the restore
		if _, err := h.svc.Reschedule(ctx, token, day(2, 11, 0)); err == nil {
			t.Fatal("reschedule: no error")
		}
		if ev, _ := h.event(b.ID); !ev.Start.Equal(day(2, 11, 0)) {
			t.Fatalf("event at %s, want the half-made move at 11:00", ev.Start)
		}
		// A sync pass within the grace period does not take the event's
		// time for the practitioner's move: nobody is told anything.
		if n, err := h.svc.Sync(ctx); n != 0 || err != nil {
			t.Errorf("Sync = %d, %v; want no change", n, err)
		}
		if got := h.notes.kinds(b.ID); len(got) != 1 {
			t.Errorf("notifications after the cut-short move: %v", got)
		}
		if r := h.row(b.ID); !r.Start.Equal(day(2, 10, 0)) {
			t.Errorf("row at %s, want 10:00", r.Start)
		}
		// The patient tries again at once: no 409 blaming the practitioner.
		a, err := h.svc.Reschedule(ctx, token, day(2, 11, 0))
		if err != nil {
			t.Fatalf("moving again: %v", err)
		}
		if !a.Booking.Start.Equal(day(2, 11, 0)) {
			t.Errorf("moved to %s", a.Booking.Start)
		}
		h.checkAgree()
		if got := h.notes.kinds(b.ID); len(got) != 2 || got[1] != booking.NotifyRescheduled {
			t.Errorf("notifications: %v, want one for the move made", got)
		}
		h.clock.Add(booking.DefaultIntentGrace + time.Second)
		if n, err := h.svc.SettleIntents(ctx); n != 0 || err != nil {
			t.Errorf("SettleIntents after the move = %d, %v; want nothing left", n, err)
		}
		h.checkAgree()
	})

	t.Run("a cancel cut short is undone past the grace period, silently", func(t *testing.T) {
		h := newHarness(t, harnessOptions{})
		b, _ := h.book("consultation", day(2, 10, 0), 1)
		h.fstore.failNext("update", 1)
		h.fcal.failLater("update", 1)
		if _, err := h.svc.PractitionerCancel(ctx, b.ID); err == nil {
			t.Fatal("cancel: no error")
		}
		if ev, _ := h.event(b.ID); ev.Status != booking.StatusCancelled {
			t.Fatalf("event %s, want the half-made cancellation", ev.Status)
		}
		h.clock.Add(booking.DefaultIntentGrace + time.Second)
		if n, err := h.svc.SettleIntents(ctx); n != 1 || err != nil {
			t.Errorf("SettleIntents = %d, %v; want the event put back", n, err)
		}
		if ev, _ := h.event(b.ID); ev.Status != booking.StatusConfirmed || !ev.Start.Equal(day(2, 10, 0)) {
			t.Errorf("event %s at %s after settling, want confirmed at 10:00", ev.Status, ev.Start)
		}
		h.checkAgree()
		if got := h.notes.kinds(b.ID); len(got) != 1 {
			t.Errorf("notifications %v: the patient was told of a change no request was answered with", got)
		}
		// Then a real cancellation goes through.
		if _, err := h.svc.PractitionerCancel(ctx, b.ID); err != nil {
			t.Fatal(err)
		}
		h.checkAgree()
	})
}

// A calendar restored from an old backup shows as active the events of
// bookings that were cancelled since: putting the ledger's view back over
// all of them at once could destroy the practitioner's own changes, so the
// guard against mass changes holds the pass, as it does for mass
// cancellations, until the limits allow it.
func TestMassRewriteHeld(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, harnessOptions{})
	p := testPractitioner()
	var ids []string
	for i := range 7 {
		b, token := h.book("consultation", day(2, 9+i, 0), i)
		old := *h.row(b.ID)
		if _, err := h.svc.Cancel(ctx, token); err != nil {
			t.Fatal(err)
		}
		// The backup's copy of the event: confirmed, as before the cancel.
		ev, _ := h.event(b.ID)
		if _, err := h.cal.Update(ctx, booking.Appointment{Booking: &old, Practitioner: &p, Type: p.Type("consultation")}, ev.Ref); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, b.ID)
	}
	objects := h.objects()
	_, err := h.svc.Reconcile(ctx)
	if !errors.Is(err, booking.ErrSyncHeld) {
		t.Fatalf("Reconcile: %v, want a hold", err)
	}
	if got := h.objects(); !maps.Equal(got, objects) {
		t.Errorf("a held pass rewrote events")
	}
	holds := h.svc.SyncHolds()
	if len(holds) != 1 || len(holds[0].Rewrites) != 7 {
		t.Errorf("holds %+v, want one with 7 rewrites", holds)
	}
	for _, id := range ids {
		if got := h.notes.kinds(id); len(got) != 2 {
			t.Errorf("notifications of %s: %v", id, got)
		}
	}
}
