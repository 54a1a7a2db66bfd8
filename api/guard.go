package api

import (
	"context"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rdvlibre/rdv/booking"
)

// What a request from a stranger passes before it reaches a handler: the
// per-client rate limits, a JSON body for every POST of the API (so that no
// page on another site can make its visitors' browsers post to it with a
// "simple" request), CORS for the origins a host allows, and the
// cross-origin protection of the HTML forms. See docs/limits.md.

// guard answers r itself when it must be refused, and reports whether it
// did. A POST that is not JSON, or a form posted from elsewhere, is refused
// before the rate limits, so that a page elsewhere can't spend its
// visitors' allowance on the site.
func (s *Server) guard(w http.ResponseWriter, r *http.Request) bool {
	api := isAPIPath(r.URL.Path)
	admin := r.URL.Path == "/v1/admin" || strings.HasPrefix(r.URL.Path, "/v1/admin/")
	if api && !admin && s.cors(w, r) {
		return true
	}
	if api && !admin && r.Method == http.MethodPost && !jsonBody(r) {
		s.route(r)
		writeProblem(w, http.StatusUnsupportedMediaType, "send the request with Content-Type: application/json (a JSON body, {} when there is nothing to send)")
		return true
	}
	if !api && s.cop.Check(r) != nil {
		s.route(r)
		s.errorPage(w, r, http.StatusForbidden, nil)
		return true
	}
	if s.limiter != nil {
		if class, wait := s.limiter.allow(r, s.clock()); wait > 0 {
			s.metrics.limited(classNames[class])
			w.Header().Set("Retry-After", retryAfter(wait))
			s.route(r)
			if api {
				writeLimitProblem(w, booking.LimitRate, "too many requests from your address: try again in "+retryAfter(wait)+" s")
			} else {
				s.errorPage(w, r, http.StatusTooManyRequests, nil)
			}
			return true
		}
	}
	return false
}

// route sets on r the pattern of the route it would have taken, for the
// log line and the metrics of a request the guard refuses.
func (s *Server) route(r *http.Request) {
	if _, p := s.mux.Handler(r); p != "" {
		r.Pattern = p
	}
}

// clock is the time of the rate limits: the server's clock.
func (s *Server) clock() time.Time { return s.now() }

// jsonBody reports whether r declares a JSON body.
func jsonBody(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// cors adds the CORS headers for an allowed Origin, and answers a
// preflight request; it reports whether it answered. An Origin that is not
// allowed gets no CORS header, so browsers keep its pages from reading the
// answers, and its preflights get 403.
func (s *Server) cors(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return false
	}
	preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
	w.Header().Add("Vary", "Origin")
	if !slices.Contains(s.origins, origin) {
		if preflight {
			writeProblem(w, http.StatusForbidden, "this origin may not call the API from a browser; the host lists the allowed ones (cors_origins)")
			return true
		}
		return false
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Expose-Headers", "Retry-After, Location")
	if preflight {
		h.Set("Access-Control-Allow-Methods", "GET, POST")
		h.Set("Access-Control-Allow-Headers", "Content-Type, Idempotency-Key, X-Altcha")
		h.Set("Access-Control-Max-Age", "600")
		w.WriteHeader(http.StatusNoContent)
		return true
	}
	return false
}

// formGuard is the cross-origin protection of the HTML forms (Go's
// http.CrossOriginProtection: Sec-Fetch-Site, else Origin against Host),
// answering 403 with the error page, and the size cap of their bodies.
func (s *Server) formGuard(next http.HandlerFunc) http.HandlerFunc {
	h := s.cop.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, s.maxBody)
		next(w, r)
	}))
	return h.ServeHTTP
}

// newCrossOriginProtection returns the protection of the forms: they are
// posted from rdv's own pages only.
func (s *Server) newCrossOriginProtection() *http.CrossOriginProtection {
	c := http.NewCrossOriginProtection()
	c.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.errorPage(w, r, http.StatusForbidden, nil)
	}))
	return c
}

// logThrottle lets a warning through at most once per interval, and counts
// the ones it held back, so that a flood of bad requests can't flood the
// log.
type logThrottle struct {
	every time.Duration

	mu         sync.Mutex
	last       time.Time
	suppressed int
}

// warn logs msg with args, or counts it if one was logged less than every
// ago; a line that follows held-back ones says how many.
func (t *logThrottle) warn(ctx context.Context, log *slog.Logger, now time.Time, msg string, args ...any) {
	t.mu.Lock()
	if !t.last.IsZero() && now.Sub(t.last) < t.every {
		t.suppressed++
		t.mu.Unlock()
		return
	}
	n := t.suppressed
	t.last, t.suppressed = now, 0
	t.mu.Unlock()
	if n > 0 {
		args = append(args, "suppressed", n)
	}
	log.WarnContext(ctx, msg, args...)
}
