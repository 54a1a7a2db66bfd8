package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/api"
	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/store"
)

// Ledger updates are compare-and-set on the row's revision: when a booking's
// row changes between a replica's read under the practitioner's lock and its
// write (another process wrote it, the lock lost with its PostgreSQL
// session), the replica's change records nothing, its calendar write is
// compensated to show the row as the ledger holds it, and the patient gets
// 409.

// interloper is the store of a replica while another process, its lock
// lost, changes a booking's row behind the replica's back: just before the
// replica's next update of booking id reaches the store, change is applied
// to the row as it is then, through the real store (a compare-and-set too).
type interloper struct {
	booking.Store
	db *store.SQLite

	mu     sync.Mutex
	id     string
	change func(b *booking.Booking)
}

// next makes change happen before the next update of booking id.
func (s *interloper) next(id string, change func(b *booking.Booking)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.id, s.change = id, change
}

func (s *interloper) Record(ctx context.Context, c booking.Change) error {
	s.mu.Lock()
	change := s.change
	if c.Create || c.Booking.ID != s.id {
		change = nil
	}
	if change != nil {
		s.change = nil
	}
	s.mu.Unlock()
	if change != nil {
		cur, err := s.db.Booking(ctx, c.Booking.ID)
		if err != nil {
			return err
		}
		change(cur)
		cur.UpdatedAt = cur.UpdatedAt.Add(time.Second)
		if err := recordUpdate(s.db, ctx, cur); err != nil {
			return err
		}
	}
	return s.Store.Record(ctx, c)
}

// outboxKinds returns the kinds of the outbox messages of booking id, its
// reminders aside (they wait for their time).
func (h *harness) outboxKinds(id string) []string {
	h.t.Helper()
	var kinds string
	if err := h.dbQuery(`SELECT coalesce(group_concat(kind, ','), '') FROM (SELECT kind FROM outbox WHERE booking_id = ? AND kind <> 'reminder' ORDER BY created_at)`, id).Scan(&kinds); err != nil {
		h.t.Fatal(err)
	}
	if kinds == "" {
		return nil
	}
	return strings.Split(kinds, ",")
}

func TestLedgerChangedMeanwhile(t *testing.T) {
	ctx := context.Background()
	moved := day(3, 15, 0)
	for _, tt := range []struct {
		name            string
		deleteCancelled bool
		typ             string
		// act is the patient's request to the replica's API.
		act  func(token string) (path string, body any)
		kind string // the notification of the patient's change, which must not be recorded
		// change is what the other process recorded meanwhile.
		change func(b *booking.Booking)
		// What the ledger then holds, and the calendar must show.
		status booking.Status
		start  time.Time
	}{{
		name:   "cancel while the row was refreshed",
		typ:    "consultation",
		act:    func(tok string) (string, any) { return "/v1/bookings/" + tok + "/cancel", nil },
		kind:   booking.NotifyCancelled,
		change: func(b *booking.Booking) {}, // a new revision only, as an ETag refresh makes
		status: booking.StatusConfirmed, start: day(2, 9, 0),
	}, {
		name: "reschedule while it was cancelled",
		typ:  "consultation",
		act: func(tok string) (string, any) {
			return "/v1/bookings/" + tok + "/reschedule", map[string]any{"start": day(2, 11, 0).Format(time.RFC3339)}
		},
		kind:   booking.NotifyRescheduled,
		change: func(b *booking.Booking) { b.Status, b.Sequence = booking.StatusCancelled, b.Sequence+1 },
		status: booking.StatusCancelled, start: day(2, 9, 0),
	}, {
		name:   "confirm while it expired",
		typ:    "suivi",
		act:    func(tok string) (string, any) { return "/v1/bookings/" + tok + "/confirm", nil },
		kind:   booking.NotifyConfirmed,
		change: func(b *booking.Booking) { b.Status, b.Sequence = booking.StatusExpired, b.Sequence+1 },
		status: booking.StatusExpired, start: day(2, 9, 0),
	}, {
		name:            "cancel, event deleted, while it was moved",
		deleteCancelled: true,
		typ:             "consultation",
		act:             func(tok string) (string, any) { return "/v1/bookings/" + tok + "/cancel", nil },
		kind:            booking.NotifyCancelled,
		change: func(b *booking.Booking) {
			b.Start, b.End, b.Sequence = moved, moved.Add(20*time.Minute), b.Sequence+1
		},
		status: booking.StatusConfirmed, start: moved,
	}} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, harnessOptions{deleteCancelled: tt.deleteCancelled})
			b, token := h.book(tt.typ, day(2, 9, 0), 1)

			// The replica, its store changed behind its back.
			st := &interloper{Store: h.fstore, db: h.db}
			replica := mustNewService(t, booking.ServiceConfig{
				Store: st, Notifier: h.notes, Locker: h.locker, Now: h.clock.Now, Secret: h.secret,
				Logger: quietLogger(), DeleteCancelled: tt.deleteCancelled,
			})
			if err := replica.AddPractitioner(testPractitioner(), h.fcal); err != nil {
				t.Fatal(err)
			}
			web, err := api.New(api.Config{Service: replica, BaseURL: "http://rdv.test", Logger: quietLogger(), Now: h.clock.Now, NoRateLimits: true})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(web)
			defer srv.Close()
			h.api = srv // apiPost goes to the replica

			st.next(b.ID, tt.change)
			path, body := tt.act(token)
			code, resp := h.apiPost(path, body)
			if detail, _ := resp["detail"].(string); code != http.StatusConflict || !strings.Contains(detail, "changed at the same time; reload") {
				t.Fatalf("%s: %d %v, want 409 saying the booking changed at the same time", path, code, resp)
			}

			// The ledger holds the other process's change, and nothing of the
			// replica's: no row change, no message.
			row := h.row(b.ID)
			if row.Status != tt.status || !row.Start.Equal(tt.start) || row.Revision != 1 {
				t.Errorf("row %s at %s, revision %d; want %s at %s, revision 1", row.Status, row.Start, row.Revision, tt.status, tt.start)
			}
			if kinds := h.outboxKinds(b.ID); len(kinds) != 1 || kinds[0] != booking.NotifyCreated {
				t.Errorf("outbox of the booking: %v, want only its creation (no %s)", kinds, tt.kind)
			}
			for _, k := range h.notes.kinds(b.ID) {
				if k == tt.kind {
					t.Errorf("the patient was told %s", k)
				}
			}

			// The calendar was compensated: it shows the ledger's row.
			h.checkAgree()
			ev, found := h.event(b.ID)
			switch {
			case tt.status.Active():
				if !found || ev.Status != tt.status || !ev.Start.Equal(tt.start) || ev.Sequence != row.Sequence {
					t.Errorf("event %+v (found %v), want it to show the row %s at %s, sequence %d", ev, found, row.Status, row.Start, row.Sequence)
				}
			case tt.status == booking.StatusExpired:
				if found {
					t.Errorf("event %+v of an expired booking left", ev)
				}
			default:
				if !found || ev.Status != booking.StatusCancelled || !ev.Start.Equal(tt.start) {
					t.Errorf("event %+v (found %v), want it struck out at %s", ev, found, tt.start)
				}
			}
			// Ledger and calendar agree: reconciling changes nothing.
			if n, err := h.svc.Reconcile(ctx); n != 0 || err != nil {
				t.Errorf("Reconcile after the conflict = %d, %v; want nothing to do", n, err)
			}

			// The patient reloads and tries again: from the row as it is now,
			// the change applies (or is refused for what the row says).
			if tt.status.Active() {
				path, body := tt.act(token)
				if code, resp := h.apiPost(path, body); code != http.StatusOK {
					t.Errorf("%s again: %d %v", path, code, resp)
				}
				h.checkAgree()
			}
		})
	}
}
