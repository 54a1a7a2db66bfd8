package booking_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/internal/bookingtest"
)

func TestConfirm(t *testing.T) {
	f := newFixture(t)
	b, tok := f.book("suivi", at(1, 9, 0))
	a, err := f.svc.Confirm(ctx, tok)
	if err != nil || a.Booking.Status != booking.StatusConfirmed {
		t.Fatalf("Confirm: %v %+v", err, a.Booking)
	}
	f.agree(b.ID)
	if got := f.notes.Kinds(b.ID); strings.Join(got, ",") != "created,confirmed" {
		t.Errorf("notifications %v", got)
	}
	// Again: a no-op.
	if _, err := f.svc.Confirm(ctx, tok); err != nil || f.row(b.ID).Revision != 1 {
		t.Errorf("second Confirm: %v, revision %d", err, f.row(b.ID).Revision)
	}
	if _, err := f.svc.Cancel(ctx, tok); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Confirm(ctx, tok)
	wantCode(t, err, booking.EConflict)
	_, err = f.svc.Confirm(ctx, "not-a-token")
	wantCode(t, err, booking.ENotFound)
	_, err = f.svc.Confirm(ctx, booking.NewToken())
	wantCode(t, err, booking.ENotFound)
}

// A pending booking confirmed too late is released instead.
func TestConfirmTooLate(t *testing.T) {
	f := newFixture(t)
	b, tok := f.book("suivi", at(1, 9, 0))
	f.clock.Add(time.Hour)
	_, err := f.svc.Confirm(ctx, tok)
	wantCode(t, err, booking.EConflict)
	if r := f.row(b.ID); r.Status != booking.StatusExpired {
		t.Errorf("status %s", r.Status)
	}
	if f.cal.Len() != 0 {
		t.Errorf("the event of an expired booking is left:\n%s", f.cal)
	}
	if got := f.notes.Kinds(b.ID); strings.Join(got, ",") != "created,expired" {
		t.Errorf("notifications %v", got)
	}
	if !f.slotFree("suivi", at(1, 9, 0)) {
		t.Error("the slot is not free again")
	}
}

func TestCancel(t *testing.T) {
	f := newFixture(t)
	b, tok := f.book("consultation", at(1, 9, 0))
	a, err := f.svc.Cancel(ctx, tok)
	if err != nil || a.Booking.Status != booking.StatusCancelled || a.Booking.Sequence != 1 {
		t.Fatalf("Cancel: %v %+v", err, a.Booking)
	}
	f.agree(b.ID) // the event stays, cancelled
	if !f.slotFree("consultation", at(1, 9, 0)) {
		t.Error("the slot is not free again")
	}
	if _, err := f.svc.Cancel(ctx, tok); err != nil || len(f.notes.Kinds(b.ID)) != 2 {
		t.Errorf("second Cancel: %v, %v", err, f.notes.Kinds(b.ID))
	}
	_, err = f.svc.Reschedule(ctx, tok, at(1, 10, 0))
	wantCode(t, err, booking.EConflict)

	t.Run("deleted", func(t *testing.T) {
		f := newFixture(t, func(c *booking.ServiceConfig) { c.DeleteCancelled = true })
		b, tok := f.book("consultation", at(1, 9, 0))
		if _, err := f.svc.Cancel(ctx, tok); err != nil {
			t.Fatal(err)
		}
		if f.cal.Len() != 0 || f.row(b.ID).Status != booking.StatusCancelled {
			t.Errorf("with DeleteCancelled: %d events, %s", f.cal.Len(), f.row(b.ID).Status)
		}
	})
	t.Run("cut-off", func(t *testing.T) {
		f := newFixture(t)
		_, tok := f.book("ferme", at(1, 9, 0))
		_, err := f.svc.Cancel(ctx, tok)
		wantCode(t, err, booking.EConflict)
		if m := booking.ErrorMessage(err); !strings.Contains(m, "2 days before") || !strings.Contains(m, "01 23 45 67 89") {
			t.Errorf("message %q", m)
		}
		_, err = f.svc.Reschedule(ctx, tok, at(8, 9, 0))
		wantCode(t, err, booking.EConflict)
		a, _ := f.svc.BookingByToken(ctx, tok)
		if a.Changeable(f.clock.Now()) {
			t.Error("Changeable past the cut-off")
		}
	})
	t.Run("ledger fails", func(t *testing.T) {
		f := newFixture(t)
		b, tok := f.book("consultation", at(1, 9, 0))
		f.store.FailBefore(bookingtest.OpRecordUpdate, 1, nil)
		_, err := f.svc.Cancel(ctx, tok)
		wantCode(t, err, booking.EUnavailable)
		// The event shows the row again, and no intent is left.
		if r := f.row(b.ID); r.Status != booking.StatusConfirmed {
			t.Errorf("status %s", r.Status)
		}
		if ev := f.event(b.ID); ev.Status != booking.StatusConfirmed || ev.Sequence != 0 {
			t.Errorf("event %+v", ev)
		}
		if len(f.store.AllIntents()) != 0 {
			t.Error("an intent is left")
		}
		// And the next try goes through, on the event's new ETag.
		if _, err := f.svc.Cancel(ctx, tok); err != nil {
			t.Fatal(err)
		}
		f.agree(b.ID)
	})
	t.Run("row changed meanwhile", func(t *testing.T) {
		f := newFixture(t)
		b, tok := f.book("consultation", at(1, 9, 0))
		f.store.FailBefore(bookingtest.OpRecordUpdate, 1, booking.Errorf(booking.EConflict, "revision"))
		_, err := f.svc.Cancel(ctx, tok)
		wantCode(t, err, booking.EConflict)
		if !strings.Contains(booking.ErrorMessage(err), "reload") {
			t.Errorf("message %q", booking.ErrorMessage(err))
		}
		if ev := f.event(b.ID); ev.Status != booking.StatusConfirmed {
			t.Errorf("event %+v", ev)
		}
	})
	t.Run("event changed by the practitioner", func(t *testing.T) {
		f := newFixture(t)
		b, tok := f.book("consultation", at(1, 9, 0))
		f.cal.Edit(b.EventHref, func(ev *booking.BookingEvent) { ev.Start, ev.End = ev.Start.Add(time.Hour), ev.End.Add(time.Hour) })
		_, err := f.svc.Cancel(ctx, tok)
		wantCode(t, err, booking.EConflict)
		if !strings.Contains(booking.ErrorMessage(err), "practitioner's calendar") {
			t.Errorf("message %q", booking.ErrorMessage(err))
		}
		if f.row(b.ID).Status != booking.StatusConfirmed || len(f.store.AllIntents()) != 0 {
			t.Error("a refused cancel changed something")
		}
	})
	t.Run("event rewritten the same", func(t *testing.T) {
		// A new ETag on the same event (the server rewrote it): the
		// change goes through on the current ETag.
		f := newFixture(t)
		b, tok := f.book("consultation", at(1, 9, 0))
		f.cal.Edit(b.EventHref, func(*booking.BookingEvent) {})
		if _, err := f.svc.Cancel(ctx, tok); err != nil {
			t.Fatal(err)
		}
		f.agree(b.ID)
	})
}

func TestReschedule(t *testing.T) {
	f := newFixture(t)
	b, tok := f.book("long", at(1, 9, 0))
	// Its own time does not make the slots around busy.
	slots, err := f.svc.RescheduleSlots(ctx, tok, at(1, 9, 0), at(1, 12, 0))
	if err != nil {
		t.Fatal(err)
	}
	var starts []string
	for _, s := range slots {
		starts = append(starts, s.Start.Format("15:04"))
	}
	if strings.Join(starts, " ") != "09:30 10:00 10:30 11:00" {
		t.Errorf("RescheduleSlots = %v", starts)
	}
	// A move onto part of its own time.
	a, err := f.svc.Reschedule(ctx, tok, at(1, 9, 30))
	if err != nil {
		t.Fatal(err)
	}
	if !a.Booking.Start.Equal(at(1, 9, 30)) || a.Booking.Sequence != 1 || a.Booking.ID != b.ID {
		t.Errorf("moved: %+v", a.Booking)
	}
	f.agree(b.ID)
	if ev := f.event(b.ID); ev.Ref.Href != b.EventHref {
		t.Errorf("the event moved to %s: it must be rewritten in place", ev.Ref.Href)
	}
	sent := f.notes.Sent()
	if last := sent[len(sent)-1]; last.Kind != booking.NotifyRescheduled || !last.Previous.Start.Equal(at(1, 9, 0)) || !last.Appointment.Booking.Start.Equal(at(1, 9, 30)) {
		t.Errorf("notification %+v", last)
	}
	// To its own start: a no-op.
	if _, err := f.svc.Reschedule(ctx, tok, at(1, 9, 30)); err != nil || f.row(b.ID).Revision != 1 {
		t.Errorf("no-op move: %v", err)
	}
	// Not a slot; a slot taken.
	_, err = f.svc.Reschedule(ctx, tok, at(1, 9, 10))
	wantCode(t, err, booking.EInvalid)
	if field, _ := booking.ErrorField(err); field != booking.FieldStart {
		t.Errorf("field %q", field)
	}
	f.book("consultation", at(1, 14, 0))
	_, err = f.svc.Reschedule(ctx, tok, at(1, 14, 0))
	wantCode(t, err, booking.EConflict)
	f.cal.FailBefore(bookingtest.OpBusy, 1, nil)
	_, err = f.svc.Reschedule(ctx, tok, at(2, 9, 0))
	wantCode(t, err, booking.EUnavailable)
	if !f.row(b.ID).Start.Equal(at(1, 9, 30)) {
		t.Error("a refused move changed the booking")
	}
	_, err = f.svc.RescheduleSlots(ctx, "bad", at(1, 9, 0), at(1, 12, 0))
	wantCode(t, err, booking.ENotFound)
}

func TestPractitionerCancel(t *testing.T) {
	f := newFixture(t)
	b, _ := f.book("ferme", at(1, 9, 0))
	a, err := f.svc.PractitionerCancel(ctx, b.ID)
	if err != nil || a.Booking.Status != booking.StatusCancelled {
		t.Fatalf("PractitionerCancel past the cut-off: %v", err)
	}
	if _, err := f.svc.PractitionerCancel(ctx, b.ID); err != nil {
		t.Errorf("again: %v", err)
	}
	_, err = f.svc.PractitionerCancel(ctx, "nope")
	wantCode(t, err, booking.ENotFound)
	p, _ := f.book("suivi", at(1, 10, 0))
	f.clock.Add(time.Hour)
	_, err = f.svc.PractitionerCancel(ctx, p.ID) // expired on the way
	wantCode(t, err, booking.EConflict)
	_, err = f.svc.PractitionerCancel(ctx, p.ID)
	wantCode(t, err, booking.EConflict)
}

func TestBookingsAndClosures(t *testing.T) {
	f := newFixture(t)
	b1, _ := f.book("consultation", at(2, 9, 0))
	f.book("consultation", at(1, 9, 0))
	bs, err := f.svc.Bookings(ctx, "demo", at(1, 0, 0), at(3, 0, 0))
	if err != nil || len(bs) != 2 || !bs[0].Start.Equal(at(1, 9, 0)) || bs[0].Start.Location() != paris || bs[0].Patient != patient {
		t.Fatalf("Bookings: %v %+v", err, bs)
	}
	for _, w := range [][2]time.Time{{at(3, 0, 0), at(1, 0, 0)}, {at(1, 0, 0), at(1, 0, 0).Add(booking.MaxWindow + time.Hour)}} {
		if _, err := f.svc.Bookings(ctx, "demo", w[0], w[1]); booking.ErrorCode(err) != booking.EInvalid {
			t.Errorf("Bookings(%s, %s): %v", w[0], w[1], err)
		}
	}
	if _, err := f.svc.Bookings(ctx, "nobody", at(1, 0, 0), at(2, 0, 0)); booking.ErrorCode(err) != booking.ENotFound {
		t.Errorf("Bookings of nobody: %v", err)
	}
	if bs, err := f.svc.Bookings(ctx, "demo", at(20, 0, 0), at(21, 0, 0)); err != nil || bs == nil {
		t.Errorf("empty Bookings: %v %v", bs, err)
	}

	d := func(day int) booking.Date { return booking.Date{Year: 2026, Month: time.December, Day: day} }
	c, affected, err := f.svc.AddClosure(ctx, "demo", booking.Closure{From: d(2), To: d(3), Label: "  congrès  "})
	if err != nil || c.ID == "" || c.Label != "congrès" || len(affected) != 1 || affected[0].ID != b1.ID {
		t.Fatalf("AddClosure: %v %+v %v", err, c, affected)
	}
	if f.slotFree("consultation", at(3, 9, 0)) {
		t.Error("a closed day is offered")
	}
	_, _, err = f.svc.Book(ctx, booking.BookRequest{PractitionerID: "demo", TypeID: "consultation", Start: at(3, 9, 0), Patient: patient})
	wantCode(t, err, booking.EConflict)
	cs, err := f.svc.Closures(ctx, "demo", d(1), d(31))
	if err != nil || len(cs) != 1 || cs[0].ID != c.ID {
		t.Errorf("Closures: %v %v", err, cs)
	}
	for _, bad := range []booking.Closure{
		{From: d(3), To: d(2)},
		{From: booking.Date{Year: 2026, Month: 11, Day: 1}, To: booking.Date{Year: 2026, Month: 11, Day: 2}},
		{From: d(2), To: d(2), Label: "a\nb"},
		{From: d(2), To: d(2), Label: strings.Repeat("x", booking.MaxClosureLabelLen+1)},
		{From: booking.Date{Year: 2026, Month: 2, Day: 30}, To: d(2)},
	} {
		if _, _, err := f.svc.AddClosure(ctx, "demo", bad); booking.ErrorCode(err) != booking.EInvalid {
			t.Errorf("AddClosure(%+v): %v", bad, err)
		}
	}
	if _, err := f.svc.Closures(ctx, "demo", d(3), d(1)); booking.ErrorCode(err) != booking.EInvalid {
		t.Errorf("Closures out of order: %v", err)
	}
	if err := f.svc.RemoveClosure(ctx, "demo", c.ID); err != nil {
		t.Fatal(err)
	}
	if !f.slotFree("consultation", at(3, 9, 0)) {
		t.Error("a reopened day is not offered")
	}
	for _, id := range []string{c.ID, ""} {
		if err := f.svc.RemoveClosure(ctx, "demo", id); booking.ErrorCode(err) != booking.ENotFound {
			t.Errorf("RemoveClosure(%q): %v", id, err)
		}
	}
	f.store.FailBefore(bookingtest.OpClosures, 1, nil)
	if _, err := f.svc.Slots(ctx, "demo", "consultation", at(1, 0, 0), at(2, 0, 0)); booking.ErrorCode(err) != booking.EUnavailable {
		t.Errorf("Slots with closures unreadable: %v", err)
	}
	f.store.FailBefore(bookingtest.OpBookingsBetween, 1, nil)
	c, affected, err = f.svc.AddClosure(ctx, "demo", booking.Closure{From: d(2), To: d(2)})
	if c.ID == "" || affected != nil || booking.ErrorCode(err) != booking.EUnavailable {
		t.Errorf("AddClosure with bookings unreadable: %+v %v %v", c, affected, err)
	}
}

// Open time kept on the calendar server (AvailabilitySource).
func TestAvailabilitySource(t *testing.T) {
	f := newFixture(t)
	saturday := booking.Interval{Start: at(5, 10, 0), End: at(5, 11, 0)}
	var covered []booking.Interval
	f.cal.AvailabilityFunc = func(_ context.Context, from, to time.Time) (booking.OpenTime, bool, error) {
		return booking.OpenTime{Open: []booking.Interval{saturday}, Covered: covered}, true, nil
	}
	if !f.slotFree("consultation", at(5, 10, 0)) || !f.slotFree("consultation", at(1, 9, 0)) {
		t.Error("open time of the calendar not offered")
	}
	f.book("consultation", at(5, 10, 20))
	// Within the time it covers, the weekly template no longer holds.
	covered = []booking.Interval{{Start: at(1, 0, 0), End: at(2, 0, 0)}}
	if f.slotFree("consultation", at(1, 9, 0)) || !f.slotFree("consultation", at(2, 9, 0)) {
		t.Error("the covered time is not the source's")
	}
	f.cal.AvailabilityFunc = func(context.Context, time.Time, time.Time) (booking.OpenTime, bool, error) {
		return booking.OpenTime{}, false, bookingtest.ErrInjected
	}
	if _, err := f.svc.Slots(ctx, "demo", "consultation", at(1, 0, 0), at(2, 0, 0)); booking.ErrorCode(err) != booking.EUnavailable {
		t.Errorf("Slots with the source unreadable: %v", err)
	}
	f.cal.AvailabilityFunc = func(context.Context, time.Time, time.Time) (booking.OpenTime, bool, error) {
		return booking.OpenTime{}, false, booking.Errorf(booking.EInternal, "boom")
	}
	if _, err := f.svc.Slots(ctx, "demo", "consultation", at(1, 0, 0), at(2, 0, 0)); booking.ErrorCode(err) != booking.EUnavailable {
		t.Errorf("Slots with the source broken: %v", err)
	}
}

// TestLangAndConfirmBy checks that a booking keeps the language it was asked
// in, that an unknown language is refused, and that the messages of a
// pending booking that ask for its confirmation say until when the slot is
// held: ConfirmWithin after the booking, never past the visit.
func TestLangAndConfirmBy(t *testing.T) {
	f := newFixture(t)
	_, _, err := f.svc.Book(ctx, booking.BookRequest{PractitionerID: "demo", TypeID: "suivi", Start: at(1, 9, 0), Patient: patient, Lang: "de"})
	if e := (*booking.Error)(nil); !errors.As(err, &e) || e.Code != booking.EInvalid || e.Field != booking.FieldLang {
		t.Fatalf("lang de: error %v, want EInvalid on %s", err, booking.FieldLang)
	}

	b, _, err := f.svc.Book(ctx, booking.BookRequest{PractitionerID: "demo", TypeID: "suivi", Start: at(1, 9, 0), Patient: patient, Lang: "en"})
	if err != nil {
		t.Fatal(err)
	}
	if got := f.row(b.ID).Lang; got != "en" {
		t.Errorf("stored Lang = %q, want en", got)
	}
	sent := f.notes.Take()
	if len(sent) != 1 || sent[0].Kind != booking.NotifyCreated {
		t.Fatalf("sent %+v, want one created message", sent)
	}
	if got, want := sent[0].ConfirmBy, testNow.Add(time.Hour); !got.Equal(want) {
		t.Errorf("ConfirmBy = %v, want %v (ConfirmWithin after the booking)", got, want)
	}
	if got := sent[0].Appointment.Booking.Lang; got != "en" {
		t.Errorf("notified booking Lang = %q, want en", got)
	}
	if _, err := f.svc.ResendLink(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	if sent := f.notes.Take(); len(sent) != 1 || sent[0].Kind != booking.NotifyLink || !sent[0].ConfirmBy.Equal(testNow.Add(time.Hour)) {
		t.Errorf("link messages %+v, want one with ConfirmBy", sent)
	}

	// Booked 40 minutes before the visit: held until the visit only.
	f.clock.Set(at(1, 13, 20))
	late, _ := f.book("suivi", at(1, 14, 0))
	if sent := f.notes.Take(); len(sent) != 1 || !sent[0].ConfirmBy.Equal(late.Start) {
		t.Errorf("late booking messages %+v, want ConfirmBy at the start", sent)
	}
	// A confirmed booking's messages hold no deadline.
	c, _ := f.book("consultation", at(2, 9, 0))
	if sent := f.notes.Take(); len(sent) != 1 || !sent[0].ConfirmBy.IsZero() || c.Lang != "" {
		t.Errorf("confirmed booking messages %+v (Lang %q), want no ConfirmBy", sent, c.Lang)
	}
}
