package recur

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-ical"
)

// corpusObjects generates the calendar of issue 3's benchmark: 2,000 events
// in about 1.7 MB of iCalendar, one object per UID as a CalDAV server stores
// them (Nextcloud's shape: a VTIMEZONE in each), 200 of them recurring
// series (weekly, daily on weekdays, monthly, yearly) with EXDATEs and
// overrides that move, cancel or free an instance.
var corpusObjects = sync.OnceValue(func() []string {
	const vtimezone = "BEGIN:VTIMEZONE\r\nTZID:Europe/Paris\r\nBEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\n" +
		"TZNAME:CEST\r\nDTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\n" +
		"BEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\nDTSTART:19701025T030000\r\n" +
		"RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
	event := func(b *strings.Builder, uid string, lines ...string) {
		b.WriteString("BEGIN:VEVENT\r\nUID:" + uid + "\r\nDTSTAMP:20261201T100000Z\r\nSEQUENCE:2\r\n" +
			"SUMMARY:Consultation de suivi\r\n" +
			"ATTENDEE;CN=Patient;PARTSTAT=ACCEPTED:mailto:patient@example.org\r\n")
		for _, l := range lines {
			b.WriteString(l + "\r\n")
		}
		b.WriteString("END:VEVENT\r\n")
	}
	start := time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)
	var objs []string
	for i := range 2000 {
		var b strings.Builder
		b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//IDN nextcloud.com//Calendar app 4.7.6//EN\r\nCALSCALE:GREGORIAN\r\n")
		b.WriteString(vtimezone)
		uid := fmt.Sprintf("%08d-4e2a-4b1c-9d3e-rdv-bench@example.org", i)
		day := start.AddDate(0, 0, i%300)
		hour := 8 + i%10
		dt := func(d time.Time, h, m int) string {
			return fmt.Sprintf("%04d%02d%02dT%02d%02d00", d.Year(), d.Month(), d.Day(), h, m)
		}
		if i%10 != 0 {
			event(&b, uid,
				"DTSTART;TZID=Europe/Paris:"+dt(day, hour, 0),
				"DTEND;TZID=Europe/Paris:"+dt(day, hour, 30))
		} else {
			rules := []string{
				"FREQ=WEEKLY;BYDAY=MO,TH",
				"FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR;UNTIL=20271231T230000Z",
				"FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
				"FREQ=WEEKLY;INTERVAL=2;BYDAY=TU;COUNT=40",
				"FREQ=YEARLY;BYMONTH=3,4;BYDAY=1WE",
			}
			series := start.AddDate(0, 0, -(i % 200))
			ex1, ex2 := series.AddDate(0, 0, 7*((i/10)%20)), series.AddDate(0, 0, 7*((i/10)%20)+14)
			event(&b, uid,
				"DTSTART;TZID=Europe/Paris:"+dt(series, hour, 0),
				"DTEND;TZID=Europe/Paris:"+dt(series, hour, 45),
				"RRULE:"+rules[(i/10)%len(rules)],
				"EXDATE;TZID=Europe/Paris:"+dt(ex1, hour, 0)+","+dt(ex2, hour, 0))
			for k := range 3 {
				rid := time.Date(2027, 3, 1+7*k+(i/10)%7, 0, 0, 0, 0, time.UTC)
				lines := []string{
					"RECURRENCE-ID;TZID=Europe/Paris:" + dt(rid, hour, 0),
					"DTSTART;TZID=Europe/Paris:" + dt(rid, hour+1, 30),
					"DTEND;TZID=Europe/Paris:" + dt(rid, hour+2, 0),
				}
				switch k {
				case 1:
					lines = append(lines, "STATUS:CANCELLED")
				case 2:
					lines = append(lines, "TRANSP:TRANSPARENT")
				}
				event(&b, uid, lines...)
			}
		}
		b.WriteString("END:VCALENDAR\r\n")
		objs = append(objs, b.String())
	}
	return objs
})

// BenchmarkExpandCorpus measures the busy time of 60 days (across the
// change to summer time) of the calendar of corpusObjects: "parse+expand"
// from the raw text with the decoder rdv uses, "go-ical+expand" with
// go-ical's own decoder, "expand" from parsed objects.
func BenchmarkExpandCorpus(b *testing.B) {
	objs := corpusObjects()
	size := 0
	for _, o := range objs {
		size += len(o)
	}
	paris := mustLoad("Europe/Paris")
	from := time.Date(2027, 3, 1, 0, 0, 0, 0, paris)
	to := from.AddDate(0, 0, 60)
	e := Expander{Location: paris, Self: []string{"mailto:anne.martin@example.org"}}
	expandAll := func(b *testing.B, cals []*ical.Calendar) int {
		n := 0
		for _, cal := range cals {
			iv, err := e.Expand(cal, from, to)
			if err != nil {
				b.Fatal(err)
			}
			n += len(iv)
		}
		return n
	}
	b.Run("parse+expand", func(b *testing.B) {
		b.SetBytes(int64(size))
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			n = 0
			for _, o := range objs {
				cal, err := Decode(o)
				if err != nil {
					b.Fatal(err)
				}
				n += expandAll(b, []*ical.Calendar{cal})
			}
		}
		b.ReportMetric(float64(n), "intervals")
	})
	b.Run("go-ical+expand", func(b *testing.B) {
		b.SetBytes(int64(size))
		b.ReportAllocs()
		for b.Loop() {
			for _, o := range objs {
				cal, err := ical.NewDecoder(strings.NewReader(o)).Decode()
				if err != nil {
					b.Fatal(err)
				}
				expandAll(b, []*ical.Calendar{cal})
			}
		}
	})
	b.Run("expand", func(b *testing.B) {
		cals := make([]*ical.Calendar, len(objs))
		for i, o := range objs {
			var err error
			if cals[i], err = Decode(o); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			n = expandAll(b, cals)
		}
		b.ReportMetric(float64(n), "intervals")
	})
}
