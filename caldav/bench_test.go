package caldav

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/davserver"
	"github.com/rdvlibre/rdv/internal/testcal"
	"github.com/rdvlibre/rdv/internal/testservers"
	"github.com/rdvlibre/rdv/recur"
)

// benchNow is the instant the benchmarks' slot queries are made at.
var benchNow = testcal.Now

// benchCalendar returns the benchmark's calendar (testcal.Bench) as the
// cache fetches it.
func benchCalendar(tb testing.TB) []fetched {
	objs := testcal.Bench(tb)
	out := make([]fetched, len(objs))
	for i, o := range objs {
		out[i] = fetched{key: o.Href, href: o.Href, etag: o.ETag, data: o.Data}
	}
	return out
}

// benchPractitioner is open Monday to Friday 08:30–12:00 and 14:00–18:30 and
// Saturday morning, and offers 20-minute visits with 5 minutes after each,
// bookable up to 60 days ahead.
func benchPractitioner(tb testing.TB) (booking.Schedule, *booking.AppointmentType) {
	tb.Helper()
	var s booking.Schedule
	s.OpenOnHolidays = true
	for d := time.Monday; d <= time.Friday; d++ {
		s.Weekly.Set(d, mustRange(tb, "08:30-12:00"), mustRange(tb, "14:00-18:30"))
	}
	s.Weekly.Set(time.Saturday, mustRange(tb, "09:00-12:00"))
	return s, &booking.AppointmentType{ID: "consultation", Duration: 20 * time.Minute, BufferAfter: 5 * time.Minute}
}

func mustRange(tb testing.TB, s string) booking.ClockRange {
	r, err := booking.ParseClockRange(s)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

func benchSize(objs []fetched) int {
	n := 0
	for _, o := range objs {
		n += len(o.data)
	}
	return n
}

// slotsOf computes the free slots of the benchmark's practitioner from busy
// time, like booking.Service.Slots does once it has read it.
func slotsOf(sched *booking.Schedule, typ *booking.AppointmentType, busy []booking.BusyInterval, from, to time.Time) []booking.Slot {
	loc := from.Location()
	q := booking.SlotQuery{Location: loc, Open: sched.Open(loc, from, to), Type: typ, From: from, To: to, Now: from}
	q.Busy = make([]booking.Interval, len(busy))
	for i, b := range busy {
		q.Busy[i] = b.Interval
	}
	return booking.Slots(q)
}

// BenchmarkColdSlots is a first slot query over 60 days: from the raw
// iCalendar text of the benchmark's calendar (about 1.5 MB, 2,000 events
// of which 200 recurring series with overrides), parse every object,
// expand, and compute the free slots. With -cpu 1 the parsing runs on one
// core; with more, on all of them.
func BenchmarkColdSlots(b *testing.B) {
	objs := benchCalendar(b)
	sched, typ := benchPractitioner(b)
	c := offlineCalendar(b, benchNow.Location())
	from, to := benchNow, benchNow.AddDate(0, 0, 60)
	b.SetBytes(int64(benchSize(objs)))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		cc := newCalCache(CalendarInfo{Path: "/cal/"})
		cc.objects = c.build(cc, objs)
		busy := c.cachedBusy(cc, from, to.Add(typ.Duration+typ.BufferAfter), nil)
		n = len(slotsOf(&sched, typ, busy, from, to))
	}
	b.ReportMetric(float64(n), "slots")
}

// BenchmarkWarmSlots is a slot query over 60 days on a valid cache of the
// benchmark's calendar: one validation (a getctag PROPFIND answered by an
// in-process handler, so no network), the busy time from the memo, and the
// free slots. The window moves by a second at each query, like it does with
// the clock. The sub-benchmarks time the three parts alone.
func BenchmarkWarmSlots(b *testing.B) {
	objs := benchCalendar(b)
	sched, typ := benchPractitioner(b)
	answer := []byte(`<?xml version="1.0" encoding="utf-8"?>
<d:multistatus xmlns:d="DAV:" xmlns:cs="http://calendarserver.org/ns/"><d:response><d:href>/cal/</d:href>
<d:propstat><d:prop><cs:getctag>"42"</cs:getctag></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>
</d:response></d:multistatus>`)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != "PROPFIND" || r.Header.Get("Depth") != "0" {
			http.Error(w, "the cache should not need this", http.StatusInternalServerError)
			return
		}
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
		w.WriteHeader(http.StatusMultiStatus)
		w.Write(answer)
	})
	ct := &countingTransport{next: davserver.InProcessTransport(h)}
	c := offlineCalendar(b, benchNow.Location())
	c.conn.http = &http.Client{Transport: ct}
	c.busyTimeout, c.flightTimeout = 10*time.Second, 10*time.Second
	cc := newCalCache(CalendarInfo{Path: "/cal/"})
	cc.objects = c.build(cc, objs)
	cc.mode, cc.ctag = modeCTag, `"42"`
	c.busy, c.caches = []CalendarInfo{cc.info}, []*calCache{cc}
	ctx := context.Background()
	window := func(from time.Time) (time.Time, time.Time) {
		return from, from.AddDate(0, 0, 60).Add(typ.Duration + typ.BufferAfter)
	}
	f, t := window(benchNow)
	busy, err := c.Busy(ctx, f, t)
	if err != nil {
		b.Fatal(err)
	}

	b.Run("query", func(b *testing.B) {
		ct.take()
		b.ReportAllocs()
		from, n, queries := benchNow, 0, 0
		for b.Loop() {
			from = from.Add(time.Second)
			f, t := window(from)
			busy, err := c.Busy(ctx, f, t)
			if err != nil {
				b.Fatal(err)
			}
			n = len(slotsOf(&sched, typ, busy, from, from.AddDate(0, 0, 60)))
			queries++
		}
		b.ReportMetric(float64(len(ct.take()))/float64(queries), "requests/op")
		b.ReportMetric(float64(n), "slots")
	})
	b.Run("validation", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := c.validate(ctx, cc); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("memo", func(b *testing.B) {
		b.ReportAllocs()
		from := benchNow
		for b.Loop() {
			from = from.Add(time.Second)
			f, t := window(from)
			c.cachedBusy(cc, f, t, nil)
		}
		b.ReportMetric(float64(len(busy)), "intervals")
	})
	b.Run("slots", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			slotsOf(&sched, typ, busy, benchNow, benchNow.AddDate(0, 0, 60))
		}
	})
}

// BenchmarkRadicaleSlots is a slot query over 60 days through HTTP, on a
// warm cache, against a real Radicale holding the benchmark's calendar (and,
// for comparison, a tenth of it): validation by sync-collection or by
// getctag, busy time, free slots. It reports the CalDAV requests per query;
// the time is mostly Radicale's, which reads the whole collection to answer
// either request.
func BenchmarkRadicaleSlots(b *testing.B) {
	r := testservers.StartRadicale(b)
	objs := benchCalendar(b)
	// One upload of each whole calendar: Radicale splits it by UID.
	upload := func(name string, objs []fetched) {
		whole := ical.NewCalendar()
		whole.Props.SetText(ical.PropVersion, "2.0")
		whole.Props.SetText(ical.PropProductID, "-//rdv//benchmark//FR")
		whole.Children = append(whole.Children, testcal.ParisTimezone())
		for _, o := range objs {
			for _, ev := range must(recur.Decode(o.data)).Children {
				if ev.Name == ical.CompEvent {
					whole.Children = append(whole.Children, ev)
				}
			}
		}
		var buf bytes.Buffer
		if err := ical.NewEncoder(&buf).Encode(whole); err != nil {
			b.Fatal(err)
		}
		r.Do(b, http.MethodPut, r.CalendarPath(name), "text/calendar", buf.Bytes(), http.StatusCreated)
	}
	small := append(append([]fetched(nil), objs[:20]...), objs[200:380]...) // 20 series, 180 events
	upload("small", small)
	cals := []struct {
		name string
		objs int
	}{{"small", len(small)}}
	// The test command runs every benchmark once, with -short, to see that
	// it works: the small calendar says so; Radicale takes minutes over
	// the large one on a busy machine.
	if !testing.Short() {
		upload("bench", objs)
		cals = append(cals, struct {
			name string
			objs int
		}{"bench", len(objs)})
	}

	sched, typ := benchPractitioner(b)
	for _, cal := range cals {
		for _, mode := range []string{"sync-collection", "getctag"} {
			b.Run(fmt.Sprintf("%d-objects/%s", cal.objs, mode), func(b *testing.B) {
				ct := newCounting()
				ctx := context.Background()
				c, err := New(ctx, Config{URL: r.URL, Username: r.User, Password: r.Password,
					BookingsCalendar: r.CalendarPath(cal.name), Location: benchNow.Location(),
					HTTPClient: &http.Client{Transport: ct}, Timeout: 30 * time.Second})
				if err != nil {
					b.Fatal(err)
				}
				c.caches[0].noSync = mode == "getctag"
				ct.take()
				from := benchNow
				start := time.Now()
				busy, err := c.Busy(ctx, from, from.AddDate(0, 0, 60))
				if err != nil {
					b.Fatal(err)
				}
				b.Logf("cold read: %v, %d requests, %d busy intervals, validated by %v",
					time.Since(start), len(ct.take()), len(busy), c.caches[0].mode)
				b.ReportAllocs()
				n, queries := 0, 0
				for b.Loop() {
					from = from.Add(time.Second)
					to := from.AddDate(0, 0, 60)
					busy, err := c.Busy(ctx, from, to.Add(typ.Duration+typ.BufferAfter))
					if err != nil {
						b.Fatal(err)
					}
					n = len(slotsOf(&sched, typ, busy, from, to))
					queries++
				}
				b.ReportMetric(float64(len(ct.take()))/float64(queries), "requests/op")
				b.ReportMetric(float64(n), "slots")
			})
		}
	}
}

// BenchmarkEmbeddedSlots is a slot query over 60 days on a warm cache of
// the benchmark's calendar held by rdv's embedded server (FileBackend,
// reached in process as cmd/rdv does), validated by sync-collection (what
// rdv chooses there) or by getctag: one request per query, answered from
// the server's memory.
func BenchmarkEmbeddedSlots(b *testing.B) {
	objs := benchCalendar(b)
	fb, err := davserver.NewFileBackend(b.TempDir(), "alice")
	if err != nil {
		b.Fatal(err)
	}
	if err := fb.CreateCalendar("rdv", "Rendez-vous"); err != nil {
		b.Fatal(err)
	}
	for _, o := range objs {
		if err := fb.PutObject("rdv", strings.TrimPrefix(o.href, "/cal/"), []byte(o.data)); err != nil {
			b.Fatal(err)
		}
	}
	sched, typ := benchPractitioner(b)
	h := davserver.NewHandler(fb, "/dav/")
	for _, mode := range []string{"sync-collection", "getctag"} {
		b.Run(mode, func(b *testing.B) {
			ct := &countingTransport{next: davserver.InProcessTransport(h)}
			ctx := context.Background()
			c, err := New(ctx, Config{URL: "http://rdv.embedded/dav/", BookingsCalendar: "rdv",
				Location: benchNow.Location(), HTTPClient: &http.Client{Transport: ct}})
			if err != nil {
				b.Fatal(err)
			}
			c.caches[0].noSync = mode == "getctag"
			ct.take()
			from := benchNow
			start := time.Now()
			if _, err := c.Busy(ctx, from, from.AddDate(0, 0, 60)); err != nil {
				b.Fatal(err)
			}
			b.Logf("cold read: %v, %d requests, validated by %v", time.Since(start), len(ct.take()), c.caches[0].mode)
			b.ReportAllocs()
			n, queries := 0, 0
			for b.Loop() {
				from = from.Add(time.Second)
				to := from.AddDate(0, 0, 60)
				busy, err := c.Busy(ctx, from, to.Add(typ.Duration+typ.BufferAfter))
				if err != nil {
					b.Fatal(err)
				}
				n = len(slotsOf(&sched, typ, busy, from, to))
				queries++
			}
			b.ReportMetric(float64(len(ct.take()))/float64(queries), "requests/op")
			b.ReportMetric(float64(n), "slots")
		})
	}
}
