package caldav

import (
	"bytes"
	"context"
	"encoding/xml"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/internal/testcal"
)

// TestSameBusyOnEveryServer loads one corpus (testdata/servers) into the
// embedded server, Radicale and sabre/dav, and checks that each gives the
// same busy time, the one written below, over windows around the change to
// summer time in Paris (2027-03-28): rdv expands recurrences itself, so a
// server's own time-range matching (which may match more than needed) must
// make no difference. What each server matched is logged (go test -v).
func TestSameBusyOnEveryServer(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "servers", "*.ics"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	windows := []struct {
		name     string
		from, to string
		want     []string
	}{
		{"two weeks across the DST change", "2027-03-22T00:00:00+01:00", "2027-04-05T00:00:00+02:00", []string{
			"2027-03-21T22:00:00+01:00/2027-03-22T02:00:00+01:00", // night_shift: started before the window
			"2027-03-22T09:00:00-04:00/2027-03-22T10:00:00-04:00", // new_york
			"2027-03-25T11:00:00+01:00/2027-03-25T12:00:00+01:00", // started_before: weekly since 2026
			"2027-03-25T16:00:00+01:00/2027-03-25T17:30:00+01:00", // moved_override: Wednesday moved to Thursday
			"2027-03-26T09:00:00+01:00/2027-03-26T10:00:00+01:00", // weekly_exdate (Tuesday 23 excluded)
			"2027-03-28T00:00:00+01:00/2027-03-29T00:00:00+02:00", // allday_dst: a 23-hour day
			"2027-03-29T09:00:00-04:00/2027-03-29T10:00:00-04:00", // new_york, last one
			"2027-03-30T09:00:00+02:00/2027-03-30T10:00:00+02:00", // weekly_exdate, summer time
			"2027-04-01T11:00:00+02:00/2027-04-01T12:00:00+02:00", // started_before, summer time
			// Friday 2 April: cancelled instance; 31 March: moved out.
		}},
		{"the first hour: an event that started before", "2027-03-22T00:00:00+01:00", "2027-03-22T01:00:00+01:00", []string{
			"2027-03-21T22:00:00+01:00/2027-03-22T02:00:00+01:00",
		}},
		{"the old slot of a moved instance", "2027-03-24T13:00:00+01:00", "2027-03-24T16:00:00+01:00", nil},
		{"the day an instance was moved out of", "2027-03-31T00:00:00+02:00", "2027-04-01T00:00:00+02:00", nil},
		{"an excluded date", "2027-03-23T00:00:00+01:00", "2027-03-24T00:00:00+01:00", nil},
		{"a cancelled instance", "2027-04-02T00:00:00+02:00", "2027-04-03T00:00:00+02:00", nil},
		{"the DST night", "2027-03-28T01:00:00+01:00", "2027-03-28T04:00:00+02:00", []string{
			"2027-03-28T00:00:00+01:00/2027-03-29T00:00:00+02:00",
		}},
	}

	servers := []struct {
		name  string
		start func(t *testing.T) *testServer
	}{
		{"embedded", func(t *testing.T) *testServer { s, _, _ := newEmbedded(t); return s }},
		{"radicale", func(t *testing.T) *testServer {
			if testing.Short() && !requireServers() {
				t.Skip("starts Radicale")
			}
			return startRadicale(t)
		}},
		{"sabredav", func(t *testing.T) *testServer { return adaptServer(startSabreDAV(t)) }},
	}
	for _, srv := range servers {
		t.Run(srv.name, func(t *testing.T) {
			s := srv.start(t)
			s.mkcal(t, "work", "Travail")
			for _, f := range files {
				data, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				s.put(t, "work", filepath.Base(f), data)
			}
			cfg := s.config("Travail")
			cfg.Location = testcal.Paris(t)
			c, err := New(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range windows {
				from, to := testcal.MustTime(t, w.from), testcal.MustTime(t, w.to)
				got, err := c.Busy(context.Background(), from, to)
				if err != nil {
					t.Errorf("%s: %v", w.name, err)
					continue
				}
				if want := testcal.Intervals(t, w.want...); !testcal.SameIntervals(plain(got), want) {
					t.Errorf("%s: got:%s\nwant:%s", w.name, testcal.FormatIntervals(plain(got)), testcal.FormatIntervals(want))
				}
				t.Logf("%s: the server matches %s", w.name, strings.Join(serverMatches(t, s, "work", from, to), ", "))
			}
			if c.BrokenObjects() != 0 {
				t.Errorf("%d broken objects", c.BrokenObjects())
			}
		})
	}
}

// serverMatches sends the calendar-query rdv sends, for exactly [from, to),
// and returns the names of the objects the server matches.
func serverMatches(t *testing.T, s *testServer, cal string, from, to time.Time) []string {
	t.Helper()
	req, err := http.NewRequest("REPORT", strings.TrimSuffix(s.url, "/")+s.calendarPath(cal), bytes.NewReader(eventQueryBody(from, to)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/xml")
	req.Header.Set("Depth", "1")
	req.SetBasicAuth(s.user, s.pass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ms multistatus
	if err := xml.NewDecoder(resp.Body).Decode(&ms); err != nil || resp.StatusCode != http.StatusMultiStatus {
		t.Fatalf("REPORT: %s, %v", resp.Status, err)
	}
	var names []string
	for _, r := range ms.Responses {
		if name := lastSegment(strings.TrimSpace(r.Href)); strings.HasSuffix(name, ".ics") {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	if len(names) == 0 {
		return []string{"nothing"}
	}
	return names
}
