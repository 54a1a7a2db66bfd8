package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // the tests must not depend on the host's zoneinfo

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/store"
)

// Small in-memory stand-ins for the calendar and the notifier, whose real
// adapters (caldav, notify) are tested on their own, and the real SQLite
// store in a temporary directory.

// fakeCalendar keeps booking events in memory; an active event is busy time.
type fakeCalendar struct {
	mu        sync.Mutex
	events    map[string]fakeEvent // by href
	busy      []booking.Interval   // other busy time
	busyErr   error                // returned by Busy when set
	busyCalls int
	creates   int
	updates   int
}

type fakeEvent struct {
	id, typ    string
	start, end time.Time
	status     booking.Status
	seq        int
	etag       int
}

func newFakeCalendar() *fakeCalendar { return &fakeCalendar{events: map[string]fakeEvent{}} }

func (c *fakeCalendar) Busy(_ context.Context, from, to time.Time) ([]booking.BusyInterval, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.busyCalls++
	if c.busyErr != nil {
		return nil, c.busyErr
	}
	window := booking.Interval{Start: from, End: to}
	var out []booking.BusyInterval
	for _, i := range c.busy {
		if i.Overlaps(window) {
			out = append(out, booking.BusyInterval{Interval: i})
		}
	}
	for _, e := range c.events {
		if i := (booking.Interval{Start: e.start, End: e.end}); e.status.Active() && i.Overlaps(window) {
			out = append(out, booking.BusyInterval{Interval: i, Booking: e.id, Type: e.typ})
		}
	}
	return out, nil
}

func (c *fakeCalendar) Href(id string) string { return "/calendars/demo/bookings/" + id + ".ics" }

func (c *fakeCalendar) Create(_ context.Context, a booking.Appointment) (booking.EventRef, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.creates++
	href := c.Href(a.Booking.ID)
	if _, ok := c.events[href]; ok {
		return booking.EventRef{}, booking.Errorf(booking.EConflict, "event exists")
	}
	c.events[href] = fakeEvent{id: a.Booking.ID, typ: a.Booking.TypeID, start: a.Booking.Start, end: a.Booking.End,
		status: eventStatus(a.Booking.Status), seq: a.Booking.Sequence, etag: 1}
	return booking.EventRef{Href: href, ETag: "1"}, nil
}

func (c *fakeCalendar) Update(_ context.Context, a booking.Appointment, ref booking.EventRef) (booking.EventRef, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.updates++
	e, ok := c.events[ref.Href]
	if !ok || strconv.Itoa(e.etag) != ref.ETag {
		return booking.EventRef{}, booking.Errorf(booking.EConflict, "event changed")
	}
	e.start, e.end, e.status, e.seq = a.Booking.Start, a.Booking.End, eventStatus(a.Booking.Status), a.Booking.Sequence
	e.etag++
	c.events[ref.Href] = e
	return booking.EventRef{Href: ref.Href, ETag: strconv.Itoa(e.etag)}, nil
}

func (c *fakeCalendar) Delete(_ context.Context, ref booking.EventRef) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.events, ref.Href)
	return nil
}

func (c *fakeCalendar) Events(_ context.Context, from, to time.Time) ([]booking.BookingEvent, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []booking.BookingEvent
	for href, e := range c.events {
		if e.start.Before(to) && from.Before(e.end) {
			out = append(out, e.event(href))
		}
	}
	return out, nil
}

func (c *fakeCalendar) Event(_ context.Context, href string) (booking.BookingEvent, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.events[href]
	if !ok {
		return booking.BookingEvent{}, false, nil
	}
	return e.event(href), true, nil
}

func (e fakeEvent) event(href string) booking.BookingEvent {
	return booking.BookingEvent{Ref: booking.EventRef{Href: href, ETag: strconv.Itoa(e.etag)}, Booking: e.id, Type: e.typ,
		Start: e.start, End: e.end, Status: e.status, Sequence: e.seq}
}

// eventStatus is the status an event shows for a booking's status.
func eventStatus(s booking.Status) booking.Status {
	if s == booking.StatusExpired {
		return booking.StatusCancelled
	}
	return s
}

func (c *fakeCalendar) eventCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.events)
}

func (c *fakeCalendar) setBusyErr(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.busyErr = err
}

// fakeStore is the real SQLite store in a temporary directory, counting the
// bookings recorded and failing them on demand.
type fakeStore struct {
	*store.SQLite
	mu        sync.Mutex
	createErr error // returned by Record for a new booking when set
	creates   int
}

func newFakeStore(t *testing.T) *fakeStore {
	t.Helper()
	db, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "rdv.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &fakeStore{SQLite: db}
}

func (s *fakeStore) Record(ctx context.Context, c booking.Change) error {
	s.mu.Lock()
	if c.Create {
		s.creates++
		if s.createErr != nil {
			err := s.createErr
			s.mu.Unlock()
			return err
		}
	}
	s.mu.Unlock()
	return s.SQLite.Record(ctx, c)
}

func (s *fakeStore) count() int {
	bs, err := s.BookingsBetween(context.Background(), "demo", time.Time{}, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		panic(err)
	}
	return len(bs)
}

func (s *fakeStore) status(token string) booking.Status {
	b, err := s.BookingByTokenHash(context.Background(), booking.HashToken(token))
	if err != nil {
		return ""
	}
	return b.Status
}

// fakeNotifier records the kinds of notifications it is handed.
type fakeNotifier struct {
	mu    sync.Mutex
	kinds []string
}

func (n *fakeNotifier) Notify(_ context.Context, no booking.Notification) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.kinds = append(n.kinds, no.Kind)
	return nil
}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// The fixture: one practitioner in Paris, open weekdays 09:00–12:00 and
// 14:00–17:00, offering a 20-minute consultation and a 30-minute follow-up
// that the patient must confirm. Now is Monday 30 November 2026, 08:00 in
// Paris.
var (
	paris   = mustZone("Europe/Paris")
	newYork = mustZone("America/New_York")
	testNow = time.Date(2026, 11, 30, 8, 0, 0, 0, paris)
)

const (
	baseURL      = "https://rdv.example.org"
	patientName  = "Marie Curie"
	patientEmail = "marie.curie@example.org"
	patientPhone = "+33 6 12 34 56 78"
)

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

func demoPractitioner() booking.Practitioner {
	p := booking.Practitioner{
		ID:       "demo",
		Name:     "Dr Anne Martin",
		Location: paris,
		Types: []booking.AppointmentType{
			{ID: "consultation", Name: "Consultation", Duration: 20 * time.Minute},
			{ID: "suivi", Name: "Suivi", Duration: 30 * time.Minute, Location: "12 rue des Lilas, Lyon", RequireConfirmation: true},
		},
	}
	open := []booking.ClockRange{{Start: 9 * 60, End: 12 * 60}, {Start: 14 * 60, End: 17 * 60}}
	for d := time.Monday; d <= time.Friday; d++ {
		p.Schedule.Weekly.Set(d, open...)
	}
	return p
}

// env is a Server on a real booking.Service with the fakes above.
type env struct {
	t     *testing.T
	srv   *Server
	svc   *booking.Service
	cal   *fakeCalendar
	store *fakeStore
	notes *fakeNotifier
	logs  *syncBuffer
	ready func(context.Context) error
	pages []string // bodies of the HTML responses
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, cal: newFakeCalendar(), store: newFakeStore(t), notes: &fakeNotifier{}, logs: &syncBuffer{}}
	log := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	now := func() time.Time { return testNow }
	e.svc = booking.NewService(booking.ServiceConfig{Store: e.store, Notifier: e.notes, Now: now, Logger: log})
	if err := e.svc.AddPractitioner(demoPractitioner(), e.cal); err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{
		Service: e.svc,
		BaseURL: baseURL,
		Logger:  log,
		Now:     now,
		Ready:   func(ctx context.Context) error { return e.ready(ctx) },
	})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = srv
	e.ready = func(context.Context) error { return nil }
	t.Cleanup(e.checkPrivacy)
	return e
}

// checkPrivacy checks what must hold after any test: no patient data in the
// logs, no script and nothing from another site in the pages.
func (e *env) checkPrivacy() {
	logs := e.logs.String()
	for _, secret := range []string{patientName, patientEmail, patientPhone, "Curie", "marie"} {
		if strings.Contains(logs, secret) {
			e.t.Errorf("logs contain patient data %q:\n%s", secret, logs)
		}
	}
	for _, page := range e.pages {
		low := strings.ToLower(page)
		if strings.Contains(low, "http://") || strings.Contains(low, "https://") {
			e.t.Errorf("page refers to an absolute URL:\n%s", page)
		}
		if strings.Contains(low, "<script") {
			e.t.Errorf("page has a script:\n%s", page)
		}
	}
}

// do sends a request; headers are name, value pairs.
func (e *env) do(method, target string, body io.Reader, headers ...string) *httptest.ResponseRecorder {
	e.t.Helper()
	r := httptest.NewRequest(method, target, body)
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	e.srv.ServeHTTP(w, r)
	// Only /docs, the API reference, may load its viewer from a CDN.
	if strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") && r.URL.Path != "/docs" {
		e.pages = append(e.pages, w.Body.String())
	}
	return w
}

func (e *env) postJSON(target, body string, headers ...string) *httptest.ResponseRecorder {
	e.t.Helper()
	return e.do(http.MethodPost, target, strings.NewReader(body), append([]string{"Content-Type", "application/json"}, headers...)...)
}

// decode decodes a JSON response into a map.
func decode(t *testing.T, w *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		t.Fatalf("response is not a JSON object: %v\n%s", err, w.Body)
	}
	return m
}

// wantProblem checks that w is an RFC 9457 problem with this status whose
// detail contains detail, and returns the detail.
func wantProblem(t *testing.T, w *httptest.ResponseRecorder, status int, detail string) string {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status = %d, want %d; body: %s", w.Code, status, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type = %q, want application/problem+json", ct)
	}
	m := decode(t, w)
	if got, _ := m["status"].(float64); int(got) != status {
		t.Errorf("problem status = %v, want %d", m["status"], status)
	}
	if m["title"] != http.StatusText(status) {
		t.Errorf("problem title = %v, want %q", m["title"], http.StatusText(status))
	}
	d, _ := m["detail"].(string)
	if d == "" || !strings.Contains(d, detail) {
		t.Errorf("problem detail = %q, want it to contain %q", d, detail)
	}
	return d
}

// bookingBody is a valid request to book the slot starting at start.
func bookingBody(typ, start string) string {
	return `{"practitioner":"demo","type":"` + typ + `","start":"` + start + `",` +
		`"patient":{"name":"` + patientName + `","email":"` + patientEmail + `","phone":"` + patientPhone + `"}}`
}
