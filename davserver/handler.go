package davserver

import (
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"

	"github.com/emersion/go-webdav"
	"github.com/emersion/go-webdav/caldav"
)

// NewHandler serves b over CalDAV under prefix (such as "/dav/"), for one
// user and without authentication: put it behind whatever authentication
// the host uses before exposing it. The layout is
//
//	prefix                          the context path
//	prefix/principals/USER/         the user's principal
//	prefix/calendars/USER/          the calendar home (RFC 4791 section 6.2.1)
//	prefix/calendars/USER/NAME/     a calendar
//	prefix/calendars/USER/NAME/OBJ  a calendar object
//
// and the handler also answers /.well-known/caldav (RFC 6764 section 5) with
// a redirect to the principal, so a client given only the host finds the
// calendars: mount the handler at "/.well-known/caldav" too for that.
//
// Beyond go-webdav's handler it honours If-Match on DELETE, implements
// MKCALENDAR (RFC 4791 section 5.3.1) with a display name, gives each
// calendar a CTag (the CalendarServer getctag property) and a DAV:sync-token
// in a PROPFIND (Depth: 0) of the calendar, and answers the sync-collection
// REPORT (RFC 6578) on a calendar, so that a client that knows a calendar
// asks what changed in one small request (see FileBackend). A FileBackend is
// served under one prefix at a time.
//
// It bounds what a client may send and store: request bodies
// (MaxResourceSize for a PUT, MaxRequestSize for the others, else 413) and
// the objects of a calendar (MaxObjectsPerCalendar, else 507).
func NewHandler(b *FileBackend, prefix string) http.Handler {
	prefix = "/" + strings.Trim(prefix, "/") + "/"
	if prefix == "//" {
		prefix = "/"
	}
	b.mu.Lock()
	b.prefix = prefix
	b.mu.Unlock()
	be := ctxBackend{b}
	principals := &caldav.Handler{Backend: be, Prefix: prefix + "principals"}
	main := &caldav.Handler{Backend: be, Prefix: strings.TrimSuffix(prefix, "/")}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !b.readBody(w, r) {
			return
		}
		p := r.URL.Path
		switch {
		case p == "/.well-known/caldav" || p == "/.well-known/caldav/":
			http.Redirect(w, r, b.principalPath(), http.StatusPermanentRedirect)
		case p+"/" == b.principalPath():
			principals.ServeHTTP(w, withPath(r, p+"/")) // collections end in a slash
		case p+"/" == b.homePath():
			main.ServeHTTP(w, withPath(r, p+"/"))
		case strings.HasPrefix(p, prefix+"principals/"):
			principals.ServeHTTP(w, r)
		case r.Method == http.MethodDelete && strings.HasPrefix(p, b.homePath()):
			serveError(w, b.remove(p, webdav.ConditionalMatch(r.Header.Get("If-Match"))), http.StatusNoContent)
		case r.Method == "MKCALENDAR" && strings.HasPrefix(p, b.homePath()):
			serveError(w, b.mkcalendar(r), http.StatusCreated)
		case r.Method == "PROPFIND" && r.Header.Get("Depth") == "0" && b.isCalendarPath(p):
			b.servePropfind(w, r)
		case r.Method == "REPORT" && b.isCalendarPath(p):
			b.serveReport(w, r, main)
		case strings.HasPrefix(p, prefix) || p+"/" == prefix:
			main.ServeHTTP(w, r)
		default:
			http.NotFound(w, r)
		}
	})
}

// serveError writes ok if err is nil, else err's status (go-webdav's
// HTTP errors carry one) with its text.
func serveError(w http.ResponseWriter, err error, ok int) {
	if err == nil {
		w.WriteHeader(ok)
		return
	}
	// go-webdav's error type is internal; its text starts with the code.
	code := http.StatusInternalServerError
	if code3, _, ok := strings.Cut(err.Error(), " "); ok {
		if n, cerr := strconv.Atoi(code3); cerr == nil && n >= 400 && n < 600 {
			code = n
		}
	}
	http.Error(w, err.Error(), code)
}

func withPath(r *http.Request, p string) *http.Request {
	r2 := r.Clone(r.Context())
	r2.URL.Path = p
	r2.URL.RawPath = ""
	return r2
}

// mkcalendar creates a calendar from a MKCALENDAR request, with the
// DAV:displayname and CALDAV:calendar-description it may carry.
func (b *FileBackend) mkcalendar(r *http.Request) error {
	cal, obj, ok := b.split(r.URL.Path)
	if !ok || cal == "" || obj != "" {
		return webdav.NewHTTPError(http.StatusForbidden, errors.New("davserver: calendars go in the calendar home"))
	}
	var req struct {
		Set []struct {
			Prop struct {
				DisplayName string `xml:"DAV: displayname"`
				Description string `xml:"urn:ietf:params:xml:ns:caldav calendar-description"`
			} `xml:"DAV: prop"`
		} `xml:"DAV: set"`
	}
	body, err := io.ReadAll(r.Body) // bounded by NewHandler (readBody)
	if err != nil {
		return webdav.NewHTTPError(http.StatusBadRequest, err)
	}
	if len(strings.TrimSpace(string(body))) > 0 {
		if err := xml.Unmarshal(body, &req); err != nil {
			return webdav.NewHTTPError(http.StatusBadRequest, errors.New("davserver: malformed MKCALENDAR body"))
		}
	}
	meta := calendarMeta{DisplayName: cal}
	for _, s := range req.Set {
		if s.Prop.DisplayName != "" {
			meta.DisplayName = s.Prop.DisplayName
		}
		if s.Prop.Description != "" {
			meta.Description = s.Prop.Description
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.createCalendar(cal, meta, true)
}

// InProcessTransport returns an http.RoundTripper that hands requests to h
// directly, without a network: for a Calendar (Config.HTTPClient) that
// talks to an in-process handler, such as rdv's embedded server.
func InProcessTransport(h http.Handler) http.RoundTripper {
	return roundTripper(func(r *http.Request) (*http.Response, error) {
		if err := r.Context().Err(); err != nil {
			return nil, err
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		resp := rec.Result()
		resp.Request = r
		return resp, nil
	})
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
