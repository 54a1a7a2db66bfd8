package caldav

import (
	"context"
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

// newEmbedded serves a fresh FileBackend for alice, behind Basic
// authentication whose password the returned pointer holds.
func newEmbedded(t *testing.T) (*testServer, *davserver.FileBackend, *atomic.Pointer[string]) {
	t.Helper()
	b, err := davserver.NewFileBackend(t.TempDir(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	var pass atomic.Pointer[string]
	secret := "secret"
	pass.Store(&secret)
	h := davserver.NewHandler(b, "/dav/")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || u != "alice" || p != *pass.Load() {
			w.Header().Set("WWW-Authenticate", `Basic realm="rdv"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	s := &testServer{
		url: srv.URL + "/", user: "alice", pass: secret,
		calendarPath: func(name string) string { return "/dav/calendars/alice/" + name + "/" },
		mkcal: func(t *testing.T, name, displayName string) {
			if err := b.CreateCalendar(name, displayName); err != nil {
				t.Fatal(err)
			}
		},
		put: func(t *testing.T, cal, obj string, data []byte) {
			if err := b.PutObject(cal, obj, data); err != nil {
				t.Fatal(err)
			}
		},
	}
	return s, b, &pass
}

func TestClientEmbedded(t *testing.T) {
	s, _, _ := newEmbedded(t)
	runClientSuite(t, s)
}

func TestCredentialsRevoked(t *testing.T) {
	s, _, pass := newEmbedded(t)
	s.mkcal(t, "rdv", "Rendez-vous")
	ctx := context.Background()
	c, err := New(ctx, s.config("Rendez-vous"))
	if err != nil {
		t.Fatal(err)
	}
	changed := "changed"
	pass.Store(&changed)
	_, err = c.Busy(ctx, time.Now(), time.Now().Add(time.Hour))
	wantCode(t, err, booking.EUnavailable)
	if !strings.Contains(booking.ErrorMessage(err), "credentials") || strings.Contains(err.Error(), "secret") {
		t.Errorf("error = %v", err)
	}
	_, err = c.Create(ctx, testAppointment(t, "3f2a1c1e-5b7d-4c51-9a39-0000000000aa", time.Now(), booking.StatusConfirmed))
	wantCode(t, err, booking.EUnavailable)
}

func TestUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	start := time.Now()
	_, err = New(context.Background(), Config{URL: "http://" + addr + "/", Username: "alice", Password: "hunter2-secret", Timeout: 2 * time.Second})
	wantCode(t, err, booking.EUnavailable)
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error shows the password: %v", err)
	}
	if msg := booking.ErrorMessage(err); strings.Contains(msg, addr) {
		t.Errorf("message %q shows the URL", msg)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestTimeout(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-block }))
	defer srv.Close()
	defer close(block)
	start := time.Now()
	_, err := New(context.Background(), Config{URL: srv.URL, Timeout: 200 * time.Millisecond})
	wantCode(t, err, booking.EUnavailable)
	if !strings.Contains(booking.ErrorMessage(err), "in time") {
		t.Errorf("message = %q", booking.ErrorMessage(err))
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestNotCalDAV(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	_, err := New(context.Background(), Config{URL: srv.URL + "/nothing/", Username: "a", Password: "b"})
	wantCode(t, err, booking.EInvalid)
	if msg := booking.ErrorMessage(err); !strings.Contains(msg, "well-known") || !strings.Contains(msg, "404") {
		t.Errorf("message %q does not say what was tried", msg)
	}
}

func TestBrokenObjectSkipped(t *testing.T) {
	s, _, _ := newEmbedded(t)
	s.mkcal(t, "rdv", "Rendez-vous")
	s.put(t, "rdv", "broken.ics", readFixture(t, "broken.ics"))
	s.put(t, "rdv", "weekly.ics", readFixture(t, "weekly_exdate.ics"))
	log, buf := captureLog()
	cfg := s.config("Rendez-vous")
	cfg.Logger = log
	cfg.Location = testcal.Paris(t)
	c, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Busy(context.Background(), testcal.MustTime(t, "2027-03-01T00:00:00Z"), testcal.MustTime(t, "2027-04-01T00:00:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	// weekly: 03-02 and 03-30; broken.ics: its two readable events.
	if len(got) != 4 {
		t.Errorf("got %d intervals:%s", len(got), testcal.FormatIntervals(plain(got)))
	}
	if c.BrokenObjects() != 1 {
		t.Errorf("BrokenObjects = %d", c.BrokenObjects())
	}
	out := buf.String()
	if !strings.Contains(out, "level=WARN") || !strings.Contains(out, "broken.ics") {
		t.Errorf("log = %q", out)
	}
	for _, secret := range []string{"Bad date", "Good", "SUMMARY"} {
		if strings.Contains(out, secret) {
			t.Errorf("log shows event content %q: %s", secret, out)
		}
	}
}

func TestWellKnownRedirect(t *testing.T) {
	s, _, _ := newEmbedded(t)
	s.mkcal(t, "rdv", "Rendez-vous")
	// A URL that is no DAV resource: discovery goes through /.well-known/caldav.
	cfg := s.config("")
	cfg.URL = strings.TrimSuffix(s.url, "/") + "/somewhere/else/"
	c, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := c.Calendars(); b.Path != "/dav/calendars/alice/rdv/" {
		t.Errorf("bookings = %+v", b)
	}
}
