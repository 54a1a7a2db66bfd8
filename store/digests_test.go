package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/store"
)

func TestDigests(t *testing.T) { forEachBackend(t, testDigests) }

// testDigests: a day's digest is claimed by one caller at a time; a claim
// that ran out may be taken again, until the digest is sent or claimed
// MaxDigestAttempts times; days and practitioners are apart.
func testDigests(t *testing.T, be backend) {
	ctx := context.Background()
	s, _ := openTest(t, be)
	day, next := date(t, "2026-12-02"), date(t, "2026-12-03")
	now := time.Date(2026, time.December, 2, 6, 0, 0, 0, time.UTC)
	claim := func(pid, d string, at time.Time) bool {
		t.Helper()
		ok, err := s.ClaimDigest(ctx, pid, date(t, d), at, at.Add(2*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !claim("demo", "2026-12-02", now) {
		t.Fatal("first claim refused")
	}
	if claim("demo", "2026-12-02", now.Add(time.Minute)) {
		t.Error("claimed twice while the first claim holds")
	}
	if !claim("martin", "2026-12-02", now) || !claim("demo", "2026-12-03", now) {
		t.Error("another practitioner's or another day's digest is held by this one")
	}
	if !claim("demo", "2026-12-02", now.Add(3*time.Minute)) {
		t.Error("a claim that ran out can't be taken again")
	}
	if err := s.DigestSent(ctx, "demo", day, now.Add(3*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if claim("demo", "2026-12-02", now.Add(time.Hour)) {
		t.Error("a digest sent is claimed again")
	}
	at := now
	n := 1 // the claim of next above
	for ; n < store.MaxDigestAttempts+3; n++ {
		at = at.Add(time.Hour)
		if !claim("demo", next.String(), at) {
			break
		}
	}
	if n != store.MaxDigestAttempts {
		t.Errorf("claimed %d times, want at most %d", n, store.MaxDigestAttempts)
	}
}
