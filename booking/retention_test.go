package booking_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/internal/bookingtest"
)

// calendarWrites returns how many writes f's calendar was asked for.
func (f *fixture) calendarWrites() int {
	return f.cal.Calls(bookingtest.OpCreate) + f.cal.Calls(bookingtest.OpUpdate) + f.cal.Calls(bookingtest.OpDelete)
}

// assertErasedRow fails unless the row of id holds no patient data nor
// manage token, and none of its messages is left.
func (f *fixture) assertErasedRow(id string) {
	f.t.Helper()
	r := f.row(id)
	if r.Patient != (booking.Patient{}) || r.TokenHash != "" {
		f.t.Errorf("booking %s not erased: patient %v, token %q", id, r.Patient != (booking.Patient{}), r.TokenHash)
	}
	if !f.store.Erased(id) {
		f.t.Errorf("booking %s not marked erased", id)
	}
	for _, m := range f.store.Outbox() {
		if m.Message.BookingID == id {
			f.t.Errorf("message %s of erased booking %s left", m.Message.Kind, id)
		}
	}
}

func TestRetain(t *testing.T) {
	f := newFixture(t)
	visit, _ := f.book("consultation", at(1, 10, 0))
	cancelled, token := f.book("consultation", at(2, 10, 0))
	later, _ := f.book("consultation", at(3, 10, 0))
	if _, err := f.svc.Cancel(ctx, token); err != nil {
		t.Fatal(err)
	}
	writes, sent := f.calendarWrites(), len(f.notes.Sent())

	// 30 days after the cancellation: only the cancelled booking goes.
	f.clock.Set(testNow.Add(30*24*time.Hour + time.Minute))
	st, err := f.svc.Retain(ctx)
	if err != nil || st.Bookings != 1 {
		t.Fatalf("Retain = %+v, %v; want 1 booking", st, err)
	}
	f.assertErasedRow(cancelled.ID)
	for _, id := range []string{visit.ID, later.ID} {
		if r := f.row(id); r.Patient != patient || f.store.Erased(id) {
			t.Errorf("booking %s erased before its time", id)
		}
	}

	// 90 days after the first visit: it goes; the second is a day short.
	f.clock.Set(visit.End.Add(90*24*time.Hour + time.Minute))
	if st, err := f.svc.Retain(ctx); err != nil || st.Bookings != 1 {
		t.Fatalf("Retain = %+v, %v; want 1 booking", st, err)
	}
	f.assertErasedRow(visit.ID)
	if f.store.Erased(later.ID) {
		t.Error("a visit of 89 days ago was erased")
	}
	if st, err := f.svc.Retain(ctx); err != nil || st.Bookings != 0 {
		t.Errorf("Retain again = %+v, %v; want nothing", st, err)
	}

	// Rows stay; the calendar is never touched, nor anyone told.
	if n := f.store.Len(); n != 3 {
		t.Errorf("%d rows left, want 3", n)
	}
	if f.calendarWrites() != writes || len(f.notes.Sent()) != sent {
		t.Error("retention wrote to the calendar or sent a message")
	}
	for _, id := range []string{visit.ID, cancelled.ID} {
		if ev, ok := f.cal.EventOf(id); !ok || ev.Patient.Email != patientEmail {
			t.Errorf("the calendar event of erased booking %s changed (found %v)", id, ok)
		}
	}
	// The erased booking's manage link opens nothing.
	if _, err := f.svc.BookingByToken(ctx, token); booking.ErrorCode(err) != booking.ENotFound {
		t.Errorf("the manage link of an erased booking: %v, want ENotFound", err)
	}
}

func TestRetainSettings(t *testing.T) {
	f := newFixture(t, func(c *booking.ServiceConfig) {
		c.Retention = booking.Retention{AfterVisit: 10 * 24 * time.Hour, Cancelled: 2 * 24 * time.Hour}
	})
	visit, _ := f.book("consultation", at(1, 10, 0))
	f.clock.Set(visit.End.Add(10*24*time.Hour - time.Minute))
	if st, _ := f.svc.Retain(ctx); st.Bookings != 0 {
		t.Error("erased before AfterVisit")
	}
	f.clock.Add(2 * time.Minute)
	if st, err := f.svc.Retain(ctx); err != nil || st.Bookings != 1 {
		t.Errorf("Retain after AfterVisit = %+v, %v", st, err)
	}
	for _, r := range []booking.Retention{{AfterVisit: time.Hour}, {Cancelled: -time.Hour}} {
		_, err := booking.NewService(booking.ServiceConfig{Store: bookingtest.NewStore(), Notifier: &bookingtest.Notifier{}, Retention: r})
		if booking.ErrorCode(err) != booking.EInvalid {
			t.Errorf("retention %+v: %v, want EInvalid", r, err)
		}
	}
}

func TestRetainBatchesAndLock(t *testing.T) {
	locker := &booking.MutexLocker{}
	f := newFixture(t, func(c *booking.ServiceConfig) { c.Locker = locker })
	svc := f.svc
	// 1100 bookings long over, recorded straight in the store.
	old := testNow.Add(-200 * 24 * time.Hour)
	for i := range 1100 {
		b := &booking.Booking{
			ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), PractitionerID: "demo", TypeID: "consultation",
			Start: old.Add(time.Duration(i) * time.Minute), End: old.Add(time.Duration(i+20) * time.Minute),
			Status: booking.StatusConfirmed, Patient: patient, CreatedAt: old, UpdatedAt: old,
		}
		if err := f.store.Record(ctx, booking.Change{Booking: b, Create: true}); err != nil {
			t.Fatal(err)
		}
	}

	// Another process holds the retention lock: this one waits, erasing nothing.
	unlock, err := locker.Lock(ctx, "rdv/retention")
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	st, err := svc.Retain(short)
	cancel()
	if err == nil || st.Bookings != 0 || f.store.Calls(bookingtest.OpEraseExpired) != 0 {
		t.Errorf("Retain under another's lock = %+v, %v", st, err)
	}
	unlock()

	st, err = svc.Retain(ctx)
	if err != nil || st.Bookings != 1100 {
		t.Fatalf("Retain = %+v, %v; want 1100", st, err)
	}
	if n := f.store.Calls(bookingtest.OpEraseExpired); n != 3 {
		t.Errorf("%d batches, want 3 of at most %d", n, booking.MaxEraseBatch)
	}

	// A store failure is returned, with what was erased before it.
	for i := range 600 {
		b := &booking.Booking{
			ID: fmt.Sprintf("10000000-0000-4000-8000-%012d", i), PractitionerID: "demo", TypeID: "consultation",
			Start: old, End: old.Add(20 * time.Minute), Status: booking.StatusCancelled, Patient: patient, CreatedAt: old, UpdatedAt: old,
		}
		if err := f.store.Record(ctx, booking.Change{Booking: b, Create: true}); err != nil {
			t.Fatal(err)
		}
	}
	f.store.FailLater(bookingtest.OpEraseExpired, 1, nil)
	st, err = svc.Retain(ctx)
	if booking.ErrorCode(err) != booking.EUnavailable || st.Bookings != booking.MaxEraseBatch {
		t.Errorf("Retain with a failing store = %+v, %v", st, err)
	}
	if st, err := svc.Retain(ctx); err != nil || st.Bookings != 100 {
		t.Errorf("Retain after the failure = %+v, %v; want the 100 left", st, err)
	}
}

func TestPatientExportAndErase(t *testing.T) {
	f := newFixture(t)
	book := func(start time.Time, email string) *booking.Booking {
		t.Helper()
		p := patient
		p.Email = email
		b, _, err := f.svc.Book(ctx, booking.BookRequest{PractitionerID: "demo", TypeID: "consultation", Start: start, Patient: p})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a := book(at(1, 9, 0), patientEmail)
	b := book(at(1, 10, 0), "Marie.Curie+rdv@EXAMPLE.org")
	other := book(at(1, 11, 0), "irene@example.org")

	recs, err := f.svc.PatientExport(ctx, " MARIE.CURIE@example.org ")
	if err != nil {
		t.Fatal(err)
	}
	if len(recs.Bookings) != 2 || recs.Bookings[0].ID != a.ID || recs.Bookings[1].ID != b.ID {
		t.Fatalf("export found %d bookings", len(recs.Bookings))
	}
	if loc := recs.Bookings[0].Start.Location(); loc != paris {
		t.Errorf("export times in %v, want the practitioner's zone", loc)
	}
	if len(recs.Messages) == 0 {
		t.Error("export shows no message")
	}
	for _, m := range recs.Messages {
		if m.BookingID != a.ID && m.BookingID != b.ID {
			t.Errorf("export shows message %s of booking %s", m.Kind, m.BookingID)
		}
	}

	// Active bookings to come: refused, nothing erased.
	_, err = f.svc.ErasePatient(ctx, patientEmail, false)
	if booking.ErrorCode(err) != booking.EConflict || !errors.Is(err, booking.ErrActiveBooking) {
		t.Fatalf("erase with active bookings: %v, want EConflict", err)
	}
	if f.store.Erased(a.ID) || f.store.Erased(b.ID) || f.row(a.ID).Status != booking.StatusConfirmed {
		t.Fatal("a refused erasure changed something")
	}

	// With cancel: cancelled (the event marked so), then erased.
	out, err := f.svc.ErasePatient(ctx, "marie.curie+other@example.org", true)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{a.ID, b.ID}
	slices.Sort(want)
	slices.Sort(out.Erased)
	slices.Sort(out.Cancelled)
	if !slices.Equal(out.Erased, want) || !slices.Equal(out.Cancelled, want) {
		t.Errorf("erasure = %+v, want %v erased and cancelled", out, want)
	}
	for _, id := range want {
		f.assertErasedRow(id)
		if r := f.row(id); r.Status != booking.StatusCancelled {
			t.Errorf("booking %s is %s, want cancelled", id, r.Status)
		}
		if ev, ok := f.cal.EventOf(id); !ok || ev.Status != booking.StatusCancelled {
			t.Errorf("event of %s: found %v, status %s; want kept, cancelled", id, ok, ev.Status)
		}
	}
	if r := f.row(other.ID); r.Patient.Email != "irene@example.org" || r.Status != booking.StatusConfirmed {
		t.Error("another patient's booking was touched")
	}
	if recs, err := f.svc.PatientExport(ctx, patientEmail); err != nil || len(recs.Bookings)+len(recs.Messages)+len(recs.Keys) != 0 {
		t.Errorf("export after the erasure = %+v, %v; want nothing", recs, err)
	}
	// Again: nothing left, nothing to refuse.
	if out, err := f.svc.ErasePatient(ctx, patientEmail, false); err != nil || len(out.Erased) != 0 {
		t.Errorf("erase again = %+v, %v", out, err)
	}

	for _, bad := range []string{"", "marie", "@example.org", "marie@", "a\n@b.fr"} {
		if _, err := f.svc.PatientExport(ctx, bad); booking.ErrorCode(err) != booking.EInvalid {
			t.Errorf("export %q: %v, want EInvalid", bad, err)
		}
		if _, err := f.svc.ErasePatient(ctx, bad, true); booking.ErrorCode(err) != booking.EInvalid {
			t.Errorf("erase %q: %v, want EInvalid", bad, err)
		}
	}
}

func TestErasePatientPast(t *testing.T) {
	f := newFixture(t)
	b, _ := f.book("consultation", at(1, 9, 0))
	f.clock.Set(b.End.Add(time.Minute))
	out, err := f.svc.ErasePatient(ctx, patientEmail, false)
	if err != nil || len(out.Erased) != 1 || len(out.Cancelled) != 0 {
		t.Fatalf("erase after the visit = %+v, %v", out, err)
	}
	f.assertErasedRow(b.ID)
	if r := f.row(b.ID); r.Status != booking.StatusConfirmed {
		t.Errorf("status %s, want confirmed (kept for counts)", r.Status)
	}
	f.store.FailBefore(bookingtest.OpPatientRecords, 1, nil)
	if _, err := f.svc.ErasePatient(ctx, patientEmail, false); booking.ErrorCode(err) != booking.EUnavailable {
		t.Errorf("store down: %v", err)
	}
}

func TestErasePatientCancelFails(t *testing.T) {
	f := newFixture(t)
	b, _ := f.book("consultation", at(1, 9, 0))
	f.cal.FailBefore(bookingtest.OpUpdate, bookingtest.Always, nil)
	out, err := f.svc.ErasePatient(ctx, patientEmail, true)
	if booking.ErrorCode(err) != booking.EUnavailable || len(out.Erased)+len(out.Cancelled) != 0 {
		t.Fatalf("erase with the calendar down = %+v, %v; want EUnavailable, nothing done", out, err)
	}
	if r := f.row(b.ID); f.store.Erased(b.ID) || r.Status != booking.StatusConfirmed || r.Patient != patient {
		t.Error("a failed cancellation let the erasure go on")
	}
}
