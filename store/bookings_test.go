package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
)

func TestBookingRoundTrip(t *testing.T) { forEachBackend(t, testBookingRoundTrip) }

func testBookingRoundTrip(t *testing.T, be backend) {
	ctx := context.Background()
	s, _ := openTest(t, be)

	noPhone := newBooking(2)
	noPhone.Patient.Phone = ""
	noEvent := newBooking(3)
	noEvent.EventHref, noEvent.EventETag = "", ""
	local := newBooking(4)
	local.Start = time.Now() // monotonic reading, local zone
	local.End = local.Start.Add(time.Hour)
	local.CreatedAt = local.Start.Add(-time.Nanosecond)
	local.UpdatedAt = local.CreatedAt
	utc := newBooking(5)
	utc.Start, utc.End = utc.Start.UTC(), utc.End.UTC()
	confirmed := newBooking(6)
	confirmed.Status = booking.StatusConfirmed
	confirmed.Sequence = 3
	noToken := newBooking(7)
	noToken.TokenHash = ""
	noToken2 := newBooking(8)
	noToken2.TokenHash = ""
	noLang := newBooking(10)
	noLang.Lang = ""
	farFuture := newBooking(9)
	farFuture.Start = time.Date(9999, 12, 31, 23, 0, 0, 0, time.UTC)
	farFuture.End = farFuture.Start.Add(time.Hour - time.Nanosecond)

	for _, tt := range []struct {
		name string
		b    *booking.Booking
	}{
		{"every field", newBooking(1)},
		{"no phone", noPhone},
		{"no event yet", noEvent},
		{"local times with monotonic reading", local},
		{"utc times", utc},
		{"confirmed", confirmed},
		{"no token", noToken},
		{"second booking without token", noToken2},
		{"last storable instant", farFuture},
		{"instance language", noLang},
	} {
		t.Run(tt.name, func(t *testing.T) {
			want := *tt.b
			if err := recordNew(s, ctx, tt.b); err != nil {
				t.Fatalf("CreateBooking: %v", err)
			}
			if *tt.b != want {
				t.Fatal("CreateBooking modified its argument")
			}
			got, err := s.Booking(ctx, tt.b.ID)
			if err != nil {
				t.Fatalf("Booking: %v", err)
			}
			assertSameBooking(t, got, &want)

			if want.TokenHash != "" {
				got, err = s.BookingByTokenHash(ctx, want.TokenHash)
				if err != nil {
					t.Fatalf("BookingByTokenHash: %v", err)
				}
				assertSameBooking(t, got, &want)
			}

			// Update every field UpdateBooking saves; the others must stay.
			upd := *got
			upd.Status = booking.StatusCancelled
			upd.Start = want.Start.Add(-24*time.Hour + time.Nanosecond).In(paris)
			upd.End = upd.Start.Add(40 * time.Minute)
			upd.EventHref = "/dav/calendars/demo/bookings/moved.ics"
			upd.EventETag = `W/"etag-2"`
			upd.Sequence = want.Sequence + 1
			upd.UpdatedAt = want.UpdatedAt.Add(time.Hour + time.Nanosecond)
			before := upd
			if err := recordUpdate(s, ctx, &upd); err != nil {
				t.Fatalf("UpdateBooking: %v", err)
			}
			if upd != before {
				t.Fatal("UpdateBooking modified its argument")
			}
			got, err = s.Booking(ctx, want.ID)
			if err != nil {
				t.Fatalf("Booking after update: %v", err)
			}
			upd.Revision++
			assertSameBooking(t, got, &upd)
		})
	}
}

// An update saves the fields of booking.Change; the others stay as created.
func TestUpdateKeepsOtherFields(t *testing.T) { forEachBackend(t, testUpdateKeepsOtherFields) }

func testUpdateKeepsOtherFields(t *testing.T, be backend) {
	ctx := context.Background()
	s, _ := openTest(t, be)
	want := newBooking(1)
	if err := recordNew(s, ctx, want); err != nil {
		t.Fatal(err)
	}
	upd := *want
	upd.PractitionerID = "other"
	upd.TypeID = "other"
	upd.Patient = booking.Patient{Name: "X", Email: "x@example.org"}
	upd.TokenHash = booking.HashToken("other")
	upd.CreatedAt = upd.CreatedAt.Add(time.Hour)
	if err := recordUpdate(s, ctx, &upd); err != nil {
		t.Fatal(err)
	}
	got, err := s.Booking(ctx, want.ID)
	if err != nil {
		t.Fatal(err)
	}
	kept := *want
	kept.Revision++
	kept.TokenHash = upd.TokenHash // a new manage link replaces the token (booking.Service.ResendLink)
	assertSameBooking(t, got, &kept)
}

func TestBookingErrors(t *testing.T) { forEachBackend(t, testBookingErrors) }

func testBookingErrors(t *testing.T, be backend) {
	ctx := context.Background()
	s, _ := openTest(t, be)
	existing := newBooking(1)
	if err := recordNew(s, ctx, existing); err != nil {
		t.Fatal(err)
	}
	unstored := newBooking(2)

	sameID := newBooking(3)
	sameID.ID = existing.ID
	retried := newBooking(1)
	sameToken := newBooking(4)
	sameToken.TokenHash = existing.TokenHash
	noID := newBooking(5)
	noID.ID = ""
	noPractitioner := newBooking(6)
	noPractitioner.PractitionerID = ""
	badStatus := newBooking(7)
	badStatus.Status = "done"
	empty := newBooking(8)
	empty.End = empty.Start
	backwards := newBooking(9)
	backwards.End = backwards.Start.Add(-time.Minute)
	negSeq := newBooking(10)
	negSeq.Sequence = -1
	negRev := newBooking(14)
	negRev.Revision = -1
	tooLate := newBooking(11)
	tooLate.End = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	zeroCreated := newBooking(12) // year 1: storable
	zeroCreated.CreatedAt = time.Time{}
	missingUpdate := newBooking(13)
	missingUpdate.ID = "nope"
	badLang := newBooking(40)
	badLang.Lang = "de"
	badUpdate := *existing
	badUpdate.Status = ""
	staleUpdate := *existing
	staleUpdate.Status = booking.StatusCancelled
	staleUpdate.Revision = 7

	wantMessage := map[string]string{
		"create duplicate id":         "store: booking " + existing.ID + " already exists",
		"create twice":                "store: booking " + existing.ID + " already exists",
		"create duplicate token hash": "store: booking " + sameToken.ID + ": manage token already in use",
		"update missing":              "store: booking nope not found",
		"update stale revision":       "store: booking " + existing.ID + " was changed meanwhile (revision 0, not 7)",
	}
	for _, tt := range []struct {
		name string
		call func() error
		code string
	}{
		{"create duplicate id", func() error { return recordNew(s, ctx, sameID) }, booking.EConflict},
		{"create duplicate token hash", func() error { return recordNew(s, ctx, sameToken) }, booking.EConflict},
		{"create twice", func() error { return recordNew(s, ctx, retried) }, booking.EConflict},
		{"create without id", func() error { return recordNew(s, ctx, noID) }, booking.EInvalid},
		{"create without practitioner", func() error { return recordNew(s, ctx, noPractitioner) }, booking.EInvalid},
		{"create with unknown status", func() error { return recordNew(s, ctx, badStatus) }, booking.EInvalid},
		{"create with unknown language", func() error { return recordNew(s, ctx, badLang) }, booking.EInvalid},
		{"create empty interval", func() error { return recordNew(s, ctx, empty) }, booking.EInvalid},
		{"create backwards interval", func() error { return recordNew(s, ctx, backwards) }, booking.EInvalid},
		{"create negative sequence", func() error { return recordNew(s, ctx, negSeq) }, booking.EInvalid},
		{"create negative revision", func() error { return recordNew(s, ctx, negRev) }, booking.EInvalid},
		{"create after year 9999", func() error { return recordNew(s, ctx, tooLate) }, booking.EInvalid},
		{"create nil", func() error { return recordNew(s, ctx, nil) }, booking.EInvalid},
		{"create zero CreatedAt", func() error { return recordNew(s, ctx, zeroCreated) }, ""},
		{"update missing", func() error { return recordUpdate(s, ctx, missingUpdate) }, booking.ENotFound},
		{"update invalid", func() error { return recordUpdate(s, ctx, &badUpdate) }, booking.EInvalid},
		{"update stale revision", func() error { return recordUpdate(s, ctx, &staleUpdate) }, booking.EConflict},
		{"get unknown id", func() error { _, err := s.Booking(ctx, unstored.ID); return err }, booking.ENotFound},
		{"get unknown token", func() error { _, err := s.BookingByTokenHash(ctx, unstored.TokenHash); return err }, booking.ENotFound},
		{"get empty token", func() error { _, err := s.BookingByTokenHash(ctx, ""); return err }, booking.ENotFound},
		{"canceled context", func() error {
			ctx, cancel := context.WithCancel(ctx)
			cancel()
			return recordNew(s, ctx, unstored)
		}, booking.EUnavailable},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			assertCode(t, err, tt.code)
			if err == nil {
				return
			}
			if want, ok := wantMessage[tt.name]; ok && booking.ErrorMessage(err) != want {
				t.Errorf("message %q, want %q", booking.ErrorMessage(err), want)
			}
			msg := err.Error()
			if !strings.Contains(booking.ErrorMessage(err), "store: ") {
				t.Errorf("message %q lacks the store: prefix", booking.ErrorMessage(err))
			}
			for _, b := range []*booking.Booking{existing, unstored} {
				for _, secret := range []string{b.Patient.Name, b.Patient.Email, b.Patient.Phone, b.TokenHash} {
					if strings.Contains(msg, secret) {
						t.Errorf("error %q reveals %q", msg, secret)
					}
				}
			}
		})
	}

	// The failed creates left nothing behind.
	got, err := s.Booking(ctx, existing.ID)
	if err != nil {
		t.Fatal(err)
	}
	assertSameBooking(t, got, existing)
	if _, err := s.Booking(ctx, unstored.ID); booking.ErrorCode(err) != booking.ENotFound {
		t.Errorf("booking created with a canceled context: %v", err)
	}
}

func TestBookingsBetween(t *testing.T) { forEachBackend(t, testBookingsBetween) }

func testBookingsBetween(t *testing.T, be backend) {
	ctx := context.Background()
	s, _ := openTest(t, be)
	at := func(h, m int) time.Time { return time.Date(2026, 12, 1, h, m, 0, 0, paris) }
	mk := func(id, practitioner string, start, end time.Time, st booking.Status) *booking.Booking {
		b := newBooking(0)
		b.ID, b.PractitionerID, b.Start, b.End, b.Status = id, practitioner, start, end, st
		b.TokenHash = booking.HashToken(id)
		return b
	}
	all := map[string]*booking.Booking{
		"c":  mk("c", "p1", at(10, 0), at(11, 0), booking.StatusConfirmed),
		"b":  mk("b", "p1", at(9, 20), at(9, 40), booking.StatusCancelled),
		"a":  mk("a", "p1", at(9, 0), at(9, 20), booking.StatusPending),
		"a2": mk("a2", "p1", at(9, 0), at(9, 10), booking.StatusExpired),
		"d":  mk("d", "p2", at(9, 0), at(9, 20), booking.StatusConfirmed),
	}
	for _, id := range []string{"c", "b", "a2", "d", "a"} { // not in order
		if err := recordNew(s, ctx, all[id]); err != nil {
			t.Fatal(err)
		}
	}

	for _, tt := range []struct {
		name         string
		practitioner string
		from, to     time.Time
		want         []string
	}{
		{"exactly one booking, next one touching", "p1", at(9, 0), at(9, 20), []string{"a", "a2"}},
		{"touching on both sides", "p1", at(9, 40), at(10, 0), nil},
		{"ending where a booking starts", "p1", at(8, 0), at(9, 0), nil},
		{"starting where a booking ends", "p1", at(11, 0), at(12, 0), nil},
		{"straddling two", "p1", at(9, 15), at(9, 25), []string{"a", "b"}},
		{"inside one", "p1", at(10, 30), at(10, 31), []string{"c"}},
		{"one nanosecond at the end", "p1", at(10, 59).Add(time.Minute - time.Nanosecond), at(11, 0), []string{"c"}},
		{"whole morning, ordered by start then id", "p1", at(8, 0), at(12, 0), []string{"a", "a2", "b", "c"}},
		{"same range in UTC", "p1", at(8, 0).UTC(), at(12, 0).UTC(), []string{"a", "a2", "b", "c"}},
		{"empty range", "p1", at(9, 10), at(9, 10), nil},
		{"other practitioner", "p2", at(8, 0), at(12, 0), []string{"d"}},
		{"unknown practitioner", "p3", at(8, 0), at(12, 0), nil},
		{"beyond the storable years", "p1", time.Date(-5, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(12000, 1, 1, 0, 0, 0, 0, time.UTC), []string{"a", "a2", "b", "c"}},
		{"zero from", "p1", time.Time{}, at(9, 1), []string{"a", "a2"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.BookingsBetween(ctx, tt.practitioner, tt.from, tt.to)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, b := range got {
				ids = append(ids, b.ID)
			}
			if strings.Join(ids, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("got %v, want %v", ids, tt.want)
			}
			for _, b := range got {
				assertSameBooking(t, b, all[b.ID])
			}
		})
	}

	t.Run("range ending before it starts", func(t *testing.T) {
		_, err := s.BookingsBetween(ctx, "p1", at(12, 0), at(8, 0))
		assertCode(t, err, booking.EInvalid)
	})
}
