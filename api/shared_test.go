package api

import (
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/internal/bookingtest"
)

// sharedEnv is env with a second GP, Dr Paul Durand (weekdays 09:00–10:00,
// 30-minute consultations), and the shared motive "generaliste" of the two.
type sharedEnv struct {
	*env
	durand *bookingtest.Calendar
}

func newSharedEnv(t *testing.T) *sharedEnv {
	t.Helper()
	durand := newFakeCalendar()
	e := newEnvConfig(t, func(c *Config) {
		p := booking.Practitioner{ID: "durand", Name: "Dr Paul Durand", Location: paris,
			Types: []booking.AppointmentType{{ID: "consultation", Name: "Consultation", Duration: 30 * time.Minute}}}
		for d := time.Monday; d <= time.Friday; d++ {
			p.Schedule.Weekly.Set(d, booking.ClockRange{Start: 9 * 60, End: 10 * 60})
		}
		if err := c.Service.AddPractitioner(p, durand); err != nil {
			t.Fatal(err)
		}
		if err := c.Service.AddSharedType(booking.SharedType{ID: "generaliste", Name: "Consultation de médecine générale",
			TypeID: "consultation", Practitioners: []string{"demo", "durand"}}); err != nil {
			t.Fatal(err)
		}
	})
	return &sharedEnv{env: e, durand: durand}
}

func sharedBody(start, extra string) string {
	return `{"shared":"generaliste","start":"` + start + `",` + extra +
		`"patient":{"name":"` + patientName + `","email":"` + patientEmail + `","phone":"` + patientPhone + `"}}`
}

func TestSharedTypesAndSlots(t *testing.T) {
	e := newSharedEnv(t)
	m := decode(t, e.do(http.MethodGet, "/v1/shared", nil))
	list, _ := m["shared_types"].([]any)
	if len(list) != 1 {
		t.Fatalf("shared_types: %v", m)
	}
	st := list[0].(map[string]any)
	if st["id"] != "generaliste" || st["type"] != "consultation" || st["timezone"] != "Europe/Paris" ||
		len(st["practitioners"].([]any)) != 2 {
		t.Errorf("shared type: %v", st)
	}

	w := e.do(http.MethodGet, "/v1/shared/generaliste/slots?from=2026-12-01&to=2026-12-02", nil)
	if w.Code != http.StatusOK {
		t.Fatalf("slots: %d %s", w.Code, w.Body)
	}
	m = decode(t, w)
	slots, _ := m["slots"].([]any)
	// demo 09:00–12:00 every 20 minutes and 14:00–17:00; durand 09:00 and
	// 09:30: 09:30 is a start of durand only.
	if m["shared"] != "generaliste" || m["timezone"] != "Europe/Paris" || len(slots) != 9+9+1 {
		t.Fatalf("slots: %d, %v", len(slots), m)
	}
	free := map[string]float64{}
	for _, s := range slots {
		s := s.(map[string]any)
		free[s["start"].(string)] = s["free"].(float64)
		if _, ok := s["practitioner"]; ok {
			t.Errorf("a slot names a practitioner: %v", s)
		}
	}
	for start, want := range map[string]float64{
		"2026-12-01T09:00:00+01:00": 2, "2026-12-01T09:20:00+01:00": 1,
		"2026-12-01T09:30:00+01:00": 1, "2026-12-01T14:00:00+01:00": 1,
	} {
		if free[start] != want {
			t.Errorf("%s: free %v, want %v", start, free[start], want)
		}
	}

	tokyo := decode(t, e.do(http.MethodGet, "/v1/shared/generaliste/slots?from=2026-12-01&to=2026-12-02&tz=Asia/Tokyo", nil))
	if tokyo["timezone"] != "Asia/Tokyo" || !strings.HasSuffix(tokyo["slots"].([]any)[0].(map[string]any)["start"].(string), "+09:00") {
		t.Errorf("tz: %v", tokyo)
	}
	wantProblem(t, e.do(http.MethodGet, "/v1/shared/nope/slots", nil), http.StatusNotFound, "no shared appointment type")
	wantProblem(t, e.do(http.MethodGet, "/v1/shared/generaliste/slots?tz=Mars/Olympus", nil), http.StatusUnprocessableEntity, "tz")
	setBusyErr(e.durand, nil)
	w = e.do(http.MethodGet, "/v1/shared/generaliste/slots", nil)
	if w.Code != http.StatusServiceUnavailable {
		t.Errorf("a calendar down: %d %s", w.Code, w.Body)
	}
}

func TestSharedBooking(t *testing.T) {
	e := newSharedEnv(t)
	const start = "2026-12-01T09:00:00+01:00"
	// demo, first listed, takes the first; durand, now the least booked,
	// the second.
	for _, want := range []struct{ id, name, end string }{
		{"demo", "Dr Anne Martin", "2026-12-01T09:20:00+01:00"},
		{"durand", "Dr Paul Durand", "2026-12-01T09:30:00+01:00"},
	} {
		w := e.postJSON("/v1/bookings", sharedBody(start, ""), "Idempotency-Key", "k-"+want.id)
		if w.Code != http.StatusCreated {
			t.Fatalf("book: %d %s", w.Code, w.Body)
		}
		m := decode(t, w)
		if m["practitioner"] != want.id || m["practitioner_name"] != want.name || m["type"] != "consultation" || m["end"] != want.end {
			t.Errorf("booked %v, want %s", m, want.id)
		}
		// A retry is the same booking.
		again := decode(t, e.postJSON("/v1/bookings", sharedBody(start, ""), "Idempotency-Key", "k-"+want.id))
		if again["id"] != m["id"] || again["manage_token"] != m["manage_token"] {
			t.Errorf("retry: %v, first %v", again, m)
		}
	}
	wantProblem(t, e.postJSON("/v1/bookings", sharedBody(start, "")), http.StatusConflict, "no longer free")
	if e.store.count() != 2 || e.cal.Len() != 1 || e.durand.Len() != 1 {
		t.Fatalf("%d bookings, events %d + %d", e.store.count(), e.cal.Len(), e.durand.Len())
	}

	for _, tc := range []struct {
		name, body string
		status     int
		detail     string
	}{
		{"both", sharedBody(start, `"practitioner":"demo","type":"consultation",`), http.StatusUnprocessableEntity, "one of them"},
		{"neither", `{"type":"consultation","start":"` + start + `","patient":{"name":"` + patientName + `","email":"` + patientEmail + `"}}`, http.StatusUnprocessableEntity, "one of them"},
		{"practitioner without type", `{"practitioner":"demo","start":"` + start + `","patient":{"name":"` + patientName + `","email":"` + patientEmail + `"}}`, http.StatusUnprocessableEntity, "type is required"},
		{"another type", sharedBody(start, `"type":"suivi",`), http.StatusUnprocessableEntity, "leave type out"},
		{"its own type", sharedBody("2026-12-01T09:20:00+01:00", `"type":"consultation",`), http.StatusCreated, ""},
		{"unknown", strings.Replace(sharedBody(start, ""), "generaliste", "nope", 1), http.StatusNotFound, "no shared appointment type"},
		{"not a start", sharedBody("2026-12-01T09:10:00+01:00", ""), http.StatusUnprocessableEntity, "not a bookable start"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := e.postJSON("/v1/bookings", tc.body)
			if tc.status == http.StatusCreated {
				if w.Code != tc.status {
					t.Fatalf("%d %s", w.Code, w.Body)
				}
				return
			}
			wantProblem(t, w, tc.status, tc.detail)
		})
	}
}

// TestSharedPages walks a booking with the first available: the shared
// motive first on the practice page, its merged days and times, the form,
// and the done page naming the practitioner chosen.
func TestSharedPages(t *testing.T) {
	e := newSharedEnv(t)
	body := wantPageLang(t, e.do(http.MethodGet, "/", nil), http.StatusOK, "fr",
		"<h2>Sans préférence de praticien</h2>",
		`<a class="choice" href="/s/generaliste"><strong>Consultation de médecine générale</strong><span class="hint">avec le premier praticien disponible · 20 à 30 min</span></a>`,
		`href="/p/durand"`)
	if strings.Index(body, "/s/generaliste") > strings.Index(body, "/p/demo") {
		t.Error("the shared motive is not listed first")
	}

	// 09:30 is durand's only: the merged times hold it.
	const durandOnly = "2026-12-01T09:30:00+01:00"
	slot := "/book?" + (url.Values{"shared": {"generaliste"}, "start": {durandOnly}}).Encode()
	body = wantPageLang(t, e.do(http.MethodGet, "/s/generaliste?day=2026-12-01", nil), http.StatusOK, "fr",
		"Consultation de médecine générale <span class=\"sub\">avec le premier praticien disponible · 20 à 30 min</span>",
		`href="`+template.HTMLEscapeString(slot)+`"`,
		`<a href="/">Accueil</a>`)
	if strings.Contains(body, "practitioner=") {
		t.Error("the shared motive's times name a practitioner")
	}
	wantPageLang(t, e.do(http.MethodGet, "/s/generaliste?day=2026-12-01", nil, "Accept-Language", "en"), http.StatusOK, "en",
		"with the first available practitioner · 20 to 30 min")
	wantPageLang(t, e.do(http.MethodGet, "/s/nope", nil), http.StatusNotFound, "fr")

	body = wantPageLang(t, e.do(http.MethodGet, slot, nil), http.StatusOK, "fr",
		`<input type="hidden" name="shared" value="generaliste">`,
		"<dd>le premier disponible (nommé après la réservation)</dd>",
		"<dd>Consultation de médecine générale (20 à 30 min)</dd>",
		`<a href="/s/generaliste">Consultation de médecine générale</a>`)
	if strings.Contains(body, `name="practitioner"`) {
		t.Error("the shared form names a practitioner")
	}

	form := url.Values{"shared": {"generaliste"}, "start": {durandOnly}, "name": {patientName}, "email": {patientEmail}, "key": {"form-1"}}
	w := e.postForm("/book", form, "Origin", "http://example.com", "Sec-Fetch-Site", "same-origin")
	if w.Code != http.StatusSeeOther || !strings.HasSuffix(w.Header().Get("Location"), "?done=assigned") {
		t.Fatalf("POST /book = %d to %q:\n%s", w.Code, w.Header().Get("Location"), w.Body)
	}
	wantPageLang(t, e.do(http.MethodGet, w.Header().Get("Location"), nil), http.StatusOK, "fr",
		"<p>Vous avez rendez-vous avec Dr Paul Durand, le premier praticien disponible à cette heure.</p>",
		"<dd>Dr Paul Durand</dd>")
	if e.durand.Len() != 1 || e.cal.Len() != 0 {
		t.Errorf("events: durand %d, demo %d", e.durand.Len(), e.cal.Len())
	}
	// The same form again books nothing more; another patient finds the
	// slot taken.
	again := e.postForm("/book", form, "Origin", "http://example.com", "Sec-Fetch-Site", "same-origin")
	if again.Header().Get("Location") != w.Header().Get("Location") || e.store.count() != 1 {
		t.Errorf("resubmitted: %d to %q, %d bookings", again.Code, again.Header().Get("Location"), e.store.count())
	}
	form.Set("key", "form-2")
	form.Set("email", "pierre@example.org")
	form.Set("name", "Pierre Curie")
	wantPageLang(t, e.postForm("/book", form, "Origin", "http://example.com", "Sec-Fetch-Site", "same-origin"), http.StatusConflict, "fr",
		`href="/s/generaliste?day=2026-12-01"`)
}
