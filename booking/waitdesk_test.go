package booking_test

import (
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
)

// TestWaitlistLiveEntries: the pending and active entries of the
// practitioners asked for, in the order they joined; not the left, expired
// or other practitioners' ones.
func TestWaitlistLiveEntries(t *testing.T) {
	f := newWaitFixture(t, booking.WaitlistConfig{MaxPerEmail: 10})
	// A minute apart: the joining order is the order of CreatedAt.
	active, _ := f.joinActive(1, win1) // until the end of 1 December
	f.clock.Add(time.Minute)
	pending, _ := f.join(2, win1) // until 24 hours after joining
	f.clock.Add(time.Minute)
	_, token := f.joinActive(3, win1)
	if _, err := f.wl.Leave(ctx, token); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(time.Minute)
	later, _ := f.join(4, win1)
	f.clock.Add(time.Minute)
	other := *active
	other.ID, other.PractitionerID, other.TokenHash, other.CreatedAt = "20000000-0000-4000-8000-000000000001", "other", "h-other", f.clock.Now()
	if err := f.ws.AddWaitEntry(ctx, &other, booking.WaitMessage{EntryID: other.ID, Kind: booking.WaitConfirm, CreatedAt: other.CreatedAt}, 10); err != nil {
		t.Fatal(err)
	}

	ids := func(es []*booking.WaitEntry, err error) []string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range es {
			out = append(out, e.ID)
		}
		return out
	}
	if got := ids(f.wl.LiveEntries(ctx, []string{"demo"})); !sameIDs(got, active, pending, later) {
		t.Errorf("LiveEntries(demo): %v, want %s %s %s", got, active.ID, pending.ID, later.ID)
	}
	if got := ids(f.wl.LiveEntries(ctx, []string{"demo", "other"})); len(got) != 4 || got[3] != other.ID {
		t.Errorf("LiveEntries(demo, other): %v", got)
	}
	if got := ids(f.wl.LiveEntries(ctx, nil)); len(got) != 0 {
		t.Errorf("LiveEntries(none): %v", got)
	}
	f.clock.Set(at(1, 12, 0))
	if got := ids(f.wl.LiveEntries(ctx, []string{"demo"})); !sameIDs(got, active) {
		t.Errorf("LiveEntries(demo) a day later: %v, want %s only (the pending ones expired)", got, active.ID)
	}
}

// TestWaitlistRemoveByPractice: an entry of the practitioners given is
// left, once; another's, or an unknown id, is not found.
func TestWaitlistRemoveByPractice(t *testing.T) {
	f := newWaitFixture(t, booking.WaitlistConfig{MaxPerEmail: 10})
	active, _ := f.joinActive(1, win1)
	pending, _ := f.join(2, win1)
	for _, id := range []string{"nope", "30000000-0000-4000-8000-000000000009"} {
		if _, err := f.wl.RemoveByPractice(ctx, id, []string{"demo"}); booking.ErrorCode(err) != booking.ENotFound {
			t.Errorf("RemoveByPractice(%s): %v, want ENotFound", id, err)
		}
	}
	if _, err := f.wl.RemoveByPractice(ctx, active.ID, []string{"other"}); booking.ErrorCode(err) != booking.ENotFound {
		t.Errorf("RemoveByPractice of another's entry: %v, want ENotFound", err)
	}
	if e, _ := f.ws.WaitEntry(ctx, active.ID); e.Status != booking.WaitActive {
		t.Fatalf("another's removal changed the entry: %s", e.Status)
	}
	for _, en := range []*booking.WaitEntry{active, pending} {
		e, err := f.wl.RemoveByPractice(ctx, en.ID, []string{"other", "demo"})
		if err != nil || e.Status != booking.WaitLeft {
			t.Fatalf("RemoveByPractice(%s): %+v, %v", en.Status, e, err)
		}
		if e, _ := f.ws.WaitEntry(ctx, en.ID); e.Status != booking.WaitLeft || !e.UpdatedAt.Equal(f.clock.Now()) {
			t.Errorf("stored: %s at %v", e.Status, e.UpdatedAt)
		}
	}
	f.clock.Add(time.Minute)
	if e, err := f.wl.RemoveByPractice(ctx, active.ID, []string{"demo"}); err != nil || e.Status != booking.WaitLeft || e.UpdatedAt.Equal(f.clock.Now()) {
		t.Errorf("removing again: %+v, %v; want it unchanged", e, err)
	}
	if got, _ := f.wl.LiveEntries(ctx, []string{"demo"}); len(got) != 0 {
		t.Errorf("LiveEntries after the removals: %d", len(got))
	}
}

// TestWaitlistAlertCounts: the alerts recorded per entry.
func TestWaitlistAlertCounts(t *testing.T) {
	f := newWaitFixture(t, booking.WaitlistConfig{})
	e1, _ := f.joinActive(1, win1)
	e2, _ := f.joinActive(2, win1)
	f.free(at(1, 9, 0), at(1, 9, 20))
	if got := f.round(); len(got) != 2 {
		t.Fatalf("alerted %v", got)
	}
	n, err := f.wl.AlertCounts(ctx, []*booking.WaitEntry{e1, e2})
	if err != nil || n[e1.ID] != 1 || n[e2.ID] != 1 {
		t.Fatalf("AlertCounts: %v, %v", n, err)
	}
	if n, err := f.wl.AlertCounts(ctx, nil); err != nil || len(n) != 0 {
		t.Fatalf("AlertCounts(none): %v, %v", n, err)
	}
}
