package caldav

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/davserver"
	"github.com/rdvlibre/rdv/internal/testcal"
	"github.com/rdvlibre/rdv/recur"
)

// Issue 7: one calendar object whose bytes are odd must not make a whole
// calendar unreadable. Servers put objects inside their multistatus
// answers byte for byte, so such an object used to make the answer invalid
// XML, and every read of the calendar failed.

// oddObject is one object of the test calendar, with what rdv must read of
// it.
type oddObject struct {
	name    string
	data    string
	odd     bool     // odd bytes; the others are its normal neighbours
	summary string   // the SUMMARY rdv must read
	busy    []string // its busy time, "start/end"
	booking string   // the id of rdv's booking it is the event of, if it is
}

const (
	foldedSummary  = "Réunion d'équipe avec le laboratoire et la radiologie : sécurité des échanges"
	foldedBooking  = "Consultation de Zoé Lefèvre, première visite, bilan complet, préparation – dossier"
	oddFrom, oddTo = "2027-01-04T00:00:00Z", "2027-01-20T00:00:00Z"
)

// oddCalendar is a bookings calendar holding normal events, a recurring
// one and one of rdv's booking events, next to objects with odd bytes: a
// SUMMARY folded inside a character (an event and a booking event),
// Latin-1 text, stray bytes, a NUL byte, control characters.
func oddCalendar() []oddObject {
	booking := func(id string) []string { return []string{"X-RDV-BOOKING:" + id, "X-RDV-TYPE:consultation"} }
	return []oddObject{
		{name: "before.ics", summary: "Consultation", busy: []string{"2027-01-04T08:00:00Z/2027-01-04T09:00:00Z"},
			data: testcal.OddEvent("before", "20270104T080000Z", "20270104T090000Z", "Consultation")},
		{name: "weekly.ics", summary: "Staff", busy: []string{
			"2027-01-05T13:00:00Z/2027-01-05T14:00:00Z", "2027-01-12T13:00:00Z/2027-01-12T14:00:00Z", "2027-01-19T13:00:00Z/2027-01-19T14:00:00Z"},
			data: testcal.OddEvent("weekly", "20270105T130000Z", "20270105T140000Z", "Staff", "RRULE:FREQ=WEEKLY;COUNT=3")},
		{name: "booking.ics", summary: "Consultation", booking: "bk-1", busy: []string{"2027-01-06T10:00:00Z/2027-01-06T10:20:00Z"},
			data: testcal.OddEvent("bk-1", "20270106T100000Z", "20270106T102000Z", "Consultation", booking("bk-1")...)},

		{name: "folded.ics", odd: true, summary: foldedSummary, busy: []string{"2027-01-04T09:00:00Z/2027-01-04T10:00:00Z"},
			data: testcal.OddEvent("folded", "20270104T090000Z", "20270104T100000Z", foldedSummary)},
		{name: "folded-booking.ics", odd: true, summary: foldedBooking, booking: "bk-2", busy: []string{"2027-01-07T10:00:00Z/2027-01-07T10:20:00Z"},
			data: testcal.OddEvent("bk-2", "20270107T100000Z", "20270107T102000Z", foldedBooking, booking("bk-2")...)},
		{name: "latin1.ics", odd: true, summary: "Réunion d'équipe", busy: []string{"2027-01-04T11:00:00Z/2027-01-04T12:00:00Z"},
			data: testcal.OddEvent("latin1", "20270104T110000Z", "20270104T120000Z", "R\xe9union d'\xe9quipe")},
		{name: "stray.ics", odd: true, summary: "Bilan ÿþ€", busy: []string{"2027-01-04T13:00:00Z/2027-01-04T14:00:00Z"},
			data: testcal.OddEvent("stray", "20270104T130000Z", "20270104T140000Z", "Bilan \xff\xfe\x80")},
		{name: "nul.ics", odd: true, summary: "Appel\ufffdlabo", busy: []string{"2027-01-04T14:00:00Z/2027-01-04T15:00:00Z"},
			data: testcal.OddEvent("nul", "20270104T140000Z", "20270104T150000Z", "Appel\x00labo")},
		{name: "controls.ics", odd: true, summary: "Staff\ufffd\ufffd\ufffd", busy: []string{"2027-01-04T15:00:00Z/2027-01-04T16:00:00Z"},
			data: testcal.OddEvent("controls", "20270104T150000Z", "20270104T160000Z", "Staff\x01\x0b\x1f")},
	}
}

// garbled is an object the embedded server stores, whose start time has a
// NUL byte: once repaired, it has no time rdv can read.
var garbled = oddObject{name: "garbled.ics", odd: true,
	data: strings.Replace(testcal.OddEvent("garbled", "20270104T160000Z", "20270104T170000Z", "Garbled"), "DTSTART:20270104T16", "DTSTART:20270104T16\x00", 1)}

func TestOddCalendarIsOdd(t *testing.T) {
	for _, o := range oddCalendar() {
		if o.odd != (!utf8.ValidString(o.data) || strings.ContainsAny(o.data, "\x00\x01")) {
			t.Errorf("%s: odd = %v, but its bytes say otherwise", o.name, o.odd)
		}
	}
}

// checkOddCalendar checks what c reads of the calendar of objs: Busy and
// Events exact, every object read but those of unreadable (free, each
// named in a warning and counted), the SUMMARY of each object as fetched
// by fetch, but those of mangled (which the server itself changed when
// they were stored).
func checkOddCalendar(t *testing.T, c *Calendar, log *syncWriter, objs []oddObject, unreadable, mangled []string, fetch func() []fetched) {
	t.Helper()
	ctx := context.Background()
	from, to := testcal.MustTime(t, oddFrom), testcal.MustTime(t, oddTo)
	var wantBusy []string
	var wantEvents []booking.BookingEvent
	for _, o := range objs {
		if slices.Contains(unreadable, o.name) {
			continue
		}
		wantBusy = append(wantBusy, o.busy...)
		if o.booking != "" {
			iv := testcal.Intervals(t, o.busy...)[0]
			wantEvents = append(wantEvents, booking.BookingEvent{Booking: o.booking, Type: "consultation", Start: iv.Start, End: iv.End, Status: booking.StatusConfirmed})
		}
	}
	slices.Sort(wantBusy) // RFC 3339 in UTC sorts by time
	busy, err := c.Busy(ctx, from, to)
	if err != nil {
		t.Fatalf("Busy: %v", err)
	}
	if want := testcal.Intervals(t, wantBusy...); !testcal.SameIntervals(plain(busy), want) {
		t.Errorf("Busy:%s\nwant:%s", testcal.FormatIntervals(plain(busy)), testcal.FormatIntervals(want))
	}
	events, err := c.Events(ctx, from, to)
	if err != nil {
		t.Fatalf("Events: %v", err)
	}
	if len(events) != len(wantEvents) {
		t.Errorf("Events: %d, want %d: %+v", len(events), len(wantEvents), events)
	}
	for i := range min(len(events), len(wantEvents)) {
		got, want := events[i], wantEvents[i]
		if got.Booking != want.Booking || got.Type != want.Type || !got.Start.Equal(want.Start) || !got.End.Equal(want.End) || got.Status != want.Status {
			t.Errorf("event %d = %+v, want %+v", i, got, want)
		}
	}
	if n := c.BrokenObjects(); n != int64(len(unreadable)) {
		t.Errorf("BrokenObjects = %d, want %d", n, len(unreadable))
	}
	logged := log.String()
	for _, name := range unreadable {
		if !strings.Contains(logged, "level=WARN") || !strings.Contains(logged, name) {
			t.Errorf("no warning names %s:\n%s", name, logged)
		}
	}

	summaries := map[string]string{}
	for _, f := range fetch() {
		cal, err := recur.Decode(f.data)
		if err != nil {
			summaries[lastSegment(f.href)] = "unreadable: " + err.Error()
			continue
		}
		for _, ev := range cal.Children {
			if p := ev.Props.Get("SUMMARY"); p != nil {
				summaries[lastSegment(f.href)] = p.Value
			}
		}
	}
	for _, o := range objs {
		if o.summary == "" || slices.Contains(unreadable, o.name) || slices.Contains(mangled, o.name) {
			continue
		}
		if got := summaries[o.name]; got != o.summary {
			t.Errorf("%s: SUMMARY %q, want %q", o.name, got, o.summary)
		}
	}
}

// rawEmbedded serves fb byte for byte, like sabre/dav (see
// davserver.NewRawHandler), and returns its URL.
func rawEmbedded(t *testing.T, fb *davserver.FileBackend) string {
	t.Helper()
	srv := httptest.NewServer(davserver.NewRawHandler(fb, "/dav/"))
	t.Cleanup(srv.Close)
	return srv.URL + "/dav/"
}

// TestOddBytesEmbedded serves the odd calendar from rdv's embedded server,
// byte for byte (see rawEmbedded), through each request that carries
// calendar data: the calendar-query of a first load, the sync-collection
// that validates the cache on this server, and the calendar-multiget of a
// server validated by getctag (sabre/dav, Nextcloud). The objects with odd
// bytes come in the first load, or later, in a validation.
func TestOddBytesEmbedded(t *testing.T) {
	ctx := context.Background()
	objs := append(oddCalendar(), garbled)
	for _, path := range []string{"calendar-query", "sync-collection", "calendar-multiget"} {
		t.Run(path, func(t *testing.T) {
			dir := t.TempDir()
			fb, err := davserver.NewFileBackend(dir, "alice")
			if err != nil {
				t.Fatal(err)
			}
			if err := fb.CreateCalendar("rdv", "Rendez-vous"); err != nil {
				t.Fatal(err)
			}
			for _, o := range objs {
				if path == "calendar-query" || !o.odd {
					if err := os.WriteFile(filepath.Join(dir, "rdv", o.name), []byte(o.data), 0o600); err != nil {
						t.Fatal(err)
					}
				}
			}
			logger, log := lockedLog()
			c, err := New(ctx, Config{URL: rawEmbedded(t, fb), BookingsCalendar: "rdv", Logger: logger, Timeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			cc := c.caches[0]
			cc.noSync = path == "calendar-multiget"
			if path != "calendar-query" {
				// A first load without the odd objects, then they come.
				if _, err := c.Busy(ctx, testcal.MustTime(t, oddFrom), testcal.MustTime(t, oddTo)); err != nil {
					t.Fatal(err)
				}
				for _, o := range objs {
					if o.odd {
						if err := fb.PutRaw("rdv", o.name, []byte(o.data)); err != nil {
							t.Fatal(err)
						}
					}
				}
			}
			fetch := func() []fetched {
				switch path {
				case "sync-collection":
					var ans syncAnswer
					if err := c.conn.xmlRequest(ctx, "REPORT", c.conn.resolve(cc.info.Path), "0", syncBody(""), &ans); err != nil {
						t.Fatal(err)
					}
					var out []fetched
					for _, r := range ans.Responses {
						out = append(out, fetched{href: r.Href, data: r.props().CalendarData})
					}
					return out
				case "calendar-multiget":
					var hrefs []string
					for _, o := range objs {
						hrefs = append(hrefs, cc.info.Path+o.name)
					}
					out, _, err := c.multiget(ctx, cc, hrefs)
					if err != nil {
						t.Fatal(err)
					}
					return out
				}
				out, err := c.queryAll(ctx, cc)
				if err != nil {
					t.Fatal(err)
				}
				return out
			}
			checkOddCalendar(t, c, log, objs, []string{garbled.name}, nil, fetch)
			if want := map[string]syncMode{"calendar-query": modeSync, "sync-collection": modeSync, "calendar-multiget": modeCTag}[path]; cc.mode != want {
				t.Errorf("the cache is validated by %v, want %v", cc.mode, want)
			}

			// The booking event whose SUMMARY is folded inside a
			// character, read alone (GET), as booking.Service does when
			// it no longer finds it.
			ev, found, err := c.Event(ctx, cc.info.Path+"folded-booking.ics")
			if err != nil || !found || ev.Booking != "bk-2" || !ev.Start.Equal(testcal.MustTime(t, "2027-01-07T10:00:00Z")) || !ev.End.Equal(testcal.MustTime(t, "2027-01-07T10:20:00Z")) {
				t.Errorf("Event = %+v, %v, %v", ev, found, err)
			}
		})
	}
}

// TestOddBytesOnServers stores the odd calendar on real servers and reads
// it. What they do with odd bytes when an object is stored (measured on
// Radicale 3.1.8 and sabre/dav 1.8 with sabre/vobject 2.1.7):
//
//   - Radicale decodes a body that is not UTF-8 as Latin-1, and sabre/dav
//     1.8 converts it from Latin-1 (StringUtil::ensureUTF8): neither stores
//     bytes that are not UTF-8, so a SUMMARY folded inside a character, or
//     stray bytes, come back as other (valid) text: their SUMMARY is not
//     checked. sabre/dav 4.x, which Nextcloud runs, stores them raw: that
//     case is TestOddBytesEmbedded's.
//   - Both store NUL and control characters, and put them raw inside their
//     answers: invalid XML, which rdv repairs.
//   - sabre/dav cuts calendar-data at a NUL byte (libxml2 takes a C
//     string): that object is unreadable, and skipped.
func TestOddBytesOnServers(t *testing.T) {
	mangled := []string{"folded.ics", "folded-booking.ics", "stray.ics"}
	for _, srv := range []struct {
		name       string
		start      func(t *testing.T) *testServer
		unreadable []string
	}{
		{"radicale", func(t *testing.T) *testServer {
			if testing.Short() && !requireServers() {
				t.Skip("starts Radicale")
			}
			return startRadicale(t)
		}, nil},
		{"sabredav", func(t *testing.T) *testServer { return adaptServer(startSabreDAV(t)) }, []string{"nul.ics"}},
	} {
		t.Run(srv.name, func(t *testing.T) {
			s := srv.start(t)
			s.mkcal(t, "rdv", "Rendez-vous")
			objs := oddCalendar()
			for _, o := range objs {
				s.put(t, "rdv", o.name, []byte(o.data))
			}
			logger, log := lockedLog()
			cfg := s.config("Rendez-vous")
			cfg.Logger = logger
			c, err := New(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			fetch := func() []fetched {
				out, err := c.queryAll(context.Background(), c.caches[0])
				if err != nil {
					t.Fatal(err)
				}
				return out
			}
			checkOddCalendar(t, c, log, objs, srv.unreadable, mangled, fetch)
			// And again, from the cache, validated.
			if _, err := c.Busy(context.Background(), testcal.MustTime(t, oddFrom), testcal.MustTime(t, oddTo)); err != nil {
				t.Errorf("second read: %v", err)
			}
		})
	}
}

// TestDecodeXMLRetriesOnForbiddenCharacters checks the answer that is
// valid UTF-8 but holds a character XML forbids, raw or as a reference:
// read once it is repaired, and without the responses of the failed
// attempt twice.
func TestDecodeXMLRetriesOnForbiddenCharacters(t *testing.T) {
	for _, bad := range []string{"\x00", "&#0;", "&#x1F;", "\x1b"} {
		body := rawMultistatus([]fetched{
			{href: "/cal/a.ics", etag: `"1"`, data: testcal.OddEvent("a", "20270104T080000Z", "20270104T090000Z", "A")},
			{href: "/cal/b.ics", etag: `"2"`, data: "SUMMARY:b"},
		})
		body = bytes.Replace(body, []byte("SUMMARY:b"), []byte("SUMMARY:b"+bad), 1)
		var ms multistatus
		if err := decodeXML(body, &ms); err != nil {
			t.Errorf("%q: %v", bad, err)
			continue
		}
		if len(ms.Responses) != 2 || ms.Responses[1].props().CalendarData != "SUMMARY:b\ufffd" {
			t.Errorf("%q: %d responses, the second with %q", bad, len(ms.Responses), ms.Responses[len(ms.Responses)-1].props().CalendarData)
		}
	}
}
