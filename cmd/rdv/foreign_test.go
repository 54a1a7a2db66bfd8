package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/caldav"
	"github.com/rdvlibre/rdv/davserver"
	"github.com/rdvlibre/rdv/ics"
	"github.com/rdvlibre/rdv/internal/bookingtest"
	"github.com/rdvlibre/rdv/internal/testservers"
	"github.com/rdvlibre/rdv/store"
)

// Booking events that another install wrote (or this one, before its store
// was lost) are the practitioner's data: rdv, started on an empty store,
// runs its reconciliation, a sync pass and every job, and leaves each of
// them byte for byte and ETag for ETag as it was; their times stay busy.
// On the embedded server, Radicale and sabre/dav, each with SQLite and
// PostgreSQL.

// davServer is a CalDAV server as the practitioner's calendar client
// reaches it: the calendar rdv is pointed at, and plain requests.
type davServer struct {
	cfg  caldav.Config // URL, credentials, bookings calendar
	base string        // scheme and host
	cal  string        // path of the bookings calendar, ending in "/"
	user string
	pass string
}

func (s davServer) do(t *testing.T, method, path string, body []byte) (int, []byte, string) {
	t.Helper()
	req, err := http.NewRequest(method, s.base+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if s.user != "" {
		req.SetBasicAuth(s.user, s.pass)
	}
	if body != nil {
		req.Header.Set("Content-Type", "text/calendar; charset=utf-8")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data, resp.Header.Get("ETag")
}

func embeddedDAV(t *testing.T) davServer {
	b, err := davserver.NewFileBackend(filepath.Join(t.TempDir(), "dav"), "demo")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.EnsureCalendar("bookings", "Rendez-vous"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(davserver.NewHandler(b, "/dav/"))
	t.Cleanup(srv.Close)
	return davServer{cfg: caldav.Config{URL: srv.URL + "/dav/calendars/demo/bookings/"}, base: srv.URL, cal: "/dav/calendars/demo/bookings/"}
}

func radicaleDAV(t *testing.T) davServer {
	r := testservers.StartRadicale(t)
	r.MkCalendar(t, "rdv-bookings", "Rendez-vous")
	return davServer{
		cfg:  caldav.Config{URL: r.URL, Username: r.User, Password: r.Password, BookingsCalendar: "Rendez-vous"},
		base: strings.TrimSuffix(r.URL, "/"), cal: r.CalendarPath("rdv-bookings"), user: r.User, pass: r.Password,
	}
}

func sabreDAV(t *testing.T) davServer {
	s := testservers.StartSabreDAV(t)
	s.MkCalendar(t, "rdv-bookings", "Rendez-vous")
	return davServer{
		cfg:  caldav.Config{URL: s.URL, Username: s.User, Password: s.Password, BookingsCalendar: "Rendez-vous"},
		base: strings.TrimSuffix(s.URL, "/"), cal: s.CalendarPath("rdv-bookings"), user: s.User, pass: s.Password,
	}
}

// foreignEvent is a booking event of another install, as the test wrote it.
type foreignEvent struct {
	id         string
	typ        string
	start, end time.Time
	status     booking.Status
	busy       bool // whether its time must stay busy
	inWindow   bool // within the window rdv looks at
}

func TestForeignBookingEventsUntouched(t *testing.T) {
	servers := []struct {
		name  string
		start func(*testing.T) davServer
	}{{"embedded", embeddedDAV}, {"radicale", radicaleDAV}, {"sabredav", sabreDAV}}
	stores := []struct {
		name string
		open func(*testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "rdv.db") }},
		{"postgres", func(t *testing.T) string { return testservers.StartPostgres(t) }},
	}
	for _, srv := range servers {
		for _, st := range stores {
			t.Run(srv.name+"/"+st.name, func(t *testing.T) {
				testForeignEvents(t, srv.start(t), st.open(t))
			})
		}
	}
}

func testForeignEvents(t *testing.T, dav davServer, storeAddr string) {
	ctx := context.Background()
	paris := mustZone("Europe/Paris")
	now := time.Now().In(paris)
	at := func(days, hh, mm int) time.Time {
		d := now.AddDate(0, 0, days)
		return time.Date(d.Year(), d.Month(), d.Day(), hh, mm, 0, 0, paris)
	}
	p := foreignPractitioner(paris)

	// The calendar as another install left it, with the practitioner's own
	// events around.
	past := now.Add(-2 * time.Hour).Truncate(time.Minute)
	evs := []foreignEvent{
		{typ: "consultation", start: at(1, 10, 0), status: booking.StatusConfirmed, busy: true, inWindow: true},
		{typ: "consultation", start: at(1, 11, 0), status: booking.StatusPending, busy: true, inWindow: true},
		{typ: "consultation", start: at(1, 14, 0), status: booking.StatusCancelled, inWindow: true},
		{typ: "consultation", start: at(3, 9, 0), status: booking.StatusConfirmed, busy: true, inWindow: true},
		{typ: "ancien-motif", start: at(2, 16, 0), status: booking.StatusConfirmed, busy: true, inWindow: true},
		{typ: "consultation", start: past, status: booking.StatusConfirmed, inWindow: true},
		{typ: "consultation", start: at(-10, 9, 0), status: booking.StatusConfirmed},
		{typ: "consultation", start: at(20, 15, 0), status: booking.StatusPending, busy: true, inWindow: true},
	}
	objects := map[string][]byte{} // object name → bytes as written
	for i := range evs {
		e := &evs[i]
		e.id = uuid.NewString()
		e.end = e.start.Add(20 * time.Minute)
		b := &booking.Booking{ID: e.id, PractitionerID: p.ID, TypeID: e.typ, Start: e.start, End: e.end, Status: e.status,
			Sequence: i % 3, Patient: booking.Patient{Name: fmt.Sprintf("Patiente Étrangère %d", i),
				Email: fmt.Sprintf("foreign%d@example.org", i), Phone: "+33 6 00 00 00 0" + itoa(i)}}
		data, err := ics.Encode(ics.Appointment(booking.Appointment{Booking: b, Practitioner: &p, Type: &booking.AppointmentType{ID: e.typ, Name: "Motif"}}, "", now.Add(-time.Duration(i)*time.Hour)))
		if err != nil {
			t.Fatal(err)
		}
		objects[e.id+".ics"] = data
	}
	// A weekly staff meeting (with an exception), an all-day event, and an
	// event that carries X-RDV-BOOKING but another UID: not rdv-shaped.
	objects["staff.ics"] = []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:staff-weekly\r\n" +
		"DTSTAMP:20261101T000000Z\r\nDTSTART;TZID=Europe/Paris:" + at(-14, 12, 0).Format("20060102T150405") + "\r\n" +
		"DTEND;TZID=Europe/Paris:" + at(-14, 13, 0).Format("20060102T150405") + "\r\nRRULE:FREQ=DAILY;COUNT=60\r\n" +
		"EXDATE;TZID=Europe/Paris:" + at(2, 12, 0).Format("20060102T150405") + "\r\nSUMMARY:Staff\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
	objects["congress.ics"] = []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:congress\r\n" +
		"DTSTAMP:20261101T000000Z\r\nDTSTART;VALUE=DATE:" + at(4, 0, 0).Format("20060102") + "\r\n" +
		"DTEND;VALUE=DATE:" + at(5, 0, 0).Format("20060102") + "\r\nSUMMARY:Congrès\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
	objects["lookalike.ics"] = []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:lookalike\r\n" +
		"DTSTAMP:20261101T000000Z\r\nDTSTART;TZID=Europe/Paris:" + at(3, 15, 0).Format("20060102T150405") + "\r\n" +
		"DTEND;TZID=Europe/Paris:" + at(3, 15, 20).Format("20060102T150405") + "\r\nX-RDV-BOOKING:" + uuid.NewString() +
		"\r\nSUMMARY:Rappel\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
	names := make([]string, 0, len(objects))
	for name, data := range objects {
		if st, body, _ := dav.do(t, http.MethodPut, dav.cal+name, data); st/100 != 2 {
			t.Fatalf("PUT %s: %d %s", name, st, body)
		}
		names = append(names, name)
	}
	slices.Sort(names)
	type snapshot struct {
		data []byte
		etag string
	}
	read := func() map[string]snapshot {
		out := map[string]snapshot{}
		for _, name := range names {
			st, data, etag := dav.do(t, http.MethodGet, dav.cal+name, nil)
			if st != http.StatusOK {
				t.Fatalf("GET %s: %d", name, st)
			}
			out[name] = snapshot{data, etag}
		}
		return out
	}
	before := read()

	// rdv on an empty store.
	var logs bookingtest.LogBuffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	cfg := dav.cfg
	cfg.Location, cfg.Logger, cfg.Timeout = paris, logger, 10*time.Second
	cal, err := caldav.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, storeAddr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	notes := &noteRecorder{}
	svc := mustNewService(t, booking.ServiceConfig{Store: db, Notifier: notes, Logger: logger,
		Secret: []byte("0123456789abcdef0123456789abcdef"), IntentGrace: time.Nanosecond})
	if err := svc.AddPractitioner(p, cal); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Reconcile(ctx); err != nil {
		t.Fatalf("reconcile: %v", err)
	}
	if _, err := svc.Sync(ctx); err != nil {
		t.Fatalf("sync: %v", err)
	}
	if _, err := svc.ExpirePending(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SettleIntents(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Dispatch(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CheckSync(ctx); err != nil {
		t.Fatal(err)
	}

	// Their times are busy; a cancelled one's and the past's are not.
	slots, err := svc.Slots(ctx, p.ID, "consultation", at(1, 0, 0), at(21, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	free := map[time.Time]bool{}
	for _, s := range slots {
		free[s.Start] = true
	}
	for _, e := range evs {
		if e.start.Before(at(1, 0, 0)) {
			continue
		}
		if free[e.start] == e.busy {
			t.Errorf("foreign %s booking at %s: free %v, want busy %v", e.status, e.start, free[e.start], e.busy)
		}
	}
	if free[at(3, 15, 0)] {
		t.Error("the lookalike event's time is free")
	}
	// Booking over one of them is refused; elsewhere it works.
	if _, _, err := svc.Book(ctx, booking.BookRequest{PractitionerID: p.ID, TypeID: "consultation", Start: evs[0].start,
		Patient: booking.Patient{Name: "Marie", Email: "marie@example.org"}}); booking.ErrorCode(err) != booking.EConflict {
		t.Errorf("booking over a foreign booking: %v, want a conflict", err)
	}
	if _, _, err := svc.Book(ctx, booking.BookRequest{PractitionerID: p.ID, TypeID: "consultation", Start: at(1, 14, 0),
		Patient: booking.Patient{Name: "Marie", Email: "marie@example.org"}}); err != nil {
		t.Errorf("booking the cancelled foreign booking's slot: %v", err)
	}
	if _, err := svc.Sync(ctx); err != nil {
		t.Fatalf("sync after a booking: %v", err)
	}

	// Every object as it was, byte for byte, ETag for ETag.
	after := read()
	for _, name := range names {
		if !bytes.Equal(after[name].data, before[name].data) || after[name].etag != before[name].etag {
			t.Errorf("%s changed: ETag %s → %s\n%s", name, before[name].etag, after[name].etag, after[name].data)
		}
	}

	// Reported, once each, without patient data; nobody emailed.
	unknown, err := svc.UnknownEvents(p.ID)
	if err != nil {
		t.Fatal(err)
	}
	var want, got []string
	for _, e := range evs {
		if e.inWindow {
			want = append(want, e.id)
		}
	}
	for _, u := range unknown {
		got = append(got, u.Event.Booking)
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("unknown events %v, want %v", got, want)
	}
	for _, u := range unknown {
		if u.Event.Booking == evs[0].id && (u.Event.Patient.Email != "foreign0@example.org" || u.Event.Patient.Name != "Patiente Étrangère 0") {
			t.Errorf("unknown event's patient read as %+v", u.Event.Patient)
		}
	}
	out := logs.String()
	for _, e := range evs {
		if n := strings.Count(out, "unknown to this install"); e.inWindow && !strings.Contains(out, "booking="+e.id) || n != len(want) {
			t.Errorf("warnings about unknown events: %d, want one each (%d); booking %s logged: %v", n, len(want), e.id, strings.Contains(out, "booking="+e.id))
			break
		}
	}
	if strings.Contains(out, "foreign") || strings.Contains(out, "Étrangère") || strings.Contains(out, "+33") {
		t.Errorf("the log holds patient data:\n%s", out)
	}
	if len(notes.sent) != 1 { // the booking made above
		t.Errorf("%d notifications, want 1 (the test's own booking)", len(notes.sent))
	}

	// Adopting them, for disaster recovery: a dry run records nothing;
	// then each row matches its event, nothing is sent, the calendar and
	// the slots stay as they were.
	dry, err := svc.Adopt(ctx, p.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(dry) != len(want) {
		t.Errorf("dry run: %d events, want %d", len(dry), len(want))
	}
	for _, a := range dry {
		if _, err := db.Booking(ctx, a.Event.Booking); booking.ErrorCode(err) != booking.ENotFound {
			t.Errorf("dry run recorded %s: %v", a.Event.Booking, err)
		}
	}
	adopted, err := svc.Adopt(ctx, p.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]booking.Adoption{}
	for _, a := range adopted {
		byID[a.Event.Booking] = a
	}
	for i, e := range evs {
		a, seen := byID[e.id]
		switch {
		case !e.inWindow:
			if seen {
				t.Errorf("adopted %s, outside the window", e.id)
			}
			continue
		case e.typ != "consultation":
			if a.Booking != nil || a.Skipped == "" {
				t.Errorf("event of an unknown type: %+v, want skipped", a)
			}
			continue
		}
		row, err := db.Booking(ctx, e.id)
		if err != nil {
			t.Errorf("adopted %s: %v", e.id, err)
			continue
		}
		if row.TypeID != e.typ || !row.Start.Equal(e.start) || !row.End.Equal(e.end) || row.Status != e.status ||
			row.Sequence != i%3 || row.Patient.Name != fmt.Sprintf("Patiente Étrangère %d", i) ||
			row.Patient.Email != fmt.Sprintf("foreign%d@example.org", i) || row.Patient.Phone != "+33 6 00 00 00 0"+itoa(i) ||
			row.TokenHash != "" || row.EventHref != a.Event.Ref.Href {
			t.Errorf("adopted row %+v, from event %+v", row, e)
		}
	}
	if left, _ := svc.UnknownEvents(p.ID); len(left) != 1 || left[0].Event.Type != "ancien-motif" {
		t.Errorf("unknown after adoption: %+v, want the event of an unknown type only", left)
	}
	slots2, err := svc.Slots(ctx, p.ID, "consultation", at(1, 0, 0), at(21, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if len(slots2) != len(slots)-1 { // the test's own booking
		t.Errorf("%d slots after adoption, %d before (one booked since)", len(slots2), len(slots))
	}
	if _, err := svc.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	after = read()
	for _, name := range names {
		if !bytes.Equal(after[name].data, before[name].data) || after[name].etag != before[name].etag {
			t.Errorf("%s changed by adoption", name)
		}
	}
	if len(notes.sent) != 1 {
		t.Errorf("%d notifications after adoption, want 1", len(notes.sent))
	}

	// A new manage link for one patient: one email, to that patient, whose
	// link opens the booking.
	if _, err := svc.ResendLink(ctx, evs[0].id); err != nil {
		t.Fatal(err)
	}
	if len(notes.sent) != 2 {
		t.Fatalf("%d notifications after resending a link, want 2", len(notes.sent))
	}
	n := notes.sent[1]
	if n.Kind != booking.NotifyLink || n.Appointment.Booking.ID != evs[0].id || n.Appointment.Booking.Patient.Email != "foreign0@example.org" {
		t.Errorf("link sent: %s about %s to %s", n.Kind, n.Appointment.Booking.ID, n.Appointment.Booking.Patient.Email)
	}
	if a, err := svc.BookingByToken(ctx, n.ManageToken); err != nil || a.Booking.ID != evs[0].id {
		t.Errorf("the new link opens %v, %v", a.Booking, err)
	}
	if _, err := svc.ResendLink(ctx, evs[2].id); booking.ErrorCode(err) != booking.EConflict {
		t.Errorf("a link for a cancelled booking: %v, want a conflict", err)
	}
}

// foreignPractitioner is open every day 08:00–18:00 and offers a
// 20-minute consultation, bookable from now.
func foreignPractitioner(loc *time.Location) booking.Practitioner {
	p := booking.Practitioner{ID: "martin", Name: "Dr Martin", Email: "martin@example.org", Location: loc,
		Types: []booking.AppointmentType{{ID: "consultation", Name: "Consultation", Duration: 20 * time.Minute, Horizon: 30 * 24 * time.Hour}}}
	p.Schedule.OpenOnHolidays = true
	for d := time.Sunday; d <= time.Saturday; d++ {
		p.Schedule.Weekly.Set(d, booking.ClockRange{Start: 8 * 60, End: 18 * 60})
	}
	return p
}
