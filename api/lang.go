package api

import (
	"net/http"
	"net/url"
	"strings"
)

// The pages speak French and English. A page's language is, in order: the
// lang query parameter (a link of the language switch, or of an email),
// which is then remembered in a cookie; the cookie; for the pages of a
// booking, the language the patient booked in; the first of fr and en in
// Accept-Language; French.

// langCookie remembers the language the patient chose.
const langCookie = "rdv_lang"

// langOf returns the language of the page for r; booked is the language of
// the booking the page shows ("" for none).
func (s *Server) langOf(r *http.Request, booked string) string {
	if l := r.URL.Query().Get("lang"); l == "fr" || l == "en" {
		return l
	}
	if l := r.PostForm.Get("lang"); l == "fr" || l == "en" {
		return l // the language of the page the form was on
	}
	if c, err := r.Cookie(langCookie); err == nil && (c.Value == "fr" || c.Value == "en") {
		return c.Value
	}
	if booked == "fr" || booked == "en" {
		return booked
	}
	if l := bookingLang("", r.Header.Get("Accept-Language")); l != "" {
		return l
	}
	return "fr"
}

// rememberLang sets the language cookie when the request chose a language
// with the lang parameter.
func (s *Server) rememberLang(w http.ResponseWriter, r *http.Request) {
	l := r.URL.Query().Get("lang")
	if l != "fr" && l != "en" {
		return
	}
	path := s.basePath + "/"
	http.SetCookie(w, &http.Cookie{
		Name: langCookie, Value: l, Path: path, MaxAge: 365 * 24 * 3600,
		HttpOnly: true, Secure: strings.HasPrefix(s.baseURL, "https://"), SameSite: http.SameSiteLaxMode,
	})
}

// switchHref is the address of the page of r in language lang (the form
// a POST answered shows the page it came from).
func (s *Server) switchHref(r *http.Request, lang string) string {
	q := r.URL.Query()
	q.Set("lang", lang)
	// basePath is already escaped; the request's path is not. A path
	// //host/… (refused before any route cleans it) must not become a
	// link to another site.
	u := url.URL{Path: "/" + strings.TrimLeft(r.URL.Path, "/"), RawQuery: q.Encode()}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		// A form sent back with an error: the same form, in the other
		// language, without what the patient typed.
		q = url.Values{"lang": {lang}}
		for _, k := range []string{"practitioner", "type", "start"} {
			if v := r.PostForm.Get(k); v != "" {
				q.Set(k, v)
			}
		}
		switch r.Pattern {
		case "POST /manage/{token}/confirm", "POST /manage/{token}/reschedule":
			// No page has these addresses: the booking's page instead.
			u.Path = "/manage/" + r.PathValue("token")
			q = url.Values{"lang": {lang}}
		}
		u.RawQuery = q.Encode()
	}
	return s.basePath + u.String()
}
