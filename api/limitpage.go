package api

import (
	"fmt"
	"net/http"

	"github.com/rdvlibre/rdv/booking"
)

// limitPage shows the page of an ELimit error err (the business limits,
// booking.Limits) in language lang ("" for the request's), with the
// practice's contact when it has one, and a Retry-After header when
// waiting helps.
func (s *Server) limitPage(w http.ResponseWriter, r *http.Request, lang string, err error, contact string, back *errorView) {
	if lang == "" {
		lang = s.langOf(r, "")
	}
	tx := textOf(lang)
	limit, wait := booking.ErrorLimit(err)
	v, ok := tx.Limits[limit]
	if !ok {
		v = tx.Errors[http.StatusTooManyRequests]
	}
	if contact != "" && limit != booking.LimitNew {
		v.Message += fmt.Sprintf(tx.PracticeF, contact)
	}
	if back != nil && back.LinkHref != "" {
		v.LinkHref, v.LinkText = back.LinkHref, back.LinkText
	}
	if wait > 0 {
		w.Header().Set("Retry-After", retryAfter(wait))
	}
	s.errorPageIn(w, r, lang, http.StatusTooManyRequests, &v)
}
