package caldav

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/davserver"
	"github.com/rdvlibre/rdv/internal/testcal"
	"github.com/rdvlibre/rdv/recur"
)

// plain returns the intervals of busy time, without their bookings.
func plain(busy []booking.BusyInterval) []booking.Interval {
	out := make([]booking.Interval, len(busy))
	for i, b := range busy {
		out[i] = b.Interval
	}
	return out
}

// countingTransport counts the requests it carries and, while held, keeps
// their answers until released.
type countingTransport struct {
	next http.RoundTripper
	mu   sync.Mutex
	reqs []string // "METHOD path"
	hold chan struct{}
}

func newCounting() *countingTransport {
	return &countingTransport{next: http.DefaultTransport}
}

func (t *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	t.mu.Lock()
	t.reqs = append(t.reqs, r.Method+" "+r.URL.Path)
	hold := t.hold
	t.mu.Unlock()
	resp, err := t.next.RoundTrip(r)
	if hold != nil {
		<-hold
	}
	return resp, err
}

// take returns the requests counted since the last call.
func (t *countingTransport) take() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := t.reqs
	t.reqs = nil
	return out
}

// davDo sends a request to a server as a calendar client other than rdv
// would, and fails t unless the status is 2xx.
func davDo(t testing.TB, method, url, user, pass string, body []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "text/calendar; charset=utf-8")
	}
	req.SetBasicAuth(user, pass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s: %s: %s", method, url, resp.Status, b)
	}
}

// cacheServer is a CalDAV server the cache suite runs against.
type cacheServer struct {
	*testServer
	mode   syncMode          // the validation the cache must settle on
	settle bool              // it settles on it at the second read, not the first
	setup  func(c *Calendar) // run on the Calendar before its first read
}

// davURL returns the URL of an object of a calendar.
func (s *cacheServer) davURL(cal, obj string) string {
	return strings.TrimSuffix(s.url, "/") + s.calendarPath(cal) + obj
}

// embeddedServer serves a FileBackend behind Basic authentication, which
// has getctag, sync-token and sync-collection. With offer set, it plays a
// lesser server: asked for a calendar's validators (a PROPFIND, Depth: 0,
// of getctag), it gives only "getctag" (a server without sync-collection),
// or nothing ("etags"), or claims a sync-token but refuses the
// sync-collection REPORT ("sync-refused").
func embeddedServer(t *testing.T, offer string) *cacheServer {
	t.Helper()
	b, err := davserver.NewFileBackend(t.TempDir(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	h := davserver.NewHandler(b, "/dav/")
	ask := map[string]string{
		"getctag": `<D:propfind xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/"><D:prop><D:resourcetype/><CS:getctag/></D:prop></D:propfind>`,
		"etags":   `<D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/></D:prop></D:propfind>`,
	}[offer]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "alice" || p != "secret" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		switch {
		case r.Method == "PROPFIND" && ask != "" && bytes.Contains(body, []byte("getctag")):
			r.Body = io.NopCloser(strings.NewReader(ask))
		case r.Method == "REPORT" && offer == "sync-refused" && bytes.Contains(body, []byte("sync-collection")):
			http.Error(w, "caldav: expected calendar-query or calendar-multiget element in REPORT request", http.StatusBadRequest)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	ts := &testServer{
		url: srv.URL + "/", user: "alice", pass: "secret",
		calendarPath: func(name string) string { return "/dav/calendars/alice/" + name + "/" },
	}
	s := &cacheServer{testServer: ts, mode: modeSync}
	switch offer {
	case "getctag":
		s.mode = modeCTag
	case "etags":
		s.mode = modeETags
	case "sync-refused":
		s.mode, s.settle = modeCTag, true // sync-collection refused: falls back on getctag
	}
	ts.mkcal = func(t *testing.T, name, displayName string) {
		t.Helper()
		body := `<?xml version="1.0" encoding="utf-8"?><C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><D:displayname>` +
			displayName + `</D:displayname></D:prop></D:set></C:mkcalendar>`
		davDo(t, "MKCALENDAR", strings.TrimSuffix(ts.url, "/")+ts.calendarPath(name), "alice", "secret", []byte(body))
	}
	ts.put = func(t *testing.T, cal, obj string, data []byte) {
		t.Helper()
		davDo(t, http.MethodPut, s.davURL(cal, obj), "alice", "secret", data)
	}
	return s
}

// radicaleServer is a real Radicale: sync-collection, or with noSync,
// getctag (the cache is told the server refused sync-collection).
func radicaleServer(t *testing.T, noSync bool) *cacheServer {
	t.Helper()
	if testing.Short() && !requireServers() {
		t.Skip("starts Radicale")
	}
	ts := startRadicale(t)
	s := &cacheServer{testServer: ts, mode: modeSync}
	if noSync {
		s.mode = modeCTag
		s.setup = func(c *Calendar) {
			for _, cc := range c.caches {
				cc.noSync = true
			}
		}
	}
	return s
}

func TestCacheEmbedded(t *testing.T) {
	runCacheSuite(t, embeddedServer(t, ""))
}

func TestCacheEmbeddedCTag(t *testing.T) {
	runCacheSuite(t, embeddedServer(t, "getctag"))
}

func TestCacheEmbeddedETags(t *testing.T) {
	runCacheSuite(t, embeddedServer(t, "etags"))
}

func TestCacheSyncRefused(t *testing.T) {
	runCacheSuite(t, embeddedServer(t, "sync-refused"))
}

func TestCacheRadicale(t *testing.T) {
	runCacheSuite(t, radicaleServer(t, false))
}

func TestCacheRadicaleCTag(t *testing.T) {
	runCacheSuite(t, radicaleServer(t, true))
}

// runCacheSuite checks that the cache sees every change made in the
// calendar, by rdv or by another client, and what a read costs. s must have
// no calendars yet.
func runCacheSuite(t *testing.T, s *cacheServer) {
	ctx := context.Background()
	loc := testcal.Paris(t)
	s.mkcal(t, "rdv", "Rendez-vous")
	s.mkcal(t, "work", "Travail")
	ct := newCounting()
	cfg := s.config("Rendez-vous", "Travail")
	cfg.HTTPClient = &http.Client{Transport: ct}
	cfg.Location = loc
	c, err := New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if s.setup != nil {
		s.setup(c)
	}
	ct.take()
	from, to := testcal.MustTime(t, "2027-03-01T00:00:00+01:00"), testcal.MustTime(t, "2027-04-01T00:00:00+02:00")
	busy := func(t *testing.T, from, to time.Time) []booking.BusyInterval {
		t.Helper()
		got, err := c.Busy(ctx, from, to)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	want := func(t *testing.T, got []booking.BusyInterval, spans ...string) {
		t.Helper()
		if w := testcal.Intervals(t, spans...); !testcal.SameIntervals(plain(got), w) {
			t.Errorf("got:%s\nwant:%s", testcal.FormatIntervals(plain(got)), testcal.FormatIntervals(w))
		}
	}
	// warm checks that a read when nothing changed costs one request per
	// calendar.
	warm := func(t *testing.T) {
		t.Helper()
		ct.take()
		busy(t, from, to)
		if reqs := ct.take(); len(reqs) > 2 {
			t.Errorf("a warm read sent %d requests for 2 calendars: %v", len(reqs), reqs)
		}
	}

	t.Run("cold then warm", func(t *testing.T) {
		if got := busy(t, from, to); len(got) != 0 {
			t.Errorf("empty calendars: %s", testcal.FormatIntervals(plain(got)))
		}
		if reqs := ct.take(); len(reqs) > 4 {
			t.Errorf("a cold read sent %d requests for 2 calendars: %v", len(reqs), reqs)
		}
		if s.settle {
			busy(t, from, to)
		}
		for _, cc := range c.caches {
			if cc.mode != s.mode {
				t.Errorf("%s: validated by %v, want %v", cc.info.Path, cc.mode, s.mode)
			}
		}
		warm(t)
		warm(t)
	})

	t.Run("event added by another client", func(t *testing.T) {
		s.put(t, "work", "meeting.ics", testcal.Event(t, "meeting@test", "20270310T090000"))
		want(t, busy(t, from, to), "2027-03-10T09:00:00+01:00/2027-03-10T10:00:00+01:00")
		warm(t)
	})

	t.Run("event moved by another client", func(t *testing.T) {
		s.put(t, "work", "meeting.ics", testcal.Event(t, "meeting@test", "20270311T140000"))
		want(t, busy(t, from, to), "2027-03-11T14:00:00+01:00/2027-03-11T15:00:00+01:00")
	})

	t.Run("recurring event added by another client", func(t *testing.T) {
		s.put(t, "work", "weekly.ics", readFixture(t, "weekly_exdate.ics"))
		want(t, busy(t, from, to),
			"2027-03-02T09:00:00+01:00/2027-03-02T10:00:00+01:00",
			"2027-03-11T14:00:00+01:00/2027-03-11T15:00:00+01:00",
			"2027-03-30T09:00:00+02:00/2027-03-30T10:00:00+02:00",
		)
		// Windows inside and outside the memo's span.
		want(t, busy(t, testcal.MustTime(t, "2027-04-06T00:00:00+02:00"), testcal.MustTime(t, "2027-04-07T00:00:00+02:00")),
			"2027-04-06T09:00:00+02:00/2027-04-06T10:00:00+02:00")
		if got := busy(t, testcal.MustTime(t, "2027-03-16T00:00:00+01:00"), testcal.MustTime(t, "2027-03-17T00:00:00+01:00")); len(got) != 0 {
			t.Errorf("on an EXDATE: %s", testcal.FormatIntervals(plain(got)))
		}
		warm(t)
	})

	t.Run("event removed by another client", func(t *testing.T) {
		davDo(t, http.MethodDelete, s.davURL("work", "meeting.ics"), s.user, s.pass, nil)
		want(t, busy(t, from, to),
			"2027-03-02T09:00:00+01:00/2027-03-02T10:00:00+01:00",
			"2027-03-30T09:00:00+02:00/2027-03-30T10:00:00+02:00",
		)
		warm(t)
	})

	start := time.Date(2027, 3, 12, 11, 0, 0, 0, loc)
	a := testAppointment(t, "3f2a1c1e-5b7d-4c51-9a39-0000000000e1", start, booking.StatusConfirmed)
	var ref booking.EventRef
	t.Run("rdv's own writes", func(t *testing.T) {
		ref, err = c.Create(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		got := busy(t, start.Add(-time.Hour), start.Add(time.Hour))
		if len(got) != 1 || got[0].Booking != a.Booking.ID || got[0].Type != "consultation" || !got[0].Start.Equal(start) {
			t.Errorf("after Create: %+v", got)
		}
		evs, err := c.Events(ctx, from, to)
		if err != nil || len(evs) != 1 || evs[0].Booking != a.Booking.ID || evs[0].Ref.Href != ref.Href ||
			evs[0].Status != booking.StatusConfirmed || !evs[0].Start.Equal(start) || !evs[0].End.Equal(a.Booking.End) {
			t.Errorf("Events = %+v, %v", evs, err)
		}
		ev, found, err := c.Event(ctx, ref.Href)
		if err != nil || !found || ev.Booking != a.Booking.ID || ev.Ref.ETag == "" {
			t.Errorf("Event = %+v, %v, %v", ev, found, err)
		}
		warm(t)

		cancelled := *a.Booking
		cancelled.Status, cancelled.Sequence = booking.StatusCancelled, 1
		a2 := a
		a2.Booking = &cancelled
		if ref, err = c.Update(ctx, a2, ref); err != nil {
			t.Fatal(err)
		}
		if got := busy(t, start.Add(-time.Hour), start.Add(time.Hour)); len(got) != 0 {
			t.Errorf("after cancelling: %s", testcal.FormatIntervals(plain(got)))
		}
		evs, err = c.Events(ctx, from, to)
		if err != nil || len(evs) != 1 || evs[0].Status != booking.StatusCancelled || evs[0].Sequence != 1 {
			t.Errorf("Events after cancelling = %+v, %v", evs, err)
		}
		if err := c.Delete(ctx, ref); err != nil {
			t.Fatal(err)
		}
		if evs, err := c.Events(ctx, from, to); err != nil || len(evs) != 0 {
			t.Errorf("Events after Delete = %+v, %v", evs, err)
		}
		if _, found, err := c.Event(ctx, ref.Href); found || err != nil {
			t.Errorf("Event after Delete: %v, %v", found, err)
		}
		warm(t)
	})

	t.Run("another replica's write", func(t *testing.T) {
		other, err := New(ctx, s.config("Rendez-vous", "Travail"))
		if err != nil {
			t.Fatal(err)
		}
		b := testAppointment(t, "3f2a1c1e-5b7d-4c51-9a39-0000000000e2", start, booking.StatusPending)
		if _, err := other.Create(ctx, b); err != nil {
			t.Fatal(err)
		}
		got := busy(t, start.Add(-time.Hour), start.Add(time.Hour))
		if len(got) != 1 || got[0].Booking != b.Booking.ID {
			t.Errorf("the other replica's booking: %+v", got)
		}
	})

	t.Run("warm answers equal cold ones", func(t *testing.T) {
		cold, err := New(ctx, s.config("Rendez-vous", "Travail"))
		if err != nil {
			t.Fatal(err)
		}
		cold.loc, cold.exp = loc, recur.Expander{Location: loc}
		for _, w := range [][2]string{
			{"2027-01-01T00:00:00Z", "2027-12-31T00:00:00Z"},
			{"2027-03-12T10:30:00+01:00", "2027-03-12T11:10:00+01:00"},
			{"2027-03-30T09:30:00+02:00", "2027-03-30T09:30:01+02:00"},
		} {
			f, e := testcal.MustTime(t, w[0]), testcal.MustTime(t, w[1])
			a, b := busy(t, f, e), must(cold.Busy(ctx, f, e))
			if !slices.Equal(a, b) {
				t.Errorf("%s: warm %+v, cold %+v", w, a, b)
			}
		}
	})
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestCacheSharedValidation checks that concurrent reads share
// validations: while one is under way, all the reads that arrive wait for
// the next one.
func TestCacheSharedValidation(t *testing.T) {
	s := embeddedServer(t, "getctag")
	s.mkcal(t, "rdv", "Rendez-vous")
	ct := newCounting()
	cfg := s.config("Rendez-vous")
	cfg.HTTPClient = &http.Client{Transport: ct}
	c, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	from, to := testcal.MustTime(t, "2027-03-01T00:00:00Z"), testcal.MustTime(t, "2027-04-01T00:00:00Z")
	if _, err := c.Busy(context.Background(), from, to); err != nil {
		t.Fatal(err)
	}
	ct.take()
	hold := make(chan struct{})
	ct.mu.Lock()
	ct.hold = hold
	ct.mu.Unlock()
	first := make(chan error)
	go func() { _, err := c.Busy(context.Background(), from, to); first <- err }()
	for len(ct.take()) == 0 { // the first validation is under way
		time.Sleep(time.Millisecond)
	}
	const n = 20
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { _, errs[i] = c.Busy(context.Background(), from, to) })
	}
	time.Sleep(50 * time.Millisecond) // let them all wait
	ct.mu.Lock()
	ct.hold = nil
	ct.mu.Unlock()
	close(hold)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if reqs := ct.take(); len(reqs) != 1 {
		t.Errorf("%d reads waiting together sent %d requests: %v", n, len(reqs), reqs)
	}
}

// TestCacheSyncTokenExpired checks that a sync-token the server no longer
// knows makes the cache load the calendar again.
func TestCacheSyncTokenExpired(t *testing.T) {
	s := radicaleServer(t, false)
	s.mkcal(t, "rdv", "Rendez-vous")
	s.put(t, "rdv", "meeting.ics", testcal.Event(t, "meeting@test", "20270310T090000"))
	c, err := New(context.Background(), s.config("Rendez-vous"))
	if err != nil {
		t.Fatal(err)
	}
	from, to := testcal.MustTime(t, "2027-03-01T00:00:00Z"), testcal.MustTime(t, "2027-04-01T00:00:00Z")
	if got, err := c.Busy(context.Background(), from, to); err != nil || len(got) != 1 {
		t.Fatalf("Busy = %v, %v", got, err)
	}
	cc := c.caches[0]
	cc.mu.Lock()
	cc.token = "http://radicale.org/ns/sync/0000000000000000000000000000000000000000000000000000000000000000"
	cc.mu.Unlock()
	s.put(t, "rdv", "other.ics", testcal.Event(t, "other@test", "20270311T090000"))
	got, err := c.Busy(context.Background(), from, to)
	if err != nil || len(got) != 2 {
		t.Fatalf("after the token expired: %v, %v", got, err)
	}
	if cc.mode != modeSync || cc.noSync || strings.HasSuffix(cc.token, "0000") {
		t.Errorf("mode %v, noSync %v, token %q", cc.mode, cc.noSync, cc.token)
	}
}

// TestCacheMemo checks the memo against Expand for windows inside, across
// and outside its span, on the benchmark's calendar.
func TestCacheMemo(t *testing.T) {
	objs := benchCalendar(t)[:400:400] // 200 series and 200 single events
	loc := benchNow.Location()
	c := offlineCalendar(t, loc)
	cc := newCalCache(CalendarInfo{Path: "/cal/"})
	cc.objects = c.build(cc, objs)
	cals := make([]*cachedObject, 0, len(objs))
	for _, o := range objs {
		cal, err := recur.Decode(o.data)
		if err != nil {
			t.Fatal(err)
		}
		cals = append(cals, &cachedObject{cal: cal})
	}
	windows := [][2]time.Time{
		{benchNow, benchNow.AddDate(0, 0, 60)},
		{benchNow.Add(time.Minute), benchNow.AddDate(0, 0, 60).Add(time.Minute)}, // inside
		{benchNow.AddDate(0, 0, 3), benchNow.AddDate(0, 0, 4)},
		{benchNow.AddDate(0, 0, 50), benchNow.AddDate(0, 0, 120)}, // across
		{benchNow.AddDate(-1, 0, 0), benchNow.AddDate(-1, 1, 0)},  // outside
		{benchNow.AddDate(0, 0, 10).Add(9 * time.Hour), benchNow.AddDate(0, 0, 10).Add(9*time.Hour + time.Second)},
	}
	for _, w := range windows {
		got := c.cachedBusy(cc, w[0], w[1], nil)
		var want []booking.BusyInterval
		for _, o := range cals {
			inst, _ := c.exp.Instances(o.cal, w[0], w[1])
			want = append(want, busyOf(inst)...)
		}
		sortBusy(got)
		sortBusy(want)
		if !slices.Equal(got, want) {
			t.Errorf("window %v–%v: %d intervals from the memo, %d from Expand", w[0], w[1], len(got), len(want))
		}
	}
}

func sortBusy(b []booking.BusyInterval) {
	slices.SortFunc(b, func(x, y booking.BusyInterval) int {
		if c := x.Start.Compare(y.Start); c != 0 {
			return c
		}
		return x.End.Compare(y.End)
	})
}

// offlineCalendar is a Calendar that has no server, for the cache's pure
// parts.
func offlineCalendar(t testing.TB, loc *time.Location) *Calendar {
	t.Helper()
	cn, err := newConn(Config{URL: "http://calendar.invalid/"})
	if err != nil {
		t.Fatal(err)
	}
	return &Calendar{conn: cn, loc: loc, exp: recur.Expander{Location: loc}, now: time.Now,
		log: slog.New(slog.NewTextHandler(io.Discard, nil))}
}
