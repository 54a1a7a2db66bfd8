package store_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
)

func TestDeliveryOrder(t *testing.T) { forEachBackend(t, testDeliveryOrder) }

// testDeliveryOrder checks what keeps a booking's messages in order: an
// older waiting message holds the newer ones back (reminders aside, and
// per recipient), a superseded one is dropped and hands its sealed token
// on, Change.Drop drops waiting messages of a kind, and given-up messages
// are listed.
func testDeliveryOrder(t *testing.T, be backend) {
	ctx := context.Background()
	s, _ := openTest(t, be)
	now := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	b := newBooking(1)
	msg := func(i int, kind, recipient string) booking.OutboxMessage {
		m := message(b, i, now.Add(time.Duration(i)*time.Second))
		m.Kind, m.Recipient = kind, recipient
		if kind != booking.NotifyCreated {
			m.Sealed = nil
		}
		return m
	}
	reminder := msg(1, booking.NotifyReminder, "")
	reminder.Due = now.Add(48 * time.Hour)
	created, confirmed, cancelled := msg(2, booking.NotifyCreated, ""), msg(3, booking.NotifyConfirmed, ""), msg(4, booking.NotifyCancelled, "")
	practice := msg(5, booking.NotifyCancelled, booking.RecipientPractice)
	if err := s.Record(ctx, booking.Change{Booking: b, Create: true, Outbox: []booking.OutboxMessage{reminder, created}}); err != nil {
		t.Fatal(err)
	}
	b.UpdatedAt = now.Add(time.Minute)
	if err := s.Record(ctx, booking.Change{Booking: b, Outbox: []booking.OutboxMessage{confirmed, cancelled, practice}}); err != nil {
		t.Fatal(err)
	}
	b.Revision++
	at := now.Add(time.Hour)
	claim := func() map[string]booking.OutboxMessage {
		t.Helper()
		msgs, err := s.ClaimOutbox(ctx, at, at.Add(time.Second), 10)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]booking.OutboxMessage{}
		for _, m := range msgs {
			out[m.ID] = m
		}
		return out
	}
	// The oldest of the patient's (the reminder, not due, holds nothing
	// back) and the practice's, which has its own order.
	got := claim()
	if len(got) != 2 || got[created.ID].ID == "" || got[practice.ID].ID == "" {
		t.Fatalf("claimed %v, want the created message and the practice's", keys(got))
	}
	// created is superseded by the two newer ones; its token goes to the
	// next, which is superseded in turn and hands it on to the last.
	for _, c := range []struct {
		m    booking.OutboxMessage
		drop bool
	}{{created, true}, {confirmed, true}, {cancelled, false}} {
		dropped, err := s.OutboxSupersede(ctx, c.m, at)
		if err != nil || dropped != c.drop {
			t.Fatalf("supersede %s: %v, %v; want %v", c.m.Kind, dropped, err, c.drop)
		}
		if !c.drop {
			break
		}
		got = claim()
		next := confirmed
		if c.m.ID == confirmed.ID {
			next = cancelled
		}
		m, ok := got[next.ID]
		if !ok || len(got) != 1 {
			t.Fatalf("after dropping %s claimed %v, want %s", c.m.Kind, keys(got), next.Kind)
		}
		if !bytes.Equal(m.Sealed, created.Sealed) {
			t.Errorf("%s did not get the dropped message's sealed token", next.Kind)
		}
	}
	if err := s.OutboxSent(ctx, cancelled.ID, at); err != nil {
		t.Fatal(err)
	}
	// Given up: listed, newest first, from since.
	if err := s.OutboxFailed(ctx, practice.ID, at, "invalid: refused"); err != nil {
		t.Fatal(err)
	}
	failed, err := s.FailedMessages(ctx, at.Add(-time.Minute), 10)
	if err != nil || len(failed) != 1 || failed[0].ID != practice.ID || failed[0].Reason != "invalid: refused" ||
		!failed[0].FailedAt.Equal(at) || failed[0].Recipient != booking.RecipientPractice {
		t.Errorf("failed = %+v, %v", failed, err)
	}
	if failed, _ := s.FailedMessages(ctx, at.Add(time.Minute), 10); len(failed) != 0 {
		t.Errorf("failed since after = %+v", failed)
	}
	// Dropping the reminders of the booking: even due, it is not sent.
	b.UpdatedAt = at
	if err := s.Record(ctx, booking.Change{Booking: b, Drop: []string{booking.NotifyReminder}}); err != nil {
		t.Fatal(err)
	}
	at = now.Add(72 * time.Hour)
	if got := claim(); len(got) != 0 {
		t.Errorf("claimed %v after the reminder was dropped", keys(got))
	}
	// Only the patient's messages count for MessagesTo, reminders aside:
	// created, confirmed and cancelled, not the reminder nor the practice's.
	if n, err := s.MessagesTo(ctx, b.Patient.Email, now.Add(-time.Hour)); err != nil || n != 3 {
		t.Errorf("MessagesTo = %d, %v; want 3", n, err)
	}
}

func keys(m map[string]booking.OutboxMessage) []string {
	var out []string
	for _, v := range m {
		out = append(out, v.Kind+"/"+v.Recipient)
	}
	return out
}

func TestSupersededMoves(t *testing.T) { forEachBackend(t, testSupersededMoves) }

// testSupersededMoves: of two moves not sent yet, the first is dropped and
// the second says where the visit was before the first.
func testSupersededMoves(t *testing.T, be backend) {
	ctx := context.Background()
	s, _ := openTest(t, be)
	now := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	b := newBooking(1)
	if err := s.Record(ctx, booking.Change{Booking: b, Create: true}); err != nil {
		t.Fatal(err)
	}
	orig := b.Start
	move := func(i int, by time.Duration) booking.OutboxMessage {
		prevStart, prevEnd := b.Start, b.End
		b.Start, b.End = b.Start.Add(by), b.End.Add(by)
		m := message(b, i, now.Add(time.Duration(i)*time.Second))
		m.Kind, m.Sealed, m.PreviousStart, m.PreviousEnd = booking.NotifyRescheduled, nil, prevStart, prevEnd
		if err := s.Record(ctx, booking.Change{Booking: b, Outbox: []booking.OutboxMessage{m}}); err != nil {
			t.Fatal(err)
		}
		b.Revision++
		return m
	}
	first, second := move(1, time.Hour), move(2, time.Hour)
	if dropped, err := s.OutboxSupersede(ctx, first, now); err != nil || !dropped {
		t.Fatalf("supersede the first move: %v, %v", dropped, err)
	}
	msgs, err := s.ClaimOutbox(ctx, now.Add(time.Hour), now.Add(2*time.Hour), 10)
	if err != nil || len(msgs) != 1 || msgs[0].ID != second.ID {
		t.Fatalf("claimed %+v, %v; want the second move", msgs, err)
	}
	if !msgs[0].PreviousStart.Equal(orig) {
		t.Errorf("the second move says it was at %v, want %v (the time the patient knew)", msgs[0].PreviousStart, orig)
	}
}

func TestOutcomeWithFollowUps(t *testing.T) { forEachBackend(t, testOutcomeWithFollowUps) }

// testOutcomeWithFollowUps: the messages that follow from a message's
// outcome are recorded with it, or not at all.
func testOutcomeWithFollowUps(t *testing.T, be backend) {
	ctx := context.Background()
	s, _ := openTest(t, be)
	now := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	b := newBooking(1)
	m := message(b, 1, now)
	if err := s.Record(ctx, booking.Change{Booking: b, Create: true, Outbox: []booking.OutboxMessage{m}}); err != nil {
		t.Fatal(err)
	}
	news := message(b, 2, now)
	news.Kind, news.About, news.Recipient, news.Sealed = booking.NotifyUndelivered, booking.NotifyCreated, booking.RecipientPractice, nil
	// An outcome for a message that is not there records nothing.
	assertCode(t, s.OutboxFailed(ctx, "10000000-0000-4000-8000-000000000099", now, "invalid: refused", news), booking.ENotFound)
	if msgs, _ := s.ClaimOutbox(ctx, now.Add(time.Hour), now.Add(2*time.Hour), 10, news.ID); len(msgs) != 0 {
		t.Fatalf("the follow-up of a failed outcome was recorded: %+v", msgs)
	}
	if err := s.OutboxFailed(ctx, m.ID, now, "invalid: refused", news); err != nil {
		t.Fatal(err)
	}
	msgs, err := s.ClaimOutbox(ctx, now.Add(time.Hour), now.Add(2*time.Hour), 10)
	if err != nil || len(msgs) != 1 || msgs[0].ID != news.ID || msgs[0].About != booking.NotifyCreated || msgs[0].Recipient != booking.RecipientPractice {
		t.Errorf("claimed %+v, %v; want the practice's news", msgs, err)
	}
}
