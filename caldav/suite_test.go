package caldav

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/ics"
	"github.com/rdvlibre/rdv/internal/testcal"
)

// testServer is a CalDAV server the client suite runs against: the
// embedded FileBackend or a real Radicale.
type testServer struct {
	url        string // base URL for Config.URL
	user, pass string
	// calendarPath returns the path of the calendar named name.
	calendarPath func(name string) string
	// mkcal creates a calendar; put stores a calendar object as is.
	mkcal func(t *testing.T, name, displayName string)
	put   func(t *testing.T, calendar, object string, data []byte)
}

// get fetches an object with plain net/http.
func (s *testServer) get(t *testing.T, href string) []byte {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, strings.TrimSuffix(s.url, "/")+href, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(s.user, s.pass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", href, resp.Status)
	}
	return buf.Bytes()
}

func (s *testServer) config(bookings string, busy ...string) Config {
	return Config{
		URL: s.url, Username: s.user, Password: s.pass,
		BookingsCalendar: bookings, BusyCalendars: busy,
		Timeout: 5 * time.Second,
	}
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// testAppointment is a booking of a patient with Dr Martin in Paris.
func testAppointment(t testing.TB, id string, start time.Time, status booking.Status) booking.Appointment {
	loc := testcal.Paris(t)
	typ := &booking.AppointmentType{ID: "consultation", Name: "Consultation", Duration: 20 * time.Minute}
	return booking.Appointment{
		Booking: &booking.Booking{
			ID: id, PractitionerID: "demo", TypeID: typ.ID,
			Start: start, End: start.Add(typ.Duration), Status: status,
			Patient: booking.Patient{Name: "Marie Curie", Email: "marie@example.org", Phone: "+33612345678"},
		},
		Practitioner: &booking.Practitioner{ID: "demo", Name: "Dr Anne Martin", Email: "anne@example.org", Location: loc},
		Type:         typ,
	}
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := booking.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

// runClientSuite runs the client tests against s, which must have no
// calendars yet.
func runClientSuite(t *testing.T, s *testServer) {
	ctx := context.Background()
	loc := testcal.Paris(t)
	s.mkcal(t, "work", "Travail")
	s.mkcal(t, "rdv", "Rendez-vous")
	s.mkcal(t, "perso", "Personnel")
	s.put(t, "work", "weekly.ics", readFixture(t, "weekly_exdate.ics"))
	s.put(t, "perso", "sundays.ics", readFixture(t, "allday_weekly.ics"))

	t.Run("discovery by display name", func(t *testing.T) {
		c, err := New(ctx, s.config("Rendez-vous", "Travail", "perso"))
		if err != nil {
			t.Fatal(err)
		}
		b, busy := c.Calendars()
		if b.Path != s.calendarPath("rdv") || b.Name != "Rendez-vous" {
			t.Errorf("bookings calendar = %+v", b)
		}
		if len(busy) != 3 || busy[0] != b || busy[1].Path != s.calendarPath("work") || busy[2].Path != s.calendarPath("perso") {
			t.Errorf("busy calendars = %+v", busy)
		}
		if err := c.Check(ctx); err != nil {
			t.Errorf("Check: %v", err)
		}
	})

	t.Run("discovery by path and from a calendar URL", func(t *testing.T) {
		c, err := New(ctx, s.config(s.calendarPath("rdv")))
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := c.Calendars(); b.Path != s.calendarPath("rdv") {
			t.Errorf("bookings calendar = %+v", b)
		}
		cfg := s.config("")
		cfg.URL = strings.TrimSuffix(s.url, "/") + s.calendarPath("work")
		c, err = New(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if b, busy := c.Calendars(); b.Path != s.calendarPath("work") || len(busy) != 1 {
			t.Errorf("calendars = %+v, %+v", b, busy)
		}
	})

	t.Run("no such calendar", func(t *testing.T) {
		_, err := New(ctx, s.config("Rendez-vous", "Holidays"))
		wantCode(t, err, booking.EInvalid)
		msg := booking.ErrorMessage(err)
		for _, want := range []string{`"Holidays"`, "found:", "Travail", "Rendez-vous", "Personnel"} {
			if !strings.Contains(msg, want) {
				t.Errorf("message %q lacks %q", msg, want)
			}
		}
		_, err = New(ctx, s.config(""))
		wantCode(t, err, booking.EInvalid)
	})

	t.Run("wrong password", func(t *testing.T) {
		cfg := s.config("Rendez-vous")
		cfg.Password = "not-the-secret-42"
		start := time.Now()
		_, err := New(ctx, cfg)
		if s.pass == "" {
			if err != nil {
				t.Fatalf("server without authentication: %v", err)
			}
			return
		}
		wantCode(t, err, booking.EInvalid)
		if strings.Contains(err.Error(), cfg.Password) || strings.Contains(err.Error(), s.pass) {
			t.Errorf("error %q shows the password", err)
		}
		if !strings.Contains(booking.ErrorMessage(err), "credentials") {
			t.Errorf("message %q does not say the credentials were refused", booking.ErrorMessage(err))
		}
		if time.Since(start) > 3*time.Second {
			t.Errorf("took %v", time.Since(start))
		}
	})

	c, err := New(ctx, s.config("Rendez-vous", "Travail"))
	if err != nil {
		t.Fatal(err)
	}

	t.Run("busy with a weekly event and EXDATEs", func(t *testing.T) {
		got, err := c.Busy(ctx, testcal.MustTime(t, "2027-03-01T00:00:00Z"), testcal.MustTime(t, "2027-05-01T00:00:00Z"))
		if err != nil {
			t.Fatal(err)
		}
		want := testcal.Intervals(t,
			"2027-03-02T09:00:00+01:00/2027-03-02T10:00:00+01:00",
			"2027-03-30T09:00:00+02:00/2027-03-30T10:00:00+02:00",
			"2027-04-06T09:00:00+02:00/2027-04-06T10:00:00+02:00",
		)
		if !testcal.SameIntervals(plain(got), want) {
			t.Errorf("got:%s\nwant:%s", testcal.FormatIntervals(plain(got)), testcal.FormatIntervals(want))
		}
		// A window far from DTSTART: the server must match the recurrence.
		got, err = c.Busy(ctx, testcal.MustTime(t, "2027-04-06T00:00:00+02:00"), testcal.MustTime(t, "2027-04-07T00:00:00+02:00"))
		if err != nil || !testcal.SameIntervals(plain(got), want[2:]) {
			t.Errorf("on the last instance: %v, %v", testcal.FormatIntervals(plain(got)), err)
		}
		// A window on an excluded instance only.
		got, err = c.Busy(ctx, testcal.MustTime(t, "2027-03-16T00:00:00+01:00"), testcal.MustTime(t, "2027-03-17T00:00:00+01:00"))
		if err != nil || len(got) != 0 {
			t.Errorf("on an EXDATE: %v, %v", testcal.FormatIntervals(plain(got)), err)
		}
	})

	start := time.Date(2027, 3, 30, 11, 0, 0, 0, loc)
	a := testAppointment(t, "3f2a1c1e-5b7d-4c51-9a39-000000000001", start, booking.StatusPending)

	t.Run("create, conflict, update, delete", func(t *testing.T) {
		ref, err := c.Create(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		if ref.Href != s.calendarPath("rdv")+a.Booking.ID+".ics" || ref.ETag == "" {
			t.Errorf("ref = %+v", ref)
		}

		_, err = c.Create(ctx, a)
		wantCode(t, err, booking.EConflict)

		// The event is what ics renders, with the fields the calendar client needs.
		cal, err := ical.NewDecoder(bytes.NewReader(s.get(t, ref.Href))).Decode()
		if err != nil {
			t.Fatal(err)
		}
		events := cal.Events()
		if len(events) != 1 {
			t.Fatalf("%d events", len(events))
		}
		ev := events[0]
		if uid := ev.Props.Get(ical.PropUID); uid == nil || uid.Value != a.Booking.ID {
			t.Errorf("UID = %+v", uid)
		}
		if dt := ev.Props.Get(ical.PropDateTimeStart); dt == nil || dt.Params.Get(ical.ParamTimezoneID) != "Europe/Paris" || dt.Value != "20270330T110000" {
			t.Errorf("DTSTART = %+v", dt)
		}
		if org := ev.Props.Get(ical.PropOrganizer); org == nil || !strings.EqualFold(org.Value, "mailto:anne@example.org") {
			t.Errorf("ORGANIZER = %+v", org)
		}
		att := ev.Props.Get(ical.PropAttendee)
		if att == nil || !strings.EqualFold(att.Value, "mailto:marie@example.org") || att.Params.Get("SCHEDULE-AGENT") != "CLIENT" {
			t.Errorf("ATTENDEE = %+v", att)
		}
		if st := ev.Props.Get(ical.PropStatus); st == nil || st.Value != "TENTATIVE" {
			t.Errorf("STATUS = %+v", st)
		}

		busy, err := c.Busy(ctx, start.Add(-time.Hour), start.Add(time.Hour))
		if err != nil || len(busy) != 1 || !busy[0].Start.Equal(start) || !busy[0].End.Equal(a.Booking.End) {
			t.Errorf("Busy around the booking = %s, %v", testcal.FormatIntervals(plain(busy)), err)
		}

		confirmed := *a.Booking
		confirmed.Status = booking.StatusConfirmed
		confirmed.Sequence = 1
		a2 := a
		a2.Booking = &confirmed
		ref2, err := c.Update(ctx, a2, ref)
		if err != nil {
			t.Fatal(err)
		}
		if ref2.Href != ref.Href || ref2.ETag == "" || ref2.ETag == ref.ETag {
			t.Errorf("after Update: %+v (was %+v)", ref2, ref)
		}

		_, err = c.Update(ctx, a2, ref) // stale ETag
		wantCode(t, err, booking.EConflict)
		err = c.Delete(ctx, ref) // stale ETag
		wantCode(t, err, booking.EConflict)

		cancelled := confirmed
		cancelled.Status = booking.StatusCancelled
		cancelled.Sequence = 2
		a3 := a
		a3.Booking = &cancelled
		ref3, err := c.Update(ctx, a3, ref2)
		if err != nil {
			t.Fatal(err)
		}
		busy, err = c.Busy(ctx, start.Add(-time.Hour), start.Add(time.Hour))
		if err != nil || len(busy) != 0 {
			t.Errorf("Busy after cancelling = %s, %v", testcal.FormatIntervals(plain(busy)), err)
		}

		if err := c.Delete(ctx, ref3); err != nil {
			t.Fatal(err)
		}
		if err := c.Delete(ctx, ref3); err != nil {
			t.Errorf("Delete of a missing event: %v", err)
		}
		_, err = c.Update(ctx, a3, ref3)
		wantCode(t, err, booking.EConflict)
	})

	t.Run("the practice's event template, read back", func(t *testing.T) {
		cfg := s.config("Rendez-vous")
		var err error
		if cfg.Event, err = ics.NewEventTemplate("{{.Time}} {{.Patient}}", "{{with .Type}}{{.}}{{end}}"); err != nil {
			t.Fatal(err)
		}
		tc, err := New(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		b := testAppointment(t, "3f2a1c1e-5b7d-4c51-9a39-0000000000e1", start.Add(2*time.Hour), booking.StatusConfirmed)
		ref, err := tc.Create(ctx, b)
		if err != nil {
			t.Fatal(err)
		}
		defer tc.Delete(ctx, ref)
		cal, err := ical.NewDecoder(bytes.NewReader(s.get(t, ref.Href))).Decode()
		if err != nil {
			t.Fatal(err)
		}
		ev := cal.Events()[0]
		if got, _ := ev.Props.Text(ical.PropSummary); got != "13:00 Marie Curie" {
			t.Errorf("SUMMARY = %q", got)
		}
		if d := ev.Props.Get(ical.PropDescription); d != nil {
			t.Errorf("DESCRIPTION = %q, want none (a private type, a template without the phone)", d.Value)
		}
		back, found, err := tc.Event(ctx, ref.Href)
		if err != nil || !found || back.Patient != b.Booking.Patient || back.Type != "consultation" {
			t.Errorf("Event = %+v, %v, %v; want the patient %+v and the type", back, found, err, b.Booking.Patient)
		}
	})

	t.Run("parallel creates of one object", func(t *testing.T) {
		b := testAppointment(t, "3f2a1c1e-5b7d-4c51-9a39-000000000002", start.Add(2*time.Hour), booking.StatusConfirmed)
		const n = 10
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { _, errs[i] = c.Create(ctx, b) })
		}
		wg.Wait()
		won, lost := 0, 0
		for _, err := range errs {
			switch booking.ErrorCode(err) {
			case "":
				won++
			case booking.EConflict:
				lost++
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}
		if won != 1 || lost != n-1 {
			t.Errorf("%d won, %d lost; want 1 and %d", won, lost, n-1)
		}
	})
}

// captureLog returns a logger writing to a buffer.
func captureLog() (*slog.Logger, *bytes.Buffer) {
	var buf bytes.Buffer
	return slog.New(slog.NewTextHandler(&syncWriter{w: &buf}, nil)), &buf
}

type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
