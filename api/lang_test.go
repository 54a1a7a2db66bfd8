package api

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/rdvlibre/rdv/booking"
)

// TestBookingLang checks the language a booking made through the JSON API
// gets: the body's lang, else the first of fr and en in Accept-Language,
// else none (the mailer's default).
func TestBookingLang(t *testing.T) {
	tests := []struct {
		name, lang, accept, want string
	}{
		{"body", "en", "fr-FR, fr;q=0.9", "en"},
		{"accept_language_en", "", "en", "en"},
		{"accept_language_weights", "", "de-DE, en-GB;q=0.8, fr;q=0.9", "fr"},
		{"accept_language_region", "", "en-US,en;q=0.9", "en"},
		{"accept_language_refused", "", "en;q=0, de", ""},
		{"accept_language_unsupported", "", "de, it", ""},
		{"accept_language_garbage", "", "%%%;;;", ""},
		{"none", "", "", ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			body := bookingBody("consultation", []string{
				"2026-12-01T09:00:00+01:00", "2026-12-01T09:20:00+01:00", "2026-12-01T09:40:00+01:00", "2026-12-01T10:00:00+01:00",
				"2026-12-01T10:20:00+01:00", "2026-12-01T10:40:00+01:00", "2026-12-01T11:00:00+01:00", "2026-12-01T11:20:00+01:00",
			}[i])
			if tt.lang != "" {
				body = strings.TrimSuffix(body, "}") + `,"lang":"` + tt.lang + `"}`
			}
			var headers []string
			if tt.accept != "" {
				headers = []string{"Accept-Language", tt.accept}
			}
			w := e.postJSON("/v1/bookings", body, headers...)
			if w.Code != http.StatusCreated {
				t.Fatalf("status = %d: %s", w.Code, w.Body)
			}
			id := decode(t, w)["id"].(string)
			b, err := e.store.Booking(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			if b.Lang != tt.want {
				t.Errorf("Lang = %q, want %q", b.Lang, tt.want)
			}
		})
	}
	t.Run("unsupported_in_body", func(t *testing.T) {
		e := newEnv(t)
		body := strings.TrimSuffix(bookingBody("consultation", "2026-12-01T09:00:00+01:00"), "}") + `,"lang":"de"}`
		w := e.postJSON("/v1/bookings", body)
		wantProblem(t, w, http.StatusUnprocessableEntity, "")
	})
}

// TestBookPageLang checks that a booking made from the pages is in the
// language of the pages: English from Accept-Language, French from the
// form's lang field whatever the browser's languages.
func TestBookPageLang(t *testing.T) {
	for _, tt := range []struct {
		name, acceptLanguage, formLang, want string
	}{
		{"browser in English", "en-GB,en;q=0.9", "", "en"},
		{"French page, English browser", "en", "fr", "fr"},
		{"no preference", "", "", "fr"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			form := bookForm("consultation", slotStart, patientName, patientEmail, patientPhone)
			if tt.formLang != "" {
				form.Set("lang", tt.formLang)
			}
			headers := []string{"Origin", "http://example.com", "Sec-Fetch-Site", "same-origin"}
			if tt.acceptLanguage != "" {
				headers = append(headers, "Accept-Language", tt.acceptLanguage)
			}
			w := e.postForm("/book", form, headers...)
			if w.Code != http.StatusSeeOther {
				t.Fatalf("POST /book = %d:\n%s", w.Code, w.Body)
			}
			token := tokenOf(t, w.Header().Get("Location"))
			b, err := e.store.BookingByTokenHash(context.Background(), booking.HashToken(token))
			if err != nil {
				t.Fatal(err)
			}
			if b.Lang != tt.want {
				t.Errorf("Lang = %q, want %q", b.Lang, tt.want)
			}
		})
	}
}

// TestSwitchEscapedBasePath: the language switch of a site under a path
// with a character that must be escaped is that path, escaped once.
func TestSwitchEscapedBasePath(t *testing.T) {
	e := newEnv(t)
	srv, err := New(Config{Service: e.svc, BaseURL: "https://example.org/réservation/", Logger: e.srv.log, Now: e.srv.now})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = srv
	wantPage(t, e.do(http.MethodGet, "/p/demo/consultation", nil), http.StatusOK,
		`href="/r%C3%A9servation/p/demo"`, `<a href="/r%C3%A9servation/p/demo/consultation?lang=en" lang="en"`)
}

// TestSwitchNotOffSite: a page answering a request for //elsewhere/x (here
// refused as posted from another site, before any route) has a language
// switch to this site, not to //elsewhere.
func TestSwitchNotOffSite(t *testing.T) {
	e := newEnv(t)
	w := e.do(http.MethodPost, "//evil.example/x", strings.NewReader("a=b"), "Content-Type", "application/x-www-form-urlencoded", "Sec-Fetch-Site", "cross-site")
	body := wantPage(t, w, http.StatusForbidden)
	m := regexp.MustCompile(`<a href="([^"]*)" lang="en"`).FindStringSubmatch(body)
	if m == nil || !strings.HasPrefix(m[1], "/") || strings.HasPrefix(m[1], "//") {
		t.Errorf("the language switch is %q, want a path of this site", m)
	}
}
