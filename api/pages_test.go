package api

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/internal/bookingtest"
)

func wantPage(t *testing.T, w *httptest.ResponseRecorder, status int, contains ...string) string {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status = %d, want %d; body:\n%s", w.Code, status, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	csp := "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
	if strings.Contains(w.Body.String(), staticPath(t, "challenge.js")) {
		csp += "; script-src 'self'; connect-src 'self'"
	}
	for k, want := range map[string]string{
		"Content-Security-Policy": csp,
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "no-referrer",
	} {
		if got := w.Header().Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	body := w.Body.String()
	if !strings.Contains(body, `<html lang="fr">`) {
		t.Error(`the page is not <html lang="fr">`)
	}
	for _, c := range contains {
		if !strings.Contains(body, c) {
			t.Errorf("the page lacks %q:\n%s", c, body)
		}
	}
	return body
}

const (
	slotStart = "2026-12-01T09:00:00+01:00"
	bookPath  = "/book?practitioner=demo&start=2026-12-01T09%3A00%3A00%2B01%3A00&type=consultation"
)

func bookForm(typ, start, name, email, phone string) url.Values {
	return url.Values{"practitioner": {"demo"}, "type": {typ}, "start": {start}, "name": {name}, "email": {email}, "phone": {phone}}
}

func (e *env) postForm(target string, form url.Values, headers ...string) *httptest.ResponseRecorder {
	e.t.Helper()
	return e.do(http.MethodPost, target, strings.NewReader(form.Encode()),
		append([]string{"Content-Type", "application/x-www-form-urlencoded"}, headers...)...)
}

// book books through the form and returns the manage token.
func (e *env) book(typ, start string) string {
	e.t.Helper()
	w := e.postForm("/book", bookForm(typ, start, patientName, patientEmail, patientPhone),
		"Origin", "http://example.com", "Sec-Fetch-Site", "same-origin")
	if w.Code != http.StatusSeeOther {
		e.t.Fatalf("POST /book = %d:\n%s", w.Code, w.Body)
	}
	loc := w.Header().Get("Location")
	token, ok := strings.CutPrefix(loc, "/manage/")
	if !ok || !booking.ValidToken(token) {
		e.t.Fatalf("POST /book redirects to %q", loc)
	}
	if w.Header().Get("Cache-Control") != "no-store" || w.Header().Get("Referrer-Policy") != "no-referrer" {
		e.t.Errorf("redirect headers: %v", w.Header())
	}
	return token
}

func TestHomePage(t *testing.T) {
	e := newEnv(t)
	w := e.do(http.MethodGet, "/", nil)
	body := wantPage(t, w, http.StatusOK,
		"<h1>Prendre rendez-vous</h1>",
		"<h2>Dr Anne Martin</h2>",
		"Consultation", "(20 min)", "Suivi", "(30 min)", "12 rue des Lilas, Lyon",
		"<h4>lundi 30 novembre 2026</h4>", "<h4>mardi 1er décembre 2026</h4>", "<h4>vendredi 4 décembre 2026</h4>",
		`href="/book?practitioner=demo&amp;start=2026-12-01T09%3A00%3A00%2B01%3A00&amp;type=consultation"`,
		`aria-label="Réserver le mardi 1er décembre 2026 à 09:00"`,
		`href="/?from=2026-12-07&amp;p=demo&amp;type=consultation"`,
		`href="`+staticPath(t, "style.css")+`"`,
	)
	if strings.Contains(body, "samedi") || strings.Contains(body, "Semaine précédente") {
		t.Error("the page shows a closed day or a week before today")
	}

	// Next week of one type.
	w = e.do(http.MethodGet, "/?p=demo&type=consultation&from=2026-12-07", nil)
	body = wantPage(t, w, http.StatusOK, "<h4>lundi 7 décembre 2026</h4>", "Semaine précédente",
		`href="/?from=2026-11-30&amp;p=demo&amp;type=consultation"`, "Voir tous les praticiens")
	if strings.Contains(body, "30 novembre 2026</h4>") || strings.Contains(body, "Suivi") {
		t.Error("the next week page shows this week or another type")
	}

	// A booked slot is no longer offered.
	e.book("consultation", slotStart)
	body = wantPage(t, e.do(http.MethodGet, "/?p=demo&type=consultation", nil), http.StatusOK)
	if strings.Contains(body, "start=2026-12-01T09%3A00%3A00%2B01%3A00") {
		t.Error("the booked slot is still offered")
	}

	wantPage(t, e.do(http.MethodGet, "/?p=nobody", nil), http.StatusNotFound, "Praticien introuvable")
	wantPage(t, e.do(http.MethodGet, "/?p=demo&type=chirurgie", nil), http.StatusNotFound, "Motif introuvable")
	wantPage(t, e.do(http.MethodGet, "/?from=hier", nil), http.StatusUnprocessableEntity, "Date invalide")
}

func TestStyleSheet(t *testing.T) {
	e := newEnv(t)
	w := e.do(http.MethodGet, "/static/style.css", nil)
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/css") {
		t.Fatalf("GET /static/style.css = %d %q", w.Code, w.Header().Get("Content-Type"))
	}
	if css := w.Body.String(); strings.Contains(css, "http") || strings.Contains(css, "@import") || strings.Contains(css, "url(") {
		t.Error("the style sheet loads something")
	}
}

func TestHomePageCalendarUnavailable(t *testing.T) {
	e := newEnv(t)
	setBusyErr(e.cal, booking.WrapError(booking.EUnavailable, errors.New("dial tcp secret-host:443: i/o timeout"), "the calendar can't be reached"))
	body := wantPage(t, e.do(http.MethodGet, "/", nil), http.StatusServiceUnavailable, "Agenda momentanément indisponible")
	if strings.Contains(body, "secret-host") || strings.Contains(body, "can't be reached") {
		t.Errorf("the page shows the cause:\n%s", body)
	}
}

func TestBookPage(t *testing.T) {
	e := newEnv(t)
	w := e.do(http.MethodGet, bookPath, nil)
	wantPage(t, w, http.StatusOK,
		"Dr Anne Martin", "Consultation", "mardi 1er décembre 2026 à 09:00",
		`<form method="post" action="/book">`,
		`<label for="name">`, `<input id="name" name="name" type="text" autocomplete="name" required`,
		`<label for="email">`, `<input id="email" name="email" type="email"`,
		`<label for="phone">`, `<input id="phone" name="phone" type="tel"`,
		`<input type="hidden" name="start" value="2026-12-01T09:00:00&#43;01:00">`,
		`<button type="submit">`,
	)
	if e.cal.Calls(bookingtest.OpCreate) != 0 {
		t.Error("GET /book booked")
	}
	wantPage(t, e.do(http.MethodGet, "/book?practitioner=demo&type=chirurgie&start=x", nil), http.StatusNotFound, "Créneau introuvable")
	wantPage(t, e.do(http.MethodGet, "/book?practitioner=demo&type=consultation&start=demain", nil), http.StatusUnprocessableEntity, "Créneau invalide")

	// Book, then see the booking.
	token := e.book("consultation", slotStart)
	if e.store.status(token) != booking.StatusConfirmed || e.cal.Len() != 1 {
		t.Fatalf("status %q, %d events after booking", e.store.status(token), e.cal.Len())
	}
	w = e.do(http.MethodGet, "/manage/"+token, nil)
	body := wantPage(t, w, http.StatusOK, "<h1>Votre rendez-vous</h1>", "Dr Anne Martin", "mardi 1er décembre 2026 à 09:00",
		"confirmé", patientName,
		`<form method="post" action="/manage/`+token+`/cancel">`, `<button type="submit" class="secondary">Annuler le rendez-vous</button>`)
	if strings.Contains(body, "/confirm") {
		t.Error("a confirmed booking offers to confirm")
	}
	if w.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control = %q", w.Header().Get("Cache-Control"))
	}

	// The slot is taken: booking it again is a conflict.
	w = e.postForm("/book", bookForm("consultation", slotStart, "Pierre Curie", "pierre@example.org", ""))
	wantPage(t, w, http.StatusConflict, "Ce créneau vient d&#39;être pris", `href="/?p=demo&amp;type=consultation"`)
	if e.store.count() != 1 {
		t.Errorf("%d bookings", e.store.count())
	}
}

func TestBookPageInvalid(t *testing.T) {
	tests := []struct {
		name   string
		form   url.Values
		field  string
		detail string
	}{
		{"email without @", bookForm("consultation", slotStart, patientName, "marie.example.org", ""), "email", "L&#39;adresse e-mail n&#39;est pas valide"},
		{"no name", bookForm("consultation", slotStart, "  ", patientEmail, ""), "name", "Indiquez votre nom."},
		{"name with a line break", bookForm("consultation", slotStart, "Marie\r\nCurie", patientEmail, ""), "name", "Le nom ne peut contenir que des lettres"},
		{"name with a link", bookForm("consultation", slotStart, "evil.example/login", patientEmail, ""), "name", "ni chiffres, ni @, / ou :"},
		{"name not UTF-8", bookForm("consultation", slotStart, "Marie\xffCurie", patientEmail, ""), "name", "Le nom ne peut contenir que des lettres"},
		{"email with ?cc=", bookForm("consultation", slotStart, patientName, "a?cc=x@example.org", ""), "email", "les adresses avec des accents"},
		{"bad phone", bookForm("consultation", slotStart, patientName, patientEmail, "appelez-moi"), "phone", "numéro de téléphone"},
		{"not a slot", bookForm("consultation", "2026-12-01T09:10:00+01:00", patientName, patientEmail, ""), "", "plus proposé"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			w := e.postForm("/book", tt.form)
			body := wantPage(t, w, http.StatusUnprocessableEntity, tt.detail, `role="alert"`, `<form method="post" action="/book">`)
			if tt.field != "" && !strings.Contains(body, `id="`+tt.field+`"`) {
				t.Errorf("no field %s", tt.field)
			}
			if tt.field != "" {
				i := strings.Index(body, `<input id="`+tt.field+`"`)
				if j := strings.Index(body[i:], ">"); !strings.Contains(body[i:i+j], `aria-invalid="true"`) {
					t.Errorf("field %s is not marked invalid", tt.field)
				}
			}
			// What was typed is kept.
			if v := tt.form.Get("email"); !strings.Contains(body, `value="`+v+`"`) {
				t.Errorf("the email field does not keep %q", v)
			}
			if e.cal.Calls(bookingtest.OpCreate) != 0 || e.store.Calls(bookingtest.OpRecordCreate) != 0 {
				t.Error("an invalid form reached the calendar or the store")
			}
		})
	}
}

func TestManagePage(t *testing.T) {
	e := newEnv(t)
	token := e.book("suivi", "2026-12-02T14:30:00+01:00")
	manage := "/manage/" + token
	body := wantPage(t, e.do(http.MethodGet, manage, nil), http.StatusOK, "en attente de votre confirmation", "12 rue des Lilas, Lyon",
		`<form method="post" action="`+manage+`/confirm">`, `<form method="post" action="`+manage+`/cancel">`)
	_ = body

	// GETs never change anything.
	for _, p := range []string{manage, manage + "/confirm", manage + "/cancel"} {
		e.do(http.MethodGet, p, nil)
	}
	if e.store.status(token) != booking.StatusPending || e.cal.Calls(bookingtest.OpUpdate) != 0 {
		t.Fatalf("a GET changed the booking: %s, %d updates", e.store.status(token), e.cal.Calls(bookingtest.OpUpdate))
	}
	wantPage(t, e.do(http.MethodGet, manage+"/cancel", nil), http.StatusMethodNotAllowed)

	// Confirm, then cancel.
	w := e.postForm(manage+"/confirm", nil, "Sec-Fetch-Site", "same-origin")
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != manage {
		t.Fatalf("confirm = %d → %q", w.Code, w.Header().Get("Location"))
	}
	if e.store.status(token) != booking.StatusConfirmed {
		t.Errorf("status = %s after confirm", e.store.status(token))
	}
	w = e.postForm(manage+"/cancel", nil, "Origin", "http://example.com")
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != manage {
		t.Fatalf("cancel = %d → %q", w.Code, w.Header().Get("Location"))
	}
	if e.store.status(token) != booking.StatusCancelled {
		t.Errorf("status = %s after cancel", e.store.status(token))
	}
	body = wantPage(t, e.do(http.MethodGet, manage, nil), http.StatusOK, "annulé", "Prendre un autre rendez-vous")
	if strings.Contains(body, "<form") {
		t.Error("a cancelled booking still has forms")
	}
	// Confirming a cancelled booking is refused.
	wantPage(t, e.postForm(manage+"/confirm", nil), http.StatusConflict, "Action impossible", `href="`+manage+`"`)

	wantPage(t, e.do(http.MethodGet, "/manage/"+booking.NewToken(), nil), http.StatusNotFound, "Rendez-vous introuvable")
	wantPage(t, e.do(http.MethodGet, "/manage/nope", nil), http.StatusNotFound, "Rendez-vous introuvable")
	if strings.Contains(e.logs.String(), token) {
		t.Error("the logs contain the token")
	}
	if !strings.Contains(e.logs.String(), "route=/manage/{token}/cancel") {
		t.Error("the logs lack the route pattern")
	}
}

func TestCrossSitePost(t *testing.T) {
	e := newEnv(t)
	token := e.book("consultation", slotStart)
	tests := []struct {
		name    string
		headers []string
	}{
		{"Sec-Fetch-Site cross-site", []string{"Sec-Fetch-Site", "cross-site"}},
		{"Origin of another host", []string{"Origin", "https://evil.example"}},
		{"null Origin", []string{"Origin", "null"}},
		{"null Origin, same site", []string{"Origin", "null", "Sec-Fetch-Site", "same-site"}},
		{"a sibling subdomain", []string{"Sec-Fetch-Site", "same-site", "Origin", "https://evil.example.org"}},
		{"another host, no Fetch Metadata", []string{"Origin", "http://example.com.evil.example"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantPage(t, e.postForm("/book", bookForm("consultation", "2026-12-01T10:00:00+01:00", patientName, patientEmail, ""), tt.headers...),
				http.StatusForbidden, "Requête refusée")
			wantPage(t, e.postForm("/manage/"+token+"/cancel", nil, tt.headers...), http.StatusForbidden)
		})
	}
	if e.store.count() != 1 || e.store.status(token) != booking.StatusConfirmed {
		t.Errorf("a cross-site post changed something: %d bookings, %s", e.store.count(), e.store.status(token))
	}
}

func TestPageNoRoute(t *testing.T) {
	e := newEnv(t)
	wantPage(t, e.do(http.MethodGet, "/nothing", nil), http.StatusNotFound, "Page introuvable")
	w := e.do(http.MethodPost, "/", nil)
	wantPage(t, w, http.StatusMethodNotAllowed)
	if w.Header().Get("Allow") != "GET" {
		t.Errorf("Allow = %q", w.Header().Get("Allow"))
	}
}

func TestFormTooLarge(t *testing.T) {
	e := newEnv(t)
	form := bookForm("consultation", slotStart, strings.Repeat("a", 10<<20), patientEmail, "")
	wantPage(t, e.postForm("/book", form), http.StatusRequestEntityTooLarge)
	if e.cal.Calls(bookingtest.OpCreate) != 0 {
		t.Error("booked")
	}
}

func TestBasePath(t *testing.T) {
	e := newEnv(t)
	srv, err := New(Config{Service: e.svc, BaseURL: "https://example.org/rdv/", Logger: e.srv.log, Now: e.srv.now})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = srv
	wantPage(t, e.do(http.MethodGet, "/", nil), http.StatusOK, `href="/rdv`+staticPath(t, "style.css")+`"`, `href="/rdv/book?`)
	w := e.postJSON("/v1/bookings", bookingBody("consultation", slotStart))
	if w.Code != http.StatusCreated {
		t.Fatalf("status = %d", w.Code)
	}
	m := decode(t, w)
	if !strings.HasPrefix(m["manage_url"].(string), "https://example.org/rdv/manage/") {
		t.Errorf("manage_url = %v", m["manage_url"])
	}

	for _, bad := range []string{"", "rdv.example.org", "ftp://example.org", "https://example.org/?a=b", "/rdv"} {
		if _, err := New(Config{Service: e.svc, BaseURL: bad}); err == nil {
			t.Errorf("BaseURL %q accepted", bad)
		}
	}
	if _, err := New(Config{BaseURL: baseURL}); err == nil {
		t.Error("no service accepted")
	}
}
