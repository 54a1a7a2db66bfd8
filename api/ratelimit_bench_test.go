package api

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// Benchmarks of the per-client rate limits (guard.go, ratelimit.go): what
// they add to a request that passes them, and what a refusal costs. The
// figures are in docs/BENCHMARKS.md:
//
//	go test -run '^$' -bench 'Guard|ServeSlots' -benchmem -count 5 ./api/

// unreached is a rate that is on but that no benchmark reaches: a bucket of
// 2^30 requests, refilled one per nanosecond.
var unreached = Rate{Every: time.Nanosecond, Burst: 1 << 30}

// benchServer returns a server of the test fixture (newEnvConfig) with the
// rate limits rl, or none if rl is nil, logging to nowhere (the request
// log costs the same with and without limits; it is not what is measured).
func benchServer(b *testing.B, rl *RateLimits) *Server {
	e := newEnvConfig(b, func(c *Config) {
		c.NoRateLimits = rl == nil
		if rl != nil {
			c.RateLimits = *rl
		}
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	})
	return e.srv
}

// BenchmarkGuard measures Server.guard alone, which runs before every
// request, for a slots query (GET, class read) and a booking (POST, class
// book, JSON checked): with the rate limits off; on but never reached, for
// one client, for 1,000 clients in turn (all remembered), and for 100,000
// in turn, more than the table keeps (DefaultMaxClients, 10,000): each
// request is a client not seen for 100,000 requests, whose bucket is made
// anew while older generations are dropped; and refused (the default
// rates, one client, the server's clock stopped: past the burst every
// request is answered 429).
func BenchmarkGuard(b *testing.B) {
	requests := []struct {
		name string
		req  func() *http.Request
	}{
		{"slots", func() *http.Request {
			return httptest.NewRequest(http.MethodGet, "/v1/practitioners/demo/slots?type=consultation", nil)
		}},
		{"book", func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/v1/bookings", strings.NewReader(bookingBody("consultation", "2026-12-01T09:00:00+01:00")))
			r.Header.Set("Content-Type", "application/json")
			return r
		}},
	}
	on := &RateLimits{Book: unreached, Read: unreached}
	cases := []struct {
		name    string
		limits  *RateLimits
		clients int
		status  int // what guard answers: 0 for nothing (the request goes on)
	}{
		{"limits=off", nil, 1, 0},
		{"limits=on/clients=1", on, 1, 0},
		{"limits=on/clients=1000", on, 1000, 0},
		{"limits=on/clients=100000", on, 100_000, 0},
		{"limits=on/refused", &RateLimits{}, 1, http.StatusTooManyRequests},
	}
	for _, rq := range requests {
		for _, c := range cases {
			b.Run(rq.name+"/"+c.name, func(b *testing.B) {
				s := benchServer(b, c.limits)
				addrs := make([]string, c.clients)
				for i := range addrs {
					addrs[i] = fmt.Sprintf("10.%d.%d.%d:4711", i>>16&255, i>>8&255, i&255)
				}
				r := rq.req()
				r.RemoteAddr = addrs[0]
				w := &nullWriter{h: http.Header{}}
				if c.status != 0 {
					for range 1000 { // empty the bucket
						s.guard(w, r)
					}
				}
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					r.RemoteAddr = addrs[i]
					if i++; i == len(addrs) {
						i = 0
					}
					w.status = 0
					clear(w.h)
					s.guard(w, r)
				}
				if w.status != c.status {
					b.Fatalf("guard answered %d, want %d", w.status, c.status)
				}
			})
		}
	}
}

// BenchmarkServeSlots measures a whole slots query through Server.ServeHTTP
// (the in-memory fixture: one practitioner, an empty calendar, 7 days of
// 20-minute slots), with the rate limits off and on (never reached, one
// client).
func BenchmarkServeSlots(b *testing.B) {
	for _, c := range []struct {
		name   string
		limits *RateLimits
	}{
		{"limits=off", nil},
		{"limits=on", &RateLimits{Read: unreached}},
	} {
		b.Run(c.name, func(b *testing.B) {
			s := benchServer(b, c.limits)
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				s.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/v1/practitioners/demo/slots?type=consultation", nil))
				if w.Code != http.StatusOK {
					b.Fatalf("%d %s", w.Code, w.Body)
				}
			}
		})
	}
}

// nullWriter is a ResponseWriter that keeps the status and drops the body.
type nullWriter struct {
	h      http.Header
	status int
}

func (w *nullWriter) Header() http.Header { return w.h }

func (w *nullWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return len(p), nil
}

func (w *nullWriter) WriteHeader(status int) { w.status = status }
