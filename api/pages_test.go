package api

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/internal/bookingtest"
)

func wantPage(t *testing.T, w *httptest.ResponseRecorder, status int, contains ...string) string {
	t.Helper()
	return wantPageLang(t, w, status, "fr", contains...)
}

// wantPageLang checks an HTML page of status in language lang holding each
// of contains.
func wantPageLang(t *testing.T, w *httptest.ResponseRecorder, status int, lang string, contains ...string) string {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status = %d, want %d; body:\n%s", w.Code, status, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	csp := pageCSP
	if strings.Contains(w.Body.String(), staticPath(t, "challenge.js")) {
		csp += challengeCSP
	}
	csp += "; frame-ancestors 'none'"
	for k, want := range map[string]string{
		"Content-Security-Policy": csp,
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "no-referrer",
		"X-Frame-Options":         "DENY",
		"Content-Language":        lang,
	} {
		if got := w.Header().Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	body := w.Body.String()
	if !strings.Contains(body, `<html lang="`+lang+`">`) {
		t.Errorf(`the page is not <html lang="%s">`, lang)
	}
	for _, c := range contains {
		if !strings.Contains(body, c) {
			t.Errorf("the page lacks %q:\n%s", c, body)
		}
	}
	return body
}

// tokenOf returns the token of a manage page's address.
func tokenOf(t testing.TB, loc string) string {
	t.Helper()
	path, _, _ := strings.Cut(loc, "?")
	token, ok := strings.CutPrefix(path, "/manage/")
	if !ok || !booking.ValidToken(token) {
		t.Fatalf("not a manage page: %q", loc)
	}
	return token
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
	if !strings.HasSuffix(loc, "?done=booked") {
		e.t.Errorf("POST /book redirects to %q, want the booking's page saying it is booked", loc)
	}
	token := tokenOf(e.t, loc)
	if w.Header().Get("Cache-Control") != "no-store" || w.Header().Get("Referrer-Policy") != "no-referrer" {
		e.t.Errorf("redirect headers: %v", w.Header())
	}
	return token
}

// TestSteps walks the steps of a booking: the practice page and the
// practitioner page lead straight on when there is one choice; the day
// step shows the month, the first free day chosen.
func TestSteps(t *testing.T) {
	e := newEnv(t)
	for path, want := range map[string]string{
		"/":                          "/p/demo",
		"/?p=demo&type=consultation": "/p/demo/consultation", // the former slots page
	} {
		w := e.do(http.MethodGet, path, nil)
		if w.Code != http.StatusFound || w.Header().Get("Location") != want {
			t.Errorf("GET %s = %d → %q, want 302 → %s", path, w.Code, w.Header().Get("Location"), want)
		}
	}
	body := wantPage(t, e.do(http.MethodGet, "/p/demo", nil), http.StatusOK,
		"<h1>Dr Anne Martin</h1>", `href="/p/demo/consultation"`, `href="/p/demo/suivi"`, "20 min", "30 min · 12 rue des Lilas, Lyon",
		"<title>Dr Anne Martin · Prise de rendez-vous</title>")
	if strings.Contains(body, `aria-label="Fil d&#39;Ariane"`) {
		t.Error("a breadcrumb back to a step that had one choice")
	}

	body = wantPage(t, e.do(http.MethodGet, "/p/demo/consultation", nil), http.StatusOK,
		"<caption>novembre 2026</caption>",
		`<a class="day free selected today" href="/p/demo/consultation?day=2026-11-30" aria-current="date">`,
		`<span class="vh">samedi 28 novembre 2026, passé</span>`,
		"Heures libres le lundi 30 novembre 2026",
		`href="/book?practitioner=demo&amp;start=2026-11-30T09%3A00%3A00%2B01%3A00&amp;type=consultation">09:00<span class="vh"> — Réserver le lundi 30 novembre 2026 à 09:00</span>`,
		`href="/p/demo/consultation?month=2026-12" rel="next"`,
		"Heures indiquées en heure de Paris.", "Les rendez-vous s&#39;ouvrent 60 jours à l&#39;avance.",
		`<li><a href="/p/demo">Dr Anne Martin</a></li>`,
		"<title>Consultation — lundi 30 novembre 2026 · Prise de rendez-vous</title>",
	)
	if strings.Contains(body, "Mois précédent") {
		t.Error("a month before today is offered")
	}

	// Another day, a closed day, the next month.
	wantPage(t, e.do(http.MethodGet, "/p/demo/consultation?day=2026-12-04", nil), http.StatusOK,
		"<caption>décembre 2026</caption>", "Heures libres le vendredi 4 décembre 2026", "16:40<span",
		`<span class="vh">samedi 5 décembre 2026, fermé</span>`, `href="/p/demo/consultation?month=2026-11" rel="prev"`)
	wantPage(t, e.do(http.MethodGet, "/p/demo/consultation?day=2026-12-05", nil), http.StatusOK,
		"Le cabinet est fermé ce jour-là.", `<p class="next"><a href="/p/demo/consultation?day=2026-12-07">Prochaine disponibilité : lundi 7 décembre</a>`)
	wantPage(t, e.do(http.MethodGet, "/p/demo/consultation?month=2026-12", nil), http.StatusOK,
		"<caption>décembre 2026</caption>", "Heures libres le mardi 1er décembre 2026")
	// Beyond the horizon (60 days): January's end is not open yet, and no
	// month after January is offered.
	body = wantPage(t, e.do(http.MethodGet, "/p/demo/consultation?month=2027-01", nil), http.StatusOK,
		"<caption>janvier 2027</caption>", `<span class="vh">samedi 30 janvier 2027, pas encore ouvert</span>`)
	if strings.Contains(body, "Mois suivant") {
		t.Error("a month past the horizon is offered")
	}

	// A booked slot is no longer offered.
	e.book("consultation", slotStart)
	body = wantPage(t, e.do(http.MethodGet, "/p/demo/consultation?day=2026-12-01", nil), http.StatusOK)
	if strings.Contains(body, "start=2026-12-01T09%3A00%3A00%2B01%3A00") {
		t.Error("the booked slot is still offered")
	}

	wantPage(t, e.do(http.MethodGet, "/p/nobody", nil), http.StatusNotFound, "Praticien introuvable")
	wantPage(t, e.do(http.MethodGet, "/p/demo/chirurgie", nil), http.StatusNotFound, "Motif introuvable")
	wantPage(t, e.do(http.MethodGet, "/p/demo/consultation?day=hier", nil), http.StatusUnprocessableEntity, "Date invalide")
	wantPage(t, e.do(http.MethodGet, "/p/demo/consultation?month=2026-13", nil), http.StatusUnprocessableEntity, "Date invalide")
}

// TestPracticePage lists the practitioners and their motives; an unlisted
// motive is reached by its own link only.
func TestPracticePage(t *testing.T) {
	e := newEnv(t)
	p := demoPractitioner()
	p.ID, p.Name = "kine", "Paul Durand"
	p.Types = []booking.AppointmentType{
		{ID: "seance", Name: "Séance de kinésithérapie", Duration: 30 * time.Minute},
		{ID: "bilan", Name: "Bilan post-opératoire", Duration: 45 * time.Minute, Unlisted: true},
	}
	if err := e.svc.AddPractitioner(p, newFakeCalendar()); err != nil {
		t.Fatal(err)
	}
	body := wantPage(t, e.do(http.MethodGet, "/", nil), http.StatusOK,
		"<h1>Prendre rendez-vous</h1>", `href="/p/demo"`, "Consultation · Suivi", `href="/p/kine"`, "Séance de kinésithérapie")
	if strings.Contains(body, "Bilan") {
		t.Error("the practice page lists an unlisted motive")
	}
	// One listed motive: straight to it.
	if w := e.do(http.MethodGet, "/p/kine", nil); w.Header().Get("Location") != "/p/kine/seance" {
		t.Errorf("/p/kine sends to %q", w.Header().Get("Location"))
	}
	wantPage(t, e.do(http.MethodGet, "/p/kine/bilan", nil), http.StatusOK, "Bilan post-opératoire",
		`<li><a href="/">Accueil</a></li>`, `<li><a href="/p/kine">Paul Durand</a></li>`)
}

// TestPracticeIdentity shows the practice's name, logo, colour, contact
// and legal pages, all served by rdv itself.
func TestPracticeIdentity(t *testing.T) {
	logo := []byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10"/></svg>`)
	e := newEnvConfig(t, func(c *Config) {
		c.Practice = Practice{
			Name: "Cabinet des Tilleuls", Logo: logo, LogoType: "image/svg+xml", Color: "#0b4f8a",
			Phone: "01 23 45 67 89", Address: "3 place des Tilleuls, 69001 Lyon",
			LegalURL: "https://tilleuls.example/mentions", PrivacyURL: "https://tilleuls.example/donnees",
			AccessibilityURL: "https://tilleuls.example/accessibilite",
		}
	})
	body := wantPage(t, e.do(http.MethodGet, "/p/demo", nil), http.StatusOK,
		"<title>Dr Anne Martin · Cabinet des Tilleuls</title>", "<span>Cabinet des Tilleuls</span>",
		`<a href="tel:0123456789">01 23 45 67 89</a>`,
		`href="https://www.openstreetmap.org/search?query=3&#43;place&#43;des&#43;Tilleuls%2C&#43;69001&#43;Lyon"`,
		`href="https://tilleuls.example/mentions"`, "Mentions légales", "Données personnelles", "Accessibilité")
	var logoPath, themePath string
	for _, m := range []struct {
		prefix string
		dst    *string
	}{{`<img src="`, &logoPath}, {`<link rel="stylesheet" href="/static/theme-`, &themePath}} {
		i := strings.Index(body, m.prefix)
		if i < 0 {
			t.Fatalf("no %s in the page", m.prefix)
		}
		rest := body[i+len(m.prefix):]
		v := rest[:strings.IndexByte(rest, '"')]
		if m.dst == &themePath {
			v = "/static/theme-" + v
		}
		*m.dst = v
	}
	w := e.do(http.MethodGet, logoPath, nil)
	if w.Code != http.StatusOK || w.Body.String() != string(logo) || w.Header().Get("Content-Type") != "image/svg+xml" ||
		!strings.Contains(w.Header().Get("Cache-Control"), "immutable") {
		t.Errorf("GET %s = %d %v", logoPath, w.Code, w.Header())
	}
	if w := e.do(http.MethodGet, themePath, nil); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "--brand:#0b4f8a") {
		t.Errorf("GET %s = %d %q", themePath, w.Code, w.Body)
	}

	for _, bad := range []Practice{
		{Color: "#ffff00"}, // white on yellow can't be read
		{Color: "#767676"}, // 4.5:1 with white, but the free days are this colour on light grey
		{Color: "blue"},
		{LegalURL: "javascript:alert(1)"},
		{Logo: []byte("x"), LogoType: "text/html"},
		{FrameAncestors: []string{"*"}},
	} {
		if _, err := New(Config{Service: e.svc, BaseURL: baseURL, Practice: bad}); err == nil {
			t.Errorf("practice %+v accepted", bad)
		}
	}
}

// TestFrameAncestors lets the configured sites frame the pages, and no
// other.
func TestFrameAncestors(t *testing.T) {
	e := newEnvConfig(t, func(c *Config) { c.Practice.FrameAncestors = []string{"https://www.cabinet.example"} })
	w := e.do(http.MethodGet, "/p/demo", nil, "Sec-Fetch-Dest", "iframe")
	if csp := w.Header().Get("Content-Security-Policy"); !strings.HasSuffix(csp, "; frame-ancestors https://www.cabinet.example") {
		t.Errorf("CSP = %q", csp)
	}
	if w.Header().Get("X-Frame-Options") != "" {
		t.Error("X-Frame-Options forbids the framing the configuration allows")
	}
	if !strings.Contains(w.Body.String(), `<body class="embedded">`) {
		t.Error("in an iframe, the page is not in its embedded form")
	}
	// The language switch stays: the cookie may be blocked in a frame,
	// and the switch then works page by page.
	if body := w.Body.String(); strings.Contains(body, `class="brand"`) || !strings.Contains(body, `hreflang="en">English</a>`) {
		t.Errorf("in an iframe, the page has the brand or lacks the language switch:\n%s", body)
	}
	css := e.do(http.MethodGet, staticPath(t, "style.css"), nil).Body.String()
	if regexp.MustCompile(`body\.embedded header\.site[^{]*\{[^}]*display:\s*none`).MatchString(css) {
		t.Error("the style sheet hides the header, and the language switch, in a frame")
	}
}

// TestLanguage serves the pages in English from Accept-Language or the
// switch, remembered in a cookie.
func TestLanguage(t *testing.T) {
	e := newEnv(t)
	body := wantPageLang(t, e.do(http.MethodGet, "/p/demo/consultation?day=2026-12-01", nil, "Accept-Language", "en-GB,en;q=0.8,fr;q=0.5"), http.StatusOK, "en",
		"Free times on Tuesday 1 December 2026", "Times are Paris time.", "Appointments open 60 days ahead.",
		"<caption>December 2026</caption>", `<a href="/p/demo/consultation?day=2026-12-01&amp;lang=fr" lang="fr" hreflang="fr">Français</a>`,
		`<abbr title="Monday">Mon</abbr>`, "Book Tuesday 1 December 2026 at 09:00")
	if strings.Contains(body, "décembre") {
		t.Error("French in the English page")
	}
	// The switch sets the cookie.
	w := e.do(http.MethodGet, "/p/demo?lang=en", nil)
	wantPageLang(t, w, http.StatusOK, "en", "What for?")
	c := w.Result().Cookies()
	if len(c) != 1 || c[0].Name != langCookie || c[0].Value != "en" || !c[0].HttpOnly || !c[0].Secure || c[0].SameSite != http.SameSiteLaxMode {
		t.Fatalf("cookies = %v", c)
	}
	wantPageLang(t, e.do(http.MethodGet, "/p/demo", nil, "Cookie", langCookie+"=en", "Accept-Language", "fr"), http.StatusOK, "en")
	wantPageLang(t, e.do(http.MethodGet, "/nothing", nil, "Cookie", langCookie+"=en"), http.StatusNotFound, "en", "Page not found")
	wantPageLang(t, e.do(http.MethodGet, "/p/demo", nil, "Cookie", langCookie+"=de"), http.StatusOK, "fr")

	// A booking made in English has English pages, whatever the browser.
	w = e.postForm("/book", bookForm("suivi", "2026-12-02T14:30:00+01:00", patientName, patientEmail, ""), "Accept-Language", "en")
	token := tokenOf(t, w.Header().Get("Location"))
	wantPageLang(t, e.do(http.MethodGet, "/manage/"+token+"?done=booked", nil, "Accept-Language", "fr"), http.StatusOK, "en",
		"Your appointment is booked: please confirm it", "We sent an email to m***e@example.org",
		"Wednesday 2 December 2026 at 14:30", "waiting for your confirmation", "Paris time")
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

func TestDaysPageCalendarUnavailable(t *testing.T) {
	e := newEnv(t)
	setBusyErr(e.cal, booking.WrapError(booking.EUnavailable, errors.New("dial tcp secret-host:443: i/o timeout"), "the calendar can't be reached"))
	body := wantPage(t, e.do(http.MethodGet, "/p/demo/consultation", nil), http.StatusServiceUnavailable,
		"ne répond pas pour le moment", "<title>Erreur\u00a0: Consultation")
	if strings.Contains(body, "secret-host") || strings.Contains(body, "can't be reached") {
		t.Errorf("the page shows the cause:\n%s", body)
	}
}

func TestBookPage(t *testing.T) {
	e := newEnv(t)
	w := e.do(http.MethodGet, bookPath, nil)
	wantPage(t, w, http.StatusOK,
		"Dr Anne Martin", "Consultation", "mardi 1er décembre 2026 à 09:00", "(heure de Paris)",
		`<form method="post" action="/book" novalidate>`,
		`<label for="name">`, `<input id="name" name="name" type="text" autocomplete="name" required`,
		`<label for="email">`, `<input id="email" name="email" type="email"`,
		`<label for="phone">`, `<input id="phone" name="phone" type="tel"`,
		`<input type="hidden" name="start" value="2026-12-01T09:00:00&#43;01:00">`,
		`<input type="hidden" name="lang" value="fr">`,
		`<button type="submit">`, `href="/p/demo/consultation?day=2026-12-01">Choisir un autre créneau`,
		"<title>Vos coordonnées · Prise de rendez-vous</title>",
	)
	if e.cal.Calls(bookingtest.OpCreate) != 0 {
		t.Error("GET /book booked")
	}
	wantPage(t, e.do(http.MethodGet, "/book?practitioner=demo&type=chirurgie&start=x", nil), http.StatusNotFound, "Créneau introuvable")
	wantPage(t, e.do(http.MethodGet, "/book?practitioner=demo&type=consultation&start=demain", nil), http.StatusUnprocessableEntity, "Créneau invalide")

	// Book, then see the booking: what was sent, and the link to keep.
	token := e.book("consultation", slotStart)
	if e.store.status(token) != booking.StatusConfirmed || e.cal.Len() != 1 {
		t.Fatalf("status %q, %d events after booking", e.store.status(token), e.cal.Len())
	}
	w = e.do(http.MethodGet, "/manage/"+token+"?done=booked", nil)
	body := wantPage(t, w, http.StatusOK, `<h1 id="bandeau">Votre rendez-vous est réservé</h1>`,
		"Nous avons envoyé un e-mail à m***e@example.org", "courriers indésirables",
		`<a href="`+baseURL+`/manage/`+token+`">`, "Dr Anne Martin", "mardi 1er décembre 2026 à 09:00",
		"confirmé", patientName, `href="/manage/`+token+`/event.ics"`,
		`href="/manage/`+token+`/cancel">Annuler le rendez-vous</a>`, `href="/manage/`+token+`/move">Déplacer le rendez-vous</a>`)
	if strings.Contains(body, "/confirm") || strings.Contains(body, patientEmail) {
		t.Error("a confirmed booking offers to confirm, or its page shows the whole email address")
	}
	if w.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control = %q", w.Header().Get("Cache-Control"))
	}
	// The link is shown after booking only.
	if body := wantPage(t, e.do(http.MethodGet, "/manage/"+token, nil), http.StatusOK); strings.Contains(body, "bandeau") || strings.Contains(body, "m***e@") {
		t.Error("the booking's page repeats the notice of a new booking")
	}

	// The slot is taken: booking it again is a conflict.
	w = e.postForm("/book", bookForm("consultation", slotStart, "Pierre Curie", "pierre@example.org", ""))
	wantPage(t, w, http.StatusConflict, "Ce créneau vient d&#39;être pris", `href="/p/demo/consultation?day=2026-12-01"`)
	if e.store.count() != 1 {
		t.Errorf("%d bookings", e.store.count())
	}
}

// TestEventICS serves the patient's copy of the booking as a file to add
// to a calendar.
func TestEventICS(t *testing.T) {
	e := newEnv(t)
	token := e.book("consultation", slotStart)
	w := e.do(http.MethodGet, "/manage/"+token+"/event.ics", nil)
	body := w.Body.String()
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "text/calendar; charset=utf-8" ||
		!strings.HasPrefix(w.Header().Get("Content-Disposition"), "attachment;") {
		t.Fatalf("GET event.ics = %d %v", w.Code, w.Header())
	}
	for _, want := range []string{"METHOD:PUBLISH", "DTSTART;TZID=Europe/Paris:20261201T090000", "SUMMARY:Rendez-vous — Dr Anne Martin", "BEGIN:VTIMEZONE"} {
		if !strings.Contains(body, want) {
			t.Errorf("event.ics lacks %q:\n%s", want, body)
		}
	}
	for _, no := range []string{"ATTENDEE", "Consultation", patientPhone} {
		if strings.Contains(body, no) {
			t.Errorf("event.ics holds %q", no)
		}
	}
	if w := e.do(http.MethodGet, "/manage/"+booking.NewToken()+"/event.ics", nil); w.Code != http.StatusNotFound {
		t.Errorf("unknown token: %d", w.Code)
	}
}

func TestBookPageInvalid(t *testing.T) {
	tests := []struct {
		name   string
		form   url.Values
		fields []string // the fields marked, in the summary's order
		detail string
	}{
		{"email without @", bookForm("consultation", slotStart, patientName, "marie.example.org", ""), []string{"email"}, "L&#39;adresse e-mail n&#39;est pas valide"},
		{"no name", bookForm("consultation", slotStart, "  ", patientEmail, ""), []string{"name"}, "Indiquez votre nom."},
		{"name with a line break", bookForm("consultation", slotStart, "Marie\r\nCurie", patientEmail, ""), []string{"name"}, "Le nom ne peut contenir que des lettres"},
		{"name with a link", bookForm("consultation", slotStart, "evil.example/login", patientEmail, ""), []string{"name"}, "ni chiffres, ni @, / ou\u00a0:"},
		{"name not UTF-8", bookForm("consultation", slotStart, "Marie\xffCurie", patientEmail, ""), []string{"name"}, "Le nom ne peut contenir que des lettres"},
		{"email with ?cc=", bookForm("consultation", slotStart, patientName, "a?cc=x@example.org", ""), []string{"email"}, "les adresses avec des accents"},
		{"bad phone", bookForm("consultation", slotStart, patientName, patientEmail, "appelez-moi"), []string{"phone"}, "numéro de téléphone"},
		{"all three wrong", bookForm("consultation", slotStart, "", "x", "abc"), []string{"name", "email", "phone"}, "Indiquez votre nom."},
		{"not a slot", bookForm("consultation", "2026-12-01T09:10:00+01:00", patientName, patientEmail, ""), nil, "plus proposé"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			w := e.postForm("/book", tt.form)
			body := wantPage(t, w, http.StatusUnprocessableEntity, tt.detail,
				`<div class="error-summary" tabindex="-1" autofocus aria-labelledby="erreurs">`,
				`<form method="post" action="/book" novalidate>`, "<title>Erreur\u00a0: Vos coordonnées")
			last := 0
			for _, f := range tt.fields {
				i := strings.Index(body, `<li><a href="#`+f+`">`)
				if i < last {
					t.Errorf("the summary does not link to field %s in order", f)
				}
				last = i
				j := strings.Index(body, `<input id="`+f+`"`)
				if j < 0 {
					t.Fatalf("no field %s", f)
				}
				tag := body[j : j+strings.Index(body[j:], ">")]
				if !strings.Contains(tag, `aria-invalid="true"`) || !strings.Contains(tag, f+`-error`) {
					t.Errorf("field %s is not marked invalid with its message: %s", f, tag)
				}
				if !strings.Contains(body, `<p class="field-error" id="`+f+`-error">`) {
					t.Errorf("field %s has no message of its own", f)
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
	wantPage(t, e.do(http.MethodGet, manage, nil), http.StatusOK, "en attente de votre confirmation", "12 rue des Lilas, Lyon",
		`<form method="post" action="`+manage+`/confirm">`, `href="`+manage+`/cancel"`)

	// GETs never change anything: the cancel step asks first.
	wantPage(t, e.do(http.MethodGet, manage+"/cancel", nil), http.StatusOK, "<h1>Annuler le rendez-vous</h1>",
		`<form method="post" action="`+manage+`/cancel">`, "Oui, annuler le rendez-vous", `href="`+manage+`">Non, garder le rendez-vous`)
	for _, p := range []string{manage, manage + "/confirm", manage + "/cancel", manage + "/move", manage + "/event.ics"} {
		e.do(http.MethodGet, p, nil)
	}
	if e.store.status(token) != booking.StatusPending || e.cal.Calls(bookingtest.OpUpdate) != 0 {
		t.Fatalf("a GET changed the booking: %s, %d updates", e.store.status(token), e.cal.Calls(bookingtest.OpUpdate))
	}
	wantPage(t, e.do(http.MethodGet, manage+"/confirm", nil), http.StatusMethodNotAllowed)

	// Confirm, then cancel: each says what was done.
	w := e.postForm(manage+"/confirm", nil, "Sec-Fetch-Site", "same-origin")
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != manage+"?done=confirmed" {
		t.Fatalf("confirm = %d → %q", w.Code, w.Header().Get("Location"))
	}
	if e.store.status(token) != booking.StatusConfirmed {
		t.Errorf("status = %s after confirm", e.store.status(token))
	}
	wantPage(t, e.do(http.MethodGet, manage+"?done=confirmed", nil), http.StatusOK, "Votre rendez-vous est confirmé.")
	w = e.postForm(manage+"/cancel", nil, "Origin", "http://example.com")
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != manage+"?done=cancelled" {
		t.Fatalf("cancel = %d → %q", w.Code, w.Header().Get("Location"))
	}
	if e.store.status(token) != booking.StatusCancelled {
		t.Errorf("status = %s after cancel", e.store.status(token))
	}
	body := wantPage(t, e.do(http.MethodGet, manage+"?done=cancelled", nil), http.StatusOK,
		"Votre rendez-vous est annulé et le créneau libéré.", "annulé", "Prendre un autre rendez-vous")
	if strings.Contains(body, "<form") || strings.Contains(body, "event.ics") {
		t.Error("a cancelled booking still has forms, or a file to add to a calendar")
	}
	// The file stays served, for a patient who added the visit to their
	// calendar: importing it again marks the same event (same UID, later
	// SEQUENCE) cancelled.
	if w := e.do(http.MethodGet, manage+"/event.ics", nil); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "STATUS:CANCELLED") || !strings.Contains(w.Body.String(), "TRANSP:TRANSPARENT") {
		t.Errorf("event.ics of a cancelled booking = %d:\n%s", w.Code, w.Body)
	}
	// Confirming a cancelled booking is refused; so is the cancel step.
	wantPage(t, e.postForm(manage+"/confirm", nil), http.StatusConflict, "Action impossible", `href="`+manage+`"`)
	wantPage(t, e.do(http.MethodGet, manage+"/cancel", nil), http.StatusConflict, "Action impossible")

	wantPage(t, e.do(http.MethodGet, "/manage/"+booking.NewToken(), nil), http.StatusNotFound, "Rendez-vous introuvable")
	wantPage(t, e.do(http.MethodGet, "/manage/nope", nil), http.StatusNotFound, "Rendez-vous introuvable")
	if strings.Contains(e.logs.String(), token) {
		t.Error("the logs contain the token")
	}
	if !strings.Contains(e.logs.String(), "route=/manage/{token}/cancel") {
		t.Error("the logs lack the route pattern")
	}
}

// TestMovePages moves a booking through the same day and time step, to
// another week, with a confirmation.
func TestMovePages(t *testing.T) {
	e := newEnv(t)
	token := e.book("consultation", slotStart)
	manage := "/manage/" + token
	body := wantPage(t, e.do(http.MethodGet, manage+"/move", nil), http.StatusOK,
		"Actuellement\u00a0: mardi 1er décembre 2026 à 09:00.", "<caption>novembre 2026</caption>",
		`href="`+manage+`/move?start=2026-11-30T09%3A00%3A00%2B01%3A00"`)
	if strings.Contains(body, "/book?") {
		t.Error("the move step links to a new booking")
	}
	// The booking's own slot is not offered.
	body = wantPage(t, e.do(http.MethodGet, manage+"/move?day=2026-12-01", nil), http.StatusOK, "Heures libres le mardi 1er décembre 2026")
	if strings.Contains(body, "start=2026-12-01T09%3A00%3A00") {
		t.Error("the move step offers the booking's own slot")
	}
	const to = "2026-12-08T10:00:00+01:00"
	wantPage(t, e.do(http.MethodGet, manage+"/move?start="+url.QueryEscape(to), nil), http.StatusOK,
		"<h1>Confirmer le déplacement</h1>", "<del>mardi 1er décembre 2026 à 09:00</del>", "<strong>mardi 8 décembre 2026 à 10:00</strong>",
		`<form method="post" action="`+manage+`/reschedule">`, `<input type="hidden" name="start" value="2026-12-08T10:00:00&#43;01:00">`)
	if e.cal.Calls(bookingtest.OpUpdate) != 0 {
		t.Fatal("the confirmation step moved the booking")
	}
	w := e.postForm(manage+"/reschedule", url.Values{"start": {to}})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != manage+"?done=moved" {
		t.Fatalf("reschedule = %d → %q", w.Code, w.Header().Get("Location"))
	}
	wantPage(t, e.do(http.MethodGet, manage+"?done=moved", nil), http.StatusOK, "Votre rendez-vous est déplacé au mardi 8 décembre 2026 à 10:00.")
	wantPage(t, e.postForm(manage+"/reschedule", url.Values{}), http.StatusUnprocessableEntity, "Aucun créneau choisi", `href="`+manage+`/move"`)
	wantPage(t, e.postForm(manage+"/reschedule", url.Values{"start": {"2026-12-05T10:00:00+01:00"}}), http.StatusUnprocessableEntity, "n&#39;est pas proposé")
	wantPage(t, e.do(http.MethodGet, manage+"/move?start=jamais", nil), http.StatusUnprocessableEntity, "Créneau invalide")
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
	wantPage(t, e.do(http.MethodGet, "/p/demo/consultation", nil), http.StatusOK, `href="/rdv`+staticPath(t, "style.css")+`"`, `href="/rdv/book?`, `href="/rdv/p/demo"`)
	if w := e.do(http.MethodGet, "/", nil); w.Header().Get("Location") != "/rdv/p/demo" {
		t.Errorf("/ sends to %q, want /rdv/p/demo", w.Header().Get("Location"))
	}
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

// calendarOf is a calendarSource at testNow in Paris with a 60-day horizon
// whose only free days are free.
func calendarOf(free ...booking.Date) *calendarSource {
	return &calendarSource{
		loc: paris, t: &textFR, horizon: 60 * 24 * time.Hour, now: testNow,
		days: func(_ context.Context, from, to booking.Date) ([]booking.Day, error) {
			var out []booking.Day
			for d := from; d.Before(to); d = d.AddDays(1) {
				day := booking.Day{Date: d, State: booking.DayClosed}
				for _, f := range free {
					if f == d {
						start := time.Date(d.Year, d.Month, d.Day, 9, 0, 0, 0, paris)
						day.State, day.Slots = booking.DayFree, []booking.Slot{{Start: start, End: start.Add(20 * time.Minute)}}
					}
				}
				out = append(out, day)
			}
			return out, nil
		},
		page: func(q map[string]string) string { return withQuery("/p/demo/consultation", q) },
		slot: func(booking.Slot) string { return "/book" },
	}
}

// TestCalendarNextFreeBeforeShownMonth: a later month without a free day
// leads to the free day of an earlier month, instead of saying that no day
// within the horizon is free.
func TestCalendarNextFreeBeforeShownMonth(t *testing.T) {
	// 29 December is in January's grid, but 10 December comes first.
	src := calendarOf(booking.Date{Year: 2026, Month: 12, Day: 10}, booking.Date{Year: 2026, Month: 12, Day: 29})
	v, err := src.calendar(context.Background(), "2027-01", "")
	if err != nil {
		t.Fatal(err)
	}
	if v.NoFree != "" || v.NextFree != "/p/demo/consultation?day=2026-12-10" {
		t.Errorf("January without a free day: NextFree = %q, NoFree = %q; want the link to 10 December", v.NextFree, v.NoFree)
	}
}

// TestSwitchAfterRefusedAction: the language switch of the page that
// answers a refused confirm or reschedule (routes with no GET) leads to a
// page, not to "this page does not allow this action".
func TestSwitchAfterRefusedAction(t *testing.T) {
	e := newEnv(t)
	token := e.book("consultation", slotStart)
	manage := "/manage/" + token
	if w := e.postForm(manage+"/cancel", nil); w.Code != http.StatusSeeOther {
		t.Fatalf("cancel = %d", w.Code)
	}
	for _, action := range []string{"/reschedule", "/confirm"} { // both refused: the booking is cancelled
		w := e.postForm(manage+action, url.Values{})
		if w.Code < 400 {
			t.Fatalf("POST %s = %d, want a refusal", action, w.Code)
		}
		m := regexp.MustCompile(`<a href="([^"]*)" lang="en"`).FindStringSubmatch(w.Body.String())
		if m == nil {
			t.Fatalf("POST %s: no language switch:\n%s", action, w.Body)
		}
		href := strings.ReplaceAll(m[1], "&amp;", "&")
		if got := e.do(http.MethodGet, href, nil); got.Code != http.StatusOK {
			t.Errorf("POST %s: the switch %s answers %d", action, href, got.Code)
		}
	}
}

// TestLimitPageInBookingLanguage: the page refusing one move too many of a
// booking made in English is in English, as the booking's other pages,
// whatever the browser.
func TestLimitPageInBookingLanguage(t *testing.T) {
	e := newEnv(t)
	svc := mustNewService(t, booking.ServiceConfig{Store: e.store, Notifier: e.notes, Now: func() time.Time { return testNow },
		Logger: e.srv.log, Limits: booking.Limits{MovesPerBooking: 3}})
	if err := svc.AddPractitioner(demoPractitioner(), e.cal); err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{Service: svc, BaseURL: baseURL, Logger: e.srv.log, Now: func() time.Time { return testNow }, NoRateLimits: true})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = srv
	w := e.postForm("/book", bookForm("consultation", slotStart, patientName, patientEmail, ""), "Accept-Language", "en")
	manage := "/manage/" + tokenOf(t, w.Header().Get("Location"))
	for i, to := range []string{"2026-12-08T10:00:00+01:00", "2026-12-08T10:20:00+01:00", "2026-12-08T10:40:00+01:00"} {
		if w := e.postForm(manage+"/reschedule", url.Values{"start": {to}}, "Accept-Language", "fr"); w.Code != http.StatusSeeOther {
			t.Fatalf("move %d = %d:\n%s", i+1, w.Code, w.Body)
		}
	}
	w = e.postForm(manage+"/reschedule", url.Values{"start": {"2026-12-08T11:00:00+01:00"}}, "Accept-Language", "fr")
	body := wantPageLang(t, w, http.StatusTooManyRequests, "en", "This appointment can no longer be moved online", "Back to the appointment")
	if strings.Contains(body, "rendez-vous") {
		t.Errorf("French in the English page:\n%s", body)
	}
}

// TestCalendarShortHorizon: a horizon of a day is not "1 jours", nor one
// of half a day "0 jours".
func TestCalendarShortHorizon(t *testing.T) {
	for _, h := range []time.Duration{24 * time.Hour, 12 * time.Hour} {
		for _, tx := range []*text{&textFR, &textEN} {
			src := calendarOf()
			src.horizon, src.t = h, tx
			v, err := src.calendar(context.Background(), "", "")
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range []string{v.Horizon, v.NoFree} {
				if strings.Contains(s, " 1 jours") || strings.Contains(s, " 1 prochains") || strings.Contains(s, " 1 days") || strings.Contains(s, " 0 ") {
					t.Errorf("horizon %s in %s: %q", h, tx.Lang, s)
				}
			}
			if v.NoFree == "" {
				t.Errorf("horizon %s in %s: no free day, and nothing says so", h, tx.Lang)
			}
		}
	}
}

// TestManageFormsKeepLanguage: a form of a booking's pages, sent back
// refused (here by its honeypot, as a browser's autofill may fill it), is
// answered in the language of the page it was on: the booking's, whatever
// the browser's.
func TestManageFormsKeepLanguage(t *testing.T) {
	e := newEnv(t)
	w := e.postForm("/book", bookForm("suivi", "2026-12-02T14:30:00+01:00", patientName, patientEmail, ""), "Accept-Language", "en")
	manage := "/manage/" + tokenOf(t, w.Header().Get("Location"))
	hidden := regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
	for _, page := range []string{manage, manage + "/cancel", manage + "/move?start=" + url.QueryEscape("2026-12-08T10:00:00+01:00")} {
		body := wantPageLang(t, e.do(http.MethodGet, page, nil, "Accept-Language", "fr"), http.StatusOK, "en")
		action := regexp.MustCompile(`<form method="post" action="([^"]+)">`).FindStringSubmatch(body)
		if action == nil {
			t.Fatalf("%s: no form", page)
		}
		form := url.Values{honeypotField: {"https://example.org"}}
		for _, m := range hidden.FindAllStringSubmatch(body, -1) {
			form.Set(m[1], strings.ReplaceAll(m[2], "&#43;", "+"))
		}
		w := e.postForm(action[1], form, "Accept-Language", "fr")
		wantPageLang(t, w, http.StatusBadRequest, "en", "Form not sent")
	}
}

// TestCalendarStripPrevNotPast: on a Wednesday, the week strip of next
// week links back to today, not to this week's Monday, which is past.
func TestCalendarStripPrevNotPast(t *testing.T) {
	src := calendarOf(booking.Date{Year: 2026, Month: 12, Day: 9})
	src.now = testNow.AddDate(0, 0, 2) // Wednesday 2 December
	v, err := src.calendar(context.Background(), "", "2026-12-09")
	if err != nil {
		t.Fatal(err)
	}
	if v.Strip.Prev != "/p/demo/consultation?day=2026-12-02" {
		t.Errorf("previous week = %q, want today (2 December)", v.Strip.Prev)
	}
}

// TestCalendarNoFreeSaysHowToCall: with no free day within the horizon,
// the page gives the practice's phone.
func TestCalendarNoFreeSaysHowToCall(t *testing.T) {
	src := calendarOf()
	src.contact = "01 23 45 67 89"
	v, err := src.calendar(context.Background(), "", "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(v.NoFree, "Appelez le cabinet\u00a0: 01 23 45 67 89.") {
		t.Errorf("NoFree = %q, want the practice's phone", v.NoFree)
	}
}

// TestRedirectKeepsLang: a step skipped carries the language asked for,
// for a frame whose cookies the browser blocks.
func TestRedirectKeepsLang(t *testing.T) {
	e := newEnv(t)
	if w := e.do(http.MethodGet, "/?lang=en", nil); w.Header().Get("Location") != "/p/demo?lang=en" {
		t.Errorf("/?lang=en sends to %q", w.Header().Get("Location"))
	}
	if w := e.do(http.MethodGet, "/?p=demo&type=consultation&lang=fr", nil); w.Header().Get("Location") != "/p/demo/consultation?lang=fr" {
		t.Errorf("the former slots page sends to %q", w.Header().Get("Location"))
	}
}

// TestMovePageCalendarErrors: an unreachable calendar is said so on the
// move step (503); any other failure is an error page, not a calendar
// said to be unavailable.
func TestMovePageCalendarErrors(t *testing.T) {
	e := newEnv(t)
	token := e.book("consultation", slotStart)
	setBusyErr(e.cal, booking.WrapError(booking.EUnavailable, errors.New("dial tcp: i/o timeout"), "the calendar can't be reached"))
	wantPage(t, e.do(http.MethodGet, "/manage/"+token+"/move", nil), http.StatusServiceUnavailable, "ne répond pas pour le moment")
	setBusyErr(e.cal, booking.WrapError(booking.EInternal, errors.New("disk full"), "store broken"))
	w := e.do(http.MethodGet, "/manage/"+token+"/move", nil)
	body := wantPage(t, w, http.StatusInternalServerError, "Erreur interne")
	if strings.Contains(body, "ne répond pas") || strings.Contains(body, "disk full") {
		t.Errorf("an internal error shown as an unreachable calendar, or its cause shown:\n%s", body)
	}
	// The failure's reference, for the patient to quote: the request id
	// of the logs. A page of the patient's own doing (404) has none.
	if id := w.Header().Get("X-Request-Id"); id == "" || !strings.Contains(body, "<code>"+id+"</code>") {
		t.Errorf("the error page doesn't give the request id %q:\n%s", id, body)
	}
	if body := wantPage(t, e.do(http.MethodGet, "/manage/nope", nil), http.StatusNotFound); strings.Contains(body, "référence") {
		t.Errorf("a 404 page gives a reference:\n%s", body)
	}
}
