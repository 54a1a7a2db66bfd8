package rdv

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
)

// TestRunRetains: the jobs erase the patient data past its retention and
// purge the digests' records of the days past it, on their first run.
func TestRunRetains(t *testing.T) {
	now := time.Date(2027, 6, 1, 8, 0, 0, 0, time.UTC)
	o := testOptions(t)
	o.JobsInterval = 10 * time.Millisecond
	o.Now = func() time.Time { return now }
	o.Retention = booking.Retention{AfterVisit: 30 * 24 * time.Hour}
	a, err := New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx := context.Background()
	old, recent := now.Add(-31*24*time.Hour), now.Add(-29*24*time.Hour)
	for i, start := range []time.Time{old, recent} {
		b := &booking.Booking{
			ID:             []string{"00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002"}[i],
			PractitionerID: "martin", TypeID: "consultation", Start: start, End: start.Add(20 * time.Minute),
			Status: booking.StatusConfirmed, Patient: booking.Patient{Name: "Marie Curie", Email: "marie@example.org"},
			CreatedAt: start, UpdatedAt: start,
		}
		if err := a.store.Record(ctx, booking.Change{Booking: b, Create: true}); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []time.Time{old, recent} {
		if _, err := a.store.ClaimDigest(ctx, "martin", booking.DateOf(d), d, d.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := a.store.DigestSent(ctx, "martin", booking.DateOf(d), d); err != nil {
			t.Fatal(err)
		}
	}
	// The demo's outbox of .eml files: an old one, a recent one, another file.
	if a.Outbox() == "" {
		t.Fatal("no outbox directory")
	}
	if err := os.MkdirAll(a.Outbox(), 0o700); err != nil {
		t.Fatal(err)
	}
	// Their times are the system's: so is the clock they are compared with.
	real := time.Now()
	files := map[string]time.Time{"old.eml": real.Add(-31 * 24 * time.Hour), "recent.eml": real.Add(-29 * 24 * time.Hour), "old.txt": real.Add(-31 * 24 * time.Hour)}
	for name, mtime := range files {
		path := filepath.Join(a.Outbox(), name)
		if err := os.WriteFile(path, []byte("To: marie@example.org\r\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	go a.Run(ctx)
	// Claiming a sent digest changes nothing: the old day's can be claimed
	// again once its record is purged.
	erased := func() bool {
		b, err := a.store.Booking(ctx, "00000000-0000-4000-8000-000000000001")
		if err != nil {
			t.Fatal(err)
		}
		return b.Patient == (booking.Patient{})
	}
	purged := func() bool {
		ok, err := a.store.ClaimDigest(ctx, "martin", booking.DateOf(old), now, now.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	deadline := time.Now().Add(time.Minute)
	for !erased() || !purged() {
		if time.Now().After(deadline) {
			t.Fatal("the jobs did not erase the booking past its retention and purge the old digest")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if b, err := a.store.Booking(ctx, "00000000-0000-4000-8000-000000000002"); err != nil || b.Patient.Email != "marie@example.org" {
		t.Errorf("the booking within its retention: %v, %v", b, err)
	}
	if ok, err := a.store.ClaimDigest(ctx, "martin", booking.DateOf(recent), now, now.Add(time.Minute)); err != nil || ok {
		t.Errorf("the recent digest, sent, claimable again = %v, %v: purged", ok, err)
	}
	// The outbox files are purged after the digests, in the same run.
	for fileExists(filepath.Join(a.Outbox(), "old.eml")) {
		if time.Now().After(deadline) {
			t.Fatal("the old .eml file was not removed")
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, name := range []string{"recent.eml", "old.txt"} {
		if !fileExists(filepath.Join(a.Outbox(), name)) {
			t.Errorf("%s was removed", name)
		}
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
