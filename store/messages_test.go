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

func TestPatientActivity(t *testing.T) { forEachBackend(t, testPatientActivity) }

// testPatientActivity checks the counts behind Limits.ActivePerContact,
// PendingPerEmail and NewPerMinute.
func testPatientActivity(t *testing.T, be backend) {
	ctx := context.Background()
	s, _ := openTest(t, be)
	now := time.Date(2026, 12, 1, 7, 0, 0, 0, time.UTC) // before every booking of newBooking
	made := func(i int, email, phone string, status booking.Status, created time.Time) {
		t.Helper()
		b := newBooking(i)
		b.Patient.Email, b.Patient.Phone, b.Status, b.CreatedAt, b.UpdatedAt = email, phone, status, created, created
		if err := s.Record(ctx, booking.Change{Booking: b, Create: true}); err != nil {
			t.Fatal(err)
		}
	}
	old := now.Add(-time.Hour)
	made(1, "Marie+a@Example.org", "+33 6 12 34 56 78", booking.StatusPending, old)
	made(2, "marie@example.org", "", booking.StatusConfirmed, now.Add(-30*time.Second))
	made(3, "marie@example.org", "", booking.StatusCancelled, old)
	made(4, "other@example.org", "06.12.34.56.78", booking.StatusConfirmed, now.Add(-10*time.Second))
	made(5, "third@example.org", "", booking.StatusConfirmed, old)
	// A booking of marie's that is over: it counts for nothing.
	past := newBooking(6)
	past.Start, past.End = now.Add(-2*time.Hour), now.Add(-time.Hour)
	past.Patient.Email, past.CreatedAt, past.UpdatedAt = "marie@example.org", old, old
	if err := s.Record(ctx, booking.Change{Booking: past, Create: true}); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		name, email, phone string
		want               booking.Activity
	}{
		{"marie", "marie@example.org", "612345678", booking.Activity{ActiveByEmail: 2, ActiveByPhone: 2, PendingByEmail: 1, New: 2}},
		{"marie, no phone", "marie@example.org", "", booking.Activity{ActiveByEmail: 2, PendingByEmail: 1, New: 2}},
		{"a stranger", "nobody@example.org", "000000000", booking.Activity{New: 2}},
	} {
		got, err := s.PatientActivity(ctx, "demo", c.email, c.phone, now, now.Add(-time.Minute))
		if err != nil || got != c.want {
			t.Errorf("%s: %+v, %v; want %+v", c.name, got, err, c.want)
		}
	}
	if got, err := s.PatientActivity(ctx, "someone-else", "marie@example.org", "612345678", now, now.Add(-time.Minute)); err != nil || got != (booking.Activity{}) {
		t.Errorf("another practitioner: %+v, %v", got, err)
	}
}
