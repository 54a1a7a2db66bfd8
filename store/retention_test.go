package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/store"
)

// retentionNow is the instant the retention tests run at.
var retentionNow = time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC)

// retentionCut are the default cutoffs at retentionNow: 90 days after the
// visit, 30 days after a cancellation or the start of a cancelled visit.
var retentionCut = booking.Retention{}.Cutoffs(retentionNow)

// aged returns booking i in status st, starting at start (20 minutes
// long) and last updated at updated, with a distinct patient.
func aged(i int, st booking.Status, start, updated time.Time) *booking.Booking {
	b := newBooking(i)
	b.Status, b.Start, b.End = st, start, start.Add(20*time.Minute)
	b.CreatedAt, b.UpdatedAt = start.Add(-30*24*time.Hour), updated
	if updated.Before(b.CreatedAt) {
		b.CreatedAt = updated
	}
	b.Patient.Phone = fmt.Sprintf("+33 6 12 34 56 %02d", i)
	return b
}

// days returns retentionNow plus n days.
func days(n int) time.Time { return retentionNow.Add(time.Duration(n) * 24 * time.Hour) }

// recordWithTraces records b with two messages (one sent) and an
// idempotency record: what erasing it must delete.
func recordWithTraces(t *testing.T, s store.DB, b *booking.Booking) {
	t.Helper()
	ctx := context.Background()
	m1 := message(b, 100+2*numOf(b), b.CreatedAt)
	m2 := message(b, 101+2*numOf(b), b.CreatedAt.Add(time.Second))
	m2.Kind, m2.Sealed, m2.Recipient = booking.NotifyConfirmed, nil, booking.RecipientPractice
	key := &booking.IdempotencyRecord{Key: "key-" + b.ID, RequestHash: "h", BookingID: b.ID, Response: []byte("sealed"), CreatedAt: b.CreatedAt}
	if err := s.Record(ctx, booking.Change{Booking: b, Create: true, Key: key, Outbox: []booking.OutboxMessage{m1, m2}}); err != nil {
		t.Fatal(err)
	}
	if err := s.OutboxSent(ctx, m1.ID, b.CreatedAt.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
}

// numOf returns the number newBooking gave b.
func numOf(b *booking.Booking) int {
	var n int
	fmt.Sscanf(b.ID[len(b.ID)-12:], "%d", &n)
	return n
}

// assertErased fails unless the row of want is want with its patient data
// erased: no patient, no token, one revision more, everything else kept;
// and unless nothing of its patient is found any more.
func assertErased(t *testing.T, s store.DB, want *booking.Booking) {
	t.Helper()
	ctx := context.Background()
	got, err := s.Booking(ctx, want.ID)
	if err != nil {
		t.Fatal(err)
	}
	w := *want
	w.Patient, w.TokenHash, w.Revision = booking.Patient{}, "", want.Revision+1
	assertSameBooking(t, got, &w)
	if _, err := s.BookingByTokenHash(ctx, want.TokenHash); booking.ErrorCode(err) != booking.ENotFound {
		t.Errorf("booking %d: its manage token still opens it (%v)", numOf(want), err)
	}
	if _, err := s.IdempotencyRecord(ctx, "key-"+want.ID, time.Time{}); booking.ErrorCode(err) != booking.ENotFound {
		t.Errorf("booking %d: its idempotency record is left (%v)", numOf(want), err)
	}
	recs, err := s.PatientRecords(ctx, booking.EmailKey(want.Patient.Email))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs.Bookings)+len(recs.Messages)+len(recs.Keys) != 0 {
		t.Errorf("booking %d: its patient is still found: %+v", numOf(want), recs)
	}
}

// assertKept fails unless the row of want is as recorded, its messages and
// idempotency record with it.
func assertKept(t *testing.T, s store.DB, want *booking.Booking) {
	t.Helper()
	ctx := context.Background()
	got, err := s.Booking(ctx, want.ID)
	if err != nil {
		t.Fatal(err)
	}
	assertSameBooking(t, got, want)
	recs, err := s.PatientRecords(ctx, booking.EmailKey(want.Patient.Email))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs.Bookings) != 1 || len(recs.Messages) != 2 || len(recs.Keys) != 1 {
		t.Errorf("booking %d: records %d bookings, %d messages, %d keys; want 1, 2, 1",
			numOf(want), len(recs.Bookings), len(recs.Messages), len(recs.Keys))
	}
}

func TestEraseExpired(t *testing.T) { forEachBackend(t, testEraseExpired) }

// testEraseExpired: the bookings past the cutoffs, and only those, lose
// their patient data, their messages and keys; their rows stay for counts;
// a second pass erases nothing; a writer who read a row before gets
// EConflict.
func testEraseExpired(t *testing.T, be backend) {
	ctx := context.Background()
	s, _ := openTest(t, be)
	erased := []*booking.Booking{ // in the order of their end
		aged(1, booking.StatusPending, days(-200), days(-200)),  // never confirmed, long over
		aged(2, booking.StatusConfirmed, days(-91), days(-120)), // visit 91 days ago
		aged(3, booking.StatusCancelled, days(-35), days(-2)),   // cancelled lately, but started 35 days ago
		aged(4, booking.StatusExpired, days(-31), days(-31)),    // expired 31 days ago
		aged(5, booking.StatusCancelled, days(20), days(-40)),   // cancelled 40 days ago, visit to come
	}
	kept := []*booking.Booking{
		aged(6, booking.StatusConfirmed, days(-89), days(-100)), // visit 89 days ago
		aged(7, booking.StatusCancelled, days(20), days(-29)),   // cancelled 29 days ago, visit to come
		aged(8, booking.StatusCancelled, days(-29), days(-29)),  // cancelled and started 29 days ago
		aged(9, booking.StatusConfirmed, days(3), days(-1)),     // to come
		aged(10, booking.StatusPending, days(1), days(0)),       // to come
	}
	for _, b := range append(slices.Clone(erased), kept...) {
		recordWithTraces(t, s, b)
	}
	waiting, err := s.OutboxWaiting(ctx)
	if err != nil {
		t.Fatal(err)
	}

	ids, err := s.EraseExpired(ctx, retentionCut, retentionNow, booking.MaxEraseBatch)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, b := range erased {
		want = append(want, b.ID)
	}
	if !slices.Equal(ids, want) {
		t.Errorf("erased %v, want %v", ids, want)
	}
	for _, b := range erased {
		assertErased(t, s, b)
	}
	for _, b := range kept {
		assertKept(t, s, b)
	}
	if n, err := s.OutboxWaiting(ctx); err != nil || n != waiting-len(erased) {
		t.Errorf("OutboxWaiting = %d, %v; want %d (the waiting messages of erased bookings deleted)", n, err, waiting-len(erased))
	}
	// The rows stay, for counts.
	all, err := s.BookingsBetween(ctx, "demo", days(-400), days(400))
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != len(erased)+len(kept) {
		t.Errorf("%d rows left, want %d", len(all), len(erased)+len(kept))
	}

	// Idempotent.
	again, err := s.EraseExpired(ctx, retentionCut, retentionNow.Add(time.Minute), booking.MaxEraseBatch)
	if err != nil || len(again) != 0 {
		t.Errorf("second pass erased %v, %v; want none", again, err)
	}
	for _, b := range erased {
		assertErased(t, s, b) // one revision more, not two
	}

	// A writer who read a row before its erasure can't write it back.
	stale := *erased[0]
	stale.Status = booking.StatusExpired
	assertCode(t, recordUpdate(s, ctx, &stale), booking.EConflict)

	// Two days later, the visit of 89 days ago and the bookings cancelled
	// 29 days ago are past the cutoffs too.
	later := booking.Retention{}.Cutoffs(retentionNow.Add(2 * 24 * time.Hour))
	ids, err = s.EraseExpired(ctx, later, retentionNow, booking.MaxEraseBatch)
	if want := []string{kept[0].ID, kept[2].ID, kept[1].ID}; err != nil || !slices.Equal(ids, want) {
		t.Errorf("two days later: erased %v, %v; want %v", ids, err, want)
	}
	assertCode(t, func() error { _, err := s.EraseExpired(ctx, later, retentionNow, 0); return err }(), booking.EInvalid)
}

func TestEraseExpiredBatches(t *testing.T) { forEachBackend(t, testEraseExpiredBatches) }

// testEraseExpiredBatches: each call erases at most limit bookings, those
// that ended first first, and the next call goes on.
func testEraseExpiredBatches(t *testing.T, be backend) {
	ctx := context.Background()
	s, _ := openTest(t, be)
	var want []string
	for i := range 7 {
		b := aged(i, booking.StatusConfirmed, days(-100-7+i), days(-200))
		if err := recordNew(s, ctx, b); err != nil {
			t.Fatal(err)
		}
		want = append(want, b.ID)
	}
	var got []string
	for _, n := range []int{3, 3, 1, 0} {
		ids, err := s.EraseExpired(ctx, retentionCut, retentionNow, 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) != n {
			t.Fatalf("batch erased %d, want %d", len(ids), n)
		}
		got = append(got, ids...)
	}
	if !slices.Equal(got, want) {
		t.Errorf("erased %v, want %v", got, want)
	}
}

func TestEraseBookings(t *testing.T) { forEachBackend(t, testEraseBookings) }

// testEraseBookings: a request erases the bookings it names at once, but
// not an active booking still to end; erased, missing and malformed ids
// are left out of its answer.
func testEraseBookings(t *testing.T, be backend) {
	ctx := context.Background()
	s, _ := openTest(t, be)
	past := aged(1, booking.StatusConfirmed, days(-3), days(-10))
	cancelled := aged(2, booking.StatusCancelled, days(10), days(-1))
	active := aged(3, booking.StatusConfirmed, days(10), days(-1))
	now := aged(4, booking.StatusConfirmed, retentionNow.Add(-10*time.Minute), days(-1)) // in progress
	for _, b := range []*booking.Booking{past, cancelled, active, now} {
		recordWithTraces(t, s, b)
	}
	ids := []string{active.ID, past.ID, now.ID, "00000000-0000-4000-8000-999999999999", "\x00bad\xff", cancelled.ID}
	got, err := s.EraseBookings(ctx, ids, retentionNow)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{past.ID, cancelled.ID}; !slices.Equal(got, want) {
		t.Errorf("erased %v, want %v", got, want)
	}
	assertErased(t, s, past)
	assertErased(t, s, cancelled)
	assertKept(t, s, active)
	assertKept(t, s, now)
	if got, err := s.EraseBookings(ctx, ids, retentionNow); err != nil || len(got) != 0 {
		t.Errorf("again: erased %v, %v; want none", got, err)
	}
	if got, err := s.EraseBookings(ctx, nil, retentionNow); err != nil || len(got) != 0 {
		t.Errorf("no ids: erased %v, %v; want none", got, err)
	}
	assertCode(t, func() error {
		_, err := s.EraseBookings(ctx, make([]string, booking.MaxEraseBatch+1), retentionNow)
		return err
	}(), booking.EInvalid)
}

func TestPatientRecords(t *testing.T) { forEachBackend(t, testPatientRecords) }

// testPatientRecords: the records of an address are found by its EmailKey,
// whatever the case and +tag the bookings were made with, with their
// messages' states and their keys; another patient's are not.
func testPatientRecords(t *testing.T, be backend) {
	ctx := context.Background()
	s, _ := openTest(t, be)
	a := aged(1, booking.StatusConfirmed, days(2), days(-1))
	a.Patient.Email = "Marie.Curie+rdv@Example.org"
	b := aged(2, booking.StatusCancelled, days(-2), days(-3))
	b.Patient.Email = "marie.curie@example.org"
	other := aged(3, booking.StatusConfirmed, days(1), days(-1))
	other.Patient.Email = "pierre@example.org"
	for _, x := range []*booking.Booking{a, b, other} {
		recordWithTraces(t, s, x)
	}
	recs, err := s.PatientRecords(ctx, booking.EmailKey("MARIE.curie@example.ORG"))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs.Bookings) != 2 {
		t.Fatalf("%d bookings, want 2", len(recs.Bookings))
	}
	assertSameBooking(t, recs.Bookings[0], b) // by start
	assertSameBooking(t, recs.Bookings[1], a)
	if len(recs.Messages) != 4 || len(recs.Keys) != 2 {
		t.Fatalf("%d messages, %d keys; want 4, 2", len(recs.Messages), len(recs.Keys))
	}
	for _, m := range recs.Messages {
		if m.BookingID != a.ID && m.BookingID != b.ID {
			t.Errorf("message of booking %s, not the patient's", m.BookingID)
		}
	}
	// recordWithTraces creates b's messages before a's: b was created first.
	first := recs.Messages[0]
	if first.BookingID != b.ID || first.Kind != booking.NotifyCreated || first.State() != "sent" ||
		first.Recipient != booking.RecipientPatient || !first.SentAt.Equal(b.CreatedAt.Add(time.Minute)) ||
		!first.CreatedAt.Equal(b.CreatedAt) {
		t.Errorf("first message = %+v", first)
	}
	if second := recs.Messages[1]; second.State() != "waiting" || second.Recipient != booking.RecipientPractice {
		t.Errorf("second message = %+v", second)
	}
	if k := recs.Keys[0]; k.BookingID != b.ID || !k.CreatedAt.Equal(b.CreatedAt) {
		t.Errorf("first key = %+v", k)
	}
	for _, key := range []string{"", "nobody@example.org", "\x00"} {
		recs, err := s.PatientRecords(ctx, key)
		if err != nil || len(recs.Bookings)+len(recs.Messages)+len(recs.Keys) != 0 || recs.Bookings == nil {
			t.Errorf("PatientRecords(%q) = %+v, %v; want empty lists", key, recs, err)
		}
	}
}

func TestPurgeDigests(t *testing.T) { forEachBackend(t, testPurgeDigests) }

// testPurgeDigests: the records of the digests of days before the bound go,
// the others stay.
func testPurgeDigests(t *testing.T, be backend) {
	ctx := context.Background()
	s, _ := openTest(t, be)
	now := time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC)
	for _, d := range []string{"2026-09-01", "2026-09-02", "2026-09-03"} {
		if ok, err := s.ClaimDigest(ctx, "demo", date(t, d), now, now.Add(time.Minute)); err != nil || !ok {
			t.Fatalf("claim %s: %v, %v", d, ok, err)
		}
		if err := s.DigestSent(ctx, "demo", date(t, d), now); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PurgeDigests(ctx, date(t, "2026-09-02")); err != nil {
		t.Fatal(err)
	}
	// A purged day's digest can be claimed again; a kept one, sent, can't.
	for d, want := range map[string]bool{"2026-09-01": true, "2026-09-02": false, "2026-09-03": false} {
		ok, err := s.ClaimDigest(ctx, "demo", date(t, d), now, now.Add(time.Minute))
		if err != nil || ok != want {
			t.Errorf("claim %s after the purge = %v, %v; want %v", d, ok, err, want)
		}
	}
}
