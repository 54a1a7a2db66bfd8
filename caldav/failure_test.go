package caldav

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/davserver"
	"github.com/rdvlibre/rdv/internal/testcal"
)

// flakyServer serves a FileBackend with two calendars and misbehaves as
// told: see the modes of TestBusyFailures.
type flakyServer struct {
	url  string
	mode atomic.Value // string
	// closed is the address of a port nobody listens on, for "down".
	closed string
}

func newFlakyServer(t *testing.T) *flakyServer {
	t.Helper()
	b, err := davserver.NewFileBackend(t.TempDir(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"rdv", "work"} {
		if err := b.CreateCalendar(name, name); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.PutObject("work", "meeting.ics", testcal.Event(t, "meeting@test", "20270310T090000")); err != nil {
		t.Fatal(err)
	}
	h := davserver.NewHandler(b, "/dav/")
	stop := make(chan struct{})
	fs := &flakyServer{}
	fs.mode.Store("")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch fs.mode.Load().(string) {
		case "hang":
			select {
			case <-r.Context().Done():
			case <-stop:
			}
		case "stall": // a 207 that stops in the middle
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusMultiStatus)
			w.Write([]byte(`<?xml version="1.0"?><D:multistatus xmlns:D="DAV:"><D:response>`))
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
			case <-stop:
			}
		case "500":
			http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		case "401":
			w.Header().Set("WWW-Authenticate", `Basic realm="dav"`)
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
		case "garbage":
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusMultiStatus)
			w.Write([]byte("<?xml version=\"1.0\"?>\n<D:multistatus xmlns:D=\"DAV:\"><D:response><D:href>/x</D:oops>\x00\x01"))
		case "html": // a login page, as a proxy in front of the server may answer
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<html><body>Please log in</body></html>"))
		case "reset":
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.(*net.TCPConn).SetLinger(0)
				conn.Close()
			}
		default:
			h.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(func() {
		close(stop)
		srv.Close()
	})
	fs.url = srv.URL + "/"
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fs.closed = l.Addr().String()
	l.Close()
	return fs
}

// RoundTrip sends requests to a closed port while the server is "down".
func (fs *flakyServer) RoundTrip(r *http.Request) (*http.Response, error) {
	if fs.mode.Load().(string) == "down" {
		r = r.Clone(r.Context())
		r.URL.Host = fs.closed
	}
	return http.DefaultTransport.RoundTrip(r)
}

func (fs *flakyServer) calendar(t *testing.T, timeout time.Duration) (*Calendar, *syncWriter) {
	t.Helper()
	log, buf := lockedLog()
	c, err := New(context.Background(), Config{
		URL: fs.url, BookingsCalendar: "rdv", BusyCalendars: []string{"work"},
		Timeout: timeout, Logger: log, Location: testcal.Paris(t),
		HTTPClient: &http.Client{Transport: fs},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c, buf
}

// TestBusyFailures checks that a calendar that cannot be read makes Busy
// fail quickly with an EUnavailable error that says why, never answer from
// the cache, log which calendar failed and how (without the events'
// content), and recover when the server does.
func TestBusyFailures(t *testing.T) {
	const timeout = 300 * time.Millisecond
	tests := []struct {
		mode, message, logged string
	}{
		{"hang", "did not answer in time", "deadline exceeded"},
		{"stall", "did not answer in time", "deadline exceeded"},
		{"500", "failed (HTTP 500)", "500 Internal Server Error"},
		{"401", "refused the credentials", "401 Unauthorized"},
		{"garbage", "answer rdv cannot read", "malformed answer"},
		{"html", "unexpected answer from the calendar server (HTTP 200)", "200 OK"},
		{"reset", "cannot be reached", "/dav/calendars/alice/"},
		{"down", "refused the connection", "connection refused"},
	}
	from, to := testcal.MustTime(t, "2027-03-01T00:00:00Z"), testcal.MustTime(t, "2027-04-01T00:00:00Z")
	for _, tt := range tests {
		for _, warm := range []bool{true, false} {
			name := tt.mode + "/cold"
			if warm {
				name = tt.mode + "/warm"
			}
			t.Run(name, func(t *testing.T) {
				fs := newFlakyServer(t)
				c, logs := fs.calendar(t, timeout)
				ctx := context.Background()
				if warm {
					if got, err := c.Busy(ctx, from, to); err != nil || len(got) != 1 {
						t.Fatalf("Busy while the server works: %v, %v", got, err)
					}
				}
				fs.mode.Store(tt.mode)
				start := time.Now()
				got, err := c.Busy(ctx, from, to)
				elapsed := time.Since(start)
				wantCode(t, err, booking.EUnavailable)
				if got != nil {
					t.Errorf("Busy answered %v with its error", got)
				}
				if msg := booking.ErrorMessage(err); !strings.Contains(msg, tt.message) || strings.Contains(msg, "127.0.0.1") {
					t.Errorf("message %q, want %q and no URL", msg, tt.message)
				}
				if elapsed > timeout+time.Second {
					t.Errorf("Busy took %v with a timeout of %v", elapsed, timeout)
				}
				// Check fails the same way, as quickly.
				start = time.Now()
				wantCode(t, c.Check(ctx), booking.EUnavailable)
				if elapsed := time.Since(start); elapsed > timeout+time.Second {
					t.Errorf("Check took %v", elapsed)
				}

				waitFor(t, func() bool { return strings.Contains(logs.String(), "calendar unreadable") })
				out := logs.String()
				if !strings.Contains(out, "calendar=/dav/calendars/alice/") || !strings.Contains(out, tt.logged) {
					t.Errorf("the log does not say which calendar failed and why (%q):\n%s", tt.logged, out)
				}
				for _, secret := range []string{"Réunion", "confidentielle", "secret"} {
					if strings.Contains(out, secret) {
						t.Errorf("the log shows %q:\n%s", secret, out)
					}
				}

				fs.mode.Store("")
				waitFor(t, func() bool {
					got, err := c.Busy(ctx, from, to)
					return err == nil && len(got) == 1
				})
				if err := c.Check(ctx); err != nil {
					t.Errorf("Check after recovery: %v", err)
				}
				waitFor(t, func() bool { return strings.Contains(logs.String(), "readable again") })
			})
		}
	}
}

// TestBusyDeadline checks that Busy gives up at BusyTimeout while the
// validation it waited for goes on for the reads after it.
func TestBusyDeadline(t *testing.T) {
	fs := newFlakyServer(t)
	log, _ := lockedLog()
	c, err := New(context.Background(), Config{
		URL: fs.url, BookingsCalendar: "rdv", Timeout: 2 * time.Second, BusyTimeout: 100 * time.Millisecond,
		Logger: log, HTTPClient: &http.Client{Transport: fs},
	})
	if err != nil {
		t.Fatal(err)
	}
	fs.mode.Store("hang")
	start := time.Now()
	_, err = c.Busy(context.Background(), time.Now(), time.Now().Add(time.Hour))
	wantCode(t, err, booking.EUnavailable)
	if d := time.Since(start); d > time.Second {
		t.Errorf("Busy took %v with a BusyTimeout of 100ms", d)
	}
	// The caller's own deadline counts too.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start = time.Now()
	_, err = c.Busy(ctx, time.Now(), time.Now().Add(time.Hour))
	wantCode(t, err, booking.EUnavailable)
	if d := time.Since(start); d > 90*time.Millisecond {
		t.Errorf("Busy took %v with a context of 20ms", d)
	}
}

// TestCheckOneRequest checks that Check costs one request per calendar.
func TestCheckOneRequest(t *testing.T) {
	fs := newFlakyServer(t)
	ct := &countingTransport{next: fs}
	c, err := New(context.Background(), Config{
		URL: fs.url, BookingsCalendar: "rdv", BusyCalendars: []string{"work"},
		HTTPClient: &http.Client{Transport: ct},
	})
	if err != nil {
		t.Fatal(err)
	}
	ct.take()
	if err := c.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	if reqs := ct.take(); len(reqs) != 2 {
		t.Errorf("Check of 2 calendars sent %v", reqs)
	}
}

// waitFor polls cond for up to 5 seconds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 5s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// lockedLog returns a logger and what it wrote, safe to read while it
// writes.
func lockedLog() (*slog.Logger, *syncWriter) {
	w := &syncWriter{w: new(bytes.Buffer)}
	return slog.New(slog.NewTextHandler(w, nil)), w
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.String()
}
