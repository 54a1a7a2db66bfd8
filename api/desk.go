package api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/rdvlibre/rdv/booking"
)

// The desk: the practice's own pages under /desk/ (docs/desk.md), for the
// secretary. They carry the patients' contact, so nothing there is served
// without a session, opened by logging in with the admin token. A session
// is a random id in an HttpOnly, SameSite=Strict cookie; the store keeps
// only its hash (booking.DeskSessions), so that logout and expiry hold on
// every replica. Every POST carries the session's CSRF token and must come
// from the desk's own pages (Sec-Fetch-Site, Origin). Every action is
// logged as "desk: ACTION" with ids only, never a patient's contact.

// DeskConfig configures the desk pages, served when Config.AdminToken is
// set.
type DeskConfig struct {
	// Sessions keeps the sessions. Nil: in this process's memory, which
	// suits a single replica only (rdv.App passes its store).
	Sessions booking.DeskSessions
	// Idle ends a session not used for this long; DefaultDeskIdle if 0.
	Idle time.Duration
	// Max ends a session this long after the login, however used;
	// DefaultDeskMax if 0.
	Max time.Duration
	// Users may log in with a name and a password, each seeing the
	// practitioners it is given; the admin token always logs in too, and
	// sees everything.
	Users []DeskUser
}

// Default lifetimes of a desk session.
const (
	DefaultDeskIdle = 12 * time.Hour
	DefaultDeskMax  = 7 * 24 * time.Hour
)

// deskLoginRate is how many failed logins a client may make: 10, then one
// every 90 s (10 in 15 minutes).
var deskLoginRate = Rate{Every: 90 * time.Second, Burst: 10}

// deskHashing is how many desk passwords are hashed at once, at most.
const deskHashing = 2

// desk is the state of the desk pages.
type desk struct {
	sessions booking.DeskSessions
	idle     time.Duration
	max      time.Duration
	cookie   string // the session cookie's name
	secure   bool   // served over HTTPS
	print    string // fingerprint of the admin token
	origin   string // scheme://host of Config.BaseURL
	users    map[string]*deskUser
	dummy    passwordHash  // checked for an unknown user name
	hashing  chan struct{} // a slot for each password hash computed at once
	failures *clientTable
	clients  *limiter // reads the client of a request, for failures
	authLog  logThrottle
}

// deskSession is the session of a request.
type deskSession struct {
	booking.DeskSession
	print string          // for the logs: a fingerprint of the session, not its id
	scope map[string]bool // the practitioners it sees; nil for all
}

// may reports whether the session may see and act for the practitioner.
func (s *deskSession) may(practitionerID string) bool {
	return s.scope == nil || s.scope[practitionerID]
}

// registerDesk serves the desk pages when the admin token is set.
func (s *Server) registerDesk(cfg Config) error {
	if s.adminTokenHash == nil {
		return nil
	}
	u, err := url.Parse(s.baseURL)
	if err != nil {
		return err
	}
	d := &desk{
		sessions: cfg.Desk.Sessions,
		idle:     cfg.Desk.Idle,
		max:      cfg.Desk.Max,
		secure:   u.Scheme == "https",
		origin:   u.Scheme + "://" + u.Host,
		failures: &clientTable{limit: rate.Every(deskLoginRate.Every), burst: deskLoginRate.Burst, max: DefaultMaxClients, cur: map[netip.Prefix]*rate.Limiter{}},
		clients:  &limiter{proxies: cfg.RateLimits.TrustedProxies, forwarded: strings.EqualFold(cfg.RateLimits.ForwardedHeader, "Forwarded")},
	}
	d.authLog.every = time.Minute
	if d.users, err = deskUsers(cfg.Desk.Users, func(id string) bool {
		_, err := s.svc.Practitioner(id)
		return err == nil
	}); err != nil {
		return err
	}
	d.dummy = dummyHash(d.users)
	d.hashing = make(chan struct{}, deskHashing)
	if d.sessions == nil {
		d.sessions = NewMemoryDeskSessions()
	}
	if d.idle <= 0 {
		d.idle = DefaultDeskIdle
	}
	if d.max <= 0 {
		d.max = DefaultDeskMax
	}
	if d.secure {
		d.cookie = "__Host-rdv_desk"
	} else {
		d.cookie = "rdv_desk"
	}
	sum := sha256.Sum256(append([]byte("rdv desk session\x00"), s.adminTokenHash...))
	d.print = hex.EncodeToString(sum[:16])
	s.desk = d
	if s.deskPages, err = parseDeskPages(s.templateFuncs()); err != nil {
		return err
	}
	s.mux.HandleFunc("GET /desk/login", s.deskLoginPage)
	s.mux.HandleFunc("POST /desk/login", s.deskForm(s.deskLogin))
	s.mux.HandleFunc("POST /desk/logout", s.deskPost(s.deskLogout))
	s.mux.HandleFunc("GET /desk/{$}", s.deskGet(s.deskAgenda))
	s.mux.HandleFunc("GET /desk/book", s.deskGet(s.deskBookPage))
	s.mux.HandleFunc("POST /desk/book", s.deskPost(s.deskBook))
	s.mux.HandleFunc("GET /desk/bookings/{id}/move", s.deskGet(s.deskMovePage))
	s.mux.HandleFunc("POST /desk/bookings/{id}/move", s.deskPost(s.deskMove))
	s.mux.HandleFunc("GET /desk/bookings/{id}/cancel", s.deskGet(s.deskCancelPage))
	s.mux.HandleFunc("POST /desk/bookings/{id}/cancel", s.deskPost(s.deskCancel))
	s.mux.HandleFunc("POST /desk/bookings/{id}/link", s.deskPost(s.deskResendLink))
	s.mux.HandleFunc("GET /desk/closures", s.deskGet(s.deskClosuresPage))
	s.mux.HandleFunc("POST /desk/closures", s.deskPost(s.deskAddClosure))
	s.mux.HandleFunc("POST /desk/closures/{practitioner}/{id}/remove", s.deskPost(s.deskRemoveClosure))
	s.mux.HandleFunc("GET /desk/unknown", s.deskGet(s.deskUnknownPage))
	s.mux.HandleFunc("POST /desk/unknown/{practitioner}/adopt", s.deskPost(s.deskAdopt))
	s.mux.HandleFunc("GET /desk/messages", s.deskGet(s.deskMessagesPage))
	if s.waitlist != nil {
		s.mux.HandleFunc("GET /desk/waitlist", s.deskGet(s.deskWaitlistPage))
		s.mux.HandleFunc("POST /desk/waitlist/{id}/remove", s.deskPost(s.deskWaitlistRemove))
	}
	s.mux.HandleFunc("/desk/", s.deskNoRoute)
	// Not the mux's own redirect to /desk/, which would leave out the base
	// URL's path.
	s.mux.HandleFunc("GET /desk", func(w http.ResponseWriter, r *http.Request) {
		s.deskHeaders(w.Header())
		http.Redirect(w, r, s.deskPath(""), http.StatusFound)
	})
	s.mux.HandleFunc("/desk", s.deskNoRoute)
	return nil
}

// deskHeaders sets the headers of every desk answer: never stored, never
// framed (whatever Practice.FrameAncestors allows the patient pages), no
// referrer.
func (s *Server) deskHeaders(h http.Header) {
	h.Set("Content-Security-Policy", pageCSP+"; frame-ancestors 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Vary", "Accept-Language, Cookie")
}

// deskPath is the address of a desk page.
func (s *Server) deskPath(p string) string { return s.basePath + "/desk/" + p }

// session returns the valid session of r, if any. An expired session, or
// one opened with another admin token, is deleted.
func (s *Server) session(r *http.Request) (*deskSession, bool) {
	d := s.desk
	c, err := r.Cookie(d.cookie)
	if err != nil {
		return nil, false
	}
	id, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil || len(id) != 32 {
		return nil, false
	}
	hash := sha256.Sum256(id)
	ctx := r.Context()
	ds, err := d.sessions.DeskSession(ctx, hash[:])
	if err != nil {
		if booking.ErrorCode(err) != booking.ENotFound {
			s.log.ErrorContext(ctx, "desk: session not read", "err", err)
		}
		return nil, false
	}
	now := s.now()
	want, scope := d.print, map[string]bool(nil)
	if ds.User != "" {
		want = "" // a user no longer configured
		if u := d.users[ds.User]; u != nil {
			want, scope = u.print, u.scope
		}
	}
	if want == "" || subtle.ConstantTimeCompare([]byte(ds.TokenPrint), []byte(want)) != 1 ||
		!now.Before(ds.Expires) || !now.Before(ds.LastSeen.Add(d.idle)) {
		if err := d.sessions.DeleteDeskSession(ctx, hash[:]); err != nil {
			s.log.ErrorContext(ctx, "desk: session not deleted", "err", err)
		}
		return nil, false
	}
	if now.Sub(ds.LastSeen) >= time.Minute {
		if err := d.sessions.TouchDeskSession(ctx, hash[:], now); err != nil {
			s.log.ErrorContext(ctx, "desk: session not touched", "err", err)
		}
	}
	print := sha256.Sum256(append([]byte("rdv desk log\x00"), hash[:]...))
	return &deskSession{DeskSession: ds, print: hex.EncodeToString(print[:6]), scope: scope}, true
}

// deskGet guards a desk page: without a session, the browser is sent to
// the login page.
func (s *Server) deskGet(next func(http.ResponseWriter, *http.Request, *deskSession)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.deskHeaders(w.Header())
		sess, ok := s.session(r)
		if !ok {
			http.Redirect(w, r, s.deskPath("login"), http.StatusFound)
			return
		}
		next(w, r, sess)
	}
}

// deskForm reads a desk form posted from the desk itself: a cross-site
// post, or a form too big or malformed, is refused before next runs.
func (s *Server) deskForm(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.deskHeaders(w.Header())
		if !s.sameOrigin(r) {
			s.desk.authLog.warn(r.Context(), s.log, s.now(), "desk: cross-site post refused", "route", route(r))
			s.deskError(w, r, http.StatusForbidden, "crosssite")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, s.maxBody)
		if err := r.ParseForm(); err != nil {
			status := http.StatusBadRequest
			if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
				status = http.StatusRequestEntityTooLarge
			}
			s.deskError(w, r, status, "")
			return
		}
		next(w, r)
	}
}

// deskPost guards a desk action: a form of the desk (deskForm), a session,
// and the session's CSRF token in the form's csrf field.
func (s *Server) deskPost(next func(http.ResponseWriter, *http.Request, *deskSession)) http.HandlerFunc {
	return s.deskForm(func(w http.ResponseWriter, r *http.Request) {
		sess, ok := s.session(r)
		if !ok {
			s.deskError(w, r, http.StatusForbidden, "session")
			return
		}
		if subtle.ConstantTimeCompare([]byte(r.PostForm.Get("csrf")), []byte(sess.CSRF)) != 1 {
			s.desk.authLog.warn(r.Context(), s.log, s.now(), "desk: CSRF token refused", "route", route(r), "session", sess.print)
			s.deskError(w, r, http.StatusForbidden, "csrf")
			return
		}
		next(w, r, sess)
	})
}

// sameOrigin reports whether r comes from a page of this site: its
// Sec-Fetch-Site, when the browser sends one, is same-origin, and its
// Origin, when there is one, is the site's. An Origin of "null" is what
// browsers send from a page with Referrer-Policy: no-referrer, as the
// desk's are: it passes only with Sec-Fetch-Site: same-origin.
func (s *Server) sameOrigin(r *http.Request) bool {
	site := r.Header.Get("Sec-Fetch-Site")
	if site != "" && site != "same-origin" {
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" || (origin == "null" && site == "same-origin") {
		return true
	}
	if origin == s.desk.origin {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host != "" && u.Host == r.Host && u.Path == ""
}

// deskLog logs a desk action with the session's fingerprint and ids; the
// request's id is added by the logger. Never pass patient data in args.
func (s *Server) deskLog(ctx context.Context, sess *deskSession, action string, args ...any) {
	s.log.InfoContext(ctx, "desk: "+action, append([]any{"session", sess.print, "user", sess.User}, args...)...)
}

// deskLoginPage is the login form; with a valid session, the agenda.
func (s *Server) deskLoginPage(w http.ResponseWriter, r *http.Request) {
	s.deskHeaders(w.Header())
	if _, ok := s.session(r); ok {
		http.Redirect(w, r, s.deskPath(""), http.StatusFound)
		return
	}
	s.deskRender(w, r, http.StatusOK, nil, deskPage{Name: "login", Title: s.deskText(r).LoginTitle, View: &loginView{Users: len(s.desk.users) > 0}})
}

// loginView is the login form, after a refusal with its error; Users
// shows the user's name field.
type loginView struct {
	Error, User string
	Users       bool
}

// deskLogin opens a session for the admin token of the form. Failed tries
// are limited per client (deskLoginRate); the token typed is never logged.
func (s *Server) deskLogin(w http.ResponseWriter, r *http.Request) {
	d, dt := s.desk, s.deskText(r)
	client, hasClient := d.clients.client(r)
	now := s.now()
	// The try takes its token now, before the (slow) check, so that tries
	// in flight at once can't overrun the limit; a success gives it back.
	var try *rate.Reservation
	if hasClient {
		try = d.failures.get(client).ReserveN(now, 1)
		if wait := try.DelayFrom(now); wait > 0 {
			try.CancelAt(now)
			w.Header().Set("Retry-After", retryAfter(max(wait, time.Second)))
			s.metrics.limited("desk_login")
			s.deskRender(w, r, http.StatusTooManyRequests, nil, deskPage{Name: "login", Title: dt.LoginTitle, Error: true, View: &loginView{Error: dt.LoginLimited, Users: len(d.users) > 0, User: r.PostForm.Get("user")}})
			return
		}
	}
	user, print, ok := r.PostForm.Get("user"), d.print, false
	if user == "" {
		sum := sha256.Sum256([]byte(r.PostForm.Get("token")))
		ok = subtle.ConstantTimeCompare(sum[:], s.adminTokenHash) == 1
	} else {
		// An Argon2id hash takes its memory (64 MiB by default): a few at
		// a time, whatever the number of clients trying.
		select {
		case d.hashing <- struct{}{}:
		case <-r.Context().Done():
			if try != nil {
				try.CancelAt(now)
			}
			s.deskError(w, r, http.StatusServiceUnavailable, "")
			return
		}
		if u := d.users[user]; u != nil {
			ok, print = u.hash.matches(r.PostForm.Get("token")), u.print
		} else {
			d.dummy.matches(r.PostForm.Get("token")) // as long as a known name
		}
		<-d.hashing
	}
	if !ok {
		d.authLog.warn(r.Context(), s.log, now, "desk: login refused")
		v := &loginView{Error: dt.LoginWrong, Users: len(d.users) > 0, User: user}
		s.deskRender(w, r, http.StatusUnauthorized, nil, deskPage{Name: "login", Title: dt.LoginTitle, Error: true, View: v})
		return
	}
	if try != nil {
		try.CancelAt(now)
	}
	id, csrf := make([]byte, 32), make([]byte, 32)
	_, _ = rand.Read(id) // crypto/rand.Read never fails
	_, _ = rand.Read(csrf)
	hash := sha256.Sum256(id)
	ds := booking.DeskSession{
		IDHash: hash[:], CSRF: base64.RawURLEncoding.EncodeToString(csrf), User: user, TokenPrint: print,
		Created: now, LastSeen: now, Expires: now.Add(d.max),
	}
	ctx := r.Context()
	if err := d.sessions.PurgeDeskSessions(ctx, now, now.Add(-d.idle)); err != nil {
		s.log.ErrorContext(ctx, "desk: sessions not purged", "err", err)
	}
	if err := d.sessions.CreateDeskSession(ctx, ds); err != nil {
		s.log.ErrorContext(ctx, "desk: session not created", "err", err)
		s.deskError(w, r, http.StatusServiceUnavailable, "")
		return
	}
	logPrint := sha256.Sum256(append([]byte("rdv desk log\x00"), hash[:]...))
	s.log.InfoContext(ctx, "desk: login", "session", hex.EncodeToString(logPrint[:6]), "user", user)
	http.SetCookie(w, s.deskCookie(base64.RawURLEncoding.EncodeToString(id), int(d.max/time.Second)))
	http.Redirect(w, r, s.deskPath(""), http.StatusSeeOther)
}

// deskCookie is the session cookie with value, for maxAge seconds (-1 to
// delete it).
func (s *Server) deskCookie(value string, maxAge int) *http.Cookie {
	d := s.desk
	path := s.deskPath("")
	if d.secure {
		path = "/" // a __Host- cookie has Path=/
	}
	return &http.Cookie{Name: d.cookie, Value: value, Path: path, MaxAge: maxAge,
		HttpOnly: true, Secure: d.secure, SameSite: http.SameSiteStrictMode}
}

// deskLogout ends the session.
func (s *Server) deskLogout(w http.ResponseWriter, r *http.Request, sess *deskSession) {
	if err := s.desk.sessions.DeleteDeskSession(r.Context(), sess.IDHash); err != nil {
		s.log.ErrorContext(r.Context(), "desk: session not deleted", "err", err)
		s.deskError(w, r, http.StatusServiceUnavailable, "")
		return
	}
	s.deskLog(r.Context(), sess, "logout")
	http.SetCookie(w, s.deskCookie("", -1))
	http.Redirect(w, r, s.deskPath("login"), http.StatusSeeOther)
}

// deskNoRoute answers the addresses under /desk/ that are no page: the
// login page without a session, so that nothing there tells a stranger
// what exists.
func (s *Server) deskNoRoute(w http.ResponseWriter, r *http.Request) {
	s.deskHeaders(w.Header())
	if _, ok := s.session(r); !ok {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			http.Redirect(w, r, s.deskPath("login"), http.StatusFound)
			return
		}
		s.deskError(w, r, http.StatusForbidden, "session")
		return
	}
	s.deskError(w, r, http.StatusNotFound, "")
}

// memoryDeskSessions is booking.DeskSessions in memory.
type memoryDeskSessions struct {
	mu sync.Mutex
	m  map[string]booking.DeskSession
}

// NewMemoryDeskSessions returns desk sessions kept in this process's
// memory: for a single replica, lost on restart.
func NewMemoryDeskSessions() booking.DeskSessions {
	return &memoryDeskSessions{m: map[string]booking.DeskSession{}}
}

func (m *memoryDeskSessions) CreateDeskSession(_ context.Context, d booking.DeskSession) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := string(d.IDHash)
	if _, ok := m.m[k]; ok {
		return booking.Errorf(booking.EConflict, "api: desk session already exists")
	}
	m.m[k] = d
	return nil
}

func (m *memoryDeskSessions) DeskSession(_ context.Context, idHash []byte) (booking.DeskSession, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, ok := m.m[string(idHash)]
	if !ok {
		return booking.DeskSession{}, booking.Errorf(booking.ENotFound, "api: no such desk session")
	}
	return d, nil
}

func (m *memoryDeskSessions) TouchDeskSession(_ context.Context, idHash []byte, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if d, ok := m.m[string(idHash)]; ok {
		d.LastSeen = at
		m.m[string(idHash)] = d
	}
	return nil
}

func (m *memoryDeskSessions) DeleteDeskSession(_ context.Context, idHash []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.m, string(idHash))
	return nil
}

func (m *memoryDeskSessions) PurgeDeskSessions(_ context.Context, now, idleBefore time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, d := range m.m {
		if d.Expires.Before(now) || d.LastSeen.Before(idleBefore) {
			delete(m.m, k)
		}
	}
	return nil
}
