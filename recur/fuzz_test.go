package recur

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Fuzzing: go test -run '^$' -fuzz FuzzParseAndExpand ./recur
// (or FuzzRecurrence). The seeds are the fixtures, the corpus and
// testdata/fuzz/*; go test replays testdata/fuzz/* on every run.

// maxExpandTime bounds one input. Hostile inputs take well under a second;
// the bound leaves room for the race detector and a busy machine.
const maxExpandTime = 10 * time.Second

func FuzzParseAndExpand(f *testing.F) {
	for _, pattern := range []string{"testdata/*.ics", "testdata/corpus/*.ics"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	paris := mustLoad("Europe/Paris")
	from := time.Date(2027, 1, 1, 0, 0, 0, 0, paris)
	to := from.AddDate(0, 3, 0)
	f.Fuzz(func(t *testing.T, data []byte) {
		cal, err := Decode(string(data))
		if err != nil {
			return
		}
		start := time.Now()
		inst, err := Expander{Location: paris, Self: []string{corpusSelf}}.Instances(cal, from, to)
		if d := time.Since(start); d > maxExpandTime {
			t.Fatalf("Instances took %v", d)
		}
		if len(inst) > maxCallInstances {
			t.Fatalf("%d instances", len(inst))
		}
		_ = err
		for i, in := range inst {
			if in.End.Before(in.Start) {
				t.Fatalf("instance %d ends before it starts: %v %v", i, in.Start, in.End)
			}
			if !in.Start.Before(to) || !(in.End.After(from) || in.End.Equal(in.Start) && !in.Start.Before(from)) {
				t.Fatalf("instance %d outside the window: %v %v", i, in.Start, in.End)
			}
			if i > 0 && in.Start.Before(inst[i-1].Start) {
				t.Fatalf("instances not sorted at %d", i)
			}
			if in.Event == nil {
				t.Fatalf("instance %d without its event", i)
			}
		}
	})
}

func FuzzRecurrence(f *testing.F) {
	seeds := []string{
		"FREQ=DAILY;COUNT=10",
		"FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE,FR;WKST=SU",
		"FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
		"FREQ=MONTHLY;BYMONTHDAY=-1,-3,15",
		"FREQ=YEARLY;BYWEEKNO=1,20,-1;BYDAY=MO",
		"FREQ=YEARLY;BYYEARDAY=1,100,-1;UNTIL=20300101T000000Z",
		"FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",
		"FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
		"FREQ=HOURLY;INTERVAL=2;BYHOUR=1",
		"FREQ=MINUTELY;INTERVAL=7;BYHOUR=9,10;BYMINUTE=0,30;BYSETPOS=2",
		"FREQ=SECONDLY",
		"FREQ=SECONDLY;COUNT=2000000000",
		"FREQ=SECONDLY;BYMONTH=2",
		"FREQ=DAILY;UNTIL=20270310",
		"FREQ=DAILY;UNTIL=20270310T090000",
		"FREQ=YEARLY;BYDAY=20MO;BYSETPOS=1,-1,366,-366",
		"FREQ=YEARLY;BYMONTH=1,2,3,4,5,6,7,8,9,10,11,12;BYDAY=MO,TU,WE,TH,FR,SA,SU;BYHOUR=0,6,12,18;BYMINUTE=0,15,30,45;BYSETPOS=1,2,-1,-2,100",
		"FREQ=MONTHLY;INTERVAL=18;COUNT=10;BYMONTHDAY=10,11,12,13,14,15",
		"RSCALE=GREGORIAN;FREQ=MONTHLY;SKIP=FORWARD;X-FOO=BAR",
	}
	for _, s := range seeds {
		f.Add(s, int64(0), false)
		f.Add(s, int64(7*3600+1800), true)
	}
	paris := mustLoad("Europe/Paris")
	base := wallOf(2027, 3, 1, 0, 0, 0)
	f.Fuzz(func(t *testing.T, rule string, offset int64, isDate bool) {
		r, err := parseRule(rule)
		if err != nil {
			return
		}
		dtstart := base + wall(floorMod(offset, 400*secondsPerDay))
		if isDate {
			dtstart = wallOfDay(dtstart.day())
		}
		z := newZone(paris)
		skipTo := dtstart + 30*secondsPerDay
		limit := dtstart + 2*366*secondsPerDay
		b := newBudget()
		var got []wall
		start := time.Now()
		err = r.expand(dtstart, isDate, z, skipTo, limit, b, func(w wall) { got = append(got, w) })
		if d := time.Since(start); d > maxExpandTime {
			t.Fatalf("expand took %v", d)
		}
		if isDate && r.freq < daily {
			if !errors.Is(err, errSubDailyDate) {
				t.Fatalf("a sub-daily rule on a date: err %v", err)
			}
			return
		}
		if err != nil && !errors.Is(err, errTooManyInstances) {
			t.Fatalf("expand: %v", err)
		}
		if len(got) > MaxInstances {
			t.Fatalf("%d instances", len(got))
		}
		if r.count > 0 && len(got) > r.count-1 {
			t.Fatalf("COUNT=%d: %d instances besides DTSTART", r.count, len(got))
		}
		for i, w := range got {
			switch {
			case w <= dtstart:
				t.Fatalf("instance %d at or before DTSTART", i)
			case w >= limit:
				t.Fatalf("instance %d at or after the limit", i)
			case i > 0 && w <= got[i-1]:
				t.Fatalf("instances not increasing at %d: %v then %v", i, got[i-1].utc(), w.utc())
			case r.count == 0 && w.day() < skipTo.day()-366:
				t.Fatalf("instance %d long before skipTo", i)
			case isDate && w.secOfDay() != 0:
				t.Fatalf("a date series at %v", w.utc())
			}
			switch r.untilKind {
			case untilInstant:
				if z.instant(w) > r.until {
					t.Fatalf("instance %d after UNTIL", i)
				}
			case untilWall:
				if int64(w) > r.until {
					t.Fatalf("instance %d after UNTIL", i)
				}
			case untilDate:
				if w.day() > r.until {
					t.Fatalf("instance %d after UNTIL", i)
				}
			}
		}
	})
}

// hostile builds a calendar object around VEVENT lines.
func hostile(events ...string) string {
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//rdv//hostile//EN\r\n")
	for i, e := range events {
		fmt.Fprintf(&b, "BEGIN:VEVENT\r\nUID:hostile-%d@test\r\nDTSTAMP:20270101T000000Z\r\n%s\r\nEND:VEVENT\r\n", i, strings.TrimSpace(e))
	}
	b.WriteString("END:VCALENDAR\r\n")
	return b.String()
}

// Objects built to make an expander hang or eat memory: each must be
// expanded quickly, keeping what is sane.
func TestHostileObjects(t *testing.T) {
	paris := mustLoad("Europe/Paris")
	from := time.Date(2027, 1, 1, 0, 0, 0, 0, paris)
	to := from.AddDate(1, 0, 0)

	var exdates strings.Builder
	exdates.WriteString("EXDATE:")
	for i := range 100_000 {
		if i > 0 {
			exdates.WriteString(",")
		}
		// Every minute of 2027 from 1 January: none is an instance but
		// the midnights.
		fmt.Fprintf(&exdates, "%s", time.Date(2027, 1, 1, 0, i, 0, 0, time.UTC).Format("20060102T150405Z"))
	}
	var manyExdateLines strings.Builder
	for i := range 20_000 {
		fmt.Fprintf(&manyExdateLines, "EXDATE;TZID=Europe/Paris:%s\r\n", time.Date(2027, 1, 1, 9, 0, 0, 0, time.UTC).AddDate(0, 0, i).Format("20060102T150405"))
	}
	var observances strings.Builder
	observances.WriteString("BEGIN:VTIMEZONE\r\nTZID:Hostile Zone\r\n")
	for i := range 5000 {
		kind := "STANDARD"
		if i%2 == 1 {
			kind = "DAYLIGHT"
		}
		fmt.Fprintf(&observances, "BEGIN:%s\r\nDTSTART:%d0301T020000\r\nTZOFFSETFROM:+0%d00\r\nTZOFFSETTO:+0%d00\r\nRRULE:FREQ=YEARLY;BYMONTH=%d;BYDAY=-1SU\r\nRDATE:20270105T020000,20270106T020000,20270107T020000\r\nEND:%s\r\n",
			kind, 1601+i%300, i%3, (i+1)%3, i%12+1, kind)
	}
	observances.WriteString("END:VTIMEZONE\r\n")
	zoneObject := strings.Replace(hostile("DTSTART;TZID=Hostile Zone:20270301T090000\r\nDTEND;TZID=Hostile Zone:20270301T100000\r\nRRULE:FREQ=DAILY"),
		"PRODID:-//rdv//hostile//EN\r\n", "PRODID:-//rdv//hostile//EN\r\n"+observances.String(), 1)
	many := make([]string, 200)
	for i := range many {
		many[i] = "DTSTART:20270101T000000Z\r\nDTEND:20270101T000001Z\r\nRRULE:FREQ=SECONDLY"
	}

	tests := []struct {
		name    string
		data    string
		minBusy int  // at least this many busy intervals
		cut     bool // an error says the work was cut
	}{
		{"FREQ=SECONDLY without end", hostile("DTSTART:20270101T000000Z\r\nDTEND:20270101T000001Z\r\nRRULE:FREQ=SECONDLY"), MaxInstances - 1, true},
		{"100,000 EXDATEs in one list", hostile("DTSTART:20270101T000000Z\r\nDTEND:20270101T000030Z\r\nRRULE:FREQ=MINUTELY;INTERVAL=1440\r\n" + exdates.String()), 365 - 70, false},
		{"20,000 EXDATE lines", hostile("DTSTART;TZID=Europe/Paris:20270101T090000\r\nDTEND;TZID=Europe/Paris:20270101T100000\r\nRRULE:FREQ=DAILY\r\n" + manyExdateLines.String()), 0, false},
		{"huge COUNT", hostile("DTSTART:20200101T000000Z\r\nRRULE:FREQ=SECONDLY;COUNT=2000000000"), 0, true},
		{"BYSETPOS over every second of a year", hostile("DTSTART:20270101T000000Z\r\nDTEND:20270101T010000Z\r\nRRULE:FREQ=YEARLY;BYMONTH=1,2,3,4,5,6,7,8,9,10,11,12;BYDAY=MO,TU,WE,TH,FR,SA,SU;BYHOUR=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23;BYMINUTE=" + seq(60) + ";BYSECOND=" + seq(61) + ";BYSETPOS=1,2,3,-1,-2,-3,366,-366"), 4, false},
		{"every second of a year, no BYSETPOS", hostile("DTSTART:20270101T000000Z\r\nRRULE:FREQ=YEARLY;BYDAY=MO,TU,WE,TH,FR,SA,SU;BYHOUR=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23;BYMINUTE=" + seq(60) + ";BYSECOND=" + seq(60)), MaxInstances - 1, true},
		{"an impossible rule", hostile("DTSTART:20270101T000000Z\r\nRRULE:FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=30"), 1, false},
		{"a VTIMEZONE with 5,000 observances", zoneObject, 300, false},
		{"200 SECONDLY series in one object", hostile(many...), MaxInstances, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cal, err := Decode(tt.data)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			busy, err := Expander{Location: paris}.Expand(cal, from, to)
			elapsed := time.Since(start)
			t.Logf("%d busy intervals in %v", len(busy), elapsed)
			if elapsed > maxExpandTime {
				t.Errorf("took %v", elapsed)
			}
			if len(busy) < tt.minBusy || len(busy) > maxCallInstances+len(cal.Children) {
				t.Errorf("%d busy intervals, want at least %d", len(busy), tt.minBusy)
			}
			if cut := errors.Is(err, errTooManyInstances); cut != tt.cut {
				t.Errorf("err = %v, want cut: %v", err, tt.cut)
			}
		})
	}
}

func seq(n int) string {
	s := make([]string, n)
	for i := range s {
		s[i] = fmt.Sprint(i)
	}
	return strings.Join(s, ",")
}
