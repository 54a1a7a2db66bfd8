package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/davserver"
)

// TestCalendarUnreachable points rdv at a CalDAV server that then goes away
// (closed port) or stops answering (accepts, never replies): the slots
// endpoint and a booking answer 503 problem+json without any internal detail,
// /readyz says not ready, nothing is written, and all comes back when the
// server does.
func TestCalendarUnreachable(t *testing.T) {
	backend, err := davserver.NewFileBackend(t.TempDir(), "anne")
	if err != nil {
		t.Fatal(err)
	}
	if err := backend.CreateCalendar("rdv", "Rendez-vous"); err != nil {
		t.Fatal(err)
	}
	dav := davserver.NewHandler(backend, "/dav/")

	// A switchable front: it serves the calendar, refuses connections, or
	// hangs until the client gives up.
	var mu sync.Mutex
	mode := "up"
	release := make(chan struct{}) // closed when a hanging server recovers
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		m, rel := mode, release
		mu.Unlock()
		switch m {
		case "hang":
			select {
			case <-r.Context().Done():
			case <-rel:
				http.Error(w, "recovered", http.StatusServiceUnavailable)
			}
			return
		case "down":
			hj, ok := w.(http.Hijacker)
			if ok {
				if c, _, err := hj.Hijack(); err == nil {
					c.Close() // the connection drops without an answer
					return
				}
			}
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		dav.ServeHTTP(w, r)
	}))
	defer front.Close()
	set := func(m string) {
		mu.Lock()
		defer mu.Unlock()
		if mode == "hang" {
			close(release) // the server answers what it held
			release = make(chan struct{})
		}
		mode = m
	}

	cfg, err := ParseConfig([]byte(fmt.Sprintf(`
[[practitioners]]
id = "anne"
name = "Dr Anne"
email = "anne@example.org"
open_on_holidays = true
[practitioners.hours]
mon = ["09:00-12:00"]
tue = ["09:00-12:00"]
wed = ["09:00-12:00"]
thu = ["09:00-12:00"]
fri = ["09:00-12:00"]
sat = ["09:00-12:00"]
sun = ["09:00-12:00"]
[practitioners.calendar]
url = %q
username = "anne"
password = "s3cret-password"
bookings = "Rendez-vous"
[[practitioners.types]]
id = "consultation"
duration = "20m"
`, front.URL+"/dav/calendars/anne/rdv/")))
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var logs strings.Builder
	var logMu sync.Mutex
	logger := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		logMu.Lock()
		defer logMu.Unlock()
		return logs.Write(p)
	}), nil))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, ln, io.Discard, logger) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	in := &instance{t: t, base: "http://" + ln.Addr().String(), data: cfg.DataDir}
	waitHealthy(t, in.base)

	paris, _ := time.LoadLocation("Europe/Paris")
	day := time.Now().In(paris).AddDate(0, 0, 2)
	q := fmt.Sprintf("/v1/practitioners/anne/slots?type=consultation&from=%s&to=%s", day.Format("2006-01-02"), day.AddDate(0, 0, 1).Format("2006-01-02"))
	var sr slotsResponse
	if st, _ := in.do("GET", q, nil, &sr); st != 200 || len(sr.Slots) == 0 {
		t.Fatalf("slots with the calendar up: %d, %d slots", st, len(sr.Slots))
	}
	start := sr.Slots[0].Start

	for _, m := range []string{"down", "hang"} {
		t.Run(m, func(t *testing.T) {
			set(m)
			defer set("up")
			var p problem
			st, ct := in.do("GET", q, nil, &p)
			if st != 503 || !strings.HasPrefix(ct, "application/problem+json") || p.Detail == "" {
				t.Errorf("slots: %d %s %+v, want 503 problem+json", st, ct, p)
			}
			for _, leak := range []string{front.URL, "127.0.0.1", "s3cret", "/dav/"} {
				if strings.Contains(p.Detail+p.Title, leak) {
					t.Errorf("problem reveals %q: %+v", leak, p)
				}
			}
			body := withPractitioner(bookBody(start, "Marie Curie", "marie@example.org"), "anne")
			if st, ct := in.do("POST", "/v1/bookings", body, &p); st != 503 || !strings.HasPrefix(ct, "application/problem+json") {
				t.Errorf("book: %d %s %+v, want 503", st, ct, p)
			}
			if st, _ := in.do("GET", "/readyz", nil, nil); st != 503 {
				t.Errorf("readyz: %d, want 503", st)
			}
			rows, err := openLedgerForCount(cfg.DataDir + "/rdv.db")
			if err != nil || rows != 0 {
				t.Errorf("ledger rows: %d (%v), want 0", rows, err)
			}
		})
	}

	// Back up: the same slot books fine, exactly once.
	var b bookingResponse
	if st, _ := in.do("POST", "/v1/bookings", withPractitioner(bookBody(start, "Marie Curie", "marie@example.org"), "anne"), &b); st != 201 {
		t.Fatalf("book after recovery: %d", st)
	}
	if st, _ := in.do("GET", "/readyz", nil, nil); st != 200 {
		t.Errorf("readyz after recovery: %d", st)
	}
	logMu.Lock()
	defer logMu.Unlock()
	for _, leak := range []string{"Marie", "marie@example.org", "s3cret-password"} {
		if strings.Contains(logs.String(), leak) {
			t.Errorf("logs reveal %q", leak)
		}
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
