package booking_test

import (
	"slices"
	"testing"

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
