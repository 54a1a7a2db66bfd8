package main

import (
	"context"
	"maps"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/internal/bookingtest"
)

// TestFaults injects a fault at each step of create, confirm, reschedule,
// cancel and expiry: a calendar call that fails, a calendar write whose
// answer is lost after it landed, a ledger write that fails, a compensating
// write that fails after it. Afterwards, at once or after the
// reconciliation a restart runs, ledger and calendar agree. A write cut
// short is settled by what the patient was told, the ledger: an event no
// one was given is removed, a change no request was answered with is
// undone, and nobody is emailed about it; not before its write intent is
// older than the grace period, though, since it might be a request still
// in flight on another replica.
func TestFaults(t *testing.T) {
	type setup struct {
		h     *harness
		id    string
		token string
	}
	pending := func(h *harness) setup {
		b, token := h.book("suivi", day(2, 10, 0), 1)
		return setup{h, b.ID, token}
	}
	confirmed := func(h *harness) setup {
		b, token := h.book("consultation", day(2, 10, 0), 1)
		return setup{h, b.ID, token}
	}
	ctx := context.Background()
	book := func(s setup) error {
		_, _, err := s.h.svc.Book(ctx, bookRequest("consultation", day(2, 9, 0), 9))
		return err
	}
	confirm := func(s setup) error { _, err := s.h.svc.Confirm(ctx, s.token); return err }
	cancel := func(s setup) error { _, err := s.h.svc.Cancel(ctx, s.token); return err }
	reschedule := func(s setup) error { _, err := s.h.svc.Reschedule(ctx, s.token, day(2, 10, 10)); return err }
	expire := func(s setup) error {
		s.h.clock.Add(2 * time.Hour)
		_, err := s.h.svc.ExpirePending(ctx)
		return err
	}
	none := func(h *harness) setup { return setup{h: h} }

	tests := []struct {
		name      string
		delete    bool // delete_cancelled
		setup     func(*harness) setup
		fault     func(*harness)
		step      func(setup) error
		reconcile bool // the step leaves a half state that only reconciliation repairs
		want      booking.Status
	}{
		{"create: busy time unreadable", false, none, func(h *harness) { h.fcal.failBefore("busy", 1) }, book, false, ""},
		{"create: event write fails", false, none, func(h *harness) { h.fcal.failBefore("create", 1) }, book, false, ""},
		{"create: ledger write fails", false, none, func(h *harness) { h.fstore.failNext("create", 1) }, book, false, ""},
		{"create: event written, answer lost", false, none, func(h *harness) { h.fcal.failAfter("create", 1) }, book, true, ""},
		{"create: ledger fails, then the cleanup", false, none, func(h *harness) {
			h.fstore.failNext("create", 1)
			h.fcal.failBefore("delete", 1)
		}, book, true, ""},

		{"confirm: event write fails", false, pending, func(h *harness) { h.fcal.failBefore("update", 1) }, confirm, false, booking.StatusPending},
		{"confirm: ledger write fails", false, pending, func(h *harness) { h.fstore.failNext("update", 1) }, confirm, false, booking.StatusPending},
		{"confirm: event written, answer lost", false, pending, func(h *harness) { h.fcal.failAfter("update", 1) }, confirm, true, booking.StatusPending},
		{"confirm: ledger fails, then the restore", false, pending, func(h *harness) {
			h.fstore.failNext("update", 1)
			h.fcal.failLater("update", 1)
		}, confirm, true, booking.StatusPending},

		{"reschedule: busy time unreadable", false, confirmed, func(h *harness) { h.fcal.failBefore("busy", 1) }, reschedule, false, booking.StatusConfirmed},
		{"reschedule: event write fails", false, confirmed, func(h *harness) { h.fcal.failBefore("update", 1) }, reschedule, false, booking.StatusConfirmed},
		{"reschedule: ledger write fails", false, confirmed, func(h *harness) { h.fstore.failNext("update", 1) }, reschedule, false, booking.StatusConfirmed},
		{"reschedule: event written, answer lost", false, confirmed, func(h *harness) { h.fcal.failAfter("update", 1) }, reschedule, true, booking.StatusConfirmed},
		{"reschedule: ledger fails, then the restore", false, confirmed, func(h *harness) {
			h.fstore.failNext("update", 1)
			h.fcal.failLater("update", 1)
		}, reschedule, true, booking.StatusConfirmed},

		{"cancel: event write fails", false, confirmed, func(h *harness) { h.fcal.failBefore("update", 1) }, cancel, false, booking.StatusConfirmed},
		{"cancel: ledger write fails", false, confirmed, func(h *harness) { h.fstore.failNext("update", 1) }, cancel, false, booking.StatusConfirmed},
		{"cancel: event written, answer lost", false, confirmed, func(h *harness) { h.fcal.failAfter("update", 1) }, cancel, true, booking.StatusConfirmed},
		{"cancel: ledger fails, then the restore", false, confirmed, func(h *harness) {
			h.fstore.failNext("update", 1)
			h.fcal.failLater("update", 1)
		}, cancel, true, booking.StatusConfirmed},
		{"cancel and delete: delete fails", true, confirmed, func(h *harness) { h.fcal.failBefore("delete", 1) }, cancel, false, booking.StatusConfirmed},
		{"cancel and delete: ledger write fails", true, confirmed, func(h *harness) { h.fstore.failNext("update", 1) }, cancel, false, booking.StatusConfirmed},
		{"cancel and delete: deleted, answer lost", true, confirmed, func(h *harness) { h.fcal.failAfter("delete", 1) }, cancel, true, booking.StatusConfirmed},

		{"expire: delete fails", false, pending, func(h *harness) { h.fcal.failBefore("delete", 1) }, expire, false, booking.StatusPending},
		{"expire: ledger write fails", false, pending, func(h *harness) { h.fstore.failNext("update", 1) }, expire, false, booking.StatusPending},
		{"expire: deleted, answer lost", false, pending, func(h *harness) { h.fcal.failAfter("delete", 1) }, expire, true, booking.StatusPending},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, harnessOptions{deleteCancelled: tt.delete})
			s := tt.setup(h)
			before := 0
			var start time.Time
			if s.id != "" {
				before = len(h.notes.kinds(s.id))
				start = h.row(s.id).Start
			}
			tt.fault(h)
			err := tt.step(s)
			if code := booking.ErrorCode(err); code != booking.EUnavailable {
				t.Fatalf("step: %v, want an unavailable error (503)", err)
			}
			if !tt.reconcile {
				h.checkAgree()
				if s.id != "" {
					if got := h.row(s.id).Status; got != tt.want {
						t.Errorf("status %s after the fault, want %s", got, tt.want)
					}
					if got := h.notes.kinds(s.id); len(got) != before {
						t.Errorf("notifications %v after a failed step", got)
					}
				}
			}
			// A restart reconciles; then ledger and calendar agree, and the
			// service works on.
			restarted := mustNewService(t, booking.ServiceConfig{Store: h.db, Notifier: h.notes, Locker: h.locker,
				Now: h.clock.Now, Secret: h.secret, Logger: quietLogger(), DeleteCancelled: tt.delete})
			if err := restarted.AddPractitioner(testPractitioner(), h.cal); err != nil {
				t.Fatal(err)
			}
			if tt.reconcile {
				// Within the grace period, what the write left stays: it
				// may be a request in flight elsewhere.
				objects := h.objects()
				if _, err := restarted.Reconcile(ctx); err != nil {
					t.Fatalf("Reconcile within the grace period: %v", err)
				}
				if got := h.objects(); !maps.Equal(got, objects) {
					t.Errorf("reconciliation within the grace period changed the calendar: %v, then %v", objects, got)
				}
				h.clock.Add(booking.DefaultIntentGrace + time.Second)
			}
			if _, err := restarted.Reconcile(ctx); err != nil {
				t.Fatalf("Reconcile: %v", err)
			}
			h.checkAgree()
			if s.id != "" {
				if got := h.row(s.id).Status; got != tt.want {
					t.Errorf("status %s after reconciliation, want %s", got, tt.want)
				}
				if got := h.row(s.id).Start; !got.Equal(start) {
					t.Errorf("start %s after reconciliation, want %s", got, start)
				}
				if got := h.notes.kinds(s.id); len(got) != before {
					t.Errorf("notifications %v after reconciliation: the patient was told of a change no request was answered with", got[before:])
				}
				// The booking can still be changed, whatever ETag its event
				// has now.
				if strings.HasPrefix(tt.name, "expire") && tt.want.Active() {
					// The next run of the job releases it.
					if n, err := restarted.ExpirePending(ctx); n != 1 || err != nil {
						t.Errorf("ExpirePending after the fault = %d, %v", n, err)
					}
					h.checkAgree()
				} else if tt.want.Active() {
					if _, err := restarted.Reschedule(ctx, s.token, day(3, 15, 0)); err != nil {
						t.Errorf("reschedule after the fault: %v", err)
					}
					if _, err := restarted.Cancel(ctx, s.token); err != nil {
						t.Errorf("cancel after the fault: %v", err)
					}
					h.checkAgree()
				}
			} else if _, _, err := restarted.Book(ctx, bookRequest("consultation", day(2, 9, 0), 9)); err != nil {
				t.Errorf("the slot is not free after the failed booking: %v", err)
			}
		})
	}
}

// TestReconcile covers the cases of Reconcile that faults of rdv's own
// don't make: what the practitioner does in the calendar.
func TestReconcile(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, harnessOptions{})
	removed, _ := h.book("consultation", day(2, 9, 0), 1)
	moved, _ := h.book("consultation", day(2, 11, 0), 2)
	kept, _ := h.book("consultation", day(2, 14, 0), 3)

	// The practitioner deletes one event and moves another.
	if err := h.cal.Delete(ctx, booking.EventRef{Href: removed.EventHref}); err != nil {
		t.Fatal(err)
	}
	m := *h.row(moved.ID)
	m.Start, m.End, m.Sequence = day(3, 16, 0), day(3, 16, 20), 1
	p := testPractitioner()
	if _, err := h.cal.Update(ctx, booking.Appointment{Booking: &m, Practitioner: &p, Type: p.Type("consultation")},
		booking.EventRef{Href: moved.EventHref}); err != nil {
		t.Fatal(err)
	}
	n, err := h.svc.Reconcile(ctx)
	if err != nil || n != 2 {
		t.Fatalf("Reconcile = %d, %v; want 2 changes", n, err)
	}
	if got := h.row(removed.ID).Status; got != booking.StatusCancelled {
		t.Errorf("booking whose event was deleted: %s, want cancelled", got)
	}
	if r := h.row(moved.ID); !r.Start.Equal(day(3, 16, 0)) || r.Status != booking.StatusConfirmed {
		t.Errorf("booking whose event was moved: %+v", r)
	}
	if got := h.notes.kinds(removed.ID); got[len(got)-1] != booking.NotifyCancelled {
		t.Errorf("notifications of the removed booking: %v", got)
	}
	if got := h.notes.kinds(moved.ID); got[len(got)-1] != booking.NotifyRescheduled {
		t.Errorf("notifications of the moved booking: %v", got)
	}
	if got := h.notes.kinds(kept.ID); len(got) != 1 {
		t.Errorf("notifications of the untouched booking: %v", got)
	}
	if n, err := h.svc.Reconcile(ctx); err != nil || n != 0 {
		t.Errorf("second Reconcile = %d, %v; want nothing to do", n, err)
	}
	h.checkAgree()
}

// TestConcurrentOverlappingBookings sends 200 booking requests at once
// through the API, in five groups of overlapping requests (20- and
// 30-minute visits starting at the same time or ten minutes apart): exactly
// one succeeds per group, the calendar never holds two overlapping active
// bookings, and the ledger matches the calendar.
func TestConcurrentOverlappingBookings(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	const groups, perGroup = 5, 40
	type attempt struct {
		group int
		typ   string
		start time.Time
	}
	var attempts []attempt
	for g := range groups {
		base := day(2, 8+2*g, 0)
		for i := range perGroup {
			typ := []string{"consultation", "suivi"}[i%2]
			start := base.Add(time.Duration((i/2)%2) * 10 * time.Minute)
			attempts = append(attempts, attempt{g, typ, start})
		}
	}
	codes := make([]int, len(attempts))
	var wg sync.WaitGroup
	for i, a := range attempts {
		wg.Go(func() {
			codes[i], _ = h.apiPost("/v1/bookings", map[string]any{
				"practitioner": "demo", "type": a.typ, "start": a.start.Format(time.RFC3339),
				"patient": map[string]any{"name": bookingtest.PatientName(i), "email": "p" + itoa(i) + "@example.org"},
			})
		})
	}
	wg.Wait()
	wins := make([]int, groups)
	for i, c := range codes {
		switch c {
		case http.StatusCreated:
			wins[attempts[i].group]++
		case http.StatusConflict:
		default:
			t.Errorf("attempt %d: status %d", i, c)
		}
	}
	for g, w := range wins {
		if w != 1 {
			t.Errorf("group %d: %d successes, want 1", g, w)
		}
	}
	rows, _ := h.db.BookingsBetween(context.Background(), "demo", farPast, farFuture)
	if len(rows) != groups {
		t.Errorf("%d ledger rows, want %d", len(rows), groups)
	}
	h.checkAgree()
}
