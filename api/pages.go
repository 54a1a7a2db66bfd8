package api

import (
	"net/http"
	"strings"

	"github.com/rdvlibre/rdv/internal/requestid"
)

// The patient web pages: server-rendered HTML in French and English,
// nothing loaded from another site, and no JavaScript but the site's own
// challenge.js on the booking form when Config.Challenge is on. GET
// requests never change anything (mail scanners follow links); each change
// is a POST form, guarded against cross-site posts and carrying a honeypot
// field (pageForm).
//
// The steps, each a shareable address, skipped when there is one choice:
//
//	/                          the practice: its practitioners
//	/p/{p}                     a practitioner: the motives
//	/p/{p}/{type}              the days of a month, the free times of one (?month=, ?day=)
//	/book?practitioner&type&start   the patient's details
//	/manage/{token}            the booking (?done= after a change)
//	/manage/{token}/move       another day and time; ?start= to confirm the move
//	/manage/{token}/cancel     the confirmation before cancelling
//	/manage/{token}/event.ics  the booking, for the patient's own calendar

func (s *Server) registerPages() {
	s.mux.HandleFunc("GET /{$}", s.practicePage)
	s.mux.HandleFunc("GET /p/{practitioner}", s.practitionerPage)
	s.mux.HandleFunc("GET /p/{practitioner}/{type}", s.daysPage)
	s.mux.HandleFunc("GET /s/{shared}", s.sharedDaysPage)
	s.mux.HandleFunc("GET /book", s.bookForm)
	s.mux.HandleFunc("POST /book", s.pageForm(s.book))
	s.mux.HandleFunc("GET /manage/{token}", s.manage)
	s.mux.HandleFunc("GET /manage/{token}/event.ics", s.manageICS)
	s.mux.HandleFunc("GET /manage/{token}/move", s.movePage)
	s.mux.HandleFunc("GET /manage/{token}/cancel", s.cancelPage)
	s.mux.HandleFunc("POST /manage/{token}/confirm", s.pageForm(s.confirm))
	s.mux.HandleFunc("POST /manage/{token}/cancel", s.pageForm(s.cancel))
	s.mux.HandleFunc("POST /manage/{token}/reschedule", s.pageForm(s.reschedule))
	s.registerWaitlistPages()
	s.mux.HandleFunc("GET /static/{file}", s.serveStatic)
	s.mux.HandleFunc("GET /favicon.ico", s.favicon)
	s.practice.register(s.mux)
	s.mux.HandleFunc("/", s.pageNoRoute)
}

// errorView is the content of the error page.
type errorView struct {
	Heading  string
	Message  string
	LinkHref string // "" for the home page
	LinkText string
	// Reference is the request's id on a server-side failure (5xx), for
	// the patient to quote to the practice and the host to find in the
	// logs; "" otherwise.
	Reference string
}

// errorPage writes the error page for status; v, if not nil, replaces the
// default text of the status.
func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, status int, v *errorView) {
	s.errorPageIn(w, r, "", status, v)
}

// errorPageIn is errorPage in language lang ("" for the request's).
func (s *Server) errorPageIn(w http.ResponseWriter, r *http.Request, lang string, status int, v *errorView) {
	if lang == "" {
		lang = s.langOf(r, "")
	}
	t := textOf(lang)
	view, ok := t.Errors[status]
	if !ok {
		view = t.Errors[http.StatusInternalServerError]
	}
	if v != nil {
		view = *v
	}
	if view.LinkText == "" || view.LinkHref == "" {
		view.LinkHref, view.LinkText = s.basePath+"/", t.BackToList
	}
	if status >= 500 {
		view.Reference = requestid.FromContext(r.Context())
	}
	s.render(w, r, status, page{Name: "error", Title: view.Heading, Lang: lang, Error: true, View: view})
}

// pageNoRoute answers requests that match no route outside /v1/.
func (s *Server) pageNoRoute(w http.ResponseWriter, r *http.Request) {
	if allow := s.allowedMethods(r, "/"); len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		s.errorPage(w, r, http.StatusMethodNotAllowed, nil)
		return
	}
	s.errorPage(w, r, http.StatusNotFound, nil)
}
