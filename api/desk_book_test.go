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

// The secretary chooses the language of the patient's emails; it is the
// page's until chosen.
func TestDeskBookingPatientLanguage(t *testing.T) {
	d := newDeskEnv(t, nil)
	cookie, csrf := d.login()
	page := d.get("/desk/book?motive=demo/consultation&day=2026-12-01", cookie).Body.String()
	if !strings.Contains(page, `<option value="fr" selected>`) || !strings.Contains(page, `name="patient_lang"`) {
		t.Fatalf("the form lacks the patient's language, French chosen:\n%s", page)
	}
	for i, lang := range []string{"en", "fr", "xx"} {
		start := []string{"2026-12-01T09:00:00+01:00", "2026-12-01T09:20:00+01:00", "2026-12-01T09:40:00+01:00"}[i]
		form := url.Values{"csrf": {csrf}, "motive": {"demo/consultation"}, "day": {"2026-12-01"}, "start": {start},
			"name": {patientName}, "email": {"p" + lang + "." + patientEmail}, "key": {"desk-lang-" + lang}, "patient_lang": {lang}}
		if w := d.post("/desk/book", form, cookie); w.Code != http.StatusSeeOther {
			t.Fatalf("phone booking in %s: %d\n%s", lang, w.Code, w.Body)
		}
	}
	want := map[string]string{"pen." + patientEmail: "en", "pfr." + patientEmail: "fr", "pxx." + patientEmail: "fr"}
	for _, b := range d.store.Bookings() {
		if b.Lang != want[b.Patient.Email] {
			t.Errorf("booking for %s in %q, want %q", b.Patient.Email, b.Lang, want[b.Patient.Email])
		}
	}
}
