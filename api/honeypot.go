package api

import (
	"errors"
	"net/http"
)

// honeypotField is the name of the field that every patient form carries,
// hidden from people (style sheet, aria-hidden, out of the tab order) and
// labelled "leave empty": a robot that fills every field fills it too.
const honeypotField = "website"

// pageForm guards a POST of the pages: it refuses a cross-site post
// (formGuard), reads the form, and refuses with 400 a form whose honeypot
// field is filled, before next runs: nothing is changed, and the refusal is
// counted in the metrics; what the field held is neither kept nor logged.
func (s *Server) pageForm(next http.HandlerFunc) http.HandlerFunc {
	return s.formGuard(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if err := r.ParseForm(); err != nil {
			status := http.StatusBadRequest
			if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
				status = http.StatusRequestEntityTooLarge
			}
			s.errorPage(w, r, status, nil)
			return
		}
		if r.PostForm.Get(honeypotField) != "" {
			s.metrics.refused("honeypot", "filled")
			v := s.text(r).Honeypot
			s.errorPage(w, r, http.StatusBadRequest, &v)
			return
		}
		next(w, r)
	})
}
