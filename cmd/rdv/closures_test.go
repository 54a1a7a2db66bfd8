package main

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
)

// TestClosureRacesBookings closes a day while patients book it: every
// booking that succeeds is in the list AddClosure returns, and none is
// made after it.
func TestClosureRacesBookings(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, harnessOptions{})
	closed := booking.DateOf(day(3, 0, 0))
	for round := range 5 {
		h := h
		if round > 0 {
			h = newHarness(t, harnessOptions{})
		}
		// A first wave of bookings, then the closure racing the second.
		ids := make([]string, 20)
		var listed []*booking.Booking
		book := func(wg *sync.WaitGroup, i int) {
			wg.Go(func() {
				b, _, err := h.svc.Book(ctx, bookRequest("consultation", day(3, 8, 0).Add(time.Duration(i)*30*time.Minute), i))
				if err == nil {
					ids[i] = b.ID
				} else if code := booking.ErrorCode(err); code != booking.EConflict {
					t.Errorf("booking %d: %v", i, err)
				}
			})
		}
		var first, second sync.WaitGroup
		for i := range round * 4 {
			book(&first, i)
		}
		first.Wait()
		for i := round * 4; i < len(ids); i++ {
			book(&second, i)
			if i == round*4+2 {
				second.Go(func() {
					var err error
					_, listed, err = h.svc.AddClosure(ctx, "demo", booking.Closure{From: closed, To: closed, Label: "formation"})
					if err != nil {
						t.Errorf("AddClosure: %v", err)
					}
				})
			}
		}
		second.Wait()
		made := 0
		for _, id := range ids {
			if id == "" {
				continue
			}
			made++
			if !slices.ContainsFunc(listed, func(b *booking.Booking) bool { return b.ID == id }) {
				t.Errorf("round %d: booking %s made on the closed day but not listed", round, id)
			}
		}
		t.Logf("round %d: %d of 20 booked before the closure", round, made)
		if len(listed) != made {
			t.Errorf("round %d: %d listed, %d made", round, len(listed), made)
		}
		h.checkAgree()
	}
}

// TestClosures: a closure added at runtime closes its days to booking and
// moving, and only them; removed, the days are open again.
func TestClosures(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, harnessOptions{})
	_, token := h.book("consultation", day(2, 9, 0), 1)
	c, listed, err := h.svc.AddClosure(ctx, "demo", booking.Closure{From: booking.DateOf(day(3, 0, 0)), To: booking.DateOf(day(4, 0, 0))})
	if err != nil || len(listed) != 0 || c.ID == "" {
		t.Fatalf("AddClosure = %+v, %v, %v", c, listed, err)
	}
	// Through another service on the same store (another replica): closed too.
	replica := mustNewService(t, booking.ServiceConfig{Store: h.fstore, Notifier: h.notes, Locker: h.locker, Now: h.clock.Now, Secret: h.secret, Logger: quietLogger()})
	if err := replica.AddPractitioner(testPractitioner(), h.fcal); err != nil {
		t.Fatal(err)
	}
	for _, svc := range []*booking.Service{h.svc, replica} {
		slots, err := svc.Slots(ctx, "demo", "consultation", day(2, 0, 0), day(6, 0, 0))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range slots {
			if d := booking.DateOf(s.Start); d == c.From || d == c.To {
				t.Fatalf("slot %s offered on a closed day", s.Start)
			}
		}
		if !slices.ContainsFunc(slots, func(s booking.Slot) bool { return s.Start.Equal(day(5, 8, 0)) }) {
			t.Error("no slot the day after the closure")
		}
		if _, _, err := svc.Book(ctx, bookRequest("consultation", day(4, 17, 0), 2)); booking.ErrorCode(err) != booking.EConflict {
			t.Errorf("booking on a closed day: %v, want a conflict", err)
		}
	}
	if _, err := h.svc.Reschedule(ctx, token, day(3, 10, 0)); booking.ErrorCode(err) != booking.EConflict {
		t.Errorf("moving onto a closed day: %v, want a conflict", err)
	}
	if slots, _ := h.svc.RescheduleSlots(ctx, token, day(3, 0, 0), day(5, 0, 0)); len(slots) != 0 {
		t.Errorf("%d slots to move to on closed days", len(slots))
	}
	// The booking made before is kept, and listed by a closure over its day.
	_, listed, err = h.svc.AddClosure(ctx, "demo", booking.Closure{From: booking.DateOf(day(2, 0, 0)), To: booking.DateOf(day(2, 0, 0))})
	if err != nil || len(listed) != 1 || listed[0].Patient.Email == "" || !listed[0].Start.Equal(day(2, 9, 0)) || listed[0].Start.Location() != parisLoc {
		t.Errorf("closure over a booked day: %+v, %v", listed, err)
	}
	all, err := h.svc.Closures(ctx, "demo", booking.DateOf(t0), booking.DateOf(day(30, 0, 0)))
	if err != nil || len(all) != 2 || all[0].From != booking.DateOf(day(2, 0, 0)) {
		t.Errorf("Closures = %+v, %v", all, err)
	}

	if err := h.svc.RemoveClosure(ctx, "demo", c.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := h.svc.Book(ctx, bookRequest("consultation", day(4, 17, 0), 2)); err != nil {
		t.Errorf("booking once the closure is removed: %v", err)
	}
	if err := h.svc.RemoveClosure(ctx, "demo", c.ID); booking.ErrorCode(err) != booking.ENotFound {
		t.Errorf("removing twice: %v", err)
	}
	h.checkAgree()
}
