package caldav

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/internal/testcal"
	"github.com/rdvlibre/rdv/internal/testservers"
)

// adaptServer adapts a real server (see internal/testservers) to the client
// suite. Its URL is the host's base URL, as a Nextcloud user would give it.
func adaptServer(s *testservers.Server) *testServer {
	return &testServer{
		url: s.URL, user: s.User, pass: s.Password,
		calendarPath: s.CalendarPath,
		mkcal: func(t *testing.T, name, displayName string) {
			t.Helper()
			s.MkCalendar(t, name, displayName)
		},
		put: func(t *testing.T, cal, obj string, data []byte) {
			t.Helper()
			s.Put(t, cal, obj, data)
		},
	}
}

// startSabreDAV runs sabre/dav with Nextcloud's URL layout and one worker.
func startSabreDAV(t *testing.T) *testservers.Server {
	t.Helper()
	if testing.Short() && !requireServers() {
		t.Skip("starts sabre/dav")
	}
	return testservers.StartSabreDAV(t)
}

func TestClientSabreDAV(t *testing.T) {
	runClientSuite(t, adaptServer(startSabreDAV(t)))
}

// proxy serves s through a reverse proxy that records the requests it
// passes ("METHOD path"), over TLS if tls is set. hide lists path prefixes
// it answers 404 to, as a web server in front of Nextcloud may.
func proxy(t *testing.T, s *testservers.Server, tls bool, hide ...string) (*httptest.Server, func() []string) {
	t.Helper()
	target, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	var mu sync.Mutex
	var seen []string
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.Path)
		mu.Unlock()
		for _, p := range hide {
			if strings.HasPrefix(r.URL.Path, p) {
				http.NotFound(w, r)
				return
			}
		}
		// Read the body before passing it on. Streamed, it races with the
		// answer: php -S answers as soon as it has the body, and once the
		// proxy writes that answer, the server closes the request body
		// the proxy is still reading to its end; the proxy then drops the
		// connection to php in the middle of the answer.
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		rp.ServeHTTP(w, r)
	})
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes
	if tls {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return srv, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}
}

// TestSabreDAVDiscoveryPath checks that discovery from a Nextcloud base URL
// takes the way Nextcloud's users expect: the web root (a login page),
// /.well-known/caldav, the DAV root, the principal, the calendar home.
func TestSabreDAVDiscoveryPath(t *testing.T) {
	s := startSabreDAV(t)
	s.MkCalendar(t, "personal", "Personnel")
	s.MkCalendar(t, "rdv", "Rendez-vous")
	p, seen := proxy(t, s, false)
	cfg := adaptServer(s).config("Rendez-vous")
	cfg.URL = p.URL
	c, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := c.Calendars(); b.Path != s.CalendarPath("rdv") {
		t.Errorf("bookings calendar = %+v", b)
	}
	want := []string{
		"PROPFIND /", "PROPFIND /index.php/login",
		"PROPFIND /.well-known/caldav", "PROPFIND /remote.php/dav/",
		"PROPFIND " + s.Principal, "PROPFIND " + s.Home,
	}
	if got := seen(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("requests:\n\t%s\nwant:\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}

// TestSabreDAVDiscoveryErrors checks that each way discovery can fail on a
// real server gives an error that says what was tried and what failed: the
// message (booking.ErrorMessage) in words, the error text with the URLs.
func TestSabreDAVDiscoveryErrors(t *testing.T) {
	s := startSabreDAV(t)
	ts := adaptServer(s)
	ts.mkcal(t, "rdv", "Rendez-vous")
	ts.mkcal(t, "work", "Travail")
	ctx := context.Background()
	// hidden is Nextcloud in a web server that does not redirect
	// /.well-known/caldav (a common mistake, which Nextcloud's admin page
	// warns about).
	hidden, _ := proxy(t, s, false, "/.well-known/")
	tlsProxy, _ := proxy(t, s, true)

	cases := []struct {
		name    string
		change  func(*Config)
		code    string
		message []string // in booking.ErrorMessage
		text    []string // in err.Error()
	}{
		{
			name:    "wrong password",
			change:  func(c *Config) { c.Password = "not-the-secret-42" },
			code:    booking.EInvalid,
			message: []string{"refused the credentials", "HTTP 401"},
			text:    []string{"PROPFIND " + s.URL + "remote.php/dav/", "401"},
		},
		{
			name:    "unknown user",
			change:  func(c *Config) { c.Username = "bob" },
			code:    booking.EInvalid,
			message: []string{"refused the credentials", "HTTP 401"},
		},
		{
			name:    "no calendar of that name",
			change:  func(c *Config) { c.BusyCalendars = []string{"Holidays"} },
			code:    booking.EInvalid,
			message: []string{`no calendar named "Holidays"`, "found: Rendez-vous, Travail"},
			text:    []string{"calendar homes searched: " + s.URL + strings.TrimPrefix(s.Home, "/")},
		},
		{
			name:    "no bookings calendar named, several found",
			change:  func(c *Config) { c.BookingsCalendar = "" },
			code:    booking.EInvalid,
			message: []string{"say which calendar", "found: Rendez-vous, Travail"},
		},
		{
			name:    "wrong base URL, no well-known redirect",
			change:  func(c *Config) { c.URL = hidden.URL + "/nextcloud/" },
			code:    booking.EInvalid,
			message: []string{"no CalDAV calendars found", "the configured URL: HTTP 404", "/.well-known/caldav: HTTP 404"},
		},
		{
			name:    "web root, no well-known redirect",
			change:  func(c *Config) { c.URL = hidden.URL },
			code:    booking.EInvalid,
			message: []string{"the configured URL: HTTP 200, not a WebDAV answer", "/.well-known/caldav: HTTP 404"},
		},
		{
			name:    "untrusted TLS certificate",
			change:  func(c *Config) { c.URL = tlsProxy.URL },
			code:    booking.EUnavailable,
			message: []string{"TLS certificate was not accepted"},
			text:    []string{"PROPFIND " + tlsProxy.URL + "/", "x509"},
		},
		{
			name:   "https to a plain HTTP server",
			change: func(c *Config) { c.URL = strings.Replace(s.URL, "http:", "https:", 1) },
			code:   booking.EUnavailable,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := ts.config("Rendez-vous")
			tc.change(&cfg)
			start := time.Now()
			_, err := New(ctx, cfg)
			wantCode(t, err, tc.code)
			if err == nil {
				return
			}
			msg := booking.ErrorMessage(err)
			for _, want := range tc.message {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q lacks %q", msg, want)
				}
			}
			for _, want := range tc.text {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
			if strings.Contains(err.Error(), "not-the-secret-42") || strings.Contains(err.Error(), s.Password) {
				t.Errorf("error %q shows a password", err)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}

	t.Run("a wrong path on the right host is saved by well-known", func(t *testing.T) {
		cfg := ts.config("Rendez-vous")
		cfg.URL = s.URL + "nextcloud/"
		if _, err := New(ctx, cfg); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("the DAV root when well-known is missing", func(t *testing.T) {
		cfg := ts.config("Rendez-vous")
		cfg.URL = hidden.URL + "/remote.php/dav/"
		if _, err := New(ctx, cfg); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("trusted TLS", func(t *testing.T) {
		cfg := ts.config("Rendez-vous", "Travail")
		cfg.URL = tlsProxy.URL
		cfg.HTTPClient = tlsProxy.Client()
		c, err := New(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Check(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

// TestSabreDAVParallelCreatesWorkers sends ten conditional creates
// (If-None-Match: *) of one object at once to sabre/dav with several PHP
// workers, as PHP-FPM runs it behind a real Nextcloud. sabre/dav checks the
// condition, then looks whether the object exists, then inserts or updates
// it, and none of this is atomic. So one create wins (201), most losers get
// 412, a loser that reaches the insert late hits the unique key of the table
// (Nextcloud's has it too) and fails with 500, and, rarely, a loser that
// passed the check before the winner's insert finds the object there and
// overwrites it (204). Whatever the answers, the calendar must hold one
// object, and rdv must take a 500 as "maybe a conflict".
func TestSabreDAVParallelCreatesWorkers(t *testing.T) {
	if testing.Short() && !requireServers() {
		t.Skip("starts sabre/dav")
	}
	s := testservers.StartSabreDAVWorkers(t, 4)
	s.MkCalendar(t, "rdv", "Rendez-vous")
	const n = 10
	count := func(t *testing.T, object string) int {
		t.Helper()
		list := s.Do(t, "PROPFIND", s.CalendarPath("rdv"), "", nil, http.StatusMultiStatus)
		return bytes.Count(list, []byte("/"+object+"</d:href>"))
	}

	t.Run("server", func(t *testing.T) {
		for round := range 3 {
			object := fmt.Sprintf("race-%d.ics", round)
			codes := make([]int, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					body := fmt.Sprintf("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//rdv//test//EN\r\n"+
						"BEGIN:VEVENT\r\nUID:race-%d@rdv.test\r\nDTSTAMP:20270101T000000Z\r\n"+
						"DTSTART:20270301T090000Z\r\nDTEND:20270301T100000Z\r\nSUMMARY:writer %d\r\n"+
						"END:VEVENT\r\nEND:VCALENDAR\r\n", round, i)
					req, err := http.NewRequest(http.MethodPut, s.URL+strings.TrimPrefix(s.CalendarPath("rdv"), "/")+object, strings.NewReader(body))
					if err != nil {
						t.Error(err)
						return
					}
					req.SetBasicAuth(s.User, s.Password)
					req.Header.Set("If-None-Match", "*")
					req.Header.Set("Content-Type", "text/calendar")
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						t.Error(err)
						return
					}
					resp.Body.Close()
					codes[i] = resp.StatusCode
				})
			}
			wg.Wait()
			byCode := map[int]int{}
			for _, code := range codes {
				switch {
				case code == http.StatusCreated, code == http.StatusNoContent,
					code == http.StatusPreconditionFailed, code >= 500:
					byCode[code]++
				default:
					t.Errorf("round %d: status %d", round, code)
				}
			}
			if byCode[http.StatusCreated] != 1 {
				t.Errorf("round %d: %d created, want 1", round, byCode[http.StatusCreated])
			}
			if k := count(t, object); k != 1 {
				t.Errorf("round %d: the calendar lists the object %d times", round, k)
			}
			t.Logf("round %d: statuses %v", round, byCode)
		}
	})

	t.Run("client", func(t *testing.T) {
		ts := adaptServer(s)
		c, err := New(context.Background(), ts.config("Rendez-vous"))
		if err != nil {
			t.Fatal(err)
		}
		b := testAppointment(t, "3f2a1c1e-5b7d-4c51-9a39-0000000000b1", time.Date(2027, 3, 30, 11, 0, 0, 0, testcal.Paris(t)), booking.StatusConfirmed)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { _, errs[i] = c.Create(context.Background(), b) })
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch booking.ErrorCode(err) {
			case "":
				won++
			case booking.EConflict:
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}
		// A loser answered 500 reads back an event identical to its own
		// (same booking, same DTSTAMP second) and cannot tell it from its
		// own write; one answered 204 did write. Either counts as won.
		// What matters is one event.
		if won < 1 {
			t.Errorf("nobody won")
		}
		t.Logf("%d of %d creates reported success", won, n)
		if k := count(t, b.Booking.ID+".ics"); k != 1 {
			t.Errorf("the calendar lists the event %d times", k)
		}
	})
}
