package store_test

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/internal/bookingtest"
	"github.com/rdvlibre/rdv/store"
)

var waitT0 = time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)

// newWaitEntry returns an active entry numbered i, created i minutes after
// waitT0.
func newWaitEntry(i int) *booking.WaitEntry {
	email := fmt.Sprintf("wait%d@example.org", i)
	return &booking.WaitEntry{
		ID: fmt.Sprintf("10000000-0000-4000-8000-%012d", i), PractitionerID: "demo", TypeID: "consultation",
		Patient:  booking.Patient{Name: bookingtest.PatientName(i), Email: email, Phone: "+33612345678"},
		EmailKey: booking.EmailKey(email), Lang: "en",
		Window: booking.Window{From: booking.Date{Year: 2026, Month: 12, Day: 1}, Until: booking.Date{Year: 2026, Month: 12, Day: 4},
			Part: booking.PartMorning, Weekdays: []time.Weekday{time.Tuesday, time.Thursday}},
		Status: booking.WaitActive, TokenHash: booking.HashToken(fmt.Sprintf("token%d", i)),
		CreatedAt: waitT0.Add(time.Duration(i) * time.Minute), UpdatedAt: waitT0.Add(time.Duration(i) * time.Minute),
		ExpiresAt: time.Date(2026, 12, 4, 23, 0, 0, 0, time.UTC),
	}
}

func addWait(t *testing.T, s store.DB, e *booking.WaitEntry) {
	t.Helper()
	if err := s.AddWaitEntry(context.Background(), e, booking.WaitMessage{EntryID: e.ID, Kind: booking.WaitConfirm, CreatedAt: e.CreatedAt}, 100); err != nil {
		t.Fatalf("AddWaitEntry %s: %v", e.ID, err)
	}
}

func TestWaitEntries(t *testing.T) { forEachBackend(t, testWaitEntries) }

func testWaitEntries(t *testing.T, be backend) {
	ctx := context.Background()
	s, _ := openTest(t, be)
	e1, e2 := newWaitEntry(1), newWaitEntry(2)
	addWait(t, s, e2)
	addWait(t, s, e1)
	if err := s.AddWaitEntry(ctx, e1, booking.WaitMessage{EntryID: e1.ID, Kind: booking.WaitConfirm, CreatedAt: waitT0}, 100); booking.ErrorCode(err) != booking.EConflict {
		t.Fatalf("same id again: %v, want EConflict", err)
	}
	got, err := s.WaitEntryByTokenHash(ctx, e1.TokenHash)
	if err != nil || !reflect.DeepEqual(got, e1) {
		t.Fatalf("WaitEntryByTokenHash: %+v, %v\nwant %+v", got, err, e1)
	}
	if _, err := s.WaitEntry(ctx, "nope"); booking.ErrorCode(err) != booking.ENotFound {
		t.Fatalf("WaitEntry of an unknown id: %v", err)
	}
	if n, err := s.LiveWaitEntries(ctx, e1.EmailKey, waitT0); err != nil || n != 1 {
		t.Fatalf("LiveWaitEntries: %d, %v", n, err)
	}
	if n, _ := s.LiveWaitEntries(ctx, e1.EmailKey, e1.ExpiresAt); n != 0 {
		t.Fatalf("LiveWaitEntries at expiry: %d", n)
	}
	act, err := s.ActiveWaitEntries(ctx, waitT0)
	if err != nil || len(act) != 2 || act[0].ID != e1.ID || act[1].ID != e2.ID {
		t.Fatalf("ActiveWaitEntries: %v, %v; want %s then %s", act, err, e1.ID, e2.ID)
	}
	// Compare and set on the status.
	later := waitT0.Add(time.Hour)
	if ok, err := s.SetWaitStatus(ctx, e2.ID, booking.WaitPending, booking.WaitActive, time.Time{}, later); err != nil || ok {
		t.Fatalf("SetWaitStatus from the wrong status: %v, %v", ok, err)
	}
	if ok, err := s.SetWaitStatus(ctx, e2.ID, booking.WaitActive, booking.WaitLeft, time.Time{}, later); err != nil || !ok {
		t.Fatalf("SetWaitStatus: %v, %v", ok, err)
	}
	if ok, _ := s.SetWaitStatus(ctx, e1.ID, booking.WaitActive, booking.WaitLeft, time.Time{}, e1.ExpiresAt); ok {
		t.Fatal("SetWaitStatus of an expired entry succeeded")
	}
	if act, _ := s.ActiveWaitEntries(ctx, waitT0); len(act) != 1 {
		t.Fatalf("after leaving: %d active", len(act))
	}
	recs, err := s.WaitRecords(ctx, e2.EmailKey)
	if err != nil || len(recs) != 1 || recs[0].Status != booking.WaitLeft || !recs[0].UpdatedAt.Equal(later) {
		t.Fatalf("WaitRecords: %+v, %v", recs, err)
	}

	// Retention: e2 left an hour after waitT0, e1 ends at its ExpiresAt.
	ids, err := s.EraseWaitEntries(ctx, later.Add(time.Minute), 10)
	if err != nil || len(ids) != 1 || ids[0] != e2.ID {
		t.Fatalf("EraseWaitEntries: %v, %v; want %s", ids, err, e2.ID)
	}
	if ids, _ := s.EraseWaitEntries(ctx, later.Add(time.Minute), 10); len(ids) != 0 {
		t.Fatalf("erased again: %v", ids)
	}
	erased, err := s.WaitEntry(ctx, e2.ID)
	if err != nil || erased.Patient != (booking.Patient{}) || erased.EmailKey != "" || erased.TokenHash != "" {
		t.Fatalf("erased entry: %+v, %v", erased, err)
	}
	if ms, _ := s.ClaimWaitMessages(ctx, later, later.Add(time.Minute), 10); len(ms) != 1 || ms[0].EntryID != e1.ID {
		t.Fatalf("messages after erasing: %+v, want e1's confirmation only", ms)
	}

	// Erased on request, live or not: e1 is active, and becomes left.
	if ids, err := s.EraseWaitEntriesOf(ctx, "", later); err != nil || len(ids) != 0 {
		t.Fatalf("EraseWaitEntriesOf no one: %v, %v", ids, err)
	}
	ids, err = s.EraseWaitEntriesOf(ctx, e1.EmailKey, later)
	if err != nil || len(ids) != 1 || ids[0] != e1.ID {
		t.Fatalf("EraseWaitEntriesOf: %v, %v", ids, err)
	}
	erased, err = s.WaitEntry(ctx, e1.ID)
	if err != nil || erased.Patient != (booking.Patient{}) || erased.TokenHash != "" || erased.Status != booking.WaitLeft || !erased.UpdatedAt.Equal(later) {
		t.Fatalf("entry erased on request: %+v, %v", erased, err)
	}
	if ms, _ := s.ClaimWaitMessages(ctx, later.Add(time.Hour), later.Add(2*time.Hour), 10); len(ms) != 0 {
		t.Fatalf("messages after erasing on request: %+v", ms)
	}
	if recs, _ := s.WaitRecords(ctx, e1.EmailKey); len(recs) != 0 {
		t.Fatalf("WaitRecords after the erasure: %+v", recs)
	}
}

func TestWaitMessages(t *testing.T) { forEachBackend(t, testWaitMessages) }

func testWaitMessages(t *testing.T, be backend) {
	ctx := context.Background()
	s, addr := openTest(t, be)
	var es []*booking.WaitEntry
	for i := range 4 {
		e := newWaitEntry(i)
		addWait(t, s, e)
		es = append(es, e)
	}
	// The confirmations out of the way.
	ms, err := s.ClaimWaitMessages(ctx, waitT0.Add(time.Hour), waitT0.Add(2*time.Hour), 10)
	if err != nil || len(ms) != 4 {
		t.Fatalf("claim the confirmations: %d, %v", len(ms), err)
	}
	for i, m := range ms {
		if m.EntryID != es[i].ID || m.Kind != booking.WaitConfirm || !m.Slot.IsZero() || m.Attempts != 1 {
			t.Fatalf("confirmation %d: %+v", i, m)
		}
		if err := s.WaitMessageDone(ctx, m.Seq, waitT0, false); err != nil {
			t.Fatal(err)
		}
	}

	slot := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	now := waitT0.Add(3 * time.Hour)
	var alerts []booking.WaitMessage
	for _, i := range []int{2, 0, 3} {
		alerts = append(alerts, booking.WaitMessage{EntryID: es[i].ID, Kind: booking.WaitAlert, Slot: slot, CreatedAt: now})
	}
	// Two handles record the same alerts at once: each is recorded once.
	other, err := store.Open(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	counts := make([]int, 2*goroutines)
	errs := run(2*goroutines, func(i int) error {
		db := s
		if i%2 == 1 {
			db = other
		}
		n, err := db.RecordWaitAlerts(ctx, alerts)
		counts[i] = n
		return err
	})
	total := 0
	for i, err := range errs {
		if err != nil {
			t.Fatalf("RecordWaitAlerts %d: %v", i, err)
		}
		total += counts[i]
	}
	if total != len(alerts) {
		t.Fatalf("%d alerts recorded in all, want %d", total, len(alerts))
	}
	past, err := s.WaitAlerts(ctx, []string{es[0].ID, es[2].ID, es[3].ID})
	if err != nil || len(past) != 3 || !past[0].Slot.Equal(slot) || !past[0].CreatedAt.Equal(now) {
		t.Fatalf("WaitAlerts: %+v, %v", past, err)
	}

	// Claimed in the order recorded, once per lease.
	claimed, err := s.ClaimWaitMessages(ctx, now, now.Add(time.Minute), 2)
	if err != nil || len(claimed) != 2 || claimed[0].EntryID != es[2].ID || claimed[1].EntryID != es[0].ID {
		t.Fatalf("first claim: %+v, %v", claimed, err)
	}
	rest, err := other.ClaimWaitMessages(ctx, now, now.Add(time.Minute), 10)
	if err != nil || len(rest) != 1 || rest[0].EntryID != es[3].ID {
		t.Fatalf("second claim: %+v, %v", rest, err)
	}
	if again, _ := s.ClaimWaitMessages(ctx, now.Add(30*time.Second), now.Add(time.Minute), 10); len(again) != 0 {
		t.Fatalf("claimed during the lease: %+v", again)
	}
	if err := s.WaitMessageDone(ctx, claimed[0].Seq, now, false); err != nil {
		t.Fatal(err)
	}
	if err := s.WaitMessageDone(ctx, rest[0].Seq, now, true); err != nil {
		t.Fatal(err)
	}
	if err := s.WaitMessageRetry(ctx, claimed[1].Seq, now); err != nil {
		t.Fatal(err)
	}
	again, err := s.ClaimWaitMessages(ctx, now, now.Add(time.Minute), 10)
	if err != nil || len(again) != 1 || again[0].Seq != claimed[1].Seq || again[0].Attempts != 2 {
		t.Fatalf("after a retry: %+v, %v", again, err)
	}
}

// TestWaitPerEmailAtomic: joins of one address at once, on one store, each
// count and insert in one transaction: no more than max live entries.
func TestWaitPerEmailAtomic(t *testing.T) { forEachBackend(t, testWaitPerEmailAtomic) }

func testWaitPerEmailAtomic(t *testing.T, be backend) {
	ctx := context.Background()
	s, _ := openTest(t, be)
	const max, tries = 2, 8
	errs := make([]error, tries)
	var wg sync.WaitGroup
	for i := range tries {
		e := newWaitEntry(i + 1)
		e.Patient.Email, e.EmailKey = "same@example.org", booking.EmailKey("same@example.org")
		e.CreatedAt = waitT0
		wg.Go(func() {
			errs[i] = s.AddWaitEntry(ctx, e, booking.WaitMessage{EntryID: e.ID, Kind: booking.WaitConfirm, CreatedAt: waitT0}, max)
		})
	}
	wg.Wait()
	added := 0
	for i, err := range errs {
		switch limit, _ := booking.ErrorLimit(err); {
		case err == nil:
			added++
		case booking.ErrorCode(err) != booking.ELimit || limit != booking.LimitWaitPerEmail:
			t.Errorf("entry %d: %v, want nil or the per-email limit", i+1, err)
		}
	}
	if n, err := s.LiveWaitEntries(ctx, booking.EmailKey("same@example.org"), waitT0); err != nil || n != max || added != max {
		t.Fatalf("%d added, %d live (%v); want %d", added, n, err, max)
	}
}

// TestWaitPendingHoldsADay: a pending entry holds its address's place 24
// hours after it was made, even past its ExpiresAt; an active one until
// its ExpiresAt only.
func TestWaitPendingHoldsADay(t *testing.T) { forEachBackend(t, testWaitPendingHoldsADay) }

func testWaitPendingHoldsADay(t *testing.T, be backend) {
	ctx := context.Background()
	s, _ := openTest(t, be)
	p, a := newWaitEntry(1), newWaitEntry(2)
	a.Patient.Email, a.EmailKey = p.Patient.Email, p.EmailKey
	p.Status, p.ExpiresAt = booking.WaitPending, p.CreatedAt.Add(time.Hour)
	a.ExpiresAt = a.CreatedAt.Add(time.Hour)
	addWait(t, s, p)
	addWait(t, s, a)
	for _, c := range []struct {
		at   time.Time
		want int
	}{{p.CreatedAt.Add(30 * time.Minute), 2}, {p.CreatedAt.Add(2 * time.Hour), 1}, {p.CreatedAt.Add(booking.WaitUnconfirmed), 0}} {
		if n, err := s.LiveWaitEntries(ctx, p.EmailKey, c.at); err != nil || n != c.want {
			t.Errorf("LiveWaitEntries at %s: %d, %v; want %d", c.at, n, err, c.want)
		}
	}
	e := newWaitEntry(3)
	e.Patient.Email, e.EmailKey, e.CreatedAt = p.Patient.Email, p.EmailKey, p.CreatedAt.Add(2*time.Hour)
	if err := s.AddWaitEntry(ctx, e, booking.WaitMessage{EntryID: e.ID, Kind: booking.WaitConfirm, CreatedAt: e.CreatedAt}, 1); booking.ErrorCode(err) != booking.ELimit {
		t.Fatalf("AddWaitEntry with the pending entry's place held: %v, want ELimit", err)
	}
}

// TestWaitSharedEntries: an entry of a shared type keeps its SharedID, and
// an entry of a practitioner's type its "".
func TestWaitSharedEntries(t *testing.T) { forEachBackend(t, testWaitSharedEntries) }

func testWaitSharedEntries(t *testing.T, be backend) {
	ctx := context.Background()
	s, _ := openTest(t, be)
	own, sh := newWaitEntry(1), newWaitEntry(2)
	sh.PractitionerID, sh.SharedID = "", "generaliste"
	addWait(t, s, own)
	addWait(t, s, sh)
	for _, want := range []*booking.WaitEntry{own, sh} {
		got, err := s.WaitEntry(ctx, want.ID)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("WaitEntry: %+v, %v\nwant %+v", got, err, want)
		}
	}
	act, err := s.ActiveWaitEntries(ctx, waitT0)
	if err != nil || len(act) != 2 || act[0].SharedID != "" || act[1].SharedID != "generaliste" {
		t.Fatalf("ActiveWaitEntries: %+v, %v", act, err)
	}
}
