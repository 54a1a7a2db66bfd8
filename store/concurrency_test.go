package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/store"
)

const goroutines = 20

// run calls f(i) for i in [0, n) from n goroutines at once and returns their errors.
func run(n int, f func(i int) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = f(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

func TestConcurrentCreates(t *testing.T) { forEachBackend(t, testConcurrentCreates) }

func testConcurrentCreates(t *testing.T, be backend) {
	ctx := context.Background()
	s, addr := openTest(t, be)

	t.Run("one handle, readers alongside", func(t *testing.T) {
		errs := run(2*goroutines, func(i int) error {
			if i%2 == 1 { // readers
				_, err := s.BookingsBetween(ctx, "demo", time.Time{}, time.Now().AddDate(10, 0, 0))
				return err
			}
			return recordNew(s, ctx, newBooking(i/2))
		})
		for i, err := range errs {
			if err != nil {
				t.Errorf("goroutine %d: %v", i, err)
			}
		}
		got, err := s.BookingsBetween(ctx, "demo", time.Time{}, time.Now().AddDate(10, 0, 0))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != goroutines {
			t.Fatalf("%d bookings stored, want %d", len(got), goroutines)
		}
	})

	t.Run("two handles on one database", func(t *testing.T) {
		// As two processes would: writers meet on SQLite's lock, and the
		// busy timeout must make them wait instead of failing; with
		// PostgreSQL, two pools.
		other, err := store.Open(ctx, addr)
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		handles := []store.DB{s, other}
		errs := run(goroutines, func(i int) error {
			return recordNew(handles[i%2], ctx, newBooking(100+i))
		})
		for i, err := range errs {
			if err != nil {
				t.Errorf("goroutine %d: %v", i, err)
			}
		}
		for i := range goroutines {
			if _, err := s.Booking(ctx, newBooking(100+i).ID); err != nil {
				t.Errorf("booking %d: %v", i, err)
			}
		}
	})

	t.Run("same id", func(t *testing.T) {
		errs := run(goroutines, func(int) error { return recordNew(s, ctx, newBooking(200)) })
		created := 0
		for _, err := range errs {
			switch booking.ErrorCode(err) {
			case "":
				created++
			case booking.EConflict:
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}
		if created != 1 {
			t.Errorf("%d creates succeeded, want 1", created)
		}
	})
}

func TestConcurrentUpdates(t *testing.T) { forEachBackend(t, testConcurrentUpdates) }

func testConcurrentUpdates(t *testing.T, be backend) {
	ctx := context.Background()
	s, _ := openTest(t, be)
	for i := range goroutines {
		if err := recordNew(s, ctx, newBooking(i)); err != nil {
			t.Fatal(err)
		}
	}
	update := func(b *booking.Booking, i int) *booking.Booking {
		u := *b
		u.Status = booking.StatusConfirmed
		u.Sequence = i + 1
		u.EventETag = fmt.Sprintf(`"etag-%d"`, i+1)
		u.UpdatedAt = b.UpdatedAt.Add(time.Duration(i+1) * time.Second)
		return &u
	}

	t.Run("same booking, same revision", func(t *testing.T) {
		// As two processes that both read the row, their lock lost: one
		// update applies, whole; the others are refused and write nothing.
		b := newBooking(0)
		errs := run(goroutines, func(i int) error {
			if i%4 == 3 {
				_, err := s.BookingByTokenHash(ctx, b.TokenHash)
				return err
			}
			return recordUpdate(s, ctx, update(b, i))
		})
		applied := 0
		for i, err := range errs {
			switch booking.ErrorCode(err) {
			case "":
				if i%4 != 3 {
					applied++
				}
			case booking.EConflict:
			default:
				t.Errorf("goroutine %d: %v", i, err)
			}
		}
		if applied != 1 {
			t.Errorf("%d updates applied, want 1", applied)
		}
		got, err := s.Booking(ctx, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		// The winner's fields, not mixed with another's, at revision 1.
		want := update(b, got.Sequence-1)
		want.Revision = 1
		assertSameBooking(t, got, want)
	})

	t.Run("same booking, each from the row it reads", func(t *testing.T) {
		// Read, update, and try again on a conflict: every update applies
		// once, one after the other.
		id := newBooking(1).ID
		errs := run(goroutines, func(i int) error {
			for {
				cur, err := s.Booking(ctx, id)
				if err != nil {
					return err
				}
				u := *cur
				u.Sequence++
				err = recordUpdate(s, ctx, &u)
				if booking.ErrorCode(err) != booking.EConflict {
					return err
				}
			}
		})
		for i, err := range errs {
			if err != nil {
				t.Errorf("goroutine %d: %v", i, err)
			}
		}
		got, err := s.Booking(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if got.Sequence != goroutines || got.Revision != goroutines {
			t.Errorf("sequence %d, revision %d: want %d of each (no update lost)", got.Sequence, got.Revision, goroutines)
		}
	})

	t.Run("different bookings", func(t *testing.T) {
		errs := run(goroutines-2, func(i int) error { return recordUpdate(s, ctx, update(newBooking(i+2), 100+i)) })
		for i, err := range errs {
			if err != nil {
				t.Errorf("goroutine %d: %v", i, err)
			}
		}
		for i := range goroutines - 2 {
			got, err := s.Booking(ctx, newBooking(i+2).ID)
			if err != nil {
				t.Fatal(err)
			}
			want := update(newBooking(i+2), 100+i)
			want.Revision = 1
			assertSameBooking(t, got, want)
		}
	})
}

func TestConcurrentOpen(t *testing.T) { forEachBackend(t, testConcurrentOpen) }

func testConcurrentOpen(t *testing.T, be backend) {
	// Processes starting together on a new database: one applies the
	// migrations, the others find them applied.
	ctx := context.Background()
	addr := be.newAddr(t)
	handles := make([]store.DB, 4)
	errs := run(len(handles), func(i int) (err error) {
		handles[i], err = store.Open(ctx, addr)
		return err
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("open %d: %v", i, err)
		}
	}
	for i, s := range handles {
		if s == nil {
			continue
		}
		if err := recordNew(s, ctx, newBooking(i)); err != nil {
			t.Errorf("create through handle %d: %v", i, err)
		}
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	}
}
