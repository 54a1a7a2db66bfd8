package booking_test

import (
	"slices"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
)

// The desk moves a booking by its id whatever the cut-off, to a free start
// of its type only; MoveSlots lists where it may go; DeskBooking reads it.
func TestPractitionerMove(t *testing.T) {
	f := newFixture(t)
	b, token := f.book("ferme", at(1, 9, 0)) // within its 48 h cut-off
	if _, err := f.svc.Reschedule(ctx, token, at(1, 10, 0)); booking.ErrorCode(err) != booking.EConflict {
		t.Fatalf("the patient's move past the cut-off: %v, want EConflict", err)
	}
	slots, err := f.svc.MoveSlots(ctx, b.ID, at(1, 0, 0), at(2, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	var own, ten bool
	for _, s := range slots {
		own = own || s.Start.Equal(at(1, 9, 0))
		ten = ten || s.Start.Equal(at(1, 10, 0))
	}
	if own || !ten {
		t.Errorf("MoveSlots: its own start listed %v, 10:00 listed %v", own, ten)
	}

	a, err := f.svc.PractitionerMove(ctx, b.ID, at(1, 10, 0))
	if err != nil {
		t.Fatalf("PractitionerMove past the cut-off: %v", err)
	}
	if !a.Booking.Start.Equal(at(1, 10, 0)) || a.Booking.Sequence != b.Sequence+1 {
		t.Errorf("moved booking %+v", a.Booking)
	}
	got, err := f.svc.DeskBooking(ctx, b.ID)
	if err != nil || !got.Booking.Start.Equal(at(1, 10, 0)) || got.Booking.Start.Location() != paris || got.Type.ID != "ferme" {
		t.Errorf("DeskBooking: %v %+v", err, got.Booking)
	}
	if _, err := f.svc.PractitionerMove(ctx, b.ID, at(1, 10, 0)); err != nil {
		t.Errorf("a move to its own start: %v, want a no-op", err)
	}

	other, _ := f.book("consultation", at(1, 11, 0))
	_, err = f.svc.PractitionerMove(ctx, b.ID, at(1, 11, 0))
	wantCode(t, err, booking.EConflict)
	_, err = f.svc.PractitionerMove(ctx, b.ID, at(1, 10, 7))
	wantCode(t, err, booking.EInvalid)
	_, err = f.svc.PractitionerMove(ctx, "nope", at(1, 10, 0))
	wantCode(t, err, booking.ENotFound)
	_, err = f.svc.MoveSlots(ctx, "nope", at(1, 0, 0), at(2, 0, 0))
	wantCode(t, err, booking.ENotFound)
	_, err = f.svc.DeskBooking(ctx, "nope")
	wantCode(t, err, booking.ENotFound)
	if _, err := f.svc.PractitionerCancel(ctx, other.ID); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.PractitionerMove(ctx, other.ID, at(1, 14, 0))
	wantCode(t, err, booking.EConflict)
	if !slices.Contains(f.notes.Kinds(b.ID), booking.NotifyRescheduled) {
		t.Errorf("the patient was not told of the move: %v", f.notes.Kinds(b.ID))
	}
}

// TestBookByPractice: a booking the practice makes (the desk's phone
// booking) is confirmed at once, even for a motive that asks online
// patients to confirm, and the patients' limits don't hold it back; the
// slot rules still do.
func TestBookByPractice(t *testing.T) {
	f := limited(t, booking.Limits{})
	p := booking.Patient{Name: "Marie Curie", Email: "marie@example.org", Phone: "+33 6 12 34 56 78"}
	desk := func(typ string, start time.Time) (*booking.Booking, error) {
		b, _, err := f.svc.Book(ctx, booking.BookRequest{PractitionerID: "demo", TypeID: typ, Start: start, Patient: p, ByPractice: true})
		return b, err
	}
	// Online, "suivi" waits for the patient's confirmation.
	if b, _, err := f.tryBook("suivi", at(1, 9, 0), p); err != nil || b.Status != booking.StatusPending {
		t.Fatalf("online booking of suivi: %+v %v, want pending", b, err)
	}
	b, err := desk("suivi", at(1, 10, 0))
	if err != nil || b.Status != booking.StatusConfirmed {
		t.Fatalf("desk booking of suivi: %+v %v, want confirmed", b, err)
	}
	if sent := f.notes.Sent(); len(sent) != 2 || sent[1].Kind != booking.NotifyCreated || sent[1].Appointment.Booking.Status != booking.StatusConfirmed {
		t.Errorf("notifications %+v: want the created message of a confirmed booking", sent)
	}
	// The patient has two upcoming bookings: online, a third is refused
	// (Limits.ActivePerContact); the practice books it.
	if _, _, err := f.tryBook("consultation", at(1, 11, 0), p); booking.ErrorCode(err) != booking.ELimit {
		t.Fatalf("a third online booking: %v, want ELimit", err)
	}
	if _, err := desk("consultation", at(1, 11, 0)); err != nil {
		t.Errorf("a third booking by the practice: %v", err)
	}
	// The rules still hold: a taken slot, a start that is no slot.
	if _, err := desk("consultation", at(1, 11, 0)); booking.ErrorCode(err) != booking.EConflict {
		t.Errorf("the practice booking a taken slot: %v, want EConflict", err)
	}
	if _, err := desk("consultation", at(1, 11, 7)); booking.ErrorCode(err) != booking.EInvalid {
		t.Errorf("the practice booking off the step: %v, want EInvalid", err)
	}
}

// A patient's request and the practice's with the same Idempotency-Key are
// not the same request: the second is refused, not answered with the
// first's booking.
func TestBookByPracticeIdempotencyApart(t *testing.T) {
	f := newFixture(t)
	req := booking.BookRequest{PractitionerID: "demo", TypeID: "consultation", Start: at(1, 9, 0), Patient: patient, IdempotencyKey: "same-key"}
	if _, _, err := f.svc.Book(ctx, req); err != nil {
		t.Fatal(err)
	}
	req.ByPractice = true
	if b, _, err := f.svc.Book(ctx, req); booking.ErrorCode(err) != booking.EInvalid {
		t.Errorf("the practice's request with the patient's key: %+v %v, want EInvalid", b, err)
	}
}
