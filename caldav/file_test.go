package caldav

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/davserver"
	"github.com/rdvlibre/rdv/internal/testcal"
	"github.com/rdvlibre/rdv/recur"
)

// fileEvent is one VEVENT of the tests of File, in Paris time.
func fileEvent(uid, start, end string, extra ...string) string {
	lines := append([]string{"BEGIN:VEVENT", "UID:" + uid, "DTSTAMP:20270101T000000Z",
		"DTSTART;TZID=Europe/Paris:" + start, "DTEND;TZID=Europe/Paris:" + end}, extra...)
	return strings.Join(append(lines, "END:VEVENT"), "\r\n") + "\r\n"
}

// fileCal wraps VEVENTs in a VCALENDAR with Paris's VTIMEZONE.
func fileCal(events ...string) string {
	var zone bytes.Buffer
	cal := ical.NewCalendar()
	cal.Props.SetText(ical.PropVersion, "2.0")
	cal.Props.SetText(ical.PropProductID, "-//rdv//test//FR")
	cal.Children = append(cal.Children, testcal.ParisTimezone())
	if err := ical.NewEncoder(&zone).Encode(cal); err != nil {
		panic(err)
	}
	text := zone.String()
	end := strings.LastIndex(text, "END:VCALENDAR")
	return text[:end] + strings.Join(events, "") + text[end:]
}

func TestParseBusy(t *testing.T) {
	paris := testcal.Paris(t)
	from := time.Date(2027, 3, 1, 0, 0, 0, 0, paris)
	to := from.AddDate(0, 0, 7)
	weekly := fileEvent("series", "20270201T090000", "20270201T100000", "RRULE:FREQ=DAILY;COUNT=60",
		"EXDATE;TZID=Europe/Paris:20270302T090000")
	moved := fileEvent("series", "20270303T140000", "20270303T150000", "RECURRENCE-ID;TZID=Europe/Paris:20270303T090000")
	freed := fileEvent("series", "20270304T090000", "20270304T100000", "RECURRENCE-ID;TZID=Europe/Paris:20270304T090000", "TRANSP:TRANSPARENT")
	single := fileEvent("single", "20270301T110000", "20270301T113000")
	cancelled := fileEvent("cancelled", "20270301T120000", "20270301T130000", "STATUS:CANCELLED")
	booked := fileEvent("b-1", "20270302T160000", "20270302T162000", "X-RDV-BOOKING:b-1", "X-RDV-TYPE:consultation")
	allDay := "BEGIN:VEVENT\r\nUID:allday\r\nDTSTAMP:20270101T000000Z\r\nDTSTART;VALUE=DATE:20270305\r\nEND:VEVENT\r\n"
	floating := "BEGIN:VEVENT\r\nUID:floating\r\nDTSTAMP:20270101T000000Z\r\nDTSTART:20270306T080000\r\nDURATION:PT1H\r\nEND:VEVENT\r\n"
	// What every stream below holds, whatever its shape.
	want := []string{
		"2027-03-01T09:00:00+01:00/2027-03-01T10:00:00+01:00 -",
		"2027-03-01T11:00:00+01:00/2027-03-01T11:30:00+01:00 -",
		"2027-03-02T16:00:00+01:00/2027-03-02T16:20:00+01:00 b-1 consultation",
		"2027-03-03T14:00:00+01:00/2027-03-03T15:00:00+01:00 -",
		"2027-03-05T00:00:00+01:00/2027-03-06T00:00:00+01:00 -",
		"2027-03-05T09:00:00+01:00/2027-03-05T10:00:00+01:00 -",
		"2027-03-06T08:00:00+01:00/2027-03-06T09:00:00+01:00 -",
		"2027-03-06T09:00:00+01:00/2027-03-06T10:00:00+01:00 -",
		"2027-03-07T09:00:00+01:00/2027-03-07T10:00:00+01:00 -",
	}
	for _, tt := range []struct {
		name, stream string
	}{
		{"one object per UID, as a CalDAV server holds them",
			fileCal(weekly, moved, freed) + fileCal(single) + fileCal(cancelled) + fileCal(booked) + fileCal(allDay) + fileCal(floating)},
		{"one VCALENDAR of every UID, as an export",
			fileCal(single, weekly, cancelled, moved, booked, allDay, freed, floating)},
		{"objects separated by blank lines, LF line ends",
			strings.ReplaceAll(fileCal(weekly, moved, freed)+"\r\n\r\n"+fileCal(single, cancelled, booked)+"\n"+fileCal(allDay, floating)+"\r\n", "\r\n", "\n")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			busy, err := ParseBusy(strings.NewReader(tt.stream), from, to, paris)
			if err != nil {
				t.Fatal(err)
			}
			if got := formatBusy(busy); strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("busy:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

// formatBusy writes each interval in its own zone, with its booking.
func formatBusy(busy []booking.BusyInterval) []string {
	out := make([]string, len(busy))
	for i, b := range busy {
		id := b.Booking + " " + b.Type
		if b.Booking == "" {
			id = "-"
		}
		out[i] = b.Start.Format(time.RFC3339) + "/" + b.End.Format(time.RFC3339) + " " + id
	}
	return out
}

func TestParseBusyErrors(t *testing.T) {
	paris := testcal.Paris(t)
	from := time.Date(2027, 3, 1, 0, 0, 0, 0, paris)
	to := from.AddDate(0, 0, 7)
	good := fileEvent("good", "20270301T110000", "20270301T113000")
	for _, tt := range []struct {
		name, stream string
		err          string // in the error
		busy         int
	}{
		{"empty", "", "unexpected end of data", 0},
		{"not iCalendar", "hello\r\n", "malformed content line", 0},
		{"second object cut short", fileCal(good) + "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n", "object 2 of the stream", 0},
		{"a bad RRULE, the rest kept", fileCal(good, fileEvent("bad-rule", "20270302T090000", "20270302T100000", "RRULE:FREQ=SOMETIMES")),
			"UID bad-rule", 2}, // DTSTART is still an instance
		{"a bad RRULE without UID", fileCal(good, strings.Replace(fileEvent("x", "20270302T090000", "20270302T100000", "RRULE:FREQ=SOMETIMES"), "UID:x\r\n", "", 1)),
			"object 2 of the file, without UID", 2},
		{"a bad date, the rest kept", fileCal(good) + fileCal(fileEvent("bad-date", "2027-03-02", "20270302T100000")),
			"UID bad-date", 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			busy, err := ParseBusy(strings.NewReader(tt.stream), from, to, paris)
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("error %v, want one saying %q", err, tt.err)
			}
			if len(busy) != tt.busy {
				t.Errorf("busy: %v, want %d intervals", formatBusy(busy), tt.busy)
			}
		})
	}
	t.Run("reader fails", func(t *testing.T) {
		broken := errors.New("disk on fire")
		if _, err := ReadFile(failingReader{broken}, recur.Expander{Location: paris}); !errors.Is(err, broken) {
			t.Errorf("error %v, want %v", err, broken)
		}
	})
}

type failingReader struct{ err error }

func (r failingReader) Read([]byte) (int, error) { return 0, r.err }

// TestFileWindows reads a File once and asks it for several windows, some
// inside the span it expanded last and some outside, concurrently: each
// answer must be what a File read for that window alone says.
func TestFileWindows(t *testing.T) {
	paris := testcal.Paris(t)
	stream := benchStream(benchCalendar(t))
	f, err := ReadFile(strings.NewReader(stream), recur.Expander{Location: paris})
	if err != nil {
		t.Fatal(err)
	}
	windows := make([][2]time.Time, 12)
	for i := range windows {
		from := testcal.Now.AddDate(0, 0, 5*i-30)
		windows[i] = [2]time.Time{from, from.AddDate(0, 0, 3+i)}
	}
	got := make([][]booking.BusyInterval, len(windows))
	errs := make(chan error, len(windows))
	for i, w := range windows {
		go func() {
			var err error
			got[i], err = f.Busy(w[0], w[1])
			errs <- err
		}()
	}
	for range windows {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for i, w := range windows {
		want, err := ParseBusy(strings.NewReader(stream), w[0], w[1], paris)
		if err != nil {
			t.Fatal(err)
		}
		if len(want) == 0 {
			t.Fatalf("window %d: no busy time: a window of the fixture without events proves nothing", i)
		}
		if diff := diffBusy(got[i], want); diff != "" {
			t.Errorf("window %d (%v – %v): %s", i, w[0], w[1], diff)
		}
	}
}

// benchStream writes objs one after the other: an iCalendar stream.
func benchStream(objs []fetched) string {
	var b strings.Builder
	for _, o := range objs {
		b.WriteString(o.data)
	}
	return b.String()
}

// exportStream writes the VEVENTs of texts as one VCALENDAR with Paris's
// VTIMEZONE, through go-ical's encoder.
func exportStream(t testing.TB, texts []string) string {
	t.Helper()
	whole := ical.NewCalendar()
	whole.Props.SetText(ical.PropVersion, "2.0")
	whole.Props.SetText(ical.PropProductID, "-//rdv//export//FR")
	whole.Children = append(whole.Children, testcal.ParisTimezone())
	for _, text := range texts {
		cal, err := recur.Decode(text)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range cal.Children {
			if ev.Name == ical.CompEvent {
				whole.Children = append(whole.Children, ev)
			}
		}
	}
	var buf bytes.Buffer
	if err := ical.NewEncoder(&buf).Encode(whole); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// diffBusy says how got differs from want, "" if they are the same
// intervals (the same instants in the same zone), with the same bookings.
func diffBusy(got, want []booking.BusyInterval) string {
	if len(got) != len(want) {
		return fmt.Sprintf("%d intervals, want %d", len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if !g.Start.Equal(w.Start) || !g.End.Equal(w.End) || g.Start.Location().String() != w.Start.Location().String() ||
			g.Booking != w.Booking || g.Type != w.Type {
			return fmt.Sprintf("interval %d: %v – %v %q %q, want %v – %v %q %q", i, g.Start, g.End, g.Booking, g.Type, w.Start, w.End, w.Booking, w.Type)
		}
	}
	return ""
}

// fileBookings are booking events of rdv's, added to the benchmark's
// calendar so that the comparison covers the booking ids too.
var fileBookings = []string{
	"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//rdv//test//FR\r\n" +
		fileEvent("8d0f6a7e-0000-4000-8000-000000000001", "20270105T083000", "20270105T085000",
			"X-RDV-BOOKING:8d0f6a7e-0000-4000-8000-000000000001", "X-RDV-TYPE:consultation", "STATUS:CONFIRMED") +
		"END:VCALENDAR\r\n",
	"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//rdv//test//FR\r\n" +
		fileEvent("8d0f6a7e-0000-4000-8000-000000000002", "20270212T143000", "20270212T145000",
			"X-RDV-BOOKING:8d0f6a7e-0000-4000-8000-000000000002", "X-RDV-TYPE:suivi", "STATUS:TENTATIVE") +
		"END:VCALENDAR\r\n",
	"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//rdv//test//FR\r\n" +
		fileEvent("8d0f6a7e-0000-4000-8000-000000000003", "20270113T100000", "20270113T102000",
			"X-RDV-BOOKING:8d0f6a7e-0000-4000-8000-000000000003", "X-RDV-TYPE:consultation", "STATUS:CANCELLED") +
		"END:VCALENDAR\r\n",
}

// TestFileSameAsService is the proof that the public path computes busy
// time as the service does: the benchmark's calendar (2,000 objects, see
// docs/BENCHMARKS.md) and three of rdv's booking events, held by rdv's
// embedded CalDAV server and read by Calendar.Busy, against the same
// objects read by ParseBusy, as a stream of objects and as one exported
// VCALENDAR, over the benchmark's 60 days and over a year.
func TestFileSameAsService(t *testing.T) {
	paris := testcal.Paris(t)
	objs := benchCalendar(t)
	var texts []string
	for _, o := range objs {
		texts = append(texts, o.data)
	}
	texts = append(texts, fileBookings...)

	// The objects are written to the server's directory, not PUT: 2,003
	// fsyncs take seconds. The server reads them when first asked.
	dir := t.TempDir()
	fb, err := davserver.NewFileBackend(dir, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if err := fb.CreateCalendar("rdv", "Rendez-vous"); err != nil {
		t.Fatal(err)
	}
	for i, text := range texts {
		if err := os.WriteFile(filepath.Join(dir, "rdv", fmt.Sprintf("o%04d.ics", i)), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if fb, err = davserver.NewFileBackend(dir, "alice"); err != nil {
		t.Fatal(err)
	}
	h := davserver.NewHandler(fb, "/dav/")
	c, err := New(context.Background(), Config{URL: "http://rdv.embedded/dav/", BookingsCalendar: "rdv",
		Location: paris, HTTPClient: &http.Client{Transport: davserver.InProcessTransport(h)}})
	if err != nil {
		t.Fatal(err)
	}
	streams := map[string]string{
		"objects": strings.Join(texts, ""),
		"export":  exportStream(t, texts),
	}
	for _, w := range []struct {
		name     string
		from, to time.Time
	}{
		{"60 days", testcal.Now, testcal.Now.AddDate(0, 0, 60)},
		{"a year", testcal.Now.AddDate(0, -6, 0), testcal.Now.AddDate(0, 6, 0)},
	} {
		want, err := c.Busy(context.Background(), w.from, w.to)
		if err != nil {
			t.Fatal(err)
		}
		bookings := 0
		for _, b := range want {
			if b.Booking != "" {
				bookings++
			}
		}
		if len(want) < 500 || bookings == 0 {
			t.Fatalf("%s: the service found %d intervals, %d of bookings: not the fixture", w.name, len(want), bookings)
		}
		for name, stream := range streams {
			t.Run(w.name+"/"+name, func(t *testing.T) {
				got, err := ParseBusy(strings.NewReader(stream), w.from, w.to, paris)
				if err != nil {
					t.Fatal(err)
				}
				if diff := diffBusy(got, want); diff != "" {
					t.Error(diff)
				}
			})
		}
	}
	if n := c.BrokenObjects(); n != 0 {
		t.Errorf("the service skipped %d objects", n)
	}
}
