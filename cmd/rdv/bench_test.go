package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	"github.com/rdvlibre/rdv/internal/testservers"
)

// BenchmarkBookingRadicale measures booking through the HTTP API of real
// rdv processes (the binary of this package) whose bookings calendar is in
// a real Radicale: with the ledger in PostgreSQL, one replica or two
// sharing it (and its advisory locks); with SQLite, one replica, for
// comparison. Every booking takes a free slot of its own (20 minutes, one
// after the other from tomorrow 08:00), so each op is one 201. One client
// books one slot after the other (latency), or 8 at once, spread over the
// replicas (throughput: the bookings of one practitioner are serialised
// by its lock, so this measures how short the critical section is).
//
// Radicale is reached through a proxy in this process that counts its
// requests and the time they take. Besides ns/op it reports bookings/s
// (the bookings timed over the wall clock of the timed loop), the p50 and
// p95 of the latency a client sees, and the Radicale requests and
// milliseconds per booking (logged by method). calendar=N starts with N events of the
// practitioner's own (outside the opening hours) in the bookings calendar.
//
// The figures are in docs/BENCHMARKS.md. Run it with a fixed count, since
// the calendar grows by one event per booking:
//
//	go test -run '^$' -bench BookingRadicale -benchtime 300x -count 3 ./cmd/rdv/
func BenchmarkBookingRadicale(b *testing.B) {
	skipHeavy(b)
	bin := rdvBinary(b, "")
	r := testservers.StartRadicale(b)
	cases := []benchCase{
		{store: "postgres", replicas: 1, clients: 1},
		{store: "postgres", replicas: 1, clients: 8},
		{store: "postgres", replicas: 2, clients: 1},
		{store: "postgres", replicas: 2, clients: 8},
		{store: "postgres", replicas: 2, clients: 8, calendar: 1000},
		{store: "sqlite", replicas: 1, clients: 1},
		{store: "sqlite", replicas: 1, clients: 8},
	}
	calendars := 0 // a new one for each run, -count included
	for _, bc := range cases {
		name := fmt.Sprintf("%s/replicas=%d/clients=%d/calendar=%d", bc.store, bc.replicas, bc.clients, bc.calendar)
		b.Run(name, func(b *testing.B) {
			calendars++
			benchBooking(b, bin, r, fmt.Sprintf("bench-%d", calendars), bc)
		})
	}
}

type benchCase struct {
	store             string // postgres or sqlite
	replicas, clients int
	calendar          int // events in the bookings calendar before the first booking
	// limits is the body of the [limits] table (procConfig.limits): ""
	// turns them off.
	limits string
	// ledger is how many bookings are made, one after the other, before
	// the timed ones (and the calendar grows by as many events).
	ledger int
}

// benchBooking runs the case bc; with r nil, the bookings calendar is on
// the embedded CalDAV server (bc.calendar must be 0) and nothing is
// reported of Radicale.
func benchBooking(b *testing.B, bin string, r *testservers.Radicale, calName string, bc benchCase) {
	dir := b.TempDir()
	cfg := procConfig{limits: bc.limits}
	var meter *radicaleMeter
	if r != nil {
		if bc.calendar > 0 {
			r.Do(b, http.MethodPut, r.CalendarPath(calName), "text/calendar", otherEvents(b, bc.calendar), http.StatusCreated)
		} else {
			r.MkCalendar(b, calName, calName)
		}
		meter = newRadicaleMeter(b, r)
		cfg.radicale = &testservers.Radicale{URL: meter.URL, User: r.User, Password: r.Password}
		cfg.bookings = r.CalendarPath(calName)
	}
	if bc.store == "postgres" {
		cfg.store = testservers.StartPostgres(b)
	}
	config := writeConfig(b, dir, cfg)
	var replicas []*rdvProcess
	for i := range bc.replicas {
		replicas = append(replicas, startRdv(b, fmt.Sprintf("replica %d", i+1), bin, config, filepath.Join(dir, fmt.Sprintf("data%d", i))))
	}

	// Slot i: 20 minutes, 30 a day from 08:00, from tomorrow; the first
	// bc.ledger ones are booked before the timed ones.
	slot := func(i int) time.Time { return localDay(1+i/30, 8, 0).Add(time.Duration(i%30) * 20 * time.Minute) }
	for i := range bc.ledger {
		replicas[0].mustCall(http.MethodPost, "/v1/bookings", bookingBody("consultation", slot(i), i), http.StatusCreated, nil)
	}
	var (
		mu        sync.Mutex
		latencies []time.Duration
		failed    error
	)
	book := func(i int) {
		i += bc.ledger
		start := time.Now()
		st, body, err := replicas[i%len(replicas)].call(http.MethodPost, "/v1/bookings", bookingBody("consultation", slot(i), i))
		d := time.Since(start)
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err != nil && failed == nil:
			failed = err
		case err == nil && st != http.StatusCreated && failed == nil:
			failed = fmt.Errorf("booking %d: %d %s", i, st, body)
		}
		latencies = append(latencies, d)
	}

	// A closed loop: clients bookings are always under way; each turn of
	// b.Loop waits for one to end and starts the next, so that ns/op is
	// the latency with one client, the inverse of the throughput with
	// several. The first ones start before the timer, the last ones end
	// after it.
	jobs, done := make(chan int, bc.clients), make(chan struct{}, bc.clients)
	var wg sync.WaitGroup
	for range bc.clients {
		wg.Go(func() {
			for i := range jobs {
				book(i)
				done <- struct{}{}
			}
		})
	}
	next := 0
	for ; next < bc.clients; next++ {
		jobs <- next
	}
	var began time.Time
	n := 0
	for b.Loop() {
		if began.IsZero() {
			began = time.Now()
			if meter != nil {
				meter.reset()
			}
		}
		<-done
		jobs <- next
		next++
		n++
	}
	wall := time.Since(began)
	var (
		requests int
		busy     time.Duration
		byMethod map[string]time.Duration
	)
	if meter != nil {
		requests, busy, byMethod = meter.reset()
	}
	close(jobs)
	wg.Wait()
	if failed != nil {
		b.Fatal(failed)
	}
	b.ReportMetric(float64(n)/wall.Seconds(), "bookings/s")
	b.ReportMetric(percentileMs(latencies, 0.50), "p50-ms")
	b.ReportMetric(percentileMs(latencies, 0.95), "p95-ms")
	if meter == nil {
		b.Logf("%d bookings timed in %v; ledger at the end: %d bookings", n, wall.Round(time.Millisecond), bc.ledger+next)
		return
	}
	b.ReportMetric(float64(requests)/float64(n), "radicale-req/op")
	b.ReportMetric(float64(busy.Microseconds())/1000/float64(n), "radicale-ms/op")
	perOp := map[string]string{}
	for method, d := range byMethod {
		perOp[method] = fmt.Sprintf("%.1f ms/op", float64(d.Microseconds())/1000/float64(n))
	}
	b.Logf("%d bookings timed in %v; Radicale's time by method: %v; calendar at the end: %d events", n, wall.Round(time.Millisecond), perOp, bc.calendar+bc.ledger+next)
}

// percentileMs returns the p-quantile of ds (0 < p < 1) in milliseconds,
// sorting ds; 0 if ds is empty.
func percentileMs(ds []time.Duration, p float64) float64 {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	return float64(ds[min(len(ds)-1, int(p*float64(len(ds))))].Microseconds()) / 1000
}

// otherEvents returns a calendar of n events of the practitioner's own,
// one a day from tomorrow at 19:00 Paris time, after the opening hours, so
// that they make the calendar bigger but take no slot.
func otherEvents(tb testing.TB, n int) []byte {
	cal := ical.NewCalendar()
	cal.Props.SetText(ical.PropVersion, "2.0")
	cal.Props.SetText(ical.PropProductID, "-//rdv//benchmark//EN")
	stamp := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		ev := ical.NewEvent()
		ev.Props.SetText(ical.PropUID, fmt.Sprintf("other-%d@bench", i))
		ev.Props.SetDateTime(ical.PropDateTimeStamp, stamp)
		start := localDay(1+i, 19, 0).UTC()
		ev.Props.SetDateTime(ical.PropDateTimeStart, start)
		ev.Props.SetDateTime(ical.PropDateTimeEnd, start.Add(time.Hour))
		ev.Props.SetText(ical.PropSummary, "Private")
		cal.Children = append(cal.Children, ev.Component)
	}
	var buf bytes.Buffer
	if err := ical.NewEncoder(&buf).Encode(cal); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// radicaleMeter is a reverse proxy to Radicale that counts the requests
// and the time until their answers are copied.
type radicaleMeter struct {
	URL   string
	proxy *httputil.ReverseProxy

	mu       sync.Mutex
	requests int
	busy     time.Duration
	byMethod map[string]time.Duration // time by method (REPORT, PUT…)
}

func newRadicaleMeter(tb testing.TB, r *testservers.Radicale) *radicaleMeter {
	target, err := url.Parse(r.URL)
	if err != nil {
		tb.Fatal(err)
	}
	m := &radicaleMeter{proxy: httputil.NewSingleHostReverseProxy(target), byMethod: map[string]time.Duration{}}
	srv := httptest.NewServer(m)
	tb.Cleanup(srv.Close)
	m.URL = srv.URL + "/"
	return m
}

func (m *radicaleMeter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	m.proxy.ServeHTTP(w, r)
	d := time.Since(start)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests++
	m.busy += d
	m.byMethod[r.Method] += d
}

// reset returns the counts since the last reset and clears them.
func (m *radicaleMeter) reset() (requests int, busy time.Duration, byMethod map[string]time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	requests, busy, byMethod = m.requests, m.busy, m.byMethod
	m.requests, m.busy, m.byMethod = 0, 0, map[string]time.Duration{}
	return requests, busy, byMethod
}
