package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
)

func TestWaitingEntries(t *testing.T) { forEachBackend(t, testWaitingEntries) }

// testWaitingEntries: the pending and active entries not expired, in the
// order they were made; neither left nor booked nor expired ones.
func testWaitingEntries(t *testing.T, be backend) {
	ctx := context.Background()
	s, _ := openTest(t, be)
	pending, active, left, expired := newWaitEntry(1), newWaitEntry(2), newWaitEntry(3), newWaitEntry(4)
	pending.Status = booking.WaitPending
	pending.ExpiresAt = waitT0.Add(25 * time.Hour)
	expired.ExpiresAt = waitT0.Add(30 * time.Minute)
	for _, e := range []*booking.WaitEntry{active, expired, left, pending} {
		addWait(t, s, e)
	}
	if ok, err := s.SetWaitStatus(ctx, left.ID, booking.WaitActive, booking.WaitLeft, time.Time{}, waitT0); err != nil || !ok {
		t.Fatalf("SetWaitStatus: %v, %v", ok, err)
	}
	got, err := s.WaitingEntries(ctx, waitT0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range got {
		ids = append(ids, e.ID)
	}
	if len(ids) != 2 || ids[0] != pending.ID || ids[1] != active.ID {
		t.Fatalf("WaitingEntries: %v, want %s then %s", ids, pending.ID, active.ID)
	}
	if got[0].Patient != pending.Patient || got[0].Status != booking.WaitPending {
		t.Fatalf("WaitingEntries[0]: %+v", got[0])
	}
	if got, _ := s.WaitingEntries(ctx, pending.ExpiresAt); len(got) != 1 || got[0].ID != active.ID {
		t.Fatalf("WaitingEntries at the pending one's expiry: %d entries", len(got))
	}
}
