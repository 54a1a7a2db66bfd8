package booking_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/internal/bookingtest"
)

// Shared motives under concurrency: twins with one Idempotency-Key, and a
// flash crowd booking "the first available" (the centre of shared_test.go).

func TestBookSharedIdempotency(t *testing.T) {
	c := newCentre(t)
	b1, tok1, err := c.bookShared(at(7, 9, 0), patient, "key-1")
	if err != nil {
		t.Fatal(err)
	}
	// A retry gets the first answer, though the rule would now choose
	// petit (martin has one booking that day).
	b2, tok2, err := c.bookShared(at(7, 9, 0), patient, "key-1")
	if err != nil {
		t.Fatal(err)
	}
	if b2.ID != b1.ID || tok2 != tok1 || b2.PractitionerID != b1.PractitionerID {
		t.Fatalf("retry: %s %s, first %s %s", b2.ID, b2.PractitionerID, b1.ID, b1.PractitionerID)
	}
	// The same key for another slot, or the same slot booked with a
	// practitioner directly, is another request.
	if _, _, err := c.bookShared(at(7, 9, 40), patient, "key-1"); booking.ErrorCode(err) != booking.EInvalid {
		t.Errorf("same key, other start: %v, want EInvalid", err)
	}
	_, _, err = c.svc.Book(ctx, booking.BookRequest{PractitionerID: b1.PractitionerID, TypeID: "consultation", Start: at(7, 9, 0), Patient: patient, IdempotencyKey: "key-1"})
	if booking.ErrorCode(err) != booking.EInvalid {
		t.Errorf("same key to the practitioner: %v, want EInvalid", err)
	}

	// Twins at once: one booking whoever each twin would choose.
	const twins = 8
	var wg sync.WaitGroup
	ids := make([]string, twins)
	for i := range twins {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, _, err := c.bookShared(at(7, 14, 0), patient, "key-2")
			if err != nil {
				t.Errorf("twin %d: %v", i, err)
				return
			}
			ids[i] = b.ID
		}()
	}
	wg.Wait()
	for i := range ids {
		if ids[i] != ids[0] {
			t.Fatalf("twins got bookings %v", ids)
		}
	}
	if n := len(c.store.Bookings()); n != 2 {
		t.Fatalf("%d bookings recorded, want 2", n)
	}
	if n := len(c.events("martin")) + len(c.events("durand")) + len(c.events("petit")); n != 2 {
		t.Fatalf("%d events in the calendars, want 2", n)
	}
}

// A twin request that finds the slot held by its twin's event, not yet
// recorded, with a practitioner it did not try, waits for the twin and
// gets its booking, not a 409.
func TestBookSharedTwinStillWriting(t *testing.T) {
	written, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	var hold bool
	var mu sync.Mutex
	c := newCentreHook(t, func(step string) {
		mu.Lock()
		h := hold
		mu.Unlock()
		if step == booking.StepBookAfterEvent && h {
			once.Do(func() { close(written); <-release })
		}
	})
	// petit is taken at 14:00 by another patient; durand is free.
	if _, _, err := c.svc.Book(ctx, booking.BookRequest{PractitionerID: "petit", TypeID: "consultation", Start: at(7, 14, 0),
		Patient: booking.Patient{Name: "Irène Joliot", Email: "irene@example.org"}}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	hold = true
	mu.Unlock()
	type answer struct {
		b   *booking.Booking
		err error
	}
	first := make(chan answer, 1)
	go func() {
		b, _, err := c.bookShared(at(7, 14, 0), patient, "twin-key")
		first <- answer{b, err}
	}()
	<-written // the first twin's event is in durand's calendar, its row not yet in the ledger
	second := make(chan answer, 1)
	go func() {
		b, _, err := c.bookShared(at(7, 14, 0), patient, "twin-key")
		second <- answer{b, err}
	}()
	var early *answer
	select {
	case a := <-second:
		early = &a
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	a1 := <-first
	if early != nil {
		t.Fatalf("the second twin answered while the first was writing: %+v, %v", early.b, early.err)
	}
	a2 := <-second
	if a1.err != nil || a2.err != nil || a1.b.ID != a2.b.ID || a1.b.PractitionerID != "durand" {
		t.Fatalf("twins: %+v %v; %+v %v", a1.b, a1.err, a2.b, a2.err)
	}
}

// 200 patients book "the first available" at once over Monday's merged
// slots: each start is booked exactly as many times as practitioners were
// free then, no practitioner holds two bookings that overlap, and ledger
// and calendars agree.
func TestBookSharedConcurrentNeverDoubleBooks(t *testing.T) {
	c := newCentre(t)
	slots, err := c.svc.SharedSlots(ctx, "generaliste", at(7, 0, 0), at(8, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	const n = 200
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := map[time.Time]int{}
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := slots[i%len(slots)].Start
			p := booking.Patient{Name: bookingtest.PatientName(i), Email: fmt.Sprintf("p%d@example.org", i)}
			_, _, err := c.bookShared(start, p, fmt.Sprintf("k-%d", i))
			switch booking.ErrorCode(err) {
			case "":
				mu.Lock()
				won[start]++
				mu.Unlock()
			case booking.EConflict:
			default:
				t.Errorf("booking %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	total := 0
	for _, sl := range slots {
		if won[sl.Start] != sl.Free {
			t.Errorf("%s booked %d times, want %d (the practitioners free then)", sl.Start.Format("15:04"), won[sl.Start], sl.Free)
		}
		total += sl.Free
	}
	rows := c.store.Bookings()
	if len(rows) != total {
		t.Fatalf("%d bookings recorded, want %d", len(rows), total)
	}
	for _, id := range centreIDs {
		var mine []*booking.Booking
		for _, b := range rows {
			if b.PractitionerID == id {
				for _, o := range mine {
					if b.Start.Before(o.End) && o.Start.Before(b.End) {
						t.Errorf("%s double-booked: %s and %s", id, b.Start.Format("15:04"), o.Start.Format("15:04"))
					}
				}
				mine = append(mine, b)
				if ev, ok := c.cals[id].EventOf(b.ID); !ok || !ev.Start.Equal(b.Start) {
					t.Errorf("%s: booking at %s has no matching event", id, b.Start.Format("15:04"))
				}
			}
		}
		if evs := c.events(id); len(evs) != len(mine) {
			t.Errorf("%s: %d events, %d bookings", id, len(evs), len(mine))
		}
	}
	if after, err := c.svc.SharedSlots(ctx, "generaliste", at(7, 0, 0), at(8, 0, 0)); err != nil || len(after) != 0 {
		t.Errorf("after: %d slots still free (%v)", len(after), err)
	}
}
