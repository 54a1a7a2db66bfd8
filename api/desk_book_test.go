package api

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rdvlibre/rdv/booking"
)

// TestDeskBookingConfirmedAtOnce: a phone booking of a motive that asks
// online patients to confirm ("suivi") is confirmed at once: the secretary
// spoke with the patient.
func TestDeskBookingConfirmedAtOnce(t *testing.T) {
	d := newDeskEnv(t, nil)
	cookie, csrf := d.login()
	form := url.Values{"csrf": {csrf}, "motive": {"demo/suivi"}, "day": {"2026-12-01"}, "start": {"2026-12-01T09:00:00+01:00"},
		"name": {patientName}, "email": {patientEmail}, "phone": {patientPhone}, "key": {"desk-suivi-1"}}
	w := d.post("/desk/book", form, cookie)
	if w.Code != http.StatusSeeOther || !strings.Contains(w.Header().Get("Location"), "done=booked") {
		t.Fatalf("phone booking: %d to %q\n%s", w.Code, w.Header().Get("Location"), w.Body)
	}
	bs := d.store.Bookings()
	if len(bs) != 1 || bs[0].TypeID != "suivi" || bs[0].Status != booking.StatusConfirmed {
		t.Fatalf("bookings %+v: want one confirmed suivi", bs)
	}
}
