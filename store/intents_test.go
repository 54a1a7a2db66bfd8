package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/store"
)

func newIntent(i int, op booking.IntentOp, created time.Time) booking.Intent {
	in := booking.Intent{
		ID:             fmt.Sprintf("10000000-0000-4000-8000-%012d", i),
		BookingID:      fmt.Sprintf("00000000-0000-4000-8000-%012d", i),
		PractitionerID: "demo",
		Op:             op,
		Href:           fmt.Sprintf("/dav/calendars/demo/bookings/%d.ics", i),
		Revision:       int64(i),
		CreatedAt:      created,
		Process:        "host:42",
	}
	if op != booking.IntentDelete {
		in.Start = time.Date(2026, 12, 1, 9, 0, 0, 123456789, paris)
		in.End = in.Start.Add(20 * time.Minute)
		in.Status, in.Sequence = booking.StatusConfirmed, 3
	}
	return in
}

// Intents round-trip exactly, list by practitioner and age, and go with
// DeleteIntents or with the Record that settles them, in its transaction.
func TestIntents(t *testing.T) { forEachBackend(t, testIntents) }

func testIntents(t *testing.T, be backend) {
	ctx := context.Background()
	s, _ := openTest(t, be)
	t0 := time.Date(2026, 11, 30, 8, 0, 0, 5, paris)
	a := newIntent(1, booking.IntentCreate, t0)
	b := newIntent(2, booking.IntentUpdate, t0.Add(time.Minute))
	c := newIntent(3, booking.IntentDelete, t0.Add(2*time.Minute))
	c.PractitionerID = "other"
	for _, in := range []booking.Intent{a, b, c} {
		if err := s.AddIntent(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddIntent(ctx, a); booking.ErrorCode(err) != booking.EConflict {
		t.Errorf("same id twice: %v, want conflict", err)
	}
	bad := newIntent(4, "move", t0)
	if err := s.AddIntent(ctx, bad); booking.ErrorCode(err) != booking.EInvalid {
		t.Errorf("unknown op: %v, want invalid", err)
	}

	all, err := s.Intents(ctx, "", t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 || all[0].ID != a.ID || all[1].ID != b.ID || all[2].ID != c.ID {
		t.Fatalf("all intents: %+v", all)
	}
	for i, want := range []booking.Intent{a, b, c} {
		got := all[i]
		if got.BookingID != want.BookingID || got.PractitionerID != want.PractitionerID || got.Op != want.Op ||
			got.Href != want.Href || got.Revision != want.Revision || !got.Start.Equal(want.Start) ||
			!got.End.Equal(want.End) || got.Status != want.Status || got.Sequence != want.Sequence ||
			!got.CreatedAt.Equal(want.CreatedAt) || got.Process != want.Process {
			t.Errorf("intent %d read back as %+v, want %+v", i, got, want)
		}
	}
	// By practitioner, and only those recorded before the bound.
	demo, err := s.Intents(ctx, "demo", t0.Add(time.Minute))
	if err != nil || len(demo) != 1 || demo[0].ID != a.ID {
		t.Errorf("demo's intents before t0+1m: %+v %v", demo, err)
	}

	// A Record settles the intents it names, in its transaction; a failed
	// Record settles none.
	bk := newBooking(1)
	if err := s.Record(ctx, booking.Change{Booking: bk, Create: true, Intents: []string{a.ID}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Record(ctx, booking.Change{Booking: bk, Create: true, Intents: []string{b.ID}}); booking.ErrorCode(err) != booking.EConflict {
		t.Fatalf("second create: %v, want conflict", err)
	}
	left, err := s.Intents(ctx, "", t0.Add(time.Hour))
	if err != nil || len(left) != 2 || left[0].ID != b.ID {
		t.Errorf("after the records: %+v %v, want b and c", left, err)
	}
	if err := s.DeleteIntents(ctx, b.ID, c.ID, "missing"); err != nil {
		t.Fatal(err)
	}
	if left, err := s.Intents(ctx, "", t0.Add(time.Hour)); err != nil || len(left) != 0 {
		t.Errorf("after DeleteIntents: %+v %v", left, err)
	}
}

// BenchmarkIntent measures what the write-ahead intent adds to a calendar
// write: recording it in a transaction of its own, and deleting it (here
// alone; in rdv, inside the Record transaction that follows the write).
func BenchmarkIntent(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			ctx := context.Background()
			s, err := store.Open(ctx, be.newAddr(b))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			t0 := time.Date(2026, 11, 30, 8, 0, 0, 0, paris)
			b.ResetTimer()
			for i := range b.N {
				in := newIntent(i, booking.IntentCreate, t0)
				in.ID = fmt.Sprintf("%08d-0000-4000-8000-000000000000", i)
				if err := s.AddIntent(ctx, in); err != nil {
					b.Fatal(err)
				}
				if err := s.DeleteIntents(ctx, in.ID); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
