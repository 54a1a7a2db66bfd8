package recur

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/internal/testcal"
)

// The differential test expands every file of testdata/corpus (calendar
// objects shaped like what Nextcloud, Thunderbird, Evolution, Apple, Outlook
// and Google write) with rdv and with ical.js, the library of Thunderbird
// and of Nextcloud Calendar, over the year 2027 in Europe/Paris (both
// daylight-saving changes), and compares the busy intervals.
//
// ical.js runs under Node from testdata/icaljs (expand.mjs); install it with
//
//	npm ci --prefix recur/testdata/icaljs
//
// Without node or the package the test is skipped, unless
// RDV_REQUIRE_SERVERS=1, as in CI, where it fails.

const corpusSelf = "mailto:anne.martin@example.org"

var (
	corpusFrom = time.Date(2027, 1, 1, 0, 0, 0, 0, mustLoad("Europe/Paris"))
	corpusTo   = time.Date(2028, 1, 1, 0, 0, 0, 0, mustLoad("Europe/Paris"))
)

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// icaljsDisagreements lists, per corpus file, where ical.js is wrong: the
// intervals rdv has and ical.js lacks ("rdv"), those ical.js has and rdv
// rightly lacks ("icaljs"), with the reason. Where ical.js is wrong
// throughout a file, "expect" gives rdv's whole answer instead. Intervals
// are "start/end" in RFC 3339. Any other difference fails the test.
var icaljsDisagreements = map[string]struct {
	why                 string
	rdv, icaljs, expect []string
}{
	"03_thunderbird_monthly_bysetpos.ics": {
		// RFC 5545 section 3.8.5.3: "The DTSTART property value always
		// counts as the first occurrence" (and section 3.8.2.4: DTSTART is
		// the start of the event). A DTSTART the rule does not match (here
		// the last Thursday, for a rule of second-to-last Thursdays) leaves
		// the rest of the set undefined, but not DTSTART itself: rdv keeps
		// it busy, ical.js drops it.
		why: "a DTSTART that its rule does not match is still an instance",
		rdv: []string{"2027-01-28T13:30:00+01:00/2027-01-28T16:00:00+01:00"},
	},
	"17_rdate_period.ics": {
		// RFC 5545 section 3.8.5.2: the recurrence set is DTSTART, the
		// RRULEs and the RDATEs; ical.js yields no DTSTART for an event with
		// RDATEs and no RRULE. And an RDATE of type PERIOD gives the
		// instance its own end ("the duration of the recurrence instance
		// will be the one specified by the RDATE property"); ical.js gives
		// it the event's length.
		why: "DTSTART of an RDATE-only series; the end of a PERIOD",
		rdv: []string{
			"2027-03-01T14:00:00+01:00/2027-03-01T14:30:00+01:00",
			"2027-05-10T00:00:00+02:00/2027-05-11T00:00:00+02:00",
			"2027-06-01T10:00:00+02:00/2027-06-01T11:00:00+02:00",
			"2027-06-04T10:00:00+02:00/2027-06-04T12:00:00+02:00",
			"2027-06-06T10:00:00+02:00/2027-06-06T10:15:00+02:00",
		},
		icaljs: []string{
			"2027-06-04T10:00:00+02:00/2027-06-04T11:00:00+02:00",
			"2027-06-06T10:00:00+02:00/2027-06-06T11:00:00+02:00",
		},
	},
	"20_yearly_byweekno.ics": {
		// RFC 5545 section 3.3.10, BYWEEKNO: weeks start on WKST, week 1
		// is the first with at least four days of the year. ical.js
		// expands these rules to about every week of the year (186
		// intervals). Week 10 of 2027 begins on Monday 8 March, week 20 on
		// 17 May, week 30 on 26 July, the last (-1, week 52) on 27
		// December; with WKST=SU, week 1 begins on Sunday 3 January (1
		// January is a Friday) and week 26 on Sunday 27 June.
		why: "BYWEEKNO",
		expect: []string{
			"2027-01-03T09:00:00+01:00/2027-01-03T10:00:00+01:00",
			"2027-01-05T09:00:00+01:00/2027-01-05T10:00:00+01:00",
			"2027-03-08T09:00:00+01:00/2027-03-08T10:00:00+01:00",
			"2027-03-10T09:00:00+01:00/2027-03-10T10:00:00+01:00",
			"2027-05-17T09:00:00+02:00/2027-05-17T10:00:00+02:00",
			"2027-05-19T09:00:00+02:00/2027-05-19T10:00:00+02:00",
			"2027-06-27T09:00:00+02:00/2027-06-27T10:00:00+02:00",
			"2027-06-29T09:00:00+02:00/2027-06-29T10:00:00+02:00",
			"2027-07-26T09:00:00+02:00/2027-07-26T10:00:00+02:00",
			"2027-07-28T09:00:00+02:00/2027-07-28T10:00:00+02:00",
			"2027-12-27T09:00:00+01:00/2027-12-27T10:00:00+01:00",
			"2027-12-29T09:00:00+01:00/2027-12-29T10:00:00+01:00",
		},
	},
	"23_rdate_vtimezone.ics": {
		// RFC 5545 section 3.8.5.2: an RDATE holds a list of values. In a
		// VTIMEZONE observance ical.js reads only the first value of each
		// RDATE, so it misses the change to summer time of 28 March 2027
		// (the second value) and reads the zone at +02:00 all summer,
		// where the VTIMEZONE says +03:00: 09:00 there is 08:00 in Paris.
		why:    "every value of a VTIMEZONE's RDATE lists",
		rdv:    mondays("2027-03-29", "2027-10-25", "08:00:00+02:00", "09:00:00+02:00"),
		icaljs: mondays("2027-03-29", "2027-10-25", "09:00:00+02:00", "10:00:00+02:00"),
	},
	"24_until_date.ics": {
		// RFC 5545 section 3.3.10: "If the value specified by UNTIL is
		// synchronized with the specified recurrence, this DATE or
		// DATE-TIME becomes the last instance of the recurrence." A DATE
		// UNTIL names a day, and the instance of that day is in the set
		// (libical reads it so). ical.js compares the 09:00 instance of 10
		// March with the DATE 10 March as a time, finds it later, and drops
		// it.
		why: "a DATE UNTIL on a DATE-TIME series includes the instance of that day",
		rdv: []string{"2027-03-10T09:00:00+01:00/2027-03-10T10:00:00+01:00"},
	},
	"25_dst_gap.ics": {
		// RFC 5545 section 3.3.5: a local time that does not exist is read
		// with the offset before the gap (02:30 on 28 March is 03:30 CEST);
		// a local time that occurs twice is the first one (02:30 on 31
		// October is 02:30 CEST). ical.js puts the first at 01:30 CET and
		// the second at 02:30 CET. The 45 minutes of the autumn instance
		// end at 03:15 CEST, printed 02:15 CET.
		why: "local times in the DST gap and overlap",
		rdv: []string{
			"2027-03-28T03:30:00+02:00/2027-03-28T04:00:00+02:00",
			"2027-10-31T02:30:00+02:00/2027-10-31T02:15:00+01:00",
		},
		icaljs: []string{
			"2027-03-28T01:30:00+01:00/2027-03-28T03:00:00+02:00",
			"2027-10-31T02:30:00+01:00/2027-10-31T03:15:00+01:00",
		},
	},
}

// mondays returns "start/end" for every Monday from one date to another,
// at the given times ("08:00:00+02:00").
func mondays(from, to, start, end string) []string {
	var out []string
	d, _ := time.Parse(time.DateOnly, from)
	last, _ := time.Parse(time.DateOnly, to)
	for ; !d.After(last); d = d.AddDate(0, 0, 7) {
		day := d.Format(time.DateOnly)
		out = append(out, day+"T"+start+"/"+day+"T"+end)
	}
	return out
}

func TestDifferentialICalJS(t *testing.T) {
	dir := filepath.Join("testdata", "icaljs")
	node, err := exec.LookPath("node")
	if err == nil {
		if _, err = os.Stat(filepath.Join(dir, "node_modules", "ical.js", "package.json")); err != nil {
			err = fmt.Errorf("ical.js is not installed (npm ci --prefix recur/testdata/icaljs)")
		}
	}
	if err != nil {
		if os.Getenv("RDV_REQUIRE_SERVERS") == "1" {
			t.Fatalf("ical.js oracle unavailable: %v", err)
		}
		t.Skipf("ical.js oracle unavailable: %v", err)
	}
	files, err := filepath.Glob(filepath.Join("testdata", "corpus", "*.ics"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	paris := mustLoad("Europe/Paris")
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(strings.TrimSuffix(name, ".ics"), func(t *testing.T) {
			t.Parallel()
			cal := loadFixture(t, filepath.Join("corpus", name))
			got, err := Expander{Location: paris, Self: []string{corpusSelf}}.Expand(cal, corpusFrom, corpusTo)
			if err != nil {
				t.Fatalf("rdv: %v", err)
			}
			rdv := spans(got)
			known := icaljsDisagreements[name]
			if known.expect != nil {
				if want := normalize(t, known.expect); !slices.Equal(rdv, want) {
					t.Errorf("rdv (ical.js is wrong here: %s)\ngot:%s\nwant:%s", known.why, list(rdv), list(want))
				}
				return
			}
			oracle := icaljs(t, node, dir, file)
			onlyRdv, onlyJS := minus(rdv, oracle), minus(oracle, rdv)
			if !slices.Equal(onlyRdv, normalize(t, known.rdv)) || !slices.Equal(onlyJS, normalize(t, known.icaljs)) {
				t.Errorf("rdv and ical.js disagree (%d rdv, %d ical.js intervals)\nonly rdv:%s\nonly ical.js:%s",
					len(rdv), len(oracle), list(onlyRdv), list(onlyJS))
			}
			if len(rdv) == 0 {
				t.Errorf("no busy time at all: a corpus file should have some")
			}
		})
	}
}

// spans formats intervals as sorted "start/end" in Paris time.
func spans(ivs []booking.Interval) []string {
	var out []string
	for _, iv := range ivs {
		out = append(out, formatSpan(iv.Start, iv.End))
	}
	slices.Sort(out)
	return out
}

func list(l []string) string {
	if len(l) == 0 {
		return " none"
	}
	return "\n\t" + strings.Join(l, "\n\t")
}

// minus returns the elements of a not in b, both sorted lists with
// repetitions (a multiset difference).
func minus(a, b []string) []string {
	var out []string
	i, j := 0, 0
	for i < len(a) {
		switch {
		case j < len(b) && a[i] == b[j]:
			i++
			j++
		case j < len(b) && b[j] < a[i]:
			j++
		default:
			out = append(out, a[i])
			i++
		}
	}
	return out
}

// normalize rewrites "start/end" in RFC 3339 as spans does.
func normalize(t *testing.T, l []string) []string {
	t.Helper()
	var out []string
	for _, iv := range testcal.Intervals(t, l...) {
		out = append(out, formatSpan(iv.Start, iv.End))
	}
	slices.Sort(out)
	return out
}

var corpusParis = mustLoad("Europe/Paris")

func formatSpan(start, end time.Time) string {
	return start.In(corpusParis).Format(time.RFC3339) + "/" + end.In(corpusParis).Format(time.RFC3339)
}

// icaljs runs expand.mjs on file and returns its busy intervals.
func icaljs(t *testing.T, node, dir, file string) []string {
	t.Helper()
	abs, err := filepath.Abs(file)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, "expand.mjs", abs,
		corpusFrom.Format(time.RFC3339), corpusTo.Format(time.RFC3339), "Europe/Paris", corpusSelf)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ical.js: %v\n%s", err, stderr.String())
	}
	var res struct {
		Intervals []struct{ Start, End int64 }
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("ical.js output: %v\n%s", err, out)
	}
	var l []string
	for _, iv := range res.Intervals {
		l = append(l, formatSpan(time.Unix(iv.Start, 0), time.Unix(iv.End, 0)))
	}
	slices.Sort(l)
	return l
}
