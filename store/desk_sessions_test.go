package store_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
)

func TestDeskSessions(t *testing.T) { forEachBackend(t, testDeskSessions) }

// testDeskSessions: a session is found by its id's hash with what it was
// created with; a second one with the same hash is refused; touching it
// moves its last use; purging removes the expired and the idle ones only;
// deleting it is final, and deleting it again no error.
func testDeskSessions(t *testing.T, be backend) {
	ctx := context.Background()
	db, _ := openTest(t, be)
	s, ok := db.(booking.DeskSessions)
	if !ok {
		t.Fatalf("%T does not keep desk sessions", db)
	}
	now := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	mk := func(b byte, created time.Time) booking.DeskSession {
		return booking.DeskSession{IDHash: bytes.Repeat([]byte{b}, 32), CSRF: "csrf-" + string(rune('a'+b)), User: "Sophie", TokenPrint: "print",
			Created: created, LastSeen: created, Expires: created.Add(7 * 24 * time.Hour)}
	}
	a := mk(1, now)
	if err := s.CreateDeskSession(ctx, a); err != nil {
		t.Fatal(err)
	}
	assertCode(t, s.CreateDeskSession(ctx, a), booking.EConflict)
	got, err := s.DeskSession(ctx, a.IDHash)
	if err != nil {
		t.Fatal(err)
	}
	if got.CSRF != a.CSRF || got.User != a.User || got.TokenPrint != a.TokenPrint || !got.Created.Equal(a.Created) || !got.LastSeen.Equal(a.LastSeen) || !got.Expires.Equal(a.Expires) {
		t.Errorf("session = %+v, want %+v", got, a)
	}
	_, err = s.DeskSession(ctx, bytes.Repeat([]byte{9}, 32))
	assertCode(t, err, booking.ENotFound)

	later := now.Add(3 * time.Hour)
	if err := s.TouchDeskSession(ctx, a.IDHash, later); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.DeskSession(ctx, a.IDHash); !got.LastSeen.Equal(later) {
		t.Errorf("last seen = %v after a touch at %v", got.LastSeen, later)
	}

	old := mk(2, now.Add(-8*24*time.Hour)) // past its absolute end
	idle := mk(3, now.Add(-24*time.Hour))  // not used for a day
	for _, d := range []booking.DeskSession{old, idle} {
		if err := s.CreateDeskSession(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PurgeDeskSessions(ctx, now, now.Add(-12*time.Hour)); err != nil {
		t.Fatal(err)
	}
	for _, d := range []booking.DeskSession{old, idle} {
		_, err := s.DeskSession(ctx, d.IDHash)
		assertCode(t, err, booking.ENotFound)
	}
	if _, err := s.DeskSession(ctx, a.IDHash); err != nil {
		t.Errorf("a live session was purged: %v", err)
	}

	for range 2 {
		if err := s.DeleteDeskSession(ctx, a.IDHash); err != nil {
			t.Fatal(err)
		}
	}
	_, err = s.DeskSession(ctx, a.IDHash)
	assertCode(t, err, booking.ENotFound)
}
