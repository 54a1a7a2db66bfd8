package caldav

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/davserver"
	"github.com/rdvlibre/rdv/internal/testcal"
)

// Tests of the client on rdv's embedded server (davserver), reached in
// process.

// davRequest sends a request to h in process and returns the status and
// the body.
func davRequest(t *testing.T, h http.Handler, method, path, depth, body string) (int, string) {
	t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if depth != "" {
		r.Header.Set("Depth", depth)
	}
	switch {
	case strings.HasPrefix(body, "BEGIN:"):
		r.Header.Set("Content-Type", "text/calendar; charset=utf-8")
	case body != "":
		r.Header.Set("Content-Type", "application/xml; charset=utf-8")
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code, w.Body.String()
}

func TestInProcessTransport(t *testing.T) {
	b, err := davserver.NewFileBackend(t.TempDir(), "demo")
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []bool{true, false} {
		created, err := b.EnsureCalendar("rdv", "Rendez-vous")
		if err != nil || created != want {
			t.Fatalf("EnsureCalendar #%d = %v, %v; want %v", i+1, created, err, want)
		}
	}
	h := davserver.NewHandler(b, "/dav/")
	c, err := New(context.Background(), Config{
		URL:              "http://rdv.invalid/dav/",
		BookingsCalendar: "Rendez-vous",
		HTTPClient:       &http.Client{Transport: davserver.InProcessTransport(h)},
		Location:         testcal.Paris(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.BookingsURL(); got != "http://rdv.invalid/dav/calendars/demo/rdv/" {
		t.Errorf("BookingsURL = %q", got)
	}
	start := time.Date(2027, 1, 5, 9, 0, 0, 0, testcal.Paris(t))
	if _, err := c.Create(context.Background(), testAppointment(t, "3f2a1c1e-5b7d-4c51-9a39-0000000000bb", start, booking.StatusConfirmed)); err != nil {
		t.Fatal(err)
	}
	busy, err := c.Busy(context.Background(), start, start.Add(time.Hour))
	if err != nil || len(busy) != 1 {
		t.Errorf("Busy = %v, %v", busy, err)
	}
}

// TestCacheOnEmbeddedValidators checks that rdv's cache, on rdv's own
// server, costs one request per read when nothing changed, sees a change
// another client makes through the server at the next read, and is not
// fooled by a restart of the server: the same files give the same
// validators (the cache stays warm), other files other validators (the
// cache catches up).
func TestCacheOnEmbeddedValidators(t *testing.T) {
	for _, mode := range []syncMode{modeSync, modeCTag} {
		t.Run(mode.String(), func(t *testing.T) {
			ctx := context.Background()
			loc := testcal.Paris(t)
			dir := t.TempDir()
			b, err := davserver.NewFileBackend(dir, "alice")
			if err != nil {
				t.Fatal(err)
			}
			if err := b.CreateCalendar("rdv", "Rendez-vous"); err != nil {
				t.Fatal(err)
			}
			if err := b.PutObject("rdv", "a.ics", testcal.Event(t, "a@test", "20270310T090000")); err != nil {
				t.Fatal(err)
			}
			// The server behind the transport can be swapped, for restarts.
			var server atomic.Pointer[http.Handler]
			serve := func(b *davserver.FileBackend) {
				h := davserver.NewHandler(b, "/dav/")
				server.Store(&h)
			}
			serve(b)
			ct := &countingTransport{next: davserver.InProcessTransport(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				(*server.Load()).ServeHTTP(w, r)
			}))}
			c, err := New(ctx, Config{URL: "http://rdv.embedded/dav/", BookingsCalendar: "rdv",
				Location: loc, HTTPClient: &http.Client{Transport: ct}})
			if err != nil {
				t.Fatal(err)
			}
			c.caches[0].noSync = mode == modeCTag
			from, to := testcal.MustTime(t, "2027-03-01T00:00:00+01:00"), testcal.MustTime(t, "2027-04-01T00:00:00+02:00")
			read := func(t *testing.T, wantRequests int, spans ...string) {
				t.Helper()
				ct.take()
				got, err := c.Busy(ctx, from, to)
				if err != nil {
					t.Fatal(err)
				}
				if w := testcal.Intervals(t, spans...); !testcal.SameIntervals(plain(got), w) {
					t.Errorf("got:%s\nwant:%s", testcal.FormatIntervals(plain(got)), testcal.FormatIntervals(w))
				}
				if reqs := ct.take(); wantRequests > 0 && len(reqs) != wantRequests {
					t.Errorf("%d requests, want %d: %v", len(reqs), wantRequests, reqs)
				}
			}
			a := "2027-03-10T09:00:00+01:00/2027-03-10T10:00:00+01:00"
			b1 := "2027-03-11T09:00:00+01:00/2027-03-11T10:00:00+01:00"
			b2 := "2027-03-12T09:00:00+01:00/2027-03-12T10:00:00+01:00"

			read(t, 0, a)
			if cc := c.caches[0]; cc.mode != mode {
				t.Fatalf("validated by %v, want %v", cc.mode, mode)
			}
			read(t, 1, a)
			read(t, 1, a)

			// Another client writes through the server.
			if code, body := davRequest(t, *server.Load(), http.MethodPut, "/dav/calendars/alice/rdv/b.ics", "", string(testcal.Event(t, "b@test", "20270311T090000"))); code != http.StatusCreated {
				t.Fatalf("PUT: %d %s", code, body)
			}
			read(t, 0, a, b1)
			read(t, 1, a, b1)

			// A restart on the same files: the cache stays valid.
			b, err = davserver.NewFileBackend(dir, "alice")
			if err != nil {
				t.Fatal(err)
			}
			serve(b)
			read(t, 1, a, b1)

			// Changes the cache has not seen, then a restart: a write
			// through the old server, and a file removed while it was
			// stopped.
			if code, _ := davRequest(t, *server.Load(), http.MethodPut, "/dav/calendars/alice/rdv/b.ics", "", string(testcal.Event(t, "b@test", "20270312T090000"))); code != http.StatusCreated {
				t.Fatalf("PUT: %d", code)
			}
			if err := os.Remove(filepath.Join(dir, "rdv", "a.ics")); err != nil {
				t.Fatal(err)
			}
			b, err = davserver.NewFileBackend(dir, "alice")
			if err != nil {
				t.Fatal(err)
			}
			serve(b)
			read(t, 0, b2)
			read(t, 1, b2)
			if cc := c.caches[0]; cc.mode != mode {
				t.Errorf("validated by %v after the restarts, want %v", cc.mode, mode)
			}
		})
	}
}
