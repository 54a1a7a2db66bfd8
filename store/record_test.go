package store_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
)

// message returns an outbox message numbered i about b, created at created.
func message(b *booking.Booking, i int, created time.Time) booking.OutboxMessage {
	return booking.OutboxMessage{
		ID: fmt.Sprintf("10000000-0000-4000-8000-%012d", i), BookingID: b.ID, Kind: booking.NotifyCreated,
		Status: b.Status, Start: b.Start, End: b.End, Sequence: b.Sequence,
		Sealed: []byte{1, 2, 3}, CreatedAt: created,
	}
}

func TestRecord(t *testing.T) { forEachBackend(t, testRecord) }

func testRecord(t *testing.T, be backend) {
	ctx := context.Background()
	s, _ := openTest(t, be)
	now := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)

	b := newBooking(1)
	key := &booking.IdempotencyRecord{Key: "k1", RequestHash: "h1", BookingID: b.ID, Response: []byte("sealed"), CreatedAt: now}
	if err := s.Record(ctx, booking.Change{Booking: b, Create: true, Key: key, Outbox: []booking.OutboxMessage{message(b, 1, now)}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Booking(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	assertSameBooking(t, got, b)
	rec, err := s.IdempotencyRecord(ctx, "k1", now.Add(-time.Hour))
	if err != nil || rec.BookingID != b.ID || rec.RequestHash != "h1" || !bytes.Equal(rec.Response, []byte("sealed")) || !rec.CreatedAt.Equal(now) {
		t.Fatalf("IdempotencyRecord = %+v, %v", rec, err)
	}
	_, err = s.IdempotencyRecord(ctx, "k1", now.Add(time.Second))
	assertCode(t, err, booking.ENotFound)

	// The same key again: nothing of the change is recorded.
	b2 := newBooking(2)
	key2 := *key
	key2.BookingID = b2.ID
	err = s.Record(ctx, booking.Change{Booking: b2, Create: true, Key: &key2, Outbox: []booking.OutboxMessage{message(b2, 2, now)}})
	assertCode(t, err, booking.EConflict)
	_, err = s.Booking(ctx, b2.ID)
	assertCode(t, err, booking.ENotFound)

	// Past its lifetime, the key may be used again.
	key3 := key2
	key3.CreatedAt = now.Add(booking.IdempotencyTTL + time.Minute)
	if err := s.Record(ctx, booking.Change{Booking: b2, Create: true, Key: &key3}); err != nil {
		t.Fatalf("key past its lifetime: %v", err)
	}

	// An update of a missing booking records no message.
	missing := newBooking(9)
	err = s.Record(ctx, booking.Change{Booking: missing, Outbox: []booking.OutboxMessage{message(missing, 9, now)}})
	assertCode(t, err, booking.ENotFound)
	msgs, err := s.ClaimOutbox(ctx, now.Add(time.Hour), now.Add(2*time.Hour), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || msgs[0].ID != message(b, 1, now).ID {
		t.Fatalf("claimed %+v, want the message of booking 1 only", msgs)
	}

	// An update with a message.
	b.Status = booking.StatusConfirmed
	b.Start, b.End = b.Start.Add(time.Hour), b.End.Add(time.Hour)
	b.Sequence = 1
	m := message(b, 3, now)
	m.Kind, m.Sealed = booking.NotifyRescheduled, nil
	m.PreviousStart, m.PreviousEnd = b.Start.Add(-time.Hour), b.End.Add(-time.Hour)
	if err := s.Record(ctx, booking.Change{Booking: b, Outbox: []booking.OutboxMessage{m}}); err != nil {
		t.Fatal(err)
	}
	b.Revision++
	got, _ = s.Booking(ctx, b.ID)
	assertSameBooking(t, got, b)
	// The booking's first message, claimed above, holds the new one back
	// until it is sent (messages of a booking leave in order).
	if msgs, err := s.ClaimOutbox(ctx, now, now.Add(time.Minute), 10, m.ID); err != nil || len(msgs) != 0 {
		t.Fatalf("claimed %+v, %v before the older message was sent", msgs, err)
	}
	if err := s.OutboxSent(ctx, message(b, 1, now).ID, now); err != nil {
		t.Fatal(err)
	}
	msgs, err = s.ClaimOutbox(ctx, now, now.Add(time.Minute), 10, m.ID)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("claim by id: %+v, %v", msgs, err)
	}
	c := msgs[0]
	if c.Kind != booking.NotifyRescheduled || c.Status != booking.StatusConfirmed || !c.Start.Equal(b.Start) || !c.End.Equal(b.End) ||
		c.Sequence != 1 || !c.PreviousStart.Equal(m.PreviousStart) || !c.PreviousEnd.Equal(m.PreviousEnd) || c.Sealed != nil || c.Attempts != 1 {
		t.Errorf("claimed message = %+v, want %+v with one attempt", c, m)
	}
}

func TestOutbox(t *testing.T) { forEachBackend(t, testOutbox) }

func testOutbox(t *testing.T, be backend) {
	ctx := context.Background()
	s, _ := openTest(t, be)
	now := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	var ids []string
	for i := range 3 {
		b := newBooking(i)
		m := message(b, i, now.Add(time.Duration(i)*time.Second))
		ids = append(ids, m.ID)
		if err := s.Record(ctx, booking.Change{Booking: b, Create: true, Outbox: []booking.OutboxMessage{m}}); err != nil {
			t.Fatal(err)
		}
	}
	claim := func(at time.Time, limit int) []string {
		t.Helper()
		msgs, err := s.ClaimOutbox(ctx, at, at.Add(time.Minute), limit)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, m := range msgs {
			out = append(out, m.ID)
		}
		return out
	}
	if got := claim(now.Add(-time.Hour), 10); len(got) != 0 {
		t.Errorf("claimed %v before they are due", got)
	}
	if got := claim(now.Add(time.Hour), 2); len(got) != 2 || got[0] != ids[0] || got[1] != ids[1] {
		t.Errorf("first claim = %v, want the two oldest", got)
	}
	if got := claim(now.Add(time.Hour), 10); len(got) != 1 || got[0] != ids[2] {
		t.Errorf("second claim = %v, want the one left", got)
	}
	// Claimed messages are due again when their lease runs out.
	if got := claim(now.Add(time.Hour+2*time.Minute), 10); len(got) != 3 {
		t.Errorf("claim after the lease = %v, want all three", got)
	}
	if err := s.OutboxSent(ctx, ids[0], now); err != nil {
		t.Fatal(err)
	}
	if err := s.OutboxFailed(ctx, ids[1], now, "invalid: bad address"); err != nil {
		t.Fatal(err)
	}
	later := now.Add(5 * time.Hour)
	if err := s.OutboxRetry(ctx, ids[2], later, "unavailable: smtp down"); err != nil {
		t.Fatal(err)
	}
	if got := claim(later.Add(-time.Second), 10); len(got) != 0 {
		t.Errorf("claimed %v before the retry is due", got)
	}
	msgs, err := s.ClaimOutbox(ctx, later, later.Add(time.Minute), 10)
	if err != nil || len(msgs) != 1 || msgs[0].ID != ids[2] || msgs[0].Attempts != 3 || !bytes.Equal(msgs[0].Sealed, []byte{1, 2, 3}) {
		t.Fatalf("claim of the retried message = %+v, %v", msgs, err)
	}
	assertCode(t, s.OutboxSent(ctx, "no-such-message", now), booking.ENotFound)

	// Purge: sent and failed messages before the bound go; the pending one stays.
	if err := s.Purge(ctx, now, now.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := s.OutboxRetry(ctx, ids[2], later, "again"); err != nil {
		t.Errorf("pending message purged: %v", err)
	}
	assertCode(t, s.OutboxSent(ctx, ids[0], now), booking.ENotFound)
	assertCode(t, s.OutboxRetry(ctx, ids[1], now, ""), booking.ENotFound)
}

func TestPendingBookings(t *testing.T) { forEachBackend(t, testPendingBookings) }

func testPendingBookings(t *testing.T, be backend) {
	ctx := context.Background()
	s, _ := openTest(t, be)
	base := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	for i, st := range []booking.Status{booking.StatusPending, booking.StatusConfirmed, booking.StatusPending, booking.StatusPending} {
		b := newBooking(i)
		b.Status = st
		b.CreatedAt = base.Add(-time.Duration(i) * time.Minute) // the later the number, the older
		if err := s.Record(ctx, booking.Change{Booking: b, Create: true}); err != nil {
			t.Fatal(err)
		}
	}
	bs, err := s.PendingBookings(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) != 2 || bs[0].ID != newBooking(3).ID || bs[1].ID != newBooking(2).ID {
		t.Errorf("PendingBookings(2) = %v, want bookings 3 and 2", ids(bs))
	}
}

func ids(bs []*booking.Booking) []string {
	var out []string
	for _, b := range bs {
		out = append(out, b.ID)
	}
	return out
}

func TestRecordCompareAndSet(t *testing.T) { forEachBackend(t, testRecordCompareAndSet) }

// testRecordCompareAndSet: an update applies only to the row as it was
// read (its revision); a stale one, or a create that meets an existing id,
// records nothing, messages and key included.
func testRecordCompareAndSet(t *testing.T, be backend) {
	ctx := context.Background()
	s, _ := openTest(t, be)
	now := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	// claimable reports whether the outbox holds message id, due: it
	// claims every due message, in order, marking each sent.
	seen := map[string]bool{}
	claimable := func(id string) bool {
		t.Helper()
		for {
			msgs, err := s.ClaimOutbox(ctx, now.Add(time.Hour), now.Add(time.Hour+time.Second), 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(msgs) == 0 {
				return seen[id]
			}
			for _, m := range msgs {
				seen[m.ID] = true
				if err := s.OutboxSent(ctx, m.ID, now); err != nil {
					t.Fatal(err)
				}
			}
		}
	}

	b := newBooking(1)
	if err := s.Record(ctx, booking.Change{Booking: b, Create: true, Outbox: []booking.OutboxMessage{message(b, 1, now)}}); err != nil {
		t.Fatal(err)
	}
	read, err := s.Booking(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if read.Revision != 0 {
		t.Fatalf("new booking at revision %d, want 0", read.Revision)
	}

	// Two changes from the same read: the first applies.
	first, second := *read, *read
	first.Status, first.EventETag = booking.StatusConfirmed, `"etag-2"`
	second.Status, second.Sequence = booking.StatusCancelled, 1
	m1 := message(&first, 2, now)
	m1.Kind, m1.Sealed = booking.NotifyConfirmed, nil
	if err := s.Record(ctx, booking.Change{Booking: &first, Outbox: []booking.OutboxMessage{m1}}); err != nil {
		t.Fatal(err)
	}
	if first.Revision != 0 {
		t.Errorf("Record changed its argument's revision to %d", first.Revision)
	}
	want := first
	want.Revision = 1
	got, _ := s.Booking(ctx, b.ID)
	assertSameBooking(t, got, &want)

	// The second is stale: EConflict, and nothing of it is recorded.
	m2 := message(&second, 3, now)
	m2.Kind, m2.Sealed = booking.NotifyCancelled, nil
	err = s.Record(ctx, booking.Change{Booking: &second, Outbox: []booking.OutboxMessage{m2}})
	assertCode(t, err, booking.EConflict)
	if msg := booking.ErrorMessage(err); !strings.Contains(msg, "changed meanwhile") {
		t.Errorf("message %q does not say the booking changed", msg)
	}
	got, _ = s.Booking(ctx, b.ID)
	assertSameBooking(t, got, &want)
	if claimable(m2.ID) {
		t.Error("the message of the stale change was recorded")
	}
	if !claimable(m1.ID) {
		t.Error("the message of the applied change is missing")
	}

	// A revision ahead of the row is as stale as one behind.
	ahead := want
	ahead.Revision = 5
	assertCode(t, s.Record(ctx, booking.Change{Booking: &ahead}), booking.EConflict)

	// From the row as it is now, a change applies.
	second.Revision = 1
	if err := s.Record(ctx, booking.Change{Booking: &second, Outbox: []booking.OutboxMessage{m2}}); err != nil {
		t.Fatal(err)
	}
	want = second
	want.Revision = 2
	got, _ = s.Booking(ctx, b.ID)
	assertSameBooking(t, got, &want)
	if !claimable(m2.ID) {
		t.Error("the message of the change is missing")
	}

	// A create that meets an existing id records neither its key nor its
	// message, and leaves the row as it was.
	dup := newBooking(1)
	dup.TokenHash = booking.HashToken("another token")
	key := &booking.IdempotencyRecord{Key: "k-dup", RequestHash: "h", BookingID: dup.ID, Response: []byte("sealed"), CreatedAt: now}
	m3 := message(dup, 4, now)
	err = s.Record(ctx, booking.Change{Booking: dup, Create: true, Key: key, Outbox: []booking.OutboxMessage{m3}})
	assertCode(t, err, booking.EConflict)
	_, err = s.IdempotencyRecord(ctx, "k-dup", now.Add(-time.Hour))
	assertCode(t, err, booking.ENotFound)
	if claimable(m3.ID) {
		t.Error("the message of the duplicate create was recorded")
	}
	got, _ = s.Booking(ctx, b.ID)
	assertSameBooking(t, got, &want)

	// So does a create whose key exists: no row, no message.
	other := newBooking(2)
	if err := s.Record(ctx, booking.Change{Booking: other, Create: true, Key: &booking.IdempotencyRecord{
		Key: "k-2", RequestHash: "h", BookingID: other.ID, Response: []byte("sealed"), CreatedAt: now}}); err != nil {
		t.Fatal(err)
	}
	third := newBooking(3)
	m4 := message(third, 5, now)
	err = s.Record(ctx, booking.Change{Booking: third, Create: true, Outbox: []booking.OutboxMessage{m4}, Key: &booking.IdempotencyRecord{
		Key: "k-2", RequestHash: "h", BookingID: third.ID, Response: []byte("sealed"), CreatedAt: now}})
	assertCode(t, err, booking.EConflict)
	_, err = s.Booking(ctx, third.ID)
	assertCode(t, err, booking.ENotFound)
	if claimable(m4.ID) {
		t.Error("the message of the create with a used key was recorded")
	}
}
