package recur

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"
)

func TestWindowsZonesLoad(t *testing.T) {
	for win, iana := range windowsZones {
		if loadZone(iana) == nil {
			t.Errorf("%q → %q: not a zone time.LoadLocation knows", win, iana)
		}
	}
	if len(windowsZones) < 139 {
		t.Errorf("%d Windows zones, want every one of the CLDR's (139)", len(windowsZones))
	}
}

// A zone known only by its VTIMEZONE must give the offsets its rules say,
// for every hour of many years, like the IANA zone it copies.
func TestVTimezoneRules(t *testing.T) {
	tests := []struct {
		name, file, tzid, like string
		fromYear, toYear       int
	}{
		// Outlook's rules from 1601, carried by a POSIX TZ string: exact in
		// every year since the EU rules (1996).
		{"yearly rules, TZ string", "corpus/10_outlook_custom_tz.ics", "Customized Time Zone", "Europe/Paris", 1996, 2080},
		// Transitions listed as RDATEs: exact where they are listed.
		{"RDATE lists", "corpus/23_rdate_vtimezone.ics", "Cabinet Local Time", "Europe/Helsinki", 2026, 2028},
		{"US rules", "corpus/09_outlook_eastern.ics", "Eastern Standard Time", "America/New_York", 2007, 2060},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cal := loadFixture(t, tt.file)
			p := newTimeParser(cal, time.UTC)
			vtz := p.vtimezone(tt.tzid)
			loc, complete := p.compileVTimezone(tt.tzid, vtz)
			if loc == nil || !complete {
				t.Fatalf("location %v, complete %v", loc, complete)
			}
			// Compiled once per component: a second object that shares the
			// VTIMEZONE (as decodeForBusy makes them) gets the same zone.
			first, _ := newTimeParser(cal, time.UTC).vtimezoneLocation(tt.tzid, vtz)
			if again, _ := newTimeParser(cal, time.UTC).vtimezoneLocation(tt.tzid, vtz); again != first {
				t.Error("the VTIMEZONE was compiled again")
			}
			like := mustLoad(tt.like)
			from := time.Date(tt.fromYear, 1, 1, 0, 0, 0, 0, time.UTC)
			to := time.Date(tt.toYear, 1, 1, 0, 0, 0, 0, time.UTC)
			if tt.like == "Europe/Helsinki" {
				// The RDATE zone lists 2026 to 2028 only.
				from = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
			}
			for u := from; u.Before(to); u = u.Add(time.Hour) {
				_, got := u.In(loc).Zone()
				_, want := u.In(like).Zone()
				if got != want {
					t.Fatalf("%v: offset %d, want %d", u, got, want)
				}
			}
		})
	}
}

// The TZID of each value is resolved as zoneOf says, in the order it says.
func TestZoneOf(t *testing.T) {
	cal := loadFixture(t, "zones.ics")
	for _, name := range []string{"corpus/04_thunderbird_prefixed_tzid.ics", "corpus/05_evolution_freeassociation.ics", "corpus/10_outlook_custom_tz.ics"} {
		other := loadFixture(t, name)
		cal.Children = append(cal.Children, other.Children...)
	}
	tests := []struct {
		tzid string
		want string // a zone name, or "vtimezone" for a compiled one
	}{
		{"Europe/Paris", "Europe/Paris"},
		{"Romance Standard Time", "Europe/Paris"},
		{"Eastern Standard Time", "America/New_York"},
		{"W. Europe Standard Time", "Europe/Berlin"},
		{"/mozilla.org/20050126_1/Europe/Paris", "Europe/Paris"},
		{"/freeassociation.sourceforge.net/Tzfile/Europe/Paris", "Europe/Paris"},
		{"/citadel.org/20190914_1/America/New_York", "America/New_York"},
		{"Customized Time Zone", "Customized Time Zone"},
		{"No Such Zone", "UTC"}, // the practitioner's, here UTC
	}
	for _, tt := range tests {
		t.Run(tt.tzid, func(t *testing.T) {
			p := newTimeParser(cal, time.UTC)
			z := p.zoneOf(tt.tzid)
			if got := z.loc.String(); got != tt.want {
				t.Errorf("zone %q, want %q", got, tt.want)
			}
		})
	}
}

// RFC 5545 section 3.3.5 on a zone's gap and overlap, in Paris and New
// York.
func TestZoneInstant(t *testing.T) {
	tests := []struct {
		zone, wall, want string
	}{
		{"Europe/Paris", "20270328T023000", "2027-03-28T03:30:00+02:00"},
		{"Europe/Paris", "20271031T023000", "2027-10-31T02:30:00+02:00"},
		{"Europe/Paris", "20271031T033000", "2027-10-31T03:30:00+01:00"},
		{"Europe/Paris", "20270615T090000", "2027-06-15T09:00:00+02:00"},
		{"America/New_York", "20070311T023000", "2007-03-11T03:30:00-04:00"},
		{"America/New_York", "20071104T013000", "2007-11-04T01:30:00-04:00"},
		{"Australia/Lord_Howe", "20271003T021500", "2027-10-03T02:45:00+11:00"},
		{"UTC", "20270101T000000", "2027-01-01T00:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.zone+" "+tt.wall, func(t *testing.T) {
			z := newZone(mustLoad(tt.zone))
			w, _, _, ok := parseWallValue(tt.wall)
			if !ok {
				t.Fatal("bad wall time")
			}
			if got := z.time(w).Format(time.RFC3339); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
			// A second reading uses the remembered stretch: same answer.
			if got := z.time(w).Format(time.RFC3339); got != tt.want {
				t.Errorf("again: got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestDeclinedAndSelf(t *testing.T) {
	cal := loadFixture(t, "corpus/11_google_declined.ics")
	paris := mustLoad("Europe/Paris")
	from := time.Date(2027, 1, 1, 0, 0, 0, 0, paris)
	to := from.AddDate(0, 3, 0)
	count := func(self ...string) int {
		iv, err := Expander{Location: paris, Self: self}.Expand(cal, from, to)
		if err != nil {
			t.Fatal(err)
		}
		return len(iv)
	}
	// 4 single events, 12 weekly lunches (one declined), 30 daily
	// stand-ups (all declined).
	if got := count(); got != 4+12+30 {
		t.Errorf("without Self: %d busy intervals, want %d", got, 4+12+30)
	}
	for _, self := range []string{"mailto:anne.martin@example.org", "ANNE.MARTIN@example.org", " MailTo:Anne.Martin@Example.Org "} {
		if got := count(self); got != 3+11 {
			t.Errorf("Self %q: %d busy intervals, want %d (declined ones free, TENTATIVE and NEEDS-ACTION busy)", self, got, 3+11)
		}
	}
}

func TestThisAndFuture(t *testing.T) {
	cal := loadFixture(t, "corpus/16_thisandfuture.ics")
	paris := mustLoad("Europe/Paris")
	inst, err := Instances(cal, paris, time.Date(2027, 2, 20, 0, 0, 0, 0, paris), time.Date(2027, 9, 20, 0, 0, 0, 0, paris))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, in := range inst {
		s := in.Start.Format("01-02 15:04") + "-" + in.End.Format("15:04")
		if !in.Busy {
			s += " free"
		}
		got = append(got, s)
	}
	want := "02-22 14:00-16:00 " + // before the change
		"03-01 15:00-18:00 03-08 15:00-18:00 03-15 15:00-18:00 03-22 15:00-18:00 03-29 15:00-18:00 " + // shifted, longer, across DST
		"04-05 15:00-18:00 04-12 15:00-18:00 04-20 09:00-10:00 04-26 15:00-18:00" // 04-19 moved by its own override
	if g := strings.Join(got[:10], " "); g != want {
		t.Errorf("got  %s\nwant %s", g, want)
	}
	if last := got[len(got)-1]; last != "09-13 15:00-18:00 free" {
		t.Errorf("after the second THISANDFUTURE (cancelled): %s", last)
	}
}

// Every corpus file expands without error, and each has busy time in 2027:
// the differential test checks what, when ical.js is installed.
func TestCorpusExpands(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "corpus", "*.ics"))
	if len(files) < 25 {
		t.Fatalf("%d corpus files", len(files))
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		cal, err := ical.NewDecoder(strings.NewReader(string(data))).Decode()
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		iv, err := Expander{Location: corpusParis, Self: []string{corpusSelf}}.Expand(cal, corpusFrom, corpusTo)
		if err != nil || len(iv) == 0 {
			t.Errorf("%s: %d intervals, %v", f, len(iv), err)
		}
	}
}
