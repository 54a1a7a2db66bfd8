package ics

import (
	"testing"
	"time"

	"github.com/emersion/go-ical"
)

// offsetAt resolves t against the observances of a VTIMEZONE the way a
// client does: the offset is the TZOFFSETTO of the latest observance whose
// onset (DTSTART read in its TZOFFSETFROM) is not after t.
func offsetAt(t *testing.T, tz *ical.Component, at time.Time) int {
	t.Helper()
	best, offset := time.Time{}, 0
	found := false
	for _, obs := range tz.Children {
		from := parseOffset(t, obs.Props.Get(ical.PropTimezoneOffsetFrom).Value)
		to := parseOffset(t, obs.Props.Get(ical.PropTimezoneOffsetTo).Value)
		onset, err := time.ParseInLocation("20060102T150405", obs.Props.Get(ical.PropDateTimeStart).Value, time.FixedZone("", from))
		if err != nil {
			t.Fatal(err)
		}
		if !onset.After(at) && (!found || onset.After(best)) {
			best, offset, found = onset, to, true
		}
	}
	if !found {
		t.Fatalf("no observance covers %v", at)
	}
	return offset
}

func parseOffset(t *testing.T, s string) int {
	t.Helper()
	if len(s) != 5 && len(s) != 7 {
		t.Fatalf("bad UTC offset %q", s)
	}
	n := func(s string) int { return int(s[0]-'0')*10 + int(s[1]-'0') }
	secs := n(s[1:3])*3600 + n(s[3:5])*60
	if len(s) == 7 {
		secs += n(s[5:7])
	}
	if s[0] == '-' {
		secs = -secs
	}
	return secs
}

func TestTimezoneOffsets(t *testing.T) {
	tests := []struct {
		zone string
		day  string // the event's local day; offsets are checked every 15 minutes around it
	}{
		{"Europe/Paris", "2027-03-28"},
		{"Europe/Paris", "2027-10-31"},
		{"Europe/Paris", "2026-12-01"},
		{"America/New_York", "2027-03-14"},
		{"America/New_York", "2027-11-07"},
		{"Australia/Sydney", "2027-04-04"},
		{"Australia/Lord_Howe", "2027-10-03"}, // 30-minute DST
		{"Asia/Kolkata", "2027-06-01"},
		{"Etc/UTC", "2027-06-01"},
		{"Africa/Casablanca", "2027-03-01"}, // negative DST around Ramadan
	}
	for _, tt := range tests {
		t.Run(tt.zone+"/"+tt.day, func(t *testing.T) {
			loc := mustLoad(t, tt.zone)
			day, err := time.ParseInLocation("2006-01-02", tt.day, loc)
			if err != nil {
				t.Fatal(err)
			}
			start := day.Add(9 * time.Hour)
			tz := Timezone(loc, start, start.Add(time.Hour))
			if got := tz.Props.Get(ical.PropTimezoneID).Value; got != tt.zone {
				t.Errorf("TZID = %q", got)
			}
			if len(tz.Children) == 0 || len(tz.Children) > maxObservances {
				t.Fatalf("%d observances", len(tz.Children))
			}
			for at := day.Add(-24 * time.Hour); at.Before(day.Add(72 * time.Hour)); at = at.Add(15 * time.Minute) {
				_, want := at.In(loc).Zone()
				if got := offsetAt(t, tz, at); got != want {
					t.Errorf("offset at %v = %d, Go says %d", at.UTC(), got, want)
				}
			}
			for _, obs := range tz.Children {
				for _, name := range []string{ical.PropDateTimeStart, ical.PropTimezoneOffsetFrom, ical.PropTimezoneOffsetTo} {
					if len(obs.Props.Values(name)) != 1 {
						t.Errorf("observance %s: want one %s, got %v", obs.Name, name, obs.Props.Values(name))
					}
				}
			}
		})
	}
}

func TestTimezoneParis(t *testing.T) {
	loc := mustLoad(t, "Europe/Paris")
	start := time.Date(2027, 3, 28, 10, 0, 0, 0, loc)
	tz := Timezone(loc, start, start.Add(time.Hour))
	type obs struct{ kind, dtstart, from, to, name string }
	var got []obs
	for _, c := range tz.Children {
		got = append(got, obs{c.Name, c.Props.Get(ical.PropDateTimeStart).Value,
			c.Props.Get(ical.PropTimezoneOffsetFrom).Value, c.Props.Get(ical.PropTimezoneOffsetTo).Value,
			c.Props.Get(ical.PropTimezoneName).Value})
	}
	want := []obs{
		{"STANDARD", "20251026T030000", "+0200", "+0100", "CET"},
		{"DAYLIGHT", "20260329T020000", "+0100", "+0200", "CEST"},
		{"STANDARD", "20261025T030000", "+0200", "+0100", "CET"},
		{"DAYLIGHT", "20270328T020000", "+0100", "+0200", "CEST"},
		{"STANDARD", "20271031T030000", "+0200", "+0100", "CET"},
		{"DAYLIGHT", "20280326T020000", "+0100", "+0200", "CEST"},
	}
	if len(got) != len(want) {
		t.Fatalf("observances = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("observance %d = %v, want %v", i, got[i], want[i])
		}
	}
}
