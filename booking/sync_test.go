package booking_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/internal/bookingtest"
)

// What the practitioner does in the calendar, Sync follows (and Reconcile
// as well), and the patient is told.
func TestSyncFollowsThePractitioner(t *testing.T) {
	tests := []struct {
		name   string
		typ    string
		change func(f *fixture, b *booking.Booking)
		status booking.Status
		start  time.Time
		kinds  string // notifications after created
		event  bool   // the event is there afterwards
	}{
		{"deleted", "consultation", func(f *fixture, b *booking.Booking) { f.cal.Remove(b.EventHref) },
			booking.StatusCancelled, at(1, 9, 0), "cancelled", false},
		{"cancelled", "consultation", func(f *fixture, b *booking.Booking) {
			f.cal.Edit(b.EventHref, func(ev *booking.BookingEvent) { ev.Status = booking.StatusCancelled })
		}, booking.StatusCancelled, at(1, 9, 0), "cancelled", true},
		{"moved", "consultation", func(f *fixture, b *booking.Booking) {
			f.cal.Edit(b.EventHref, func(ev *booking.BookingEvent) { ev.Start, ev.End = at(2, 15, 0), at(2, 15, 20) })
		}, booking.StatusConfirmed, at(2, 15, 0), "rescheduled", true},
		{"moved out of the window", "consultation", func(f *fixture, b *booking.Booking) {
			f.cal.Edit(b.EventHref, func(ev *booking.BookingEvent) { ev.Start, ev.End = ev.Start.AddDate(1, 0, 0), ev.End.AddDate(1, 0, 0) })
		}, booking.StatusConfirmed, at(1, 9, 0).AddDate(1, 0, 0), "rescheduled", true},
		{"confirmed", "suivi", func(f *fixture, b *booking.Booking) {
			f.cal.Edit(b.EventHref, func(ev *booking.BookingEvent) { ev.Status = booking.StatusConfirmed })
		}, booking.StatusConfirmed, at(1, 9, 0), "confirmed", true},
		{"deleted while pending, past its deadline", "suivi", func(f *fixture, b *booking.Booking) {
			f.cal.Remove(b.EventHref)
			f.clock.Add(time.Hour)
		}, booking.StatusExpired, at(1, 9, 0), "expired", false},
	}
	for _, pass := range []string{"Sync", "Reconcile"} {
		for _, tt := range tests {
			t.Run(pass+"/"+tt.name, func(t *testing.T) {
				f := newFixture(t)
				b, _ := f.book(tt.typ, at(1, 9, 0))
				f.book("consultation", at(3, 9, 0)) // left alone
				tt.change(f, b)
				run := f.svc.Sync
				if pass == "Reconcile" {
					run = f.svc.Reconcile
				}
				n, err := run(ctx)
				if n != 1 || err != nil {
					t.Fatalf("%s = %d, %v\n%s", pass, n, err, f.cal)
				}
				r := f.row(b.ID)
				if r.Status != tt.status || !r.Start.Equal(tt.start) {
					t.Errorf("row %s at %s, want %s at %s", r.Status, r.Start, tt.status, tt.start)
				}
				ev, ok := f.cal.EventOf(b.ID)
				switch {
				case ok != tt.event:
					t.Errorf("event there: %v, want %v", ok, tt.event)
				case ok && r.Status.Active():
					f.agree(b.ID)
				case ok && (ev.Status != booking.StatusCancelled || r.EventETag != ev.Ref.ETag):
					t.Errorf("event %+v", ev)
				}
				if got := f.notes.Kinds(b.ID); strings.Join(got, ",") != "created,"+tt.kinds {
					t.Errorf("notifications %v", got)
				}
				// A second pass changes nothing.
				if n, err := run(ctx); n != 0 || err != nil {
					t.Errorf("second %s = %d, %v", pass, n, err)
				}
			})
		}
	}
}

func TestSyncNothingChanged(t *testing.T) {
	f := newFixture(t)
	a, _ := f.book("consultation", at(1, 9, 0))
	_, tok := f.book("consultation", at(1, 10, 0))
	if _, err := f.svc.Cancel(ctx, tok); err != nil {
		t.Fatal(err)
	}
	creates, updates := f.cal.Calls(bookingtest.OpCreate), f.cal.Calls(bookingtest.OpUpdate)
	if n, err := f.svc.Sync(ctx); n != 0 || err != nil {
		t.Fatalf("Sync = %d, %v", n, err)
	}
	if f.cal.Calls(bookingtest.OpCreate) != creates || f.cal.Calls(bookingtest.OpUpdate) != updates {
		t.Error("a pass with nothing changed wrote")
	}
	// Only a new ETag: the row takes it, no one is told.
	f.cal.Edit(a.EventHref, func(*booking.BookingEvent) {})
	if n, err := f.svc.Sync(ctx); n != 0 || err != nil {
		t.Fatalf("Sync = %d, %v", n, err)
	}
	f.agree(a.ID)
	if len(f.notes.Sent()) != 3 {
		t.Errorf("notifications %v", f.notes.Kinds(""))
	}
	// A calendar that can't be read: an error, nothing changed.
	f.cal.FailBefore(bookingtest.OpEvents, 1, nil)
	if _, err := f.svc.Sync(ctx); booking.ErrorCode(err) != booking.EUnavailable {
		t.Errorf("Sync with the calendar unreadable: %v", err)
	}
	f.store.FailBefore(bookingtest.OpBookingsBetween, 1, nil)
	if _, err := f.svc.Sync(ctx); booking.ErrorCode(err) != booking.EUnavailable {
		t.Errorf("Sync with the store unreadable: %v", err)
	}
	f.cal.FailBefore(bookingtest.OpEvents, 1, nil)
	if _, err := f.svc.Reconcile(ctx); booking.ErrorCode(err) != booking.EUnavailable {
		t.Errorf("Reconcile with the calendar unreadable: %v", err)
	}
}

// The ledger is what the patient was told: an event that shows less is put
// back.
func TestReconcilePutsBack(t *testing.T) {
	t.Run("confirmed, event tentative again", func(t *testing.T) {
		f := newFixture(t)
		b, tok := f.book("suivi", at(1, 9, 0))
		if _, err := f.svc.Confirm(ctx, tok); err != nil {
			t.Fatal(err)
		}
		f.cal.Edit(b.EventHref, func(ev *booking.BookingEvent) { ev.Status = booking.StatusPending })
		if n, err := f.svc.Reconcile(ctx); n != 1 || err != nil {
			t.Fatalf("Reconcile = %d, %v", n, err)
		}
		f.agree(b.ID)
		if f.row(b.ID).Status != booking.StatusConfirmed {
			t.Error("the confirmation was lost")
		}
	})
	t.Run("cancelled, event active again", func(t *testing.T) {
		f := newFixture(t)
		b, tok := f.book("consultation", at(1, 9, 0))
		if _, err := f.svc.Cancel(ctx, tok); err != nil {
			t.Fatal(err)
		}
		f.cal.Edit(b.EventHref, func(ev *booking.BookingEvent) { ev.Status = booking.StatusConfirmed })
		if n, err := f.svc.Sync(ctx); n != 1 || err != nil {
			t.Fatalf("Sync = %d, %v", n, err)
		}
		f.agree(b.ID)
		if len(f.store.AllIntents()) != 0 {
			t.Error("an intent is left")
		}
	})
	t.Run("expired, event active again", func(t *testing.T) {
		f := newFixture(t)
		b, _ := f.book("suivi", at(1, 9, 0))
		f.clock.Add(time.Hour)
		f.svc.ExpirePending(ctx)
		f.cal.Put(booking.BookingEvent{Booking: b.ID, Type: "suivi", Start: b.Start, End: b.End, Status: booking.StatusPending, Sequence: 1})
		if n, err := f.svc.Reconcile(ctx); n != 1 || err != nil {
			t.Fatalf("Reconcile = %d, %v", n, err)
		}
		if _, ok := f.cal.EventOf(b.ID); ok {
			t.Error("the event of an expired booking is back")
		}
	})
	t.Run("an event of the booking elsewhere", func(t *testing.T) {
		f := newFixture(t)
		b, tok := f.book("consultation", at(1, 9, 0))
		f.svc.Cancel(ctx, tok)
		f.cal.Remove(b.EventHref)
		f.cal.Put(booking.BookingEvent{Ref: booking.EventRef{Href: "/elsewhere.ics"}, Booking: b.ID, Type: "consultation", Start: b.Start, End: b.End, Status: booking.StatusConfirmed})
		if n, err := f.svc.Reconcile(ctx); n != 0 || err != nil {
			t.Fatalf("Reconcile = %d, %v", n, err)
		}
		if _, ok := f.cal.Lookup("/elsewhere.ics"); !ok {
			t.Error("an object rdv did not write there was removed")
		}
	})
	t.Run("write refused", func(t *testing.T) {
		f := newFixture(t)
		b, tok := f.book("consultation", at(1, 9, 0))
		f.svc.Cancel(ctx, tok)
		f.cal.Edit(b.EventHref, func(ev *booking.BookingEvent) { ev.Status = booking.StatusConfirmed })
		f.cal.FailBefore(bookingtest.OpUpdate, 1, booking.Errorf(booking.EConflict, "412"))
		if _, err := f.svc.Reconcile(ctx); booking.ErrorCode(err) != booking.EConflict {
			t.Errorf("Reconcile: %v", err)
		}
		if len(f.store.AllIntents()) != 0 {
			t.Error("a refused write left its intent")
		}
	})
}

// An object at a booking's href that rdv can't read as its event is not a
// deleted event.
func TestReconcileForeignObject(t *testing.T) {
	f := newFixture(t)
	b, _ := f.book("consultation", at(1, 9, 0))
	f.cal.PutForeign(b.EventHref, b.Start, b.End)
	for _, run := range []func() (int, error){func() (int, error) { return f.svc.Sync(ctx) }, func() (int, error) { return f.svc.Reconcile(ctx) }} {
		if n, err := run(); n != 0 || err != nil {
			t.Fatalf("= %d, %v", n, err)
		}
	}
	if f.row(b.ID).Status != booking.StatusConfirmed || len(f.notes.Sent()) != 1 {
		t.Error("a booking whose event is unreadable was cancelled")
	}
}

// The guards: a pass that would cancel, or rewrite, the bookings of too
// many events at once changes nothing.
func TestSyncGuards(t *testing.T) {
	starts := []time.Time{at(1, 9, 0), at(1, 10, 0), at(1, 11, 0), at(1, 14, 0), at(1, 15, 0), at(1, 16, 0), at(2, 9, 0)}
	t.Run("mass cancel", func(t *testing.T) {
		f := newFixture(t)
		var ids []string
		for _, s := range starts {
			b, _ := f.book("consultation", s)
			ids = append(ids, b.ID)
		}
		saved := map[string]booking.BookingEvent{}
		for _, id := range ids {
			saved[id] = f.event(id)
		}
		f.cal.RemoveAll() // the calendar emptied
		before := len(f.notes.Sent())
		for _, run := range []func() (int, error){func() (int, error) { return f.svc.Sync(ctx) }, func() (int, error) { return f.svc.Reconcile(ctx) }} {
			n, err := run()
			if n != 0 || !errors.Is(err, booking.ErrSyncHeld) {
				t.Fatalf("= %d, %v; want held", n, err)
			}
		}
		for _, id := range ids {
			if f.row(id).Status != booking.StatusConfirmed {
				t.Fatal("a held pass cancelled a booking")
			}
		}
		if len(f.notes.Sent()) != before {
			t.Error("a held pass told a patient")
		}
		holds := f.svc.SyncHolds()
		if len(holds) != 1 || holds[0].PractitionerID != "demo" || holds[0].Active != 7 || len(holds[0].Missing) == 0 {
			t.Errorf("SyncHolds = %+v", holds)
		}
		if hs, err := f.svc.CheckSync(ctx); err != nil || len(hs) != 1 {
			t.Errorf("CheckSync = %+v, %v", hs, err)
		}
		// The events put back: the hold ends.
		for _, ev := range saved {
			f.cal.Put(ev)
		}
		if _, err := f.svc.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if hs := f.svc.SyncHolds(); len(hs) != 0 {
			t.Errorf("still held: %+v", hs)
		}
		if st := f.svc.SyncStats(); st != (booking.SyncStats{OK: 1, Held: 1}) {
			t.Errorf("SyncStats = %+v, want one pass held, one done (Reconcile is not a pass of Sync)", st)
		}
		if hs, err := f.svc.CheckSync(ctx); err != nil || len(hs) != 0 {
			t.Errorf("CheckSync = %+v, %v", hs, err)
		}
		// A few deleted: followed.
		f.cal.Remove(f.event(ids[0]).Ref.Href)
		f.cal.Remove(f.event(ids[1]).Ref.Href)
		if n, err := f.svc.Sync(ctx); n != 2 || err != nil {
			t.Errorf("Sync = %d, %v", n, err)
		}
	})
	t.Run("limit off", func(t *testing.T) {
		f := newFixture(t, func(c *booking.ServiceConfig) { c.SyncMaxCancelPercent = 100 })
		for _, s := range starts {
			f.book("consultation", s)
		}
		f.cal.RemoveAll()
		if n, err := f.svc.Sync(ctx); n != len(starts) || err != nil {
			t.Errorf("Sync = %d, %v", n, err)
		}
	})
	t.Run("mass rewrite", func(t *testing.T) {
		f := newFixture(t)
		var hrefs []string
		for _, s := range starts {
			b, tok := f.book("consultation", s)
			if _, err := f.svc.Cancel(ctx, tok); err != nil {
				t.Fatal(err)
			}
			hrefs = append(hrefs, b.EventHref)
		}
		// A calendar restored from a backup: every event active again.
		for _, h := range hrefs {
			f.cal.Edit(h, func(ev *booking.BookingEvent) { ev.Status, ev.Sequence = booking.StatusConfirmed, 0 })
		}
		updates := f.cal.Calls(bookingtest.OpUpdate)
		n, err := f.svc.Sync(ctx)
		if n != 0 || !errors.Is(err, booking.ErrSyncHeld) {
			t.Fatalf("Sync = %d, %v; want held", n, err)
		}
		if f.cal.Calls(bookingtest.OpUpdate) != updates {
			t.Error("a held pass rewrote events")
		}
		if hs := f.svc.SyncHolds(); len(hs) != 1 || len(hs[0].Rewrites) != len(starts) {
			t.Errorf("SyncHolds = %+v", hs)
		}
	})
}
