package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
)

func TestReminders(t *testing.T) { forEachBackend(t, testReminders) }

// testReminders checks what the reminders of a booking rest on: a reminder
// is claimed only once due; a change that drops the waiting reminders and
// records new ones in the same transaction keeps the new ones; OutboxDrop
// drops a claimed message for good.
func testReminders(t *testing.T, be backend) {
	ctx := context.Background()
	s, _ := openTest(t, be)
	now := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	b := newBooking(1)
	b.Status = booking.StatusConfirmed
	reminder := func(i int, due time.Time) booking.OutboxMessage {
		m := message(b, i, now)
		m.Kind, m.Sealed, m.Due = booking.NotifyReminder, nil, due
		return m
	}
	old := reminder(1, now.Add(24*time.Hour))
	if err := s.Record(ctx, booking.Change{Booking: b, Create: true, Outbox: []booking.OutboxMessage{old}}); err != nil {
		t.Fatal(err)
	}
	claim := func(at time.Time) []booking.OutboxMessage {
		t.Helper()
		msgs, err := s.ClaimOutbox(ctx, at, at.Add(time.Minute), 10)
		if err != nil {
			t.Fatal(err)
		}
		return msgs
	}
	if got := claim(now.Add(time.Hour)); len(got) != 0 {
		t.Fatalf("claimed %d messages before the reminder is due", len(got))
	}
	// A move: the old reminder dropped, the new one recorded, at once.
	b.UpdatedAt = now.Add(time.Minute)
	moved := reminder(2, now.Add(2*time.Hour))
	if err := s.Record(ctx, booking.Change{Booking: b, Outbox: []booking.OutboxMessage{moved}, Drop: []string{booking.NotifyReminder}}); err != nil {
		t.Fatal(err)
	}
	b.Revision++
	got := claim(now.Add(48 * time.Hour))
	if len(got) != 1 || got[0].ID != moved.ID {
		t.Fatalf("claimed %v, want only the new reminder %s", msgIDs(got), moved.ID)
	}
	if got[0].Kind != booking.NotifyReminder || !got[0].Start.Equal(b.Start) {
		t.Errorf("claimed %+v", got[0])
	}
	// Its visit begun: dropped, never claimed again.
	if err := s.OutboxDrop(ctx, moved.ID, now.Add(48*time.Hour), "the visit has begun"); err != nil {
		t.Fatal(err)
	}
	if got := claim(now.Add(72 * time.Hour)); len(got) != 0 {
		t.Fatalf("claimed %v after the drop", msgIDs(got))
	}
	assertCode(t, s.OutboxDrop(ctx, "10000000-0000-4000-8000-999999999999", now, "x"), booking.ENotFound)
	// A dropped message is purged with the others.
	if err := s.Purge(ctx, now, now.Add(49*time.Hour)); err != nil {
		t.Fatal(err)
	}
	assertCode(t, s.OutboxDrop(ctx, moved.ID, now, "x"), booking.ENotFound)
}

func msgIDs(msgs []booking.OutboxMessage) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.ID
	}
	return out
}
