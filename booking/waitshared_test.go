package booking_test

import (
	"errors"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/internal/bookingtest"
)

// The waiting list of a shared type, on the centre of shared_test.go:
// Wednesday 2 December taken in the three calendars at first.

type sharedWait struct {
	*centre
	ws *bookingtest.WaitStore
	wn *bookingtest.WaitNotifier
	wl *booking.Waitlist
}

var wed2 = booking.Window{From: booking.Date{Year: 2026, Month: 12, Day: 2}, Until: booking.Date{Year: 2026, Month: 12, Day: 2}, Part: booking.PartAny}

func newSharedWait(t *testing.T) *sharedWait {
	c := newCentre(t)
	w := &sharedWait{centre: c, ws: bookingtest.NewWaitStore(), wn: &bookingtest.WaitNotifier{}}
	w.wl = booking.NewWaitlist(c.svc, w.ws, w.wn, booking.WaitlistConfig{Batch: 2})
	for _, id := range centreIDs {
		c.cals[id].PutForeign(busyHref, at(2, 0, 0), at(3, 0, 0))
	}
	return w
}

// free frees [start, end) of practitioner id's Wednesday.
func (w *sharedWait) free(id string, start, end time.Time) {
	cal := w.cals[id]
	cal.Remove(busyHref)
	cal.PutForeign("/cal/before.ics", at(2, 0, 0), start)
	cal.PutForeign("/cal/after.ics", end, at(3, 0, 0))
}

// joinActive puts patient i on the list of req (its patient and window
// set here) and confirms the entry.
func (w *sharedWait) joinActive(i int, req booking.JoinRequest, win booking.Window) *booking.WaitEntry {
	w.t.Helper()
	req.Window = win
	req.Patient = booking.Patient{Name: bookingtest.PatientName(i), Email: patientN(i)}
	e, err := w.wl.Join(ctx, req)
	if err != nil {
		w.t.Fatalf("join %d: %v", i, err)
	}
	if _, err := w.wl.Deliver(ctx); err != nil {
		w.t.Fatal(err)
	}
	ns := w.wn.Take()
	if len(ns) != 1 || ns[0].Kind != booking.WaitConfirm {
		w.t.Fatalf("join %d: sent %+v", i, ns)
	}
	if _, err := w.wl.Confirm(ctx, ns[0].Token); err != nil {
		w.t.Fatal(err)
	}
	return e
}

func patientN(i int) string { return "p" + string(rune('0'+i)) + "@example.org" }

// round alerts and delivers, and returns what was sent.
func (w *sharedWait) round() []booking.WaitNotification {
	w.t.Helper()
	if _, err := w.wl.Alert(ctx); err != nil {
		w.t.Fatalf("Alert: %v", err)
	}
	if _, err := w.wl.Deliver(ctx); err != nil {
		w.t.Fatalf("Deliver: %v", err)
	}
	return w.wn.Take()
}

var joinShared = booking.JoinRequest{SharedID: "generaliste"}

func TestWaitlistSharedJoin(t *testing.T) {
	w := newSharedWait(t)
	// Only durand is free on Wednesday, in the afternoon: the morning has
	// no merged slot, the afternoon has.
	w.free("durand", at(2, 14, 0), at(2, 14, 30))
	morning, afternoon := wed2, wed2
	morning.Part, afternoon.Part = booking.PartMorning, booking.PartAfternoon
	_, err := w.wl.Join(ctx, booking.JoinRequest{SharedID: "generaliste", Window: afternoon, Patient: booking.Patient{Name: patientName, Email: patientEmail}})
	var fs *booking.FreeSlotsError
	if booking.ErrorCode(err) != booking.EConflict || !errors.As(err, &fs) || fs.Day != wed2.From {
		t.Fatalf("join in the afternoon: %v; want a conflict on %s", err, wed2.From)
	}
	e := w.joinActive(1, joinShared, morning)
	if e.SharedID != "generaliste" || e.PractitionerID != "" || e.TypeID != "consultation" {
		t.Errorf("entry %+v", e)
	}
	tests := []struct {
		name string
		req  booking.JoinRequest
		win  booking.Window
		code string
	}{
		{"unknown shared type", booking.JoinRequest{SharedID: "nope"}, morning, booking.ENotFound},
		{"both forms", booking.JoinRequest{SharedID: "generaliste", PractitionerID: "martin", TypeID: "consultation"}, morning, booking.EInvalid},
		{"past the horizon", joinShared, booking.Window{From: wed2.From, Until: wed2.From.AddDays(70), Part: booking.PartAny}, booking.EInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := tt.req
			req.Window, req.Patient = tt.win, booking.Patient{Name: patientName, Email: patientEmail}
			if _, err := w.wl.Join(ctx, req); booking.ErrorCode(err) != tt.code {
				t.Fatalf("Join: %v, want %s", err, tt.code)
			}
		})
	}
}

// TestWaitlistSharedAlert: a slot freed by any of the practitioners is a
// slot of the shared type; its entries are told of it once, in order, a
// batch at a time, with the shared type in the notification.
func TestWaitlistSharedAlert(t *testing.T) {
	w := newSharedWait(t)
	var es []*booking.WaitEntry
	for i := range 3 {
		es = append(es, w.joinActive(i+1, joinShared, wed2))
	}
	if got := w.round(); len(got) != 0 {
		t.Fatalf("alerted before any slot freed: %+v", got)
	}
	w.free("petit", at(2, 14, 0), at(2, 14, 20)) // the last listed
	got := w.round()
	if len(got) != 2 || got[0].Entry.ID != es[0].ID || got[1].Entry.ID != es[1].ID {
		t.Fatalf("alerted %+v, want the first two entries", got)
	}
	for _, n := range got {
		if n.Shared == nil || n.Shared.ID != "generaliste" || !n.Slot.Start.Equal(at(2, 14, 0)) || !n.Slot.End.Equal(at(2, 14, 20)) {
			t.Errorf("alert %+v %+v", n.Shared, n.Slot)
		}
	}
	if got := w.round(); len(got) != 0 {
		t.Fatalf("alerted again at once: %+v", got)
	}
	w.clock.Add(31 * time.Minute)
	if got := w.round(); len(got) != 1 || got[0].Entry.ID != es[2].ID {
		t.Fatalf("second batch %+v, want the third entry", got)
	}
}

// TestWaitlistSharedBooked: a booking of any of the practitioners in the
// window marks a shared entry booked.
func TestWaitlistSharedBooked(t *testing.T) {
	w := newSharedWait(t)
	w.free("durand", at(2, 14, 0), at(2, 14, 30))
	if _, _, err := w.svc.Book(ctx, booking.BookRequest{PractitionerID: "durand", TypeID: "consultation", Start: at(2, 14, 0),
		Patient: booking.Patient{Name: bookingtest.PatientName(1), Email: patientN(1)}}); err != nil {
		t.Fatal(err)
	}
	e := w.joinActive(1, joinShared, wed2)
	other := w.joinActive(2, joinShared, wed2)
	w.free("martin", at(2, 9, 0), at(2, 9, 20))
	got := w.round()
	if len(got) != 1 || got[0].Entry.ID != other.ID {
		t.Fatalf("alerted %+v, want the other entry only", got)
	}
	if en, err := w.ws.WaitEntry(ctx, e.ID); err != nil || en.Status != booking.WaitBooked {
		t.Fatalf("entry %+v, %v; want booked", en, err)
	}
}

// TestWaitlistSharedBesidePractitioner: a shared entry and an entry of one
// of its practitioners' types are two lists: a slot of that practitioner
// alerts both, a slot of another the shared one only.
func TestWaitlistSharedBesidePractitioner(t *testing.T) {
	w := newSharedWait(t)
	own := w.joinActive(1, booking.JoinRequest{PractitionerID: "martin", TypeID: "consultation"}, wed2)
	sh := w.joinActive(2, joinShared, wed2)
	w.free("durand", at(2, 15, 0), at(2, 15, 30))
	if got := w.round(); len(got) != 1 || got[0].Entry.ID != sh.ID {
		t.Fatalf("durand's slot alerted %+v, want the shared entry", got)
	}
	w.clock.Add(31 * time.Minute)
	w.free("martin", at(2, 10, 0), at(2, 10, 20))
	got := w.round()
	ids := map[string]bool{}
	for _, n := range got {
		ids[n.Entry.ID] = true
		if (n.Shared != nil) != (n.Entry.ID == sh.ID) {
			t.Errorf("alert of %s: shared %+v", n.Entry.ID, n.Shared)
		}
	}
	if len(got) != 2 || !ids[own.ID] || !ids[sh.ID] {
		t.Fatalf("martin's slot alerted %+v, want both entries", got)
	}
}

// TestWaitlistSharedOnTheDesk: an entry of a shared motive is on the desk
// of each of its practitioners (the patient may be booked with any of
// them), not of a practitioner outside it; any of them may take it off.
func TestWaitlistSharedOnTheDesk(t *testing.T) {
	w := newSharedWait(t)
	e := w.joinActive(1, joinShared, wed2)
	for _, id := range centreIDs {
		got, err := w.wl.LiveEntries(ctx, []string{id})
		if err != nil || len(got) != 1 || got[0].ID != e.ID {
			t.Errorf("LiveEntries(%s): %v %v, want the shared entry", id, got, err)
		}
	}
	if got, err := w.wl.LiveEntries(ctx, []string{"nobody"}); err != nil || len(got) != 0 {
		t.Errorf("LiveEntries(nobody): %v %v, want none", got, err)
	}
	if _, err := w.wl.RemoveByPractice(ctx, e.ID, []string{"nobody"}); booking.ErrorCode(err) != booking.ENotFound {
		t.Errorf("removed by a practitioner outside the shared motive: %v", err)
	}
	if got, err := w.wl.RemoveByPractice(ctx, e.ID, []string{centreIDs[len(centreIDs)-1]}); err != nil || got.Status != booking.WaitLeft {
		t.Errorf("removed by its last practitioner: %+v %v", got, err)
	}
}
