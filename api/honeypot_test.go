package api

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rdvlibre/rdv/booking"
)

// What a robot puts in the honeypot field; it must appear nowhere.
const robotValue = "robot-wrote-this-7f3a"

// Every form a stranger posts carries the honeypot field, hidden from
// people and labelled.
func TestHoneypotInForms(t *testing.T) {
	e := newEnv(t)
	field := func(id string) string {
		return `<div class="hp" aria-hidden="true">
<label for="website-` + id + `">Ne remplissez pas ce champ / Leave this field empty</label>
<input id="website-` + id + `" name="website" type="text" autocomplete="off" tabindex="-1" value="">
</div>`
	}
	wantPage(t, e.do(http.MethodGet, bookPath, nil), http.StatusOK, field("book"))
	token := e.book("suivi", slotStart) // pending: confirm, move and cancel are offered
	for path, id := range map[string]string{
		"/manage/" + token:             "confirm",
		"/manage/" + token + "/cancel": "cancel",
		"/manage/" + token + "/move?start=" + url.QueryEscape("2026-12-01T10:00:00+01:00"): "reschedule",
	} {
		body := wantPage(t, e.do(http.MethodGet, path, nil), http.StatusOK, field(id))
		if n, forms := strings.Count(body, `name="website"`), strings.Count(body, "<form "); n != forms {
			t.Errorf("%s: %d honeypot fields for %d forms", path, n, forms)
		}
	}
	css := e.do(http.MethodGet, "/static/style.css", nil).Body.String()
	if !strings.Contains(css, ".hp { position: absolute; left: -999rem;") {
		t.Error("the style sheet does not hide .hp")
	}
}

func TestHoneypot(t *testing.T) {
	e := newEnv(t)
	sameSite := []string{"Origin", "http://example.com", "Sec-Fetch-Site", "same-origin"}
	token := e.book("suivi", slotStart)
	manage := "/manage/" + token
	const later = "2026-12-01T10:00:00+01:00"

	tests := []struct {
		name   string
		target string
		form   url.Values
	}{
		{"book", "/book", bookForm("consultation", "2026-12-01T11:00:00+01:00", patientName, patientEmail, patientPhone)},
		{"confirm", manage + "/confirm", url.Values{}},
		{"reschedule", manage + "/reschedule", url.Values{"start": {later}}},
		{"cancel", manage + "/cancel", url.Values{}},
	}
	for _, tt := range tests {
		t.Run(tt.name+", filled", func(t *testing.T) {
			before, objects := e.store.count(), e.cal.Len()
			tt.form.Set("website", robotValue)
			w := e.postForm(tt.target, tt.form, sameSite...)
			wantPage(t, w, http.StatusBadRequest, "Formulaire non envoyé", "doit rester vide")
			if strings.Contains(w.Body.String(), robotValue) {
				t.Error("the page shows what the field held")
			}
			if e.store.count() != before || e.cal.Len() != objects || e.store.status(token) != booking.StatusPending {
				t.Error("a form with the honeypot filled changed something")
			}
		})
	}
	for _, tt := range tests {
		t.Run(tt.name+", empty", func(t *testing.T) {
			tt.form.Set("website", "")
			if w := e.postForm(tt.target, tt.form, sameSite...); w.Code != http.StatusSeeOther {
				t.Fatalf("POST %s = %d:\n%s", tt.target, w.Code, w.Body)
			}
		})
	}
	if st := e.store.status(token); st != booking.StatusCancelled {
		t.Errorf("after confirm, move and cancel: %s", st)
	}

	metrics := e.metricsText()
	if !strings.Contains(metrics, `rdv_bot_refused_total{check="honeypot",reason="filled"} 4`) {
		t.Errorf("metrics do not count the 4 refusals:\n%s", metrics)
	}
	if strings.Contains(metrics, robotValue) || strings.Contains(e.logs.String(), robotValue) {
		t.Error("metrics or logs hold what the field held")
	}
}
