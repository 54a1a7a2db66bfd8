package booking_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/internal/bookingtest"
)

func TestExpirePending(t *testing.T) {
	f := newFixture(t)
	b, _ := f.book("suivi", at(1, 9, 0))
	c, _ := f.book("consultation", at(1, 10, 0))
	// Before the deadline: nothing.
	f.clock.Add(59 * time.Minute)
	if n, err := f.svc.ExpirePending(ctx); n != 0 || err != nil {
		t.Fatalf("ExpirePending before the deadline = %d, %v", n, err)
	}
	f.clock.Add(time.Minute)
	if n, err := f.svc.ExpirePending(ctx); n != 1 || err != nil {
		t.Fatalf("ExpirePending = %d, %v", n, err)
	}
	if r := f.row(b.ID); r.Status != booking.StatusExpired || r.Sequence != 1 {
		t.Errorf("row %s seq %d", r.Status, r.Sequence)
	}
	if _, ok := f.cal.EventOf(b.ID); ok {
		t.Error("the event of an expired booking is left")
	}
	if f.row(c.ID).Status != booking.StatusConfirmed {
		t.Error("a confirmed booking was touched")
	}
	if got := f.notes.Kinds(b.ID); strings.Join(got, ",") != "created,expired" {
		t.Errorf("notifications %v", got)
	}
	if n, err := f.svc.ExpirePending(ctx); n != 0 || err != nil {
		t.Errorf("ExpirePending again = %d, %v", n, err)
	}

	t.Run("never past its start", func(t *testing.T) {
		f := newFixture(t)
		f.clock.Set(at(1, 8, 50))
		b, _ := f.book("suivi", at(1, 9, 0))
		if d := f.svc.Deadline(booking.Appointment{Booking: b, Type: &testPractitioner().Types[1]}); !d.Equal(at(1, 9, 0)) {
			t.Errorf("deadline %s, want the start", d)
		}
		f.clock.Set(at(1, 9, 0))
		if n, err := f.svc.ExpirePending(ctx); n != 1 || err != nil {
			t.Errorf("ExpirePending = %d, %v", n, err)
		}
	})
	t.Run("failures", func(t *testing.T) {
		f := newFixture(t)
		b, _ := f.book("suivi", at(1, 9, 0))
		f.clock.Add(time.Hour)
		f.store.FailBefore(bookingtest.OpPendingBookings, 1, nil)
		if _, err := f.svc.ExpirePending(ctx); booking.ErrorCode(err) != booking.EUnavailable {
			t.Errorf("pending unreadable: %v", err)
		}
		f.cal.FailBefore(bookingtest.OpDelete, 1, nil)
		if n, err := f.svc.ExpirePending(ctx); n != 0 || err == nil {
			t.Errorf("delete fails: %d, %v", n, err)
		}
		if f.row(b.ID).Status != booking.StatusPending {
			t.Error("released without its event removed")
		}
		f.store.FailBefore(bookingtest.OpBooking, 1, nil)
		if n, err := f.svc.ExpirePending(ctx); n != 0 || err == nil {
			t.Errorf("row unreadable: %d, %v", n, err)
		}
		if n, err := f.svc.ExpirePending(ctx); n != 1 || err != nil {
			t.Errorf("then: %d, %v", n, err)
		}
	})
}

// A notification that can't be sent stays in the outbox and is sent again
// with a backoff; one that can never be sent is given up.
func TestDispatch(t *testing.T) {
	f := newFixture(t)
	f.notes.FailBefore(bookingtest.OpNotify, 2, errors.New("smtp: 421 try later"))
	b, tok := f.book("consultation", at(1, 9, 0))
	ob := notReminders(f.store.Outbox())
	if len(ob) != 1 || !ob[0].Sent.IsZero() || ob[0].Message.Attempts != 1 || ob[0].Reason != "internal: unexpected error" {
		t.Fatalf("outbox after a failed delivery: %+v", ob)
	}
	// Not due yet.
	if n, err := f.svc.Dispatch(ctx); n != 0 || err != nil {
		t.Errorf("Dispatch before the retry = %d, %v", n, err)
	}
	f.clock.Add(30 * time.Second)
	if n, err := f.svc.Dispatch(ctx); n != 0 || err != nil {
		t.Errorf("Dispatch, failing again = %d, %v", n, err)
	}
	if d := f.store.Outbox()[0].Due; !d.Equal(f.clock.Now().Add(time.Minute)) {
		t.Errorf("second retry at %s, want a minute later", d)
	}
	f.clock.Add(time.Minute)
	if n, err := f.svc.Dispatch(ctx); n != 1 || err != nil {
		t.Errorf("Dispatch = %d, %v", n, err)
	}
	sent := f.notes.Sent()
	if len(sent) != 1 || sent[0].ManageToken != tok || sent[0].Appointment.Booking.ID != b.ID || sent[0].Appointment.Booking.Start.Location() != paris {
		t.Errorf("sent %+v", sent)
	}
	if ob := f.store.Outbox(); ob[0].Sent.IsZero() || ob[0].Message.Sealed != nil || ob[0].Message.Attempts != 3 {
		t.Errorf("outbox %+v", ob)
	}
	// Sent messages are purged after a week.
	f.clock.Add(8 * 24 * time.Hour)
	if err := f.svc.Purge(ctx); err != nil || len(notReminders(f.store.Outbox())) != 0 {
		t.Errorf("Purge: %v, %d left", err, len(notReminders(f.store.Outbox())))
	}
	f.store.FailBefore(bookingtest.OpClaimOutbox, 1, nil)
	if _, err := f.svc.Dispatch(ctx); booking.ErrorCode(err) != booking.EUnavailable {
		t.Errorf("Dispatch with the outbox unreadable: %v", err)
	}
}

func TestDispatchGivesUp(t *testing.T) {
	t.Run("permanent", func(t *testing.T) {
		f := newFixture(t)
		f.notes.FailBefore(bookingtest.OpNotify, 1, booking.Errorf(booking.EInvalid, "no such mailbox"))
		f.book("consultation", at(1, 9, 0))
		ob := f.store.Outbox()
		if ob[0].Failed.IsZero() || ob[0].Message.Sealed != nil || ob[0].Reason != "invalid: no such mailbox" {
			t.Errorf("a permanent failure not given up: %+v", ob[0])
		}
	})
	t.Run("attempts", func(t *testing.T) {
		f := newFixture(t)
		f.notes.FailBefore(bookingtest.OpNotify, bookingtest.Always, nil)
		f.book("consultation", at(1, 9, 0))
		for range booking.MaxAttempts + 5 {
			f.clock.Add(time.Hour)
			if _, err := f.svc.Dispatch(ctx); err != nil {
				t.Fatal(err)
			}
		}
		ob := f.store.Outbox()
		if ob[0].Failed.IsZero() || ob[0].Message.Attempts != booking.MaxAttempts {
			t.Errorf("after %d attempts: %+v", ob[0].Message.Attempts, ob[0])
		}
		if f.notes.Calls(bookingtest.OpNotify) != booking.MaxAttempts {
			t.Errorf("%d attempts", f.notes.Calls(bookingtest.OpNotify))
		}
	})
	t.Run("another secret", func(t *testing.T) {
		f := newFixture(t)
		f.notes.FailBefore(bookingtest.OpNotify, 1, nil)
		f.book("consultation", at(1, 9, 0))
		other := f.service(booking.ServiceConfig{Store: f.store, Notifier: f.notes, Now: f.clock.Now, Logger: f.quiet()})
		f.clock.Add(time.Minute)
		if n, err := other.Dispatch(ctx); n != 0 || err != nil {
			t.Errorf("Dispatch = %d, %v", n, err)
		}
		if ob := f.store.Outbox(); ob[0].Failed.IsZero() {
			t.Errorf("a token that can't be opened is not given up: %+v", ob[0])
		}
	})
	t.Run("booking gone", func(t *testing.T) {
		f := newFixture(t)
		f.notes.FailBefore(bookingtest.OpNotify, 1, nil)
		f.book("consultation", at(1, 9, 0))
		st := &noBookings{Store: f.store}
		other := f.service(booking.ServiceConfig{Store: st, Notifier: f.notes, Now: f.clock.Now, Secret: secret, Logger: f.quiet()})
		f.clock.Add(time.Minute)
		other.Dispatch(ctx)
		if ob := f.store.Outbox(); ob[0].Failed.IsZero() || !strings.HasPrefix(ob[0].Reason, "internal:") {
			t.Errorf("a message without its booking is not given up: %+v", ob[0])
		}
	})
	t.Run("outbox not updated", func(t *testing.T) {
		f := newFixture(t)
		f.store.FailBefore(bookingtest.OpOutboxSent, 1, nil)
		f.book("consultation", at(1, 9, 0))
		// Sent, but not marked: the lease runs out (5 minutes) and it is
		// sent again, with the same Message-ID.
		f.clock.Add(6 * time.Minute)
		if n, _ := f.svc.Dispatch(ctx); n != 1 || len(f.notes.Sent()) != 2 {
			t.Errorf("Dispatch = %d, %d sent", n, len(f.notes.Sent()))
		}
	})
	t.Run("claim fails at once", func(t *testing.T) {
		f := newFixture(t)
		f.store.FailBefore(bookingtest.OpClaimOutbox, 1, nil)
		f.book("consultation", at(1, 9, 0))
		if len(f.notes.Sent()) != 0 {
			t.Error("sent without a claim")
		}
		if n, _ := f.svc.Dispatch(ctx); n != 1 {
			t.Errorf("Dispatch = %d", n)
		}
	})
}

func (f *fixture) quiet() *slogLogger { return newQuietLogger(f.logs) }

// noBookings is a store that has lost its bookings.
type noBookings struct{ *bookingtest.Store }

func (s *noBookings) Booking(context.Context, string) (*booking.Booking, error) {
	return nil, booking.Errorf(booking.ENotFound, "gone")
}
