package caldav

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/internal/testservers"
)

// benchNow is the instant the benchmarks' slot queries are made at: a
// Monday morning in Paris.
var benchNow = time.Date(2027, 1, 4, 7, 0, 0, 0, mustZone("Europe/Paris"))

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// benchCalendar returns a practitioner's calendar as a server holds it:
// 2,000 objects, of which 200 are recurring series (weekly, every other
// week, daily on weekdays, monthly), each with EXDATEs and one to three
// RECURRENCE-ID overrides (moved, cancelled, made transparent), and 1,800 single
// events from ten months before now to four months after, some all-day,
// transparent or cancelled. Every object carries its VTIMEZONE, like
// Thunderbird or Nextcloud write them, and its events a summary, often a
// description, sometimes a location, an organizer and an attendee: about
// 1.5 MB of iCalendar. The same seed gives the same bytes.
func benchCalendar(tb testing.TB) []fetched {
	tb.Helper()
	loc := benchNow.Location()
	rng := rand.New(rand.NewPCG(2027, 104))
	words := strings.Fields("consultation suivi bilan réunion équipe formation visite domicile " +
		"téléphone dossier compte rendu staff garde congrès appel laboratoire radiologie " +
		"préparation retour patient cabinet secrétariat logiciel comptabilité")
	text := func(n int) string {
		ws := make([]string, n)
		for i := range ws {
			ws[i] = words[rng.IntN(len(words))]
		}
		return strings.Join(ws, " ")
	}
	const stampLayout = "20060102T150405Z"
	stamp := benchNow.Add(-30 * 24 * time.Hour).UTC()
	newEvent := func(uid string) *ical.Component {
		ev := ical.NewComponent(ical.CompEvent)
		ev.Props.SetText(ical.PropUID, uid)
		ev.Props.SetDateTime(ical.PropDateTimeStamp, stamp)
		ev.Props.SetText(ical.PropSummary, text(3))
		if rng.IntN(2) == 0 {
			ev.Props.SetText(ical.PropDescription, text(5))
		}
		if rng.IntN(3) == 0 {
			ev.Props.SetText(ical.PropLocation, "Cabinet, Lyon")
		}
		if rng.IntN(3) == 0 {
			org := ical.NewProp(ical.PropOrganizer)
			org.Params.Set(ical.ParamCommonName, "Dr Anne Martin")
			org.Value = "mailto:anne@example.org"
			ev.Props.Set(org)
			att := ical.NewProp(ical.PropAttendee)
			att.Params.Set(ical.ParamParticipationStatus, "ACCEPTED")
			att.Value = "mailto:secretariat@example.org"
			ev.Props.Add(att)
		}
		setProp(ev, ical.PropSequence, "0")
		return ev
	}
	local := func(ev *ical.Component, name string, t time.Time) {
		p := ical.NewProp(name)
		p.Params.Set(ical.ParamTimezoneID, "Europe/Paris")
		p.Value = t.In(loc).Format("20060102T150405")
		ev.Props.Set(p)
	}
	day := func(ev *ical.Component, name string, t time.Time) {
		p := ical.NewProp(name)
		p.Params.Set(ical.ParamValue, "DATE")
		p.Value = t.Format("20060102")
		ev.Props.Set(p)
	}
	// An instant on a working day at a quarter hour between 08:00 and 18:00.
	workTime := func(dayOffset int) time.Time {
		d := benchNow.AddDate(0, 0, dayOffset)
		for d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
			d = d.AddDate(0, 0, 1)
		}
		return time.Date(d.Year(), d.Month(), d.Day(), 8+rng.IntN(10), 15*rng.IntN(4), 0, 0, loc)
	}

	var out []fetched
	add := func(name string, comps ...*ical.Component) {
		cal := ical.NewCalendar()
		cal.Props.SetText(ical.PropVersion, "2.0")
		cal.Props.SetText(ical.PropProductID, "-//rdv//benchmark//FR")
		cal.Children = append(cal.Children, parisTimezone())
		cal.Children = append(cal.Children, comps...)
		var buf bytes.Buffer
		if err := ical.NewEncoder(&buf).Encode(cal); err != nil {
			tb.Fatal(err)
		}
		href := "/cal/" + name + ".ics"
		out = append(out, fetched{key: href, href: href, etag: fmt.Sprintf(`"%d"`, len(out)), data: buf.String()})
	}

	for i := range 200 {
		uid := fmt.Sprintf("series-%03d@bench", i)
		master := newEvent(uid)
		start := workTime(-700 + rng.IntN(690))
		length := time.Duration(30+15*rng.IntN(5)) * time.Minute
		local(master, ical.PropDateTimeStart, start)
		local(master, ical.PropDateTimeEnd, start.Add(length))
		// step gives the k-th instance of the rule, for EXDATEs and overrides.
		var rule string
		var step func(k int) time.Time
		switch i % 4 {
		case 0:
			rule = "FREQ=WEEKLY"
			step = func(k int) time.Time { return start.AddDate(0, 0, 7*k) }
		case 1:
			rule = "FREQ=WEEKLY;INTERVAL=2"
			step = func(k int) time.Time { return start.AddDate(0, 0, 14*k) }
		case 2:
			rule = "FREQ=DAILY;INTERVAL=7;COUNT=400"
			step = func(k int) time.Time { return start.AddDate(0, 0, 7*k) }
		default:
			rule = "FREQ=MONTHLY"
			step = func(k int) time.Time { return start.AddDate(0, k, 0) }
		}
		if i%10 == 9 {
			rule += ";UNTIL=" + benchNow.AddDate(0, 2, 0).UTC().Format(stampLayout)
		}
		master.Props.Set(&ical.Prop{Name: ical.PropRecurrenceRule, Params: ical.Params{}, Value: rule})
		// The first instance at or after now, so that exceptions land in the
		// window of the queries.
		k0 := 0
		for step(k0).Before(benchNow) {
			k0++
		}
		exdates := make([]string, 0, 3)
		for j := range 1 + rng.IntN(3) {
			exdates = append(exdates, step(k0+1+3*j).Format("20060102T150405"))
		}
		ex := ical.NewProp(ical.PropExceptionDates)
		ex.Params.Set(ical.ParamTimezoneID, "Europe/Paris")
		ex.Value = strings.Join(exdates, ",")
		master.Props.Set(ex)
		comps := []*ical.Component{master}
		for j := range 1 + rng.IntN(3) {
			orig := step(k0 + 2 + 3*j)
			o := newEvent(uid)
			local(o, ical.PropRecurrenceID, orig)
			switch j {
			case 0: // moved by an hour or two
				moved := orig.Add(time.Duration(1+rng.IntN(2)) * time.Hour)
				local(o, ical.PropDateTimeStart, moved)
				local(o, ical.PropDateTimeEnd, moved.Add(length))
			case 1: // cancelled
				local(o, ical.PropDateTimeStart, orig)
				local(o, ical.PropDateTimeEnd, orig.Add(length))
				o.Props.SetText(ical.PropStatus, "CANCELLED")
			default: // made free
				local(o, ical.PropDateTimeStart, orig)
				local(o, ical.PropDateTimeEnd, orig.Add(length))
				o.Props.SetText(ical.PropTransparency, "TRANSPARENT")
			}
			comps = append(comps, o)
		}
		add(fmt.Sprintf("series-%03d", i), comps...)
	}
	for i := range 1800 {
		ev := newEvent(fmt.Sprintf("event-%04d@bench", i))
		offset := -300 + rng.IntN(420)
		switch {
		case i%20 == 0: // all-day
			d := benchNow.AddDate(0, 0, offset)
			day(ev, ical.PropDateTimeStart, d)
			day(ev, ical.PropDateTimeEnd, d.AddDate(0, 0, 1+rng.IntN(2)))
		default:
			start := workTime(offset)
			local(ev, ical.PropDateTimeStart, start)
			local(ev, ical.PropDateTimeEnd, start.Add(time.Duration(15+15*rng.IntN(6))*time.Minute))
		}
		switch i % 50 {
		case 7:
			ev.Props.SetText(ical.PropTransparency, "TRANSPARENT")
		case 13:
			ev.Props.SetText(ical.PropStatus, "CANCELLED")
		case 21:
			ev.Props.SetText(ical.PropStatus, "TENTATIVE")
		}
		add(fmt.Sprintf("event-%04d", i), ev)
	}
	return out
}

// parisTimezone is the VTIMEZONE Thunderbird writes for Europe/Paris.
func parisTimezone() *ical.Component {
	tz := ical.NewComponent(ical.CompTimezone)
	setProp(tz, ical.PropTimezoneID, "Europe/Paris")
	setProp(tz, "X-LIC-LOCATION", "Europe/Paris")
	for _, r := range []struct{ name, from, to, tzname, start, rule string }{
		{ical.CompTimezoneDaylight, "+0100", "+0200", "CEST", "19700329T020000", "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU"},
		{ical.CompTimezoneStandard, "+0200", "+0100", "CET", "19701025T030000", "FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU"},
	} {
		c := ical.NewComponent(r.name)
		setProp(c, ical.PropTimezoneOffsetFrom, r.from)
		setProp(c, ical.PropTimezoneOffsetTo, r.to)
		setProp(c, ical.PropTimezoneName, r.tzname)
		setProp(c, ical.PropDateTimeStart, r.start)
		setProp(c, ical.PropRecurrenceRule, r.rule)
		tz.Children = append(tz.Children, c)
	}
	return tz
}

// setProp sets a property to a raw value, without parameters.
func setProp(c *ical.Component, name, value string) {
	c.Props.Set(&ical.Prop{Name: name, Params: ical.Params{}, Value: value})
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

// BenchmarkDecode parses the benchmark's calendar: with rdv's decoder, with
// what the cache keeps of it, and with go-ical's.
func BenchmarkDecode(b *testing.B) {
	objs := benchCalendar(b)
	var zones sharedTable
	for _, d := range []struct {
		name   string
		decode func(string) (*ical.Calendar, error)
	}{
		{"rdv", decodeCalendar},
		{"rdv-busy", func(s string) (*ical.Calendar, error) { return decodeForBusy(s, nil) }},
		{"rdv-busy-zones", func(s string) (*ical.Calendar, error) { return decodeForBusy(s, &zones) }},
		{"go-ical", func(s string) (*ical.Calendar, error) { return ical.NewDecoder(strings.NewReader(s)).Decode() }},
	} {
		b.Run(d.name, func(b *testing.B) {
			b.SetBytes(int64(benchSize(objs)))
			b.ReportAllocs()
			for b.Loop() {
				for _, o := range objs {
					if _, err := d.decode(o.data); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// BenchmarkExpand expands the benchmark's calendar, parsed beforehand, over
// 60 days, object by object, like a read without the cache would.
func BenchmarkExpand(b *testing.B) {
	objs := benchCalendar(b)
	cals := make([]*ical.Calendar, len(objs))
	for i, o := range objs {
		cals[i] = must(decodeForBusy(o.data, nil))
	}
	exp := Expander{Location: benchNow.Location()}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		n = 0
		for _, cal := range cals {
			iv, _ := exp.Expand(cal, benchNow, benchNow.AddDate(0, 0, 60))
			n += len(iv)
		}
	}
	b.ReportMetric(float64(n), "intervals")
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
	ct := &countingTransport{next: InProcessTransport(h)}
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
	if testing.Short() && !requireServers() {
		b.Skip("starts Radicale")
	}
	r := testservers.StartRadicale(b)
	objs := benchCalendar(b)
	// One upload of each whole calendar: Radicale splits it by UID.
	upload := func(name string, objs []fetched) {
		whole := ical.NewCalendar()
		whole.Props.SetText(ical.PropVersion, "2.0")
		whole.Props.SetText(ical.PropProductID, "-//rdv//benchmark//FR")
		whole.Children = append(whole.Children, parisTimezone())
		for _, o := range objs {
			for _, ev := range must(decodeCalendar(o.data)).Children {
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
	upload("bench", objs)
	small := append(append([]fetched(nil), objs[:20]...), objs[200:380]...) // 20 series, 180 events
	upload("small", small)

	sched, typ := benchPractitioner(b)
	for _, cal := range []struct {
		name string
		objs int
	}{{"small", len(small)}, {"bench", len(objs)}} {
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
	fb, err := NewFileBackend(b.TempDir(), "alice")
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
	h := NewHandler(fb, "/dav/")
	for _, mode := range []string{"sync-collection", "getctag"} {
		b.Run(mode, func(b *testing.B) {
			ct := &countingTransport{next: InProcessTransport(h)}
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
