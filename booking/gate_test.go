package booking_test

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/internal/bookingtest"
)

// countingLocker is a MutexLocker that counts the calls to Lock.
type countingLocker struct {
	booking.MutexLocker
	calls atomic.Int64
}

func (l *countingLocker) Lock(ctx context.Context, key string) (func(), error) {
	l.calls.Add(1)
	return l.MutexLocker.Lock(ctx, key)
}

// TestLosersDoNotQueue holds one booking inside the practitioner's lock
// while 20 other requests for the same slot arrive: they wait at the gate,
// and when the first one is recorded they are all answered 409 without
// taking the lock or reading the calendar.
func TestLosersDoNotQueue(t *testing.T) {
	inside, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	locker := &countingLocker{}
	f := newFixture(t, func(c *booking.ServiceConfig) {
		c.Locker = locker
		c.CrashTestHook = func(step string) {
			if step == booking.StepBookAfterEvent {
				once.Do(func() { close(inside); <-release })
			}
		}
	})
	slot := at(1, 9, 0)
	first := make(chan error, 1)
	go func() {
		_, _, err := f.tryBook("consultation", slot, booking.Patient{Name: "Marie Curie", Email: "marie@example.org"})
		first <- err
	}()
	<-inside
	const losers = 20
	errs := make(chan error, losers)
	for i := range losers {
		go func() {
			_, _, err := f.tryBook("consultation", slot, booking.Patient{Name: "Patient", Email: fmt.Sprintf("p%d@example.org", i)})
			errs <- err
		}()
	}
	for booking.GateWaiting(f.svc, "demo") < losers {
		runtime.Gosched()
	}
	busy := f.cal.Calls(bookingtest.OpBusy)
	close(release)
	if err := <-first; err != nil {
		t.Fatalf("the first booking: %v", err)
	}
	for range losers {
		if err := <-errs; booking.ErrorCode(err) != booking.EConflict {
			t.Errorf("a loser got %v, want EConflict", err)
		}
	}
	if n := locker.calls.Load(); n != 1 {
		t.Errorf("the lock was taken %d times, want 1 (the winner's)", n)
	}
	if n := f.cal.Calls(bookingtest.OpBusy); n != busy {
		t.Errorf("the losers read the calendar %d times", n-busy)
	}
	if f.store.Len() != 1 || f.cal.Len() != 1 {
		t.Errorf("%d rows, %d events; want 1 and 1", f.store.Len(), f.cal.Len())
	}
	// The gate is empty again: the next request for another slot books.
	if _, _, err := f.tryBook("consultation", at(1, 10, 0), booking.Patient{Name: "Pierre Curie", Email: "pierre@example.org"}); err != nil {
		t.Errorf("after the crowd: %v", err)
	}
}

// TestGateLetsOtherSlotsThrough: requests waiting at the gate for slots
// the winners did not take go on to the lock and book.
func TestGateLetsOtherSlotsThrough(t *testing.T) {
	f := newFixture(t)
	var wg sync.WaitGroup
	var ok, conflict atomic.Int64
	for i := range 27 {
		wg.Go(func() {
			// 9 slots, 3 requests each.
			_, _, err := f.tryBook("consultation", at(1, 9, 0).Add(time.Duration(20*(i%9))*time.Minute), booking.Patient{Name: "Patient", Email: fmt.Sprintf("p%d@example.org", i)})
			switch booking.ErrorCode(err) {
			case "":
				ok.Add(1)
			case booking.EConflict:
				conflict.Add(1)
			default:
				t.Errorf("request %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 9 || conflict.Load() != 18 {
		t.Errorf("%d booked, %d conflicts; want 9 and 18", ok.Load(), conflict.Load())
	}
}
