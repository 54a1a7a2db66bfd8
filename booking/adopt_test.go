package booking_test

import (
	"strings"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/internal/bookingtest"
)

const lostID = "11111111-2222-4333-8444-555555555555"

var irene = booking.Patient{Name: "Irène Joliot", Email: "irene@example.org"}

// putLost writes the booking event of another install, or of a lost store,
// into the calendar: no row nor intent for it.
func (f *fixture) putLost(id, typ string, d, hh int, st booking.Status, p booking.Patient) booking.EventRef {
	start := at(d, hh, 0)
	return f.cal.Put(booking.BookingEvent{Booking: id, Type: typ, Start: start, End: start.Add(20 * time.Minute), Status: st, Sequence: 2, Patient: p})
}

// An unknown booking event is reported, left as it is, and busy time.
func TestUnknownEvents(t *testing.T) {
	f := newFixture(t)
	ref := f.putLost(lostID, "consultation", 1, 9, booking.StatusConfirmed, patient)
	f.book("consultation", at(1, 10, 0))
	for _, run := range []func() (int, error){func() (int, error) { return f.svc.Sync(ctx) }, func() (int, error) { return f.svc.Reconcile(ctx) }} {
		if n, err := run(); n != 0 || err != nil {
			t.Fatalf("= %d, %v", n, err)
		}
	}
	if ev, ok := f.cal.Lookup(ref.Href); !ok || ev.Ref != ref {
		t.Error("the unknown event was touched")
	}
	if len(f.store.Bookings()) != 1 {
		t.Error("the unknown event was recorded")
	}
	ues, err := f.svc.UnknownEvents("demo")
	if err != nil || len(ues) != 1 || ues[0].Event.Booking != lostID || ues[0].PractitionerID != "demo" || !ues[0].FirstSeen.Equal(testNow) {
		t.Fatalf("UnknownEvents = %+v, %v", ues, err)
	}
	if all, _ := f.svc.UnknownEvents(""); len(all) != 1 {
		t.Errorf("UnknownEvents of all = %v", all)
	}
	if _, err := f.svc.UnknownEvents("nobody"); booking.ErrorCode(err) != booking.ENotFound {
		t.Errorf("UnknownEvents(nobody): %v", err)
	}
	if f.slotFree("consultation", at(1, 9, 0)) {
		t.Error("the time of an unknown event is offered")
	}
	// Logged once.
	if n := strings.Count(f.logs.String(), "unknown to this install"); n != 1 {
		t.Errorf("logged %d times", n)
	}
	// Gone from the calendar: no longer reported.
	f.cal.Remove(ref.Href)
	if hs, err := f.svc.CheckSync(ctx); err != nil || len(hs) != 0 {
		t.Fatal(hs, err)
	}
	if ues, _ := f.svc.UnknownEvents("demo"); len(ues) != 0 {
		t.Errorf("still reported: %+v", ues)
	}
}

func TestAdopt(t *testing.T) {
	f := newFixture(t)
	f.putLost(lostID, "consultation", 1, 9, booking.StatusConfirmed, patient)
	f.putLost("22222222-2222-4333-8444-555555555555", "nothing", 1, 10, booking.StatusConfirmed, irene)
	f.putLost("33333333-2222-4333-8444-555555555555", "consultation", 1, 11, booking.StatusConfirmed, booking.Patient{Name: "X"})
	f.putLost("44444444-2222-4333-8444-555555555555", "suivi", 1, 14, booking.StatusPending, irene)

	dry, err := f.svc.Adopt(ctx, "demo", true)
	if err != nil || len(dry) != 4 || len(f.store.Bookings()) != 0 {
		t.Fatalf("dry run: %v %+v, %d rows", err, dry, len(f.store.Bookings()))
	}
	adopted := 0
	for _, a := range dry {
		if a.Booking != nil {
			adopted++
		} else if a.Skipped == "" {
			t.Errorf("neither adopted nor skipped: %+v", a)
		}
	}
	if adopted != 2 {
		t.Errorf("a dry run would adopt %d, want 2", adopted)
	}
	res, err := f.svc.Adopt(ctx, "demo", false)
	if err != nil || len(res) != 4 {
		t.Fatalf("Adopt: %v %+v", err, res)
	}
	row := f.row(lostID)
	if row.Status != booking.StatusConfirmed || row.Patient != patient || row.TokenHash != "" || row.Sequence != 2 || !row.Start.Equal(at(1, 9, 0)) {
		t.Errorf("adopted row %+v", row)
	}
	if ues, _ := f.svc.UnknownEvents("demo"); len(ues) != 2 {
		t.Errorf("UnknownEvents after adopting = %d, want the 2 skipped", len(ues))
	}
	if len(f.notes.Sent()) != 0 || f.cal.Calls(bookingtest.OpUpdate)+f.cal.Calls(bookingtest.OpCreate) != 0 {
		t.Error("Adopt wrote to the calendar or told someone")
	}
	// Adopted: reconciled like any other booking.
	if n, err := f.svc.Sync(ctx); n != 0 || err != nil {
		t.Errorf("Sync after Adopt = %d, %v", n, err)
	}
	if _, err := f.svc.Adopt(ctx, "nobody", false); booking.ErrorCode(err) != booking.ENotFound {
		t.Errorf("Adopt(nobody): %v", err)
	}
	f.cal.FailBefore(bookingtest.OpEvents, 1, nil)
	if _, err := f.svc.Adopt(ctx, "demo", false); booking.ErrorCode(err) != booking.EUnavailable {
		t.Errorf("Adopt, calendar unreadable: %v", err)
	}
}

// A new manage link replaces the old one, and goes to that patient only.
func TestResendLink(t *testing.T) {
	f := newFixture(t)
	f.putLost(lostID, "consultation", 1, 9, booking.StatusConfirmed, patient)
	if _, err := f.svc.Adopt(ctx, "demo", false); err != nil {
		t.Fatal(err)
	}
	a, err := f.svc.ResendLink(ctx, lostID)
	if err != nil || a.Booking.Revision != 1 {
		t.Fatalf("ResendLink: %v %+v", err, a.Booking)
	}
	sent := f.notes.Take()
	if len(sent) != 1 || sent[0].Kind != booking.NotifyLink || sent[0].Appointment.Booking.Patient != patient || !booking.ValidToken(sent[0].ManageToken) {
		t.Fatalf("sent %+v", sent)
	}
	tok := sent[0].ManageToken
	if got, err := f.svc.BookingByToken(ctx, tok); err != nil || got.Booking.ID != lostID {
		t.Errorf("the new token: %v", err)
	}
	if _, err := f.svc.ResendLink(ctx, lostID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.BookingByToken(ctx, tok); booking.ErrorCode(err) != booking.ENotFound {
		t.Errorf("the old token still opens the booking: %v", err)
	}
	tok = f.notes.Take()[0].ManageToken
	if _, err := f.svc.Cancel(ctx, tok); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.ResendLink(ctx, lostID)
	wantCode(t, err, booking.EConflict)
	_, err = f.svc.ResendLink(ctx, "nope")
	wantCode(t, err, booking.ENotFound)
}

// Adopt reads the practice's own calendar: a name that the rules for
// strangers would refuse (a number in it, say) is tidied and kept; the
// email, to which rdv will write, must pass Validate.
func TestAdoptPatients(t *testing.T) {
	tests := []struct {
		name    string
		p       booking.Patient
		want    booking.Patient // zero when skipped
		skipped string
	}{
		{"valid", irene, irene, ""},
		{"digits kept", booking.Patient{Name: "Patient 12", Email: "p12@example.org"}, booking.Patient{Name: "Patient 12", Email: "p12@example.org"}, ""},
		{"RTL override dropped", booking.Patient{Name: "Irène\u202e Joliot", Email: "irene@example.org"}, irene, ""},
		{"zero-width space and BOM dropped", booking.Patient{Name: "\ufeffIrène Jo\u200bliot", Email: "irene@example.org"}, irene, ""},
		{"line break and spaces made one", booking.Patient{Name: " Irène\r\n  Joliot ", Email: " irene@example.org"}, irene, ""},
		{"decomposed made NFC", booking.Patient{Name: "Ire\u0300ne Joliot", Email: "irene@example.org"}, irene, ""},
		{"invalid UTF-8 dropped", booking.Patient{Name: "Irène\xff Joliot", Email: "irene@example.org"}, irene, ""},
		{"nothing visible", booking.Patient{Name: "\u200b\u202e", Email: "irene@example.org"}, booking.Patient{}, "name"},
		{"name too long", booking.Patient{Name: strings.Repeat("a", booking.MaxNameLen+1), Email: "irene@example.org"}, booking.Patient{}, "name"},
		{"email with ?cc=", booking.Patient{Name: "Irène Joliot", Email: "a?cc=x@example.org"}, booking.Patient{}, "email"},
		{"email at localhost", booking.Patient{Name: "Irène Joliot", Email: "root@localhost"}, booking.Patient{}, "email"},
		{"bad phone", booking.Patient{Name: "Irène Joliot", Email: "irene@example.org", Phone: "appelez-moi"}, booking.Patient{}, "phone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.putLost(lostID, "consultation", 1, 9, booking.StatusConfirmed, tt.p)
			res, err := f.svc.Adopt(ctx, "demo", false)
			if err != nil || len(res) != 1 {
				t.Fatalf("Adopt: %v %+v", err, res)
			}
			a := res[0]
			if tt.skipped != "" {
				if a.Booking != nil || !strings.Contains(a.Skipped, tt.skipped) {
					t.Errorf("adopted %+v, skipped %q; want it skipped for its %s", a.Booking, a.Skipped, tt.skipped)
				}
				if len(f.store.Bookings()) != 0 {
					t.Error("a skipped event was recorded")
				}
				return
			}
			if a.Booking == nil {
				t.Fatalf("skipped: %s", a.Skipped)
			}
			if row := f.row(lostID); row.Patient != tt.want {
				t.Errorf("adopted patient %+q, want %+q", row.Patient, tt.want)
			}
		})
	}
}
