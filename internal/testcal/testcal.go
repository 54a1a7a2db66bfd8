// Package testcal makes calendar objects for the tests and benchmarks of
// recur, caldav and davserver: the benchmark's calendar of a practitioner
// (docs/BENCHMARKS.md), objects with odd bytes (docs/caldav-robustness.md),
// and the intervals the tests expect.
package testcal

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	"github.com/rdvlibre/rdv/booking"
)

// Object is a calendar object as a server holds it: its href, ETag and
// iCalendar text.
type Object struct {
	Href, ETag, Data string
}

// Now is the instant the benchmarks' slot queries are made at: a Monday
// morning in Paris.
var Now = time.Date(2027, 1, 4, 7, 0, 0, 0, mustZone("Europe/Paris"))

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// Bench returns a practitioner's calendar as a server holds it:
// 2,000 objects, of which 200 are recurring series (weekly, every other
// week, daily on weekdays, monthly), each with EXDATEs and one to three
// RECURRENCE-ID overrides (moved, cancelled, made transparent), and 1,800 single
// events from ten months before now to four months after, some all-day,
// transparent or cancelled. Every object carries its VTIMEZONE, like
// Thunderbird or Nextcloud write them, and its events a summary, often a
// description, sometimes a location, an organizer and an attendee: about
// 1.5 MB of iCalendar. The same seed gives the same bytes.
func Bench(tb testing.TB) []Object {
	tb.Helper()
	loc := Now.Location()
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
	stamp := Now.Add(-30 * 24 * time.Hour).UTC()
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
		d := Now.AddDate(0, 0, dayOffset)
		for d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
			d = d.AddDate(0, 0, 1)
		}
		return time.Date(d.Year(), d.Month(), d.Day(), 8+rng.IntN(10), 15*rng.IntN(4), 0, 0, loc)
	}

	var out []Object
	add := func(name string, comps ...*ical.Component) {
		cal := ical.NewCalendar()
		cal.Props.SetText(ical.PropVersion, "2.0")
		cal.Props.SetText(ical.PropProductID, "-//rdv//benchmark//FR")
		cal.Children = append(cal.Children, ParisTimezone())
		cal.Children = append(cal.Children, comps...)
		var buf bytes.Buffer
		if err := ical.NewEncoder(&buf).Encode(cal); err != nil {
			tb.Fatal(err)
		}
		href := "/cal/" + name + ".ics"
		out = append(out, Object{Href: href, ETag: fmt.Sprintf(`"%d"`, len(out)), Data: buf.String()})
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
			rule += ";UNTIL=" + Now.AddDate(0, 2, 0).UTC().Format(stampLayout)
		}
		master.Props.Set(&ical.Prop{Name: ical.PropRecurrenceRule, Params: ical.Params{}, Value: rule})
		// The first instance at or after now, so that exceptions land in the
		// window of the queries.
		k0 := 0
		for step(k0).Before(Now) {
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
			d := Now.AddDate(0, 0, offset)
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

// ParisTimezone is the VTIMEZONE Thunderbird writes for Europe/Paris.
func ParisTimezone() *ical.Component {
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

// OddEvent returns a calendar object of one event from start to end (UTC,
// in the form of RFC 5545), whose SUMMARY line is summary byte for byte,
// folded by octets at 75 like sabre/vobject folds (RFC 5545 section 3.1),
// so possibly inside a character. extra are more content lines.
func OddEvent(uid, start, end, summary string, extra ...string) string {
	lines := append([]string{
		"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//rdv//odd bytes//FR",
		"BEGIN:VEVENT", "UID:" + uid, "DTSTAMP:20261201T000000Z",
		"DTSTART:" + start, "DTEND:" + end, foldOctets("SUMMARY:" + summary),
	}, extra...)
	lines = append(lines, "END:VEVENT", "END:VCALENDAR")
	return strings.Join(lines, "\r\n") + "\r\n"
}

// foldOctets folds a content line every 75 octets, without regard for
// characters.
func foldOctets(line string) string {
	var b strings.Builder
	for n := 75; len(line) > n; n = 74 {
		b.WriteString(line[:n] + "\r\n ")
		line = line[n:]
	}
	b.WriteString(line)
	return b.String()
}

// Paris returns the zone Europe/Paris.
func Paris(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// MustTime parses an RFC 3339 time.
func MustTime(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Intervals parses "start/end" pairs of RFC 3339 times.
func Intervals(t testing.TB, spans ...string) []booking.Interval {
	t.Helper()
	var out []booking.Interval
	for _, s := range spans {
		a, b, ok := strings.Cut(s, "/")
		if !ok {
			t.Fatalf("bad span %q", s)
		}
		out = append(out, booking.Interval{Start: MustTime(t, a), End: MustTime(t, b)})
	}
	return out
}

// SameIntervals reports whether got and want hold the same instants.
func SameIntervals(got, want []booking.Interval) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if !got[i].Start.Equal(want[i].Start) || !got[i].End.Equal(want[i].End) {
			return false
		}
	}
	return true
}

// FormatIntervals writes l one interval a line, for test failures.
func FormatIntervals(l []booking.Interval) string {
	var b strings.Builder
	for _, in := range l {
		b.WriteString("\n\t" + in.Start.Format(time.RFC3339) + " / " + in.End.Format(time.RFC3339) + " (" + in.End.Sub(in.Start).String() + ")")
	}
	return b.String()
}

// Event returns a calendar object of a one-hour event in Paris, starting at start
// (a local time, "20270310T090000"), whose summary is confidential.
func Event(t testing.TB, uid, start string) []byte {
	t.Helper()
	return []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" +
		"BEGIN:VEVENT\r\nUID:" + uid + "\r\nDTSTAMP:20270101T000000Z\r\n" +
		"DTSTART;TZID=Europe/Paris:" + start + "\r\nDURATION:PT1H\r\n" +
		"SUMMARY:Réunion confidentielle\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
}
