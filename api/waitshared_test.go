package api

import (
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/internal/bookingtest"
)

// sharedWaitEnv is a waitEnv with the shared motive "generaliste" of demo
// and Dr Paul Durand (weekdays 09:00–10:00); Tuesday 1 December is taken
// in both calendars.
type sharedWaitEnv struct {
	*waitEnv
	durand *bookingtest.Calendar
}

func newSharedWaitEnv(t *testing.T, change func(*Config)) *sharedWaitEnv {
	t.Helper()
	durand := newFakeCalendar()
	w := newWaitEnv(t, func(c *Config) {
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
		if change != nil {
			change(c)
		}
	})
	durand.PutForeign("/cal/busy.ics", day(1, 0), day(2, 0))
	return &sharedWaitEnv{waitEnv: w, durand: durand}
}

func sharedJoinBody(from, until, email string) string {
	return `{"shared":"generaliste","from":"` + from + `","until":"` + until + `",` +
		`"patient":{"name":"` + patientName + `","email":"` + email + `"}}`
}

func TestWaitlistSharedAPI(t *testing.T) {
	w := newSharedWaitEnv(t, func(c *Config) { c.AdminToken = adminToken })
	r := w.postJSON("/v1/waitlist", sharedJoinBody("2026-12-01", "2026-12-01", patientEmail))
	if r.Code != http.StatusCreated {
		t.Fatalf("join: %d %s", r.Code, r.Body)
	}
	w.token()
	en, err := w.ws.ActiveWaitEntries(t.Context(), time.Time{})
	if err != nil || len(en) != 0 {
		t.Fatalf("active entries before confirming: %v, %v", en, err)
	}
	r = w.postJSON("/v1/waitlist", sharedJoinBody("2026-12-01", "2026-12-02", "ada@example.org"))
	wantProblem(t, r, http.StatusConflict, "free slots")
	if m := decode(t, r); m["day"] != "2026-12-02" || m["slots_url"] != baseURL+"/s/generaliste?day=2026-12-02" {
		t.Errorf("409: %v", m)
	}
	for _, tt := range []struct{ name, body string }{
		{"both", strings.Replace(sharedJoinBody("2026-12-01", "2026-12-01", "ada@example.org"), `"shared"`, `"practitioner":"demo","type":"consultation","shared"`, 1)},
		{"shared and type", strings.Replace(sharedJoinBody("2026-12-01", "2026-12-01", "ada@example.org"), `"shared"`, `"type":"consultation","shared"`, 1)},
		{"neither", strings.Replace(sharedJoinBody("2026-12-01", "2026-12-01", "ada@example.org"), `"shared":"generaliste",`, "", 1)},
		{"practitioner without type", strings.Replace(sharedJoinBody("2026-12-01", "2026-12-01", "ada@example.org"), `"shared":"generaliste"`, `"practitioner":"demo"`, 1)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wantProblem(t, w.postJSON("/v1/waitlist", tt.body), http.StatusUnprocessableEntity, "shared")
		})
	}
	wantProblem(t, w.postJSON("/v1/waitlist", strings.Replace(sharedJoinBody("2026-12-01", "2026-12-01", "ada@example.org"), "generaliste", "nope", 1)), http.StatusNotFound, "")

	// The export says which shared type the entry waits for.
	r = w.admin(http.MethodPost, "/v1/admin/patients/export", `{"email":"`+patientEmail+`"}`)
	list, _ := decode(t, r)["waitlist"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["shared"] != "generaliste" || list[0].(map[string]any)["practitioner"] != "" {
		t.Fatalf("export's waitlist: %v", list)
	}
}

func TestWaitlistSharedPages(t *testing.T) {
	for _, lang := range []string{"fr", "en"} {
		t.Run(lang, func(t *testing.T) {
			w := newSharedWaitEnv(t, nil)
			wt := escaped(waitTexts[lang])
			tx := textOf(lang)
			q := "?lang=" + lang

			wantPageLang(t, w.do(http.MethodGet, "/s/generaliste?day=2026-12-01&lang="+lang, nil), http.StatusOK, lang,
				`<a href="/s/generaliste/waitlist?day=2026-12-01">`+wt.Link)
			body := wantPageLang(t, w.do(http.MethodGet, "/s/generaliste/waitlist?day=2026-12-01&lang="+lang, nil), http.StatusOK, lang,
				`<form method="post" action="/s/generaliste/waitlist"`, `value="2026-12-01"`, `min="2026-11-30"`,
				html.EscapeString(tx.FirstAvailable), "Consultation de médecine générale", `<a href="/s/generaliste">`, wt.Intro)
			if strings.Contains(body, "Dr ") {
				t.Error("the shared form names a practitioner")
			}

			// Durand is free on Wednesday 2, at 09:00.
			form := waitForm(patientName, patientEmail, "2026-12-01", "2026-12-02")
			form.Set("lang", lang)
			form.Del("weekday")
			wantPageLang(t, w.postForm("/s/generaliste/waitlist", form), http.StatusConflict, lang,
				wt.FreeHeading, `<a href="/s/generaliste?day=2026-12-02">`+wt.FreeLink)

			form = waitForm(patientName, patientEmail, "2026-12-01", "2026-12-01")
			form.Set("lang", lang)
			wantPageLang(t, w.postForm("/s/generaliste/waitlist", form), http.StatusOK, lang, wt.JoinedHeading)
			token := w.token()
			e, err := w.wl.Entry(t.Context(), token)
			if err != nil || e.SharedID != "generaliste" || e.PractitionerID != "" {
				t.Fatalf("entry %+v, %v", e, err)
			}
			wantPageLang(t, w.do(http.MethodGet, "/waitlist/confirm/"+token+q, nil), http.StatusOK, lang,
				strings.Replace(wt.ConfirmSharedQuestionF, "%s", "Consultation de médecine générale", 1))
			wantPageLang(t, w.postForm("/waitlist/confirm/"+token+q, url.Values{"lang": {lang}}), http.StatusOK, lang, wt.ConfirmedHeading)
			wantPageLang(t, w.do(http.MethodGet, "/s/nope/waitlist"+q, nil), http.StatusNotFound, lang)
		})
	}
}

// TestWaitlistSharedPagesOptOut: a shared motive one of whose types opts
// out of the waiting list has no link and no form.
func TestWaitlistSharedPagesOptOut(t *testing.T) {
	durand := newFakeCalendar()
	w := newWaitEnv(t, func(c *Config) {
		p := booking.Practitioner{ID: "durand", Name: "Dr Paul Durand", Location: paris,
			Types: []booking.AppointmentType{{ID: "consultation", Name: "Consultation", Duration: 30 * time.Minute, NoWaitlist: true}}}
		p.Schedule.Weekly.Set(time.Monday, booking.ClockRange{Start: 9 * 60, End: 10 * 60})
		if err := c.Service.AddPractitioner(p, durand); err != nil {
			t.Fatal(err)
		}
		if err := c.Service.AddSharedType(booking.SharedType{ID: "generaliste", Name: "Généraliste", TypeID: "consultation", Practitioners: []string{"demo", "durand"}}); err != nil {
			t.Fatal(err)
		}
	})
	body := wantPageLang(t, w.do(http.MethodGet, "/s/generaliste?day=2026-12-01", nil), http.StatusOK, "fr")
	if strings.Contains(body, "/waitlist") {
		t.Error("a link to the waiting list")
	}
	wantPageLang(t, w.do(http.MethodGet, "/s/generaliste/waitlist", nil), http.StatusNotFound, "fr")
}
