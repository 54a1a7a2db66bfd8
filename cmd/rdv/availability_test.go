package main

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/caldav"
	"github.com/rdvlibre/rdv/davserver"
	"github.com/rdvlibre/rdv/store"
)

// The booking service with open time kept on the calendar server, on the
// embedded CalDAV server and SQLite: Dr Martin in Paris, now Monday 1 March
// 2027, 07:00. Her availability calendar opens every Monday 09:00–12:00
// (8 March excluded). Her configuration closes 15 March, opens 22 March
// 14:00–15:00 only, and keeps public holidays closed (Easter Monday is 29
// March 2027).

var availNow = time.Date(2027, 3, 1, 7, 0, 0, 0, parisLoc)

const availMondays = `BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//rdv//test//EN
BEGIN:VEVENT
UID:mondays@test
DTSTAMP:20270101T000000Z
DTSTART;TZID=Europe/Paris:20270301T090000
DTEND;TZID=Europe/Paris:20270301T120000
RRULE:FREQ=WEEKLY;BYDAY=MO
EXDATE;TZID=Europe/Paris:20270308T090000
SUMMARY:Consultations
END:VEVENT
END:VCALENDAR
`

// availServer is the embedded CalDAV server of the fixture, with a
// resource /hours/ whose calendar-availability property holds hours (go-webdav
// keeps no dead properties), and a switch that makes the availability
// calendar and /hours/ answer 503.
type availServer struct {
	url   string
	hours atomic.Pointer[string]
	down  atomic.Bool
}

func newAvailServer(t *testing.T) *availServer {
	t.Helper()
	b, err := davserver.NewFileBackend(t.TempDir(), "demo")
	if err != nil {
		t.Fatal(err)
	}
	for name, display := range map[string]string{"demo": "Rendez-vous", "horaires": "Horaires"} {
		if _, err := b.EnsureCalendar(name, display); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.PutObject("horaires", "mondays.ics", []byte(strings.ReplaceAll(availMondays, "\n", "\r\n"))); err != nil {
		t.Fatal(err)
	}
	s := &availServer{}
	none := ""
	s.hours.Store(&none)
	dav := davserver.NewHandler(b, "/dav/")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case s.down.Load() && (r.URL.Path == "/hours/" || strings.HasPrefix(r.URL.Path, "/dav/calendars/demo/horaires/")):
			http.Error(w, "down", http.StatusServiceUnavailable)
		case r.URL.Path == "/hours/" && r.Method == "PROPFIND":
			prop := `<D:propstat><D:prop><C:calendar-availability/></D:prop><D:status>HTTP/1.1 404 Not Found</D:status></D:propstat>`
			if text := *s.hours.Load(); text != "" {
				var esc strings.Builder
				xml.EscapeText(&esc, []byte(text))
				prop = `<D:propstat><D:prop><C:calendar-availability>` + esc.String() + `</C:calendar-availability></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>`
			}
			w.WriteHeader(http.StatusMultiStatus)
			io.WriteString(w, `<?xml version="1.0" encoding="utf-8"?><D:multistatus xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:response><D:href>/hours/</D:href>`+prop+`</D:response></D:multistatus>`)
		default:
			dav.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

// service returns a booking service for p on s, with the open time sources
// of ac.
func (s *availServer) service(t *testing.T, p booking.Practitioner, ac caldav.AvailabilityConfig) *booking.Service {
	t.Helper()
	ctx := context.Background()
	cal, err := caldav.New(ctx, caldav.Config{
		URL: s.url + "/dav/calendars/demo/demo/", BookingsCalendar: "demo",
		Location: parisLoc, Timeout: 5 * time.Second, Logger: quietLogger(), Availability: ac,
	})
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "rdv.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clk := &clock{t: availNow}
	svc := mustNewService(t, booking.ServiceConfig{
		Store: db, Notifier: &noteRecorder{}, Now: clk.Now, Logger: quietLogger(),
		Secret: []byte("0123456789abcdef0123456789abcdef"),
	})
	if err := svc.AddPractitioner(p, cal); err != nil {
		t.Fatal(err)
	}
	return svc
}

func availPractitioner() booking.Practitioner {
	return booking.Practitioner{
		ID: "martin", Name: "Dr Martin", Location: parisLoc,
		Types: []booking.AppointmentType{{ID: "consultation", Name: "Consultation", Duration: 30 * time.Minute}},
	}
}

func at(month time.Month, d, hh, mm int) time.Time {
	return time.Date(2027, month, d, hh, mm, 0, 0, parisLoc)
}

func slotStarts(t *testing.T, svc *booking.Service, from, to time.Time) []string {
	t.Helper()
	slots, err := svc.Slots(context.Background(), "martin", "consultation", from, to)
	if err != nil {
		t.Fatalf("slots: %v", err)
	}
	out := make([]string, len(slots))
	for i, s := range slots {
		out[i] = s.Start.Format("01-02 15:04")
	}
	return out
}

func mornings(day string) []string {
	return []string{day + " 09:00", day + " 09:30", day + " 10:00", day + " 10:30", day + " 11:00", day + " 11:30"}
}

// TestAvailabilityCalendarRules: the events of the availability calendar
// are the only open time, and the rules of the Schedule still rule their
// days: an override replaces them, a closure (configured or added at
// runtime) and a public holiday close them. Booking and moving follow.
func TestAvailabilityCalendarRules(t *testing.T) {
	ctx := context.Background()
	srv := newAvailServer(t)
	p := availPractitioner()
	p.Schedule.Closures = []booking.Closure{{From: booking.Date{Year: 2027, Month: 3, Day: 15}, To: booking.Date{Year: 2027, Month: 3, Day: 15}}}
	p.Schedule.Overrides = []booking.DateOverride{{Date: booking.Date{Year: 2027, Month: 3, Day: 22},
		Hours: []booking.ClockRange{{Start: 14 * 60, End: 15 * 60}}}}
	svc := srv.service(t, p, caldav.AvailabilityConfig{Calendar: "Horaires"})
	if _, _, err := svc.AddClosure(ctx, "martin", booking.Closure{From: booking.Date{Year: 2027, Month: 4, Day: 5}, To: booking.Date{Year: 2027, Month: 4, Day: 5}, Label: "formation"}); err != nil {
		t.Fatal(err)
	}

	got := slotStarts(t, svc, at(3, 1, 0, 0), at(4, 13, 0, 0))
	want := append(append(mornings("03-01"), "03-22 14:00", "03-22 14:30"), mornings("04-12")...)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("slots:\n%v\nwant:\n%v", got, want)
	}

	b, token, err := svc.Book(ctx, booking.BookRequest{PractitionerID: "martin", TypeID: "consultation", Start: at(3, 1, 9, 0),
		Patient: booking.Patient{Name: "Marie Curie", Email: "marie@example.org", Phone: "+33612345678"}})
	if err != nil {
		t.Fatalf("book an open Monday: %v", err)
	}
	_, _, err = svc.Book(ctx, booking.BookRequest{PractitionerID: "martin", TypeID: "consultation", Start: at(3, 2, 9, 0),
		Patient: booking.Patient{Name: "Pierre Curie", Email: "pierre@example.org", Phone: "+33612345679"}})
	if booking.ErrorCode(err) != booking.EInvalid {
		t.Errorf("book a Tuesday: %v, want invalid", err)
	}
	for _, tc := range []struct {
		start time.Time
		code  string
	}{
		{at(3, 29, 9, 0), booking.EInvalid}, // Easter Monday
		{at(3, 15, 9, 0), booking.EInvalid}, // configured closure
		{at(4, 5, 9, 0), booking.EConflict}, // closure added at runtime
		{at(3, 22, 9, 0), booking.EInvalid}, // the override's day, outside its hours
		{at(4, 12, 10, 0), ""},              // open
		{at(3, 22, 14, 30), ""},             // the override's hours
	} {
		_, err := svc.Reschedule(ctx, token, tc.start)
		if booking.ErrorCode(err) != tc.code {
			t.Errorf("move to %s: %v, want %q", tc.start.Format("01-02 15:04"), err, tc.code)
		}
	}
	if a, err := svc.BookingByToken(ctx, token); err != nil || !a.Booking.Start.Equal(at(3, 22, 14, 30)) || a.Booking.ID != b.ID {
		t.Errorf("booking after the moves: %+v, %v", a.Booking, err)
	}

	// The availability calendar can't be read: no slot, no booking.
	srv.down.Store(true)
	if _, err := svc.Slots(ctx, "martin", "consultation", at(3, 1, 0, 0), at(3, 8, 0, 0)); booking.ErrorCode(err) != booking.EUnavailable {
		t.Errorf("slots with the calendar down: %v", err)
	}
	_, _, err = svc.Book(ctx, booking.BookRequest{PractitionerID: "martin", TypeID: "consultation", Start: at(3, 1, 10, 0),
		Patient: booking.Patient{Name: "Pierre Curie", Email: "pierre@example.org", Phone: "+33612345679"}})
	if booking.ErrorCode(err) != booking.EUnavailable {
		t.Errorf("book with the calendar down: %v", err)
	}
	srv.down.Store(false)
	// The booking has moved away from 09:00: the whole morning is free.
	if got := slotStarts(t, svc, at(3, 1, 0, 0), at(3, 2, 0, 0)); strings.Join(got, ",") != strings.Join(mornings("03-01"), ",") {
		t.Errorf("slots once back: %v", got)
	}
}

// TestWorkingHoursRules: working hours (a VAVAILABILITY) replace the weekly
// template where they apply, and only there; with mode add they add to it;
// without any, the template holds.
func TestWorkingHoursRules(t *testing.T) {
	srv := newAvailServer(t)
	// Working hours for the week of 8 March only: Mondays 09:00–10:00.
	hours := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//rdv//test//EN\r\n" +
		"BEGIN:VAVAILABILITY\r\nUID:week@test\r\nDTSTAMP:20270101T000000Z\r\n" +
		"DTSTART;TZID=Europe/Paris:20270308T000000\r\nDTEND;TZID=Europe/Paris:20270313T000000\r\n" +
		"BEGIN:AVAILABLE\r\nUID:mon@test\r\nDTSTAMP:20270101T000000Z\r\n" +
		"DTSTART;TZID=Europe/Paris:20270301T090000\r\nDTEND;TZID=Europe/Paris:20270301T100000\r\n" +
		"RRULE:FREQ=WEEKLY;BYDAY=MO\r\nEND:AVAILABLE\r\nEND:VAVAILABILITY\r\nEND:VCALENDAR\r\n"
	srv.hours.Store(&hours)
	p := availPractitioner()
	p.Schedule.OpenOnHolidays = true
	for d := time.Monday; d <= time.Friday; d++ {
		p.Schedule.Weekly.Set(d, booking.ClockRange{Start: 8 * 60, End: 18 * 60})
	}
	count := func(svc *booking.Service, d int) []string {
		return slotStarts(t, svc, at(3, d, 0, 0), at(3, d+1, 0, 0))
	}

	replace := srv.service(t, p, caldav.AvailabilityConfig{WorkingHoursURL: "/hours/"})
	add := srv.service(t, p, caldav.AvailabilityConfig{WorkingHoursURL: "/hours/", AddWorkingHours: true})
	for _, tc := range []struct {
		name        string
		svc         *booking.Service
		day, nSlots int
	}{
		{"replace: the week before", replace, 2, 20},
		{"replace: Monday of the week", replace, 8, 2},
		{"replace: Tuesday of the week", replace, 9, 0},
		{"replace: the week after", replace, 15, 20},
		{"add: Tuesday of the week", add, 9, 20},
	} {
		if got := count(tc.svc, tc.day); len(got) != tc.nSlots {
			t.Errorf("%s: %d slots %v, want %d", tc.name, len(got), got, tc.nSlots)
		}
	}
	if got := count(replace, 8); strings.Join(got, ",") != "03-08 09:00,03-08 09:30" {
		t.Errorf("replace, Monday 8: %v", got)
	}

	none := ""
	srv.hours.Store(&none)
	if got := count(replace, 9); len(got) != 20 {
		t.Errorf("no working hours: %d slots on Tuesday 9, want the weekly 20", len(got))
	}
	srv.down.Store(true)
	if _, err := replace.Slots(context.Background(), "martin", "consultation", at(3, 9, 0, 0), at(3, 10, 0, 0)); booking.ErrorCode(err) != booking.EUnavailable {
		t.Errorf("working hours unreadable: %v", err)
	}
}

// TestAvailabilityConfig checks the keys of open time kept on the server.
func TestAvailabilityConfig(t *testing.T) {
	base := `[[practitioners]]
id = "martin"
[practitioners.calendar]
%s
[[practitioners.types]]
id = "consultation"
duration = "30m"
`
	remote := "url = \"https://cloud.example.org\"\nbookings = \"Rendez-vous\"\n"
	tests := []struct {
		name, calendar, err string
		want                caldav.AvailabilityConfig
	}{
		{name: "nothing", calendar: remote},
		{name: "a calendar", calendar: remote + `availability = "Horaires"`, want: caldav.AvailabilityConfig{Calendar: "Horaires"}},
		{name: "working hours", calendar: remote + "working_hours = true", want: caldav.AvailabilityConfig{WorkingHours: true}},
		{name: "working hours added", calendar: remote + "working_hours = true\nworking_hours_mode = \"add\"",
			want: caldav.AvailabilityConfig{WorkingHours: true, AddWorkingHours: true}},
		{name: "working hours elsewhere", calendar: remote + `working_hours_url = "/alice/"`,
			want: caldav.AvailabilityConfig{WorkingHoursURL: "/alice/"}},
		{name: "embedded calendar", calendar: `availability = "Horaires"`, want: caldav.AvailabilityConfig{Calendar: "Horaires"}},
		{name: "embedded working hours", calendar: "working_hours = true", err: "needs calendar.url"},
		{name: "a bad mode", calendar: remote + "working_hours = true\nworking_hours_mode = \"merge\"", err: "want replace or add"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := ParseConfig([]byte(fmt.Sprintf(base, tc.calendar)))
			if err == nil {
				err = cfg.check()
			}
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("error = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.Practitioners[0].Calendar.availability(); got != tc.want {
				t.Errorf("availability = %+v, want %+v", got, tc.want)
			}
		})
	}
}
