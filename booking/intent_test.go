package booking_test

import (
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/internal/bookingtest"
)

// Write intents: what a write cut short between the calendar and the
// ledger left is put right once its grace period is over, and only then.
func TestIntentCreateOrphan(t *testing.T) {
	f := newFixture(t)
	start := at(1, 9, 0)
	// The ledger fails, and so does the clean-up: an event without a row.
	f.store.FailBefore(bookingtest.OpRecordCreate, 1, nil)
	f.cal.FailBefore(bookingtest.OpDelete, 1, nil)
	_, _, err := f.svc.Book(ctx, booking.BookRequest{PractitionerID: "demo", TypeID: "consultation", Start: start, Patient: patient})
	wantCode(t, err, booking.EUnavailable)
	if f.cal.Len() != 1 || len(f.store.AllIntents()) != 1 || len(f.store.Bookings()) != 0 {
		t.Fatalf("%d events, %d intents, %d rows", f.cal.Len(), len(f.store.AllIntents()), len(f.store.Bookings()))
	}
	// Within the grace period it is left to its writer.
	if n, err := f.svc.SettleIntents(ctx); n != 0 || err != nil || f.cal.Len() != 1 {
		t.Fatalf("SettleIntents within the grace = %d, %v", n, err)
	}
	_, _, err = f.svc.Book(ctx, booking.BookRequest{PractitionerID: "demo", TypeID: "consultation", Start: start, Patient: patient})
	wantCode(t, err, booking.EConflict)
	// Past it, a booking of the slot settles it first, and takes the slot.
	f.clock.Add(booking.DefaultIntentGrace + time.Second)
	b, _ := f.book("consultation", start)
	if f.cal.Len() != 1 || len(f.store.AllIntents()) != 0 {
		t.Errorf("%d events, %d intents after", f.cal.Len(), len(f.store.AllIntents()))
	}
	f.agree(b.ID)
}

func TestSettleIntents(t *testing.T) {
	t.Run("create orphan", func(t *testing.T) {
		f := newFixture(t, func(c *booking.ServiceConfig) { c.IntentGrace = 5 * time.Minute })
		f.store.FailBefore(bookingtest.OpRecordCreate, 1, nil)
		f.cal.FailBefore(bookingtest.OpDelete, 1, nil)
		f.svc.Book(ctx, booking.BookRequest{PractitionerID: "demo", TypeID: "consultation", Start: at(1, 9, 0), Patient: patient})
		f.clock.Add(2 * time.Minute)
		if n, _ := f.svc.SettleIntents(ctx); n != 0 {
			t.Error("settled within the configured grace")
		}
		f.clock.Add(4 * time.Minute)
		if n, err := f.svc.SettleIntents(ctx); n != 1 || err != nil || f.cal.Len() != 0 || len(f.store.AllIntents()) != 0 {
			t.Errorf("SettleIntents = %d, %v; %d events, %d intents", n, err, f.cal.Len(), len(f.store.AllIntents()))
		}
	})
	t.Run("create never written", func(t *testing.T) {
		f := newFixture(t)
		f.cal.FailBefore(bookingtest.OpCreate, 1, nil)
		f.svc.Book(ctx, booking.BookRequest{PractitionerID: "demo", TypeID: "consultation", Start: at(1, 9, 0), Patient: patient})
		f.clock.Add(2 * time.Minute)
		if n, err := f.svc.SettleIntents(ctx); n != 0 || err != nil || len(f.store.AllIntents()) != 0 {
			t.Errorf("SettleIntents = %d, %v; %d intents", n, err, len(f.store.AllIntents()))
		}
	})
	t.Run("create: another object there", func(t *testing.T) {
		f := newFixture(t)
		f.cal.FailAfter(bookingtest.OpCreate, 1, nil)
		f.svc.Book(ctx, booking.BookRequest{PractitionerID: "demo", TypeID: "consultation", Start: at(1, 9, 0), Patient: patient})
		href := f.cal.Hrefs()[0]
		f.cal.PutForeign(href, at(1, 9, 0), at(1, 10, 0))
		f.clock.Add(2 * time.Minute)
		if n, err := f.svc.SettleIntents(ctx); n != 0 || err != nil || f.cal.Len() != 1 || len(f.store.AllIntents()) != 0 {
			t.Errorf("SettleIntents = %d, %v; %d events", n, err, f.cal.Len())
		}
	})
	t.Run("calendar unreadable", func(t *testing.T) {
		f := newFixture(t)
		f.cal.FailAfter(bookingtest.OpCreate, 1, nil)
		f.svc.Book(ctx, booking.BookRequest{PractitionerID: "demo", TypeID: "consultation", Start: at(1, 9, 0), Patient: patient})
		f.clock.Add(2 * time.Minute)
		f.cal.FailBefore(bookingtest.OpEvent, 1, nil)
		if _, err := f.svc.SettleIntents(ctx); booking.ErrorCode(err) != booking.EUnavailable || len(f.store.AllIntents()) != 1 {
			t.Errorf("SettleIntents: %v", err)
		}
		f.store.FailBefore(bookingtest.OpIntents, 1, nil)
		if _, err := f.svc.SettleIntents(ctx); booking.ErrorCode(err) != booking.EUnavailable {
			t.Errorf("SettleIntents: %v", err)
		}
		if n, err := f.svc.SettleIntents(ctx); n != 1 || err != nil {
			t.Errorf("SettleIntents = %d, %v", n, err)
		}
	})
	t.Run("interrupted update reverted", func(t *testing.T) {
		f := newFixture(t)
		b, tok := f.book("consultation", at(1, 9, 0))
		// The event is cancelled, the answer lost: the row still says
		// confirmed, and so did the patient's screen.
		f.cal.FailAfter(bookingtest.OpUpdate, 1, nil)
		_, err := f.svc.Cancel(ctx, tok)
		wantCode(t, err, booking.EUnavailable)
		if ev := f.event(b.ID); ev.Status != booking.StatusCancelled || f.row(b.ID).Status != booking.StatusConfirmed || len(f.store.AllIntents()) != 1 {
			t.Fatalf("event %s, row %s", ev.Status, f.row(b.ID).Status)
		}
		f.clock.Add(2 * time.Minute)
		if n, err := f.svc.SettleIntents(ctx); n != 1 || err != nil {
			t.Fatalf("SettleIntents = %d, %v", n, err)
		}
		f.agree(b.ID)
		if f.event(b.ID).Status != booking.StatusConfirmed || len(f.store.AllIntents()) != 0 {
			t.Error("the change was not reverted")
		}
		if n, _ := f.svc.SettleIntents(ctx); n != 0 {
			t.Error("settled twice")
		}
	})
	t.Run("interrupted delete reverted", func(t *testing.T) {
		f := newFixture(t, func(c *booking.ServiceConfig) { c.DeleteCancelled = true })
		b, tok := f.book("consultation", at(1, 9, 0))
		f.cal.FailAfter(bookingtest.OpDelete, 1, nil)
		if _, err := f.svc.Cancel(ctx, tok); err == nil {
			t.Fatal("no error")
		}
		f.clock.Add(2 * time.Minute)
		if n, err := f.svc.SettleIntents(ctx); n != 1 || err != nil {
			t.Fatalf("SettleIntents = %d, %v", n, err)
		}
		f.agree(b.ID)
	})
	t.Run("update changed since by the practitioner", func(t *testing.T) {
		f := newFixture(t)
		b, tok := f.book("consultation", at(1, 9, 0))
		f.cal.FailAfter(bookingtest.OpUpdate, 1, nil)
		f.svc.Cancel(ctx, tok)
		f.cal.Edit(b.EventHref, func(ev *booking.BookingEvent) { ev.Start, ev.End = at(2, 9, 0), at(2, 9, 20) })
		f.clock.Add(2 * time.Minute)
		if n, err := f.svc.SettleIntents(ctx); n != 0 || err != nil || len(f.store.AllIntents()) != 0 {
			t.Errorf("SettleIntents = %d, %v", n, err)
		}
		if ev := f.event(b.ID); !ev.Start.Equal(at(2, 9, 0)) {
			t.Error("the practitioner's change was undone")
		}
	})
	t.Run("the ledger recorded it", func(t *testing.T) {
		f := newFixture(t)
		b, tok := f.book("consultation", at(1, 9, 0))
		// The row is recorded, the answer lost: the intent is gone with it.
		f.store.FailAfter(bookingtest.OpRecordUpdate, 1, nil)
		f.svc.Cancel(ctx, tok)
		f.clock.Add(2 * time.Minute)
		if n, err := f.svc.SettleIntents(ctx); n != 0 || err != nil {
			t.Errorf("SettleIntents = %d, %v", n, err)
		}
		if f.row(b.ID).Status != booking.StatusCancelled {
			t.Errorf("row %s", f.row(b.ID).Status)
		}
	})
}

// A patient who moves their booking right after a move cut short is not
// refused: the intent of the booking is settled at once, under the lock.
func TestMoveAfterInterruptedMove(t *testing.T) {
	f := newFixture(t)
	b, tok := f.book("consultation", at(1, 9, 0))
	f.cal.FailAfter(bookingtest.OpUpdate, 1, nil)
	_, err := f.svc.Reschedule(ctx, tok, at(1, 10, 0))
	wantCode(t, err, booking.EUnavailable)
	if ev := f.event(b.ID); !ev.Start.Equal(at(1, 10, 0)) {
		t.Fatalf("the event was not moved: %s", ev.Start)
	}
	a, err := f.svc.Reschedule(ctx, tok, at(1, 11, 0))
	if err != nil {
		t.Fatalf("the move after an interrupted one: %v", err)
	}
	if !a.Booking.Start.Equal(at(1, 11, 0)) {
		t.Errorf("moved to %s", a.Booking.Start)
	}
	f.agree(b.ID)
	if len(f.store.AllIntents()) != 0 {
		t.Error("an intent is left")
	}
	if !f.slotFree("consultation", at(1, 10, 0)) || !f.slotFree("consultation", at(1, 9, 0)) {
		t.Error("a slot of the old moves is still held")
	}
}
