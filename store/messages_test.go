package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
)

func TestMessagesTo(t *testing.T) { forEachBackend(t, testMessagesTo) }

// testMessagesTo checks the count behind Limits.MessagesPerHour: the
// messages of every booking of an address, without case, from a time on;
// and that a booking's count of moves is kept.
func testMessagesTo(t *testing.T, be backend) {
	ctx := context.Background()
	s, _ := openTest(t, be)
	now := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)

	a, b, other := newBooking(1), newBooking(2), newBooking(3)
	a.Patient.Email, b.Patient.Email = "Marie+rdv@Example.org", "marie@example.org"
	for i, c := range []struct {
		b   *booking.Booking
		msg int
		at  time.Time
	}{{a, 1, now.Add(-2 * time.Hour)}, {b, 2, now.Add(-30 * time.Minute)}, {other, 3, now}} {
		if err := s.Record(ctx, booking.Change{Booking: c.b, Create: true, Outbox: []booking.OutboxMessage{message(c.b, c.msg, c.at)}}); err != nil {
			t.Fatalf("booking %d: %v", i, err)
		}
	}
	b.Moves = 2
	upd := message(b, 4, now)
	upd.Kind = booking.NotifyRescheduled
	if err := s.Record(ctx, booking.Change{Booking: b, Outbox: []booking.OutboxMessage{upd}}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		email string
		since time.Time
		want  int
	}{
		{"marie@example.org", now.Add(-time.Hour), 2},
		{"MARIE@EXAMPLE.ORG", now.Add(-3 * time.Hour), 3},
		{"marie+other@example.org", now.Add(-3 * time.Hour), 3},
		{"marie@example.org", now.Add(time.Second), 0},
		{"nobody@example.org", now.Add(-3 * time.Hour), 0},
	} {
		got, err := s.MessagesTo(ctx, c.email, c.since)
		if err != nil || got != c.want {
			t.Errorf("MessagesTo(%s, %v) = %d, %v; want %d", c.email, c.since, got, err, c.want)
		}
	}
	got, err := s.Booking(ctx, b.ID)
	if err != nil || got.Moves != 2 {
		t.Errorf("moves after an update = %v, %v; want 2", got, err)
	}
	b.Moves = -1
	b.Revision = got.Revision
	assertCode(t, s.Record(ctx, booking.Change{Booking: b}), booking.EInvalid)
}
