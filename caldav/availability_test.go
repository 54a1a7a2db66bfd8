package caldav

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/davserver"
	"github.com/rdvlibre/rdv/internal/testcal"
	"github.com/rdvlibre/rdv/internal/testservers"
)

// An availability calendar in Paris, March 2027: every Monday 09:00–12:00
// (15 March excluded, 22 March cancelled), a Saturday marked transparent
// (open all the same) and a cancelled Wednesday (not open).
const (
	openMondays = `BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//rdv//test//EN
BEGIN:VEVENT
UID:mondays@test
DTSTAMP:20270101T000000Z
DTSTART;TZID=Europe/Paris:20270301T090000
DTEND;TZID=Europe/Paris:20270301T120000
RRULE:FREQ=WEEKLY;BYDAY=MO
EXDATE;TZID=Europe/Paris:20270315T090000
SUMMARY:Consultations
END:VEVENT
BEGIN:VEVENT
UID:mondays@test
DTSTAMP:20270101T000000Z
RECURRENCE-ID;TZID=Europe/Paris:20270322T090000
DTSTART;TZID=Europe/Paris:20270322T090000
DTEND;TZID=Europe/Paris:20270322T120000
STATUS:CANCELLED
SUMMARY:Consultations
END:VEVENT
END:VCALENDAR
`
	openSaturday = `BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//rdv//test//EN
BEGIN:VEVENT
UID:saturday@test
DTSTAMP:20270101T000000Z
DTSTART;TZID=Europe/Paris:20270313T100000
DTEND;TZID=Europe/Paris:20270313T120000
TRANSP:TRANSPARENT
SUMMARY:Samedi
END:VEVENT
END:VCALENDAR
`
	cancelledWednesday = `BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//rdv//test//EN
BEGIN:VEVENT
UID:wednesday@test
DTSTAMP:20270101T000000Z
DTSTART;TZID=Europe/Paris:20270310T140000
DTEND;TZID=Europe/Paris:20270310T160000
STATUS:CANCELLED
END:VEVENT
END:VCALENDAR
`
)

func crlf(s string) []byte { return []byte(strings.ReplaceAll(s, "\n", "\r\n")) }

// runAvailabilityCalendarSuite checks the availability calendar on s, which
// must have no calendars yet.
func runAvailabilityCalendarSuite(t *testing.T, s *testServer) {
	ctx := context.Background()
	loc := testcal.Paris(t)
	s.mkcal(t, "rdv", "Rendez-vous")
	s.mkcal(t, "horaires", "Horaires")
	s.put(t, "horaires", "mondays.ics", crlf(openMondays))
	s.put(t, "horaires", "saturday.ics", crlf(openSaturday))
	s.put(t, "horaires", "wednesday.ics", crlf(cancelledWednesday))
	from, to := testcal.MustTime(t, "2027-03-01T00:00:00+01:00"), testcal.MustTime(t, "2027-03-29T00:00:00+02:00")

	cfg := s.config("Rendez-vous")
	cfg.Location = loc
	cfg.Availability.Calendar = "Horaires"
	c, err := New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if u, wh := c.AvailabilityURLs(); !strings.HasSuffix(u, s.calendarPath("horaires")) || wh != "" {
		t.Errorf("AvailabilityURLs = %q, %q", u, wh)
	}

	t.Run("events are open time", func(t *testing.T) {
		got, ok, err := c.Availability(ctx, from, to)
		if err != nil || !ok {
			t.Fatalf("Availability: %v, ok %v", err, ok)
		}
		want := testcal.Intervals(t,
			"2027-03-01T09:00:00+01:00/2027-03-01T12:00:00+01:00",
			"2027-03-08T09:00:00+01:00/2027-03-08T12:00:00+01:00",
			"2027-03-13T10:00:00+01:00/2027-03-13T12:00:00+01:00",
		)
		if !testcal.SameIntervals(got.Open, want) || got.Covered != nil {
			t.Errorf("open:%s\nwant:%s\ncovered: %v", testcal.FormatIntervals(got.Open), testcal.FormatIntervals(want), got.Covered)
		}
	})
	t.Run("and never busy time", func(t *testing.T) {
		busy, err := c.Busy(ctx, from, to)
		if err != nil || len(busy) != 0 {
			t.Errorf("Busy = %v, %v", busy, err)
		}
	})
	t.Run("a new event counts at the next read", func(t *testing.T) {
		s.put(t, "horaires", "tuesday.ics", crlf(strings.NewReplacer(
			"saturday@test", "tuesday@test", "20270313T", "20270302T", "TRANSP:TRANSPARENT\n", "").Replace(openSaturday)))
		got, _, err := c.Availability(ctx, from, testcal.MustTime(t, "2027-03-08T00:00:00+01:00"))
		if err != nil {
			t.Fatal(err)
		}
		want := testcal.Intervals(t,
			"2027-03-01T09:00:00+01:00/2027-03-01T12:00:00+01:00",
			"2027-03-02T10:00:00+01:00/2027-03-02T12:00:00+01:00",
		)
		if !testcal.SameIntervals(got.Open, want) {
			t.Errorf("open:%s\nwant:%s", testcal.FormatIntervals(got.Open), testcal.FormatIntervals(want))
		}
	})
	t.Run("check", func(t *testing.T) {
		if err := c.Check(ctx); err != nil {
			t.Error(err)
		}
	})
	t.Run("no source: ok is false", func(t *testing.T) {
		plain, err := New(ctx, s.config("Rendez-vous"))
		if err != nil {
			t.Fatal(err)
		}
		if _, ok, err := plain.Availability(ctx, from, to); ok || err != nil {
			t.Errorf("ok = %v, err = %v", ok, err)
		}
	})
	t.Run("the bookings calendar can't be it", func(t *testing.T) {
		cfg := s.config("Rendez-vous")
		cfg.Availability.Calendar = "rdv"
		_, err := New(ctx, cfg)
		wantCode(t, err, booking.EInvalid)
	})
	t.Run("an unknown name", func(t *testing.T) {
		cfg := s.config("Rendez-vous")
		cfg.Availability.Calendar = "Hours"
		_, err := New(ctx, cfg)
		wantCode(t, err, booking.EInvalid)
		if msg := booking.ErrorMessage(err); !strings.Contains(msg, "availability calendar") || !strings.Contains(msg, "Horaires") {
			t.Errorf("message = %q", msg)
		}
	})
}

func TestAvailabilityCalendarEmbedded(t *testing.T) {
	s, _, _ := newEmbedded(t)
	runAvailabilityCalendarSuite(t, s)
}

func TestAvailabilityCalendarRadicale(t *testing.T) {
	if testing.Short() && !requireServers() {
		t.Skip("starts Radicale")
	}
	runAvailabilityCalendarSuite(t, startRadicale(t))
}

// inboxServer is the embedded server with what RFC 6638 and RFC 7953 add
// for working hours: the principal names a scheduling inbox
// (schedule-inbox-URL), whose calendar-availability property holds prop
// ("" for none). go-webdav's handler has neither, so a small handler in
// front answers those two PROPFINDs and counts those of the inbox.
type inboxServer struct {
	*testServer
	prop      atomic.Pointer[string]
	inboxHits atomic.Int64
	fail      atomic.Bool // the inbox answers 503
}

const testInbox = "/dav/inbox/alice/"

func newInboxServer(t *testing.T, withInbox bool) *inboxServer {
	t.Helper()
	b, err := davserver.NewFileBackend(t.TempDir(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	dav := davserver.NewHandler(b, "/dav/")
	s := &inboxServer{}
	empty := ""
	s.prop.Store(&empty)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "alice" || p != "secret" {
			w.Header().Set("WWW-Authenticate", `Basic realm="rdv"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		if !withInbox || r.Method != "PROPFIND" {
			dav.ServeHTTP(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		switch {
		case r.URL.Path == testInbox:
			s.inboxHits.Add(1)
			if s.fail.Load() {
				http.Error(w, "down", http.StatusServiceUnavailable)
				return
			}
			var prop string
			if text := *s.prop.Load(); text != "" {
				var esc strings.Builder
				xml.EscapeText(&esc, []byte(text))
				prop = `<D:propstat><D:prop><C:calendar-availability>` + esc.String() + `</C:calendar-availability></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>`
			} else {
				prop = `<D:propstat><D:prop><C:calendar-availability/></D:prop><D:status>HTTP/1.1 404 Not Found</D:status></D:propstat>`
			}
			multiStatus(w, `<D:response><D:href>`+testInbox+`</D:href>`+prop+`</D:response>`)
		case bytes.Contains(body, []byte("schedule-inbox-URL")):
			multiStatus(w, `<D:response><D:href>`+r.URL.Path+`</D:href><D:propstat><D:prop>`+
				`<D:current-user-principal><D:href>/dav/principals/alice/</D:href></D:current-user-principal>`+
				`<C:schedule-inbox-URL><D:href>`+testInbox+`</D:href></C:schedule-inbox-URL>`+
				`</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>`)
		default:
			dav.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	s.testServer = &testServer{
		url: srv.URL + "/", user: "alice", pass: "secret",
		calendarPath: func(name string) string { return "/dav/calendars/alice/" + name + "/" },
		mkcal: func(t *testing.T, name, displayName string) {
			if err := b.CreateCalendar(name, displayName); err != nil {
				t.Fatal(err)
			}
		},
		put: func(t *testing.T, cal, obj string, data []byte) {
			if err := b.PutObject(cal, obj, data); err != nil {
				t.Fatal(err)
			}
		},
	}
	return s
}

func multiStatus(w http.ResponseWriter, responses string) {
	w.Header().Set("Content-Type", `application/xml; charset="utf-8"`)
	w.WriteHeader(http.StatusMultiStatus)
	io.WriteString(w, `<?xml version="1.0" encoding="utf-8"?>`+
		`<D:multistatus xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">`+responses+`</D:multistatus>`)
}

func availabilityFixture(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "availability", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// mondayMorning is working hours of one VAVAILABILITY: Mondays 09:00–10:00.
func mondayMorning() string {
	return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//rdv//test//EN\r\n" +
		"BEGIN:VAVAILABILITY\r\nUID:mm\r\n" +
		"BEGIN:AVAILABLE\r\nUID:mm\r\nDTSTAMP:20270101T000000Z\r\n" +
		"DTSTART;TZID=Europe/Paris:20270308T090000\r\nDTEND;TZID=Europe/Paris:20270308T100000\r\n" +
		"RRULE:FREQ=WEEKLY;BYDAY=MO\r\nEND:AVAILABLE\r\n" +
		"END:VAVAILABILITY\r\nEND:VCALENDAR\r\n"
}

// TestWorkingHoursInbox reads working hours as on Nextcloud: from the
// calendar-availability property of the scheduling inbox that the
// principal names, read again at every call.
func TestWorkingHoursInbox(t *testing.T) {
	ctx := context.Background()
	s := newInboxServer(t, true)
	s.mkcal(t, "rdv", "Rendez-vous")
	nextcloud := availabilityFixture(t, "nextcloud.ics")
	s.prop.Store(&nextcloud)
	cfg := s.config("Rendez-vous")
	cfg.Location = testcal.Paris(t)
	cfg.Availability.WorkingHours = true
	c, err := New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, wh := c.AvailabilityURLs(); !strings.HasSuffix(wh, testInbox) {
		t.Errorf("working hours read from %q, want the inbox", wh)
	}
	from, to := testcal.MustTime(t, "2027-03-22T00:00:00+01:00"), testcal.MustTime(t, "2027-03-24T00:00:00+01:00")
	window := testcal.Intervals(t, "2027-03-22T00:00:00+01:00/2027-03-24T00:00:00+01:00")

	t.Run("what Nextcloud stores", func(t *testing.T) {
		s.inboxHits.Store(0)
		got, ok, err := c.Availability(ctx, from, to)
		if err != nil || !ok {
			t.Fatalf("Availability: %v, ok %v", err, ok)
		}
		want := testcal.Intervals(t,
			"2027-03-22T08:30:00+01:00/2027-03-22T12:00:00+01:00",
			"2027-03-22T14:00:00+01:00/2027-03-22T18:30:00+01:00",
			"2027-03-23T08:30:00+01:00/2027-03-23T12:00:00+01:00",
		)
		if !testcal.SameIntervals(got.Open, want) || !testcal.SameIntervals(got.Covered, window) {
			t.Errorf("open:%s\nwant:%s\ncovered:%s", testcal.FormatIntervals(got.Open), testcal.FormatIntervals(want), testcal.FormatIntervals(got.Covered))
		}
		if n := s.inboxHits.Load(); n != 1 {
			t.Errorf("%d requests to the inbox, want 1", n)
		}
	})
	t.Run("a change counts at once", func(t *testing.T) {
		mm := mondayMorning()
		s.prop.Store(&mm)
		got, _, err := c.Availability(ctx, from, to)
		if err != nil {
			t.Fatal(err)
		}
		if want := testcal.Intervals(t, "2027-03-22T09:00:00+01:00/2027-03-22T10:00:00+01:00"); !testcal.SameIntervals(got.Open, want) || !testcal.SameIntervals(got.Covered, window) {
			t.Errorf("open:%s\ncovered:%s", testcal.FormatIntervals(got.Open), testcal.FormatIntervals(got.Covered))
		}
	})
	t.Run("no working hours: the weekly template holds", func(t *testing.T) {
		none := ""
		s.prop.Store(&none)
		got, ok, err := c.Availability(ctx, from, to)
		if err != nil || !ok || got.Open != nil || got.Covered != nil {
			t.Errorf("Availability = %+v, %v, %v", got, ok, err)
		}
	})
	t.Run("unreadable: unavailable, never ignored", func(t *testing.T) {
		garbage := "this is not iCalendar"
		s.prop.Store(&garbage)
		_, _, err := c.Availability(ctx, from, to)
		wantCode(t, err, booking.EUnavailable)
		if c.Check(ctx) == nil {
			t.Error("Check passes")
		}
		mm := mondayMorning()
		s.prop.Store(&mm)
		s.fail.Store(true)
		_, _, err = c.Availability(ctx, from, to)
		wantCode(t, err, booking.EUnavailable)
		s.fail.Store(false)
		if _, _, err := c.Availability(ctx, from, to); err != nil {
			t.Errorf("after recovery: %v", err)
		}
		if err := c.Check(ctx); err != nil {
			t.Errorf("Check: %v", err)
		}
	})
	t.Run("added to the weekly template", func(t *testing.T) {
		cfg := cfg
		cfg.Availability.AddWorkingHours = true
		c, err := New(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := c.Availability(ctx, from, to)
		if err != nil || got.Covered != nil || len(got.Open) != 1 {
			t.Errorf("Availability = %+v, %v", got, err)
		}
	})
	t.Run("with an availability calendar", func(t *testing.T) {
		s.mkcal(t, "horaires", "Horaires")
		s.put(t, "horaires", "saturday.ics", crlf(strings.ReplaceAll(openSaturday, "20270313T", "20270327T")))
		cfg := cfg
		cfg.Availability.Calendar = "Horaires"
		c, err := New(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := c.Availability(ctx, from, testcal.MustTime(t, "2027-03-29T00:00:00+02:00"))
		if err != nil {
			t.Fatal(err)
		}
		want := testcal.Intervals(t,
			"2027-03-22T09:00:00+01:00/2027-03-22T10:00:00+01:00",
			"2027-03-27T10:00:00+01:00/2027-03-27T12:00:00+01:00",
		)
		if !testcal.SameIntervals(got.Open, want) || len(got.Covered) != 1 {
			t.Errorf("open:%s\nwant:%s\ncovered:%s", testcal.FormatIntervals(got.Open), testcal.FormatIntervals(want), testcal.FormatIntervals(got.Covered))
		}
	})
}

// TestWorkingHoursNoInbox: a server without scheduling inbox (go-webdav's,
// Radicale, sabre/dav 1.8 without its scheduling plugin) can't give working
// hours unless told where they are.
func TestWorkingHoursNoInbox(t *testing.T) {
	s := newInboxServer(t, false)
	s.mkcal(t, "rdv", "Rendez-vous")
	cfg := s.config("Rendez-vous")
	cfg.Availability.WorkingHours = true
	_, err := New(context.Background(), cfg)
	wantCode(t, err, booking.EInvalid)
	if msg := booking.ErrorMessage(err); !strings.Contains(msg, "scheduling inbox") || !strings.Contains(msg, "WorkingHoursURL") {
		t.Errorf("message = %q", msg)
	}
}

// TestWorkingHoursRadicale stores working hours as a dead property of the
// principal collection of a real Radicale (PROPPATCH), which has no
// scheduling inbox, and points WorkingHoursURL at it.
func TestWorkingHoursRadicale(t *testing.T) {
	if testing.Short() && !requireServers() {
		t.Skip("starts Radicale")
	}
	ctx := context.Background()
	r := testservers.StartRadicale(t)
	r.MkCalendar(t, "rdv", "Rendez-vous")
	proppatch := func(t *testing.T, text string) {
		t.Helper()
		var esc strings.Builder
		xml.EscapeText(&esc, []byte(text))
		body := `<?xml version="1.0" encoding="utf-8"?>
<D:propertyupdate xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop>
<C:calendar-availability>` + esc.String() + `</C:calendar-availability>
</D:prop></D:set></D:propertyupdate>`
		r.Do(t, "PROPPATCH", "/"+r.User+"/", "application/xml", []byte(body), http.StatusMultiStatus)
	}
	proppatch(t, availabilityFixture(t, "nextcloud.ics"))
	cfg := Config{URL: r.URL, Username: r.User, Password: r.Password, BookingsCalendar: "Rendez-vous",
		Location: testcal.Paris(t), Timeout: 5 * time.Second}

	t.Run("without scheduling inbox", func(t *testing.T) {
		cfg := cfg
		cfg.Availability.WorkingHours = true
		_, err := New(ctx, cfg)
		wantCode(t, err, booking.EInvalid)
	})
	t.Run("a missing resource", func(t *testing.T) {
		cfg := cfg
		cfg.Availability.WorkingHoursURL = "/" + r.User + "/nowhere/"
		_, err := New(ctx, cfg)
		wantCode(t, err, booking.EInvalid)
	})

	cfg.Availability.WorkingHoursURL = "/" + r.User + "/"
	c, err := New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	from, to := testcal.MustTime(t, "2027-03-29T00:00:00+02:00"), testcal.MustTime(t, "2027-03-31T00:00:00+02:00")
	got, ok, err := c.Availability(ctx, from, to)
	if err != nil || !ok {
		t.Fatalf("Availability: %v, ok %v", err, ok)
	}
	want := testcal.Intervals(t,
		"2027-03-29T08:30:00+02:00/2027-03-29T12:00:00+02:00",
		"2027-03-29T14:00:00+02:00/2027-03-29T18:30:00+02:00",
		"2027-03-30T08:30:00+02:00/2027-03-30T12:00:00+02:00",
	)
	if !testcal.SameIntervals(got.Open, want) || !testcal.SameIntervals(got.Covered, testcal.Intervals(t, "2027-03-29T00:00:00+02:00/2027-03-31T00:00:00+02:00")) {
		t.Errorf("open:%s\nwant:%s\ncovered:%s", testcal.FormatIntervals(got.Open), testcal.FormatIntervals(want), testcal.FormatIntervals(got.Covered))
	}

	proppatch(t, mondayMorning())
	got, _, err = c.Availability(ctx, from, to)
	if err != nil {
		t.Fatal(err)
	}
	if want := testcal.Intervals(t, "2027-03-29T09:00:00+02:00/2027-03-29T10:00:00+02:00"); !testcal.SameIntervals(got.Open, want) {
		t.Errorf("after PROPPATCH, open:%s", testcal.FormatIntervals(got.Open))
	}
	if err := c.Check(ctx); err != nil {
		t.Errorf("Check: %v", err)
	}
}
