package recur

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	"github.com/rdvlibre/rdv/internal/testcal"
)

// vcal makes an iCalendar object of the given lines, between the
// VCALENDAR lines.
func vcal(lines ...string) string {
	return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//rdv//test//EN\r\n" + strings.Join(lines, "\r\n") + "\r\nEND:VCALENDAR\r\n"
}

func decodeText(t *testing.T, text string) *ical.Calendar {
	t.Helper()
	cal, err := Decode(text)
	if err != nil {
		t.Fatal(err)
	}
	return cal
}

// weeklyMonday is an AVAILABLE every Monday from 8 March 2027, hh:mm to
// hh:mm in Paris.
func weeklyMonday(uid, from, to string) []string {
	return []string{
		"BEGIN:AVAILABLE", "UID:" + uid, "DTSTAMP:20270101T000000Z",
		"DTSTART;TZID=Europe/Paris:20270308T" + from + "00",
		"DTEND;TZID=Europe/Paris:20270308T" + to + "00",
		"RRULE:FREQ=WEEKLY;BYDAY=MO", "END:AVAILABLE",
	}
}

func component(name string, props []string, children ...[]string) []string {
	out := append([]string{"BEGIN:" + name}, props...)
	for _, c := range children {
		out = append(out, c...)
	}
	return append(out, "END:"+name)
}

// TestExpanderAvailability checks what VAVAILABILITY components say of a
// window: the examples of RFC 7953 section 3.1, the combination by PRIORITY
// of section 4, the bounds of a component, AVAILABLE subcomponents that
// recur with exceptions, and what Nextcloud writes for its working hours.
func TestExpanderAvailability(t *testing.T) {
	montreal, err := time.LoadLocation("America/Montreal")
	if err != nil {
		t.Fatal(err)
	}
	fixture := func(name string) string {
		data, err := os.ReadFile(filepath.Join("testdata", "availability", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	lowMonday := weeklyMonday("low", "0800", "2000")
	tests := []struct {
		name     string
		text     string
		loc      *time.Location
		from, to string
		covered  []string
		open     []string
	}{
		{
			name: "RFC 7953 3.1 first example: Monday to Friday 9–17, unbounded",
			text: fixture("rfc7953_weekdays.ics"), loc: montreal,
			from: "2011-10-10T00:00:00-04:00", to: "2011-10-17T00:00:00-04:00",
			covered: []string{"2011-10-10T00:00:00-04:00/2011-10-17T00:00:00-04:00"},
			open: []string{
				"2011-10-10T09:00:00-04:00/2011-10-10T17:00:00-04:00",
				"2011-10-11T09:00:00-04:00/2011-10-11T17:00:00-04:00",
				"2011-10-12T09:00:00-04:00/2011-10-12T17:00:00-04:00",
				"2011-10-13T09:00:00-04:00/2011-10-13T17:00:00-04:00",
				"2011-10-14T09:00:00-04:00/2011-10-14T17:00:00-04:00",
			},
		},
		{
			name: "RFC 7953 3.1 second example: two AVAILABLE, bounded",
			text: fixture("rfc7953_bounded.ics"), loc: montreal,
			from: "2011-10-03T00:00:00-04:00", to: "2011-10-10T00:00:00-04:00",
			covered: []string{"2011-10-03T00:00:00-04:00/2011-10-10T00:00:00-04:00"},
			open: []string{
				"2011-10-03T09:00:00-04:00/2011-10-03T17:00:00-04:00",
				"2011-10-04T09:00:00-04:00/2011-10-04T17:00:00-04:00",
				"2011-10-05T09:00:00-04:00/2011-10-05T17:00:00-04:00",
				"2011-10-06T09:00:00-04:00/2011-10-06T17:00:00-04:00",
				"2011-10-07T09:00:00-04:00/2011-10-07T12:00:00-04:00",
			},
		},
		{
			name: "RFC 7953 3.1 second example: its end, in winter time",
			text: fixture("rfc7953_bounded.ics"), loc: montreal,
			from: "2011-11-28T00:00:00-05:00", to: "2011-12-05T00:00:00-05:00",
			covered: []string{"2011-11-28T00:00:00-05:00/2011-12-02T00:00:00-05:00"},
			open: []string{
				"2011-11-28T09:00:00-05:00/2011-11-28T17:00:00-05:00",
				"2011-11-29T09:00:00-05:00/2011-11-29T17:00:00-05:00",
				"2011-11-30T09:00:00-05:00/2011-11-30T17:00:00-05:00",
				"2011-12-01T09:00:00-05:00/2011-12-01T17:00:00-05:00",
			},
		},
		{
			name: "priority 1 replaces priority 2 where it applies",
			text: fixture("rfc7953_priority.ics"), loc: montreal,
			from: "2011-11-28T00:00:00-05:00", to: "2011-12-06T00:00:00-05:00",
			covered: []string{"2011-11-28T00:00:00-05:00/2011-12-06T00:00:00-05:00"},
			open: []string{
				"2011-11-28T09:00:00-05:00/2011-11-28T12:00:00-05:00",
				"2011-11-29T09:00:00-05:00/2011-11-29T12:00:00-05:00",
				"2011-11-30T09:00:00-05:00/2011-11-30T12:00:00-05:00",
				"2011-12-01T09:00:00-05:00/2011-12-01T12:00:00-05:00",
				"2011-12-02T09:00:00-05:00/2011-12-02T17:00:00-05:00",
				"2011-12-05T09:00:00-05:00/2011-12-05T17:00:00-05:00",
			},
		},
		{
			name: "Nextcloud working hours, across the change to summer time",
			text: fixture("nextcloud.ics"), loc: testcal.Paris(t),
			from: "2027-03-22T00:00:00+01:00", to: "2027-04-03T00:00:00+02:00",
			covered: []string{"2027-03-22T00:00:00+01:00/2027-04-03T00:00:00+02:00"},
			open: []string{
				"2027-03-22T08:30:00+01:00/2027-03-22T12:00:00+01:00",
				"2027-03-22T14:00:00+01:00/2027-03-22T18:30:00+01:00",
				"2027-03-23T08:30:00+01:00/2027-03-23T12:00:00+01:00",
				"2027-03-25T08:30:00+01:00/2027-03-25T12:00:00+01:00",
				"2027-03-25T14:00:00+01:00/2027-03-25T18:30:00+01:00",
				"2027-03-26T08:30:00+01:00/2027-03-26T12:00:00+01:00",
				"2027-03-29T08:30:00+02:00/2027-03-29T12:00:00+02:00",
				"2027-03-29T14:00:00+02:00/2027-03-29T18:30:00+02:00",
				"2027-03-30T08:30:00+02:00/2027-03-30T12:00:00+02:00",
				"2027-04-01T08:30:00+02:00/2027-04-01T12:00:00+02:00",
				"2027-04-01T14:00:00+02:00/2027-04-01T18:30:00+02:00",
				"2027-04-02T08:30:00+02:00/2027-04-02T12:00:00+02:00",
			},
		},
		{
			name: "no PRIORITY ranks below PRIORITY 9",
			text: vcal(append(
				component("VAVAILABILITY", []string{"UID:none"}, lowMonday),
				component("VAVAILABILITY", []string{"UID:nine", "PRIORITY:9"}, weeklyMonday("nine", "0900", "1200"))...)...),
			loc:  testcal.Paris(t),
			from: "2027-03-08T00:00:00+01:00", to: "2027-03-09T00:00:00+01:00",
			covered: []string{"2027-03-08T00:00:00+01:00/2027-03-09T00:00:00+01:00"},
			open:    []string{"2027-03-08T09:00:00+01:00/2027-03-08T12:00:00+01:00"},
		},
		{
			name: "equal priorities: available where either is",
			text: vcal(append(
				component("VAVAILABILITY", []string{"UID:a", "PRIORITY:5",
					"DTSTART;TZID=Europe/Paris:20270308T000000", "DTEND;TZID=Europe/Paris:20270309T000000"},
					weeklyMonday("a", "0900", "1200")),
				component("VAVAILABILITY", []string{"UID:b", "PRIORITY:5"}, []string{
					"BEGIN:AVAILABLE", "UID:b", "DTSTART;TZID=Europe/Paris:20270308T140000",
					"DTEND;TZID=Europe/Paris:20270308T170000", "RRULE:FREQ=DAILY", "END:AVAILABLE",
				})...)...),
			loc:  testcal.Paris(t),
			from: "2027-03-08T00:00:00+01:00", to: "2027-03-10T00:00:00+01:00",
			covered: []string{"2027-03-08T00:00:00+01:00/2027-03-10T00:00:00+01:00"},
			open: []string{
				"2027-03-08T09:00:00+01:00/2027-03-08T12:00:00+01:00",
				"2027-03-08T14:00:00+01:00/2027-03-08T17:00:00+01:00",
				"2027-03-09T14:00:00+01:00/2027-03-09T17:00:00+01:00",
			},
		},
		{
			name: "DTSTART and DURATION bound a component; AVAILABLE cut to them",
			text: vcal(component("VAVAILABILITY", []string{"UID:d",
				"DTSTART;TZID=Europe/Paris:20270308T100000", "DURATION:P1D"},
				weeklyMonday("d", "0900", "1200"))...),
			loc:  testcal.Paris(t),
			from: "2027-03-08T00:00:00+01:00", to: "2027-03-16T00:00:00+01:00",
			covered: []string{"2027-03-08T10:00:00+01:00/2027-03-09T10:00:00+01:00"},
			open:    []string{"2027-03-08T10:00:00+01:00/2027-03-08T12:00:00+01:00"},
		},
		{
			name: "DTEND without DTSTART: everything before it",
			text: vcal(component("VAVAILABILITY", []string{"UID:e", "DTEND:20270309T000000Z"},
				weeklyMonday("e", "0900", "1200"))...),
			loc:  testcal.Paris(t),
			from: "2027-03-08T00:00:00+01:00", to: "2027-03-16T00:00:00+01:00",
			covered: []string{"2027-03-08T00:00:00+01:00/2027-03-09T01:00:00+01:00"},
			open:    []string{"2027-03-08T09:00:00+01:00/2027-03-08T12:00:00+01:00"},
		},
		{
			name: "BUSY-TENTATIVE is busy too",
			text: vcal(component("VAVAILABILITY", []string{"UID:t", "BUSYTYPE:BUSY-TENTATIVE"},
				weeklyMonday("t", "0900", "1200"))...),
			loc:  testcal.Paris(t),
			from: "2027-03-08T00:00:00+01:00", to: "2027-03-09T00:00:00+01:00",
			covered: []string{"2027-03-08T00:00:00+01:00/2027-03-09T00:00:00+01:00"},
			open:    []string{"2027-03-08T09:00:00+01:00/2027-03-08T12:00:00+01:00"},
		},
		{
			name: "AVAILABLE with EXDATE, RDATE period and a moved instance",
			text: vcal(component("VAVAILABILITY", []string{"UID:x"}, []string{
				"BEGIN:AVAILABLE", "UID:x1",
				"DTSTART;TZID=Europe/Paris:20270301T090000", "DTEND;TZID=Europe/Paris:20270301T120000",
				"RRULE:FREQ=WEEKLY;BYDAY=MO",
				"EXDATE;TZID=Europe/Paris:20270315T090000",
				"RDATE;TZID=Europe/Paris;VALUE=PERIOD:20270320T100000/20270320T123000",
				"END:AVAILABLE",
				"BEGIN:AVAILABLE", "UID:x1", "RECURRENCE-ID;TZID=Europe/Paris:20270308T090000",
				"DTSTART;TZID=Europe/Paris:20270309T140000", "DTEND;TZID=Europe/Paris:20270309T170000",
				"END:AVAILABLE",
			})...),
			loc:  testcal.Paris(t),
			from: "2027-03-08T00:00:00+01:00", to: "2027-03-22T00:00:00+01:00",
			covered: []string{"2027-03-08T00:00:00+01:00/2027-03-22T00:00:00+01:00"},
			open: []string{
				"2027-03-09T14:00:00+01:00/2027-03-09T17:00:00+01:00",
				"2027-03-20T10:00:00+01:00/2027-03-20T12:30:00+01:00",
			},
		},
		{
			name: "an Outlook zone name",
			text: vcal(component("VAVAILABILITY", []string{"UID:w"}, []string{
				"BEGIN:AVAILABLE", "UID:w1",
				"DTSTART;TZID=Romance Standard Time:20270301T090000", "DTEND;TZID=Romance Standard Time:20270301T120000",
				"RRULE:FREQ=WEEKLY;BYDAY=MO", "END:AVAILABLE",
			})...),
			loc:  time.UTC,
			from: "2027-03-29T00:00:00+02:00", to: "2027-03-30T00:00:00+02:00",
			covered: []string{"2027-03-29T00:00:00+02:00/2027-03-30T00:00:00+02:00"},
			open:    []string{"2027-03-29T09:00:00+02:00/2027-03-29T12:00:00+02:00"},
		},
		{
			name: "no VAVAILABILITY",
			text: vcal(), loc: testcal.Paris(t),
			from: "2027-03-08T00:00:00+01:00", to: "2027-03-09T00:00:00+01:00",
		},
		{
			name: "a VAVAILABILITY without AVAILABLE: busy throughout",
			text: vcal(component("VAVAILABILITY", []string{"UID:off", "DTSTART;VALUE=DATE:20270308", "DTEND;VALUE=DATE:20270309"})...),
			loc:  testcal.Paris(t),
			from: "2027-03-07T00:00:00+01:00", to: "2027-03-10T00:00:00+01:00",
			covered: []string{"2027-03-08T00:00:00+01:00/2027-03-09T00:00:00+01:00"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Expander{Location: tc.loc}.Availability(decodeText(t, tc.text), testcal.MustTime(t, tc.from), testcal.MustTime(t, tc.to))
			if err != nil {
				t.Errorf("error: %v", err)
			}
			if want := testcal.Intervals(t, tc.covered...); !testcal.SameIntervals(got.Covered, want) {
				t.Errorf("covered:%s\nwant:%s", testcal.FormatIntervals(got.Covered), testcal.FormatIntervals(want))
			}
			if want := testcal.Intervals(t, tc.open...); !testcal.SameIntervals(got.Open, want) {
				t.Errorf("open:%s\nwant:%s", testcal.FormatIntervals(got.Open), testcal.FormatIntervals(want))
			}
		})
	}
}

// TestVAvailabilityProperties checks how the properties of a VAVAILABILITY
// are read: PRIORITY and its ranks, BUSYTYPE and its default, the bounds.
func TestVAvailabilityProperties(t *testing.T) {
	loc := testcal.Paris(t)
	text := vcal(append(append(
		component("VAVAILABILITY", []string{"UID:plain"}, weeklyMonday("p", "0900", "1200")),
		component("VAVAILABILITY", []string{"UID:first", "PRIORITY:1", "BUSYTYPE:busy",
			"DTSTART;TZID=Europe/Paris:20270308T000000", "DTEND;TZID=Europe/Paris:20270310T000000"})...),
		component("VAVAILABILITY", []string{"UID:odd", "PRIORITY:12", "BUSYTYPE:X-LUNCH"})...)...)
	from, to := testcal.MustTime(t, "2027-03-01T00:00:00+01:00"), testcal.MustTime(t, "2027-04-01T00:00:00+02:00")
	vs, err := Expander{Location: loc}.vavailabilities(decodeText(t, text), from, to)
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 3 {
		t.Fatalf("%d components, want 3", len(vs))
	}
	want := []struct {
		uid, busyType  string
		priority, rank int
		start, end     string
		available      int
	}{
		{"plain", BusyTypeUnavailable, 0, 0, "2027-03-01T00:00:00+01:00", "2027-04-01T00:00:00+02:00", 4},
		{"first", BusyTypeBusy, 1, 9, "2027-03-08T00:00:00+01:00", "2027-03-10T00:00:00+01:00", 0},
		{"odd", BusyTypeUnavailable, 12, 0, "2027-03-01T00:00:00+01:00", "2027-04-01T00:00:00+02:00", 0},
	}
	for i, w := range want {
		v := vs[i]
		if v.uid != w.uid || v.busyType != w.busyType || v.priority != w.priority || v.rank() != w.rank ||
			!v.start.Equal(testcal.MustTime(t, w.start)) || !v.end.Equal(testcal.MustTime(t, w.end)) || len(v.available) != w.available {
			t.Errorf("component %d = %+v (rank %d), want %+v", i, v, v.rank(), w)
		}
	}
}

// TestExpanderAvailabilityBroken: a component with a bad RRULE in one
// AVAILABLE keeps the others, and says what was wrong; bad bounds make a
// component cover nothing.
func TestExpanderAvailabilityBroken(t *testing.T) {
	text := vcal(append(
		component("VAVAILABILITY", []string{"UID:ok"},
			weeklyMonday("ok", "0900", "1200"),
			[]string{"BEGIN:AVAILABLE", "UID:bad", "DTSTART:20270308T140000Z", "DTEND:20270308T150000Z",
				"RRULE:FREQ=SOMETIMES", "END:AVAILABLE"}),
		component("VAVAILABILITY", []string{"UID:bounds", "PRIORITY:1", "DTSTART:2027-03-08"})...)...)
	got, err := Expander{Location: testcal.Paris(t)}.Availability(decodeText(t, text),
		testcal.MustTime(t, "2027-03-08T00:00:00+01:00"), testcal.MustTime(t, "2027-03-09T00:00:00+01:00"))
	if err == nil || !strings.Contains(err.Error(), "bounds") {
		t.Errorf("error = %v, want one naming the component with bad bounds", err)
	}
	// The first instance of the broken series, its DTSTART, still counts.
	want := testcal.Intervals(t, "2027-03-08T09:00:00+01:00/2027-03-08T12:00:00+01:00", "2027-03-08T15:00:00+01:00/2027-03-08T16:00:00+01:00")
	if !testcal.SameIntervals(got.Open, want) {
		t.Errorf("open:%s\nwant:%s", testcal.FormatIntervals(got.Open), testcal.FormatIntervals(want))
	}
}
