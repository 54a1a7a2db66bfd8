package main

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/api"
	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/caldav"
	"github.com/rdvlibre/rdv/davserver"
	"github.com/rdvlibre/rdv/internal/bookingtest"
	"github.com/rdvlibre/rdv/store"
)

// The lifecycle and integrity tests run the booking service on real
// things in this process: the embedded CalDAV server (davserver.FileBackend
// behind davserver.NewHandler, on httptest), the caldav client, SQLite in a
// temporary directory and the HTTP API; the calendar and the store are
// wrapped so that faults can be injected at each step, and the clock is
// the test's.

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// The fixture: Dr Anne Martin in Paris, open every day 08:00–18:00; now is
// Monday 30 November 2026, 08:00.
var (
	parisLoc = mustZone("Europe/Paris")
	t0       = time.Date(2026, 11, 30, 8, 0, 0, 0, parisLoc)
)

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// day returns the instant at hh:mm, d days after 30 November 2026, in Paris.
func day(d, hh, mm int) time.Time {
	return time.Date(2026, 11, 30+d, hh, mm, 0, 0, parisLoc)
}

const contact = "01 23 45 67 89"

func testPractitioner() booking.Practitioner {
	p := booking.Practitioner{
		ID: "demo", Name: "Dr Anne Martin", Email: "anne.martin@example.org", Location: parisLoc,
		Contact: contact,
		Types: []booking.AppointmentType{
			{ID: "consultation", Name: "Consultation", Duration: 20 * time.Minute, Step: 10 * time.Minute},
			{ID: "suivi", Name: "Suivi", Duration: 30 * time.Minute, Step: 10 * time.Minute,
				RequireConfirmation: true, ConfirmWithin: time.Hour},
			{ID: "atelier", Name: "Atelier", Duration: time.Hour, Capacity: 3},
			{ID: "visite", Name: "Visite", Duration: 20 * time.Minute, CancelCutoff: 24 * time.Hour},
		},
	}
	p.Schedule.OpenOnHolidays = true
	for d := time.Sunday; d <= time.Saturday; d++ {
		p.Schedule.Weekly.Set(d, booking.ClockRange{Start: 8 * 60, End: 18 * 60})
	}
	return p
}

// harness is the booking service on real servers.
type harness struct {
	t       *testing.T
	clock   *clock
	backend *davserver.FileBackend
	cal     *caldav.Calendar // the real calendar, for checks
	fcal    *faultCalendar   // what the service uses
	db      *store.SQLite
	fstore  *faultStore
	notes   *noteRecorder
	svc     *booking.Service
	api     *httptest.Server
	secret  []byte
	dbPath  string
	locker  booking.Locker // shared with the replicas a test makes
	davURL  string         // the embedded CalDAV server, for the practitioner's own requests
	davReqs *requestCounter
}

// requestCounter counts the requests an HTTP handler serves, by method.
type requestCounter struct {
	http.Handler
	mu     sync.Mutex
	counts map[string]int
}

func (c *requestCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	if c.counts == nil {
		c.counts = map[string]int{}
	}
	c.counts[r.Method]++
	c.mu.Unlock()
	c.Handler.ServeHTTP(w, r)
}

// take returns the counts since the last call, and resets them.
func (c *requestCounter) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.counts
	c.counts = nil
	if out == nil {
		out = map[string]int{}
	}
	return out
}

type harnessOptions struct {
	deleteCancelled bool
	notifier        func(now func() time.Time) booking.Notifier // default: a noteRecorder
	locker          booking.Locker
}

func newHarness(t *testing.T, opts harnessOptions) *harness {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	h := &harness{t: t, clock: &clock{t: t0}, notes: &noteRecorder{}, secret: []byte("0123456789abcdef0123456789abcdef")}
	var err error
	if h.backend, err = davserver.NewFileBackend(filepath.Join(dir, "dav"), "demo"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.backend.EnsureCalendar("demo", "Rendez-vous"); err != nil {
		t.Fatal(err)
	}
	h.davReqs = &requestCounter{Handler: davserver.NewHandler(h.backend, "/dav/")}
	dav := httptest.NewServer(h.davReqs)
	t.Cleanup(dav.Close)
	h.davURL = dav.URL
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	h.cal, err = caldav.New(ctx, caldav.Config{
		URL: dav.URL + "/dav/calendars/demo/demo/", BookingsCalendar: "demo",
		Location: parisLoc, Timeout: 10 * time.Second, Logger: quiet,
	})
	if err != nil {
		t.Fatal(err)
	}
	h.fcal = &faultCalendar{Calendar: h.cal}
	h.dbPath = filepath.Join(dir, "rdv.db")
	if h.db, err = store.OpenSQLite(ctx, h.dbPath); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.db.Close() })
	h.fstore = &faultStore{Store: h.db}
	h.locker = opts.locker
	if h.locker == nil {
		h.locker = &booking.MutexLocker{}
	}
	var notifier booking.Notifier = h.notes
	if opts.notifier != nil {
		notifier = opts.notifier(h.clock.Now)
	}
	h.svc = mustNewService(t, booking.ServiceConfig{
		Store: h.fstore, Notifier: notifier, Locker: h.locker, Now: h.clock.Now, Logger: quiet,
		Secret: h.secret, DeleteCancelled: opts.deleteCancelled,
	})
	if err := h.svc.AddPractitioner(testPractitioner(), h.fcal); err != nil {
		t.Fatal(err)
	}
	web, err := api.New(api.Config{Service: h.svc, BaseURL: "http://rdv.test", Logger: quiet, Now: h.clock.Now, NoRateLimits: true})
	if err != nil {
		t.Fatal(err)
	}
	h.api = httptest.NewServer(web)
	t.Cleanup(h.api.Close)
	return h
}

// book books a slot for patient i and fails the test on error.
func (h *harness) book(typ string, start time.Time, i int) (*booking.Booking, string) {
	h.t.Helper()
	b, token, err := h.svc.Book(context.Background(), bookRequest(typ, start, i))
	if err != nil {
		h.t.Fatalf("book %s at %s: %v", typ, start.Format(time.RFC3339), err)
	}
	return b, token
}

func bookRequest(typ string, start time.Time, i int) booking.BookRequest {
	return booking.BookRequest{PractitionerID: "demo", TypeID: typ, Start: start, Patient: booking.Patient{
		Name: bookingtest.PatientName(i), Email: "patient" + itoa(i) + "@example.org"}}
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

// row returns the ledger row of booking id.
func (h *harness) row(id string) *booking.Booking {
	h.t.Helper()
	b, err := h.db.Booking(context.Background(), id)
	if err != nil {
		h.t.Fatalf("ledger row %s: %v", id, err)
	}
	return b
}

// event returns the calendar event of booking id, read from the server.
func (h *harness) event(id string) (booking.BookingEvent, bool) {
	h.t.Helper()
	ev, found, err := h.cal.Event(context.Background(), h.cal.Href(id))
	if err != nil {
		h.t.Fatalf("event %s: %v", id, err)
	}
	return ev, found
}

// objects returns the ETag of every object of the bookings calendar, by
// href, read from the server.
func (h *harness) objects() map[string]string {
	h.t.Helper()
	events, err := h.cal.Events(context.Background(), farPast, farFuture)
	if err != nil {
		h.t.Fatal(err)
	}
	out := map[string]string{}
	for _, ev := range events {
		out[ev.Ref.Href] = ev.Ref.ETag
	}
	return out
}

var (
	farPast   = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	farFuture = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
)

// checkAgree fails unless ledger and calendar agree, booking by booking,
// and no two active bookings overlap in the calendar (but those of a group
// session, which share their slot up to its capacity).
func (h *harness) checkAgree() {
	h.t.Helper()
	ctx := context.Background()
	rows, err := h.db.BookingsBetween(ctx, "demo", farPast, farFuture)
	if err != nil {
		h.t.Fatal(err)
	}
	events, err := h.cal.Events(ctx, farPast, farFuture)
	if err != nil {
		h.t.Fatal(err)
	}
	evs := map[string]booking.BookingEvent{}
	for _, ev := range events {
		evs[ev.Booking] = ev
	}
	rowOf := map[string]*booking.Booking{}
	for _, b := range rows {
		rowOf[b.ID] = b
		ev, found := evs[b.ID]
		switch b.Status {
		case booking.StatusPending, booking.StatusConfirmed:
			if !found || ev.Status != b.Status || !ev.Start.Equal(b.Start) || !ev.End.Equal(b.End) {
				h.t.Errorf("active booking %s (%s %s) but event %+v (found %v)", b.ID, b.Status, b.Start, ev, found)
			}
		default:
			if found && ev.Status != booking.StatusCancelled {
				h.t.Errorf("%s booking %s but active event %+v", b.Status, b.ID, ev)
			}
		}
	}
	// By type id and by the CalendarRef that the events of a private
	// type carry.
	capacity := map[string]int{}
	p, err := h.svc.Practitioner("demo")
	if err != nil {
		h.t.Fatal(err)
	}
	for _, typ := range p.Types {
		capacity[typ.ID] = max(typ.Capacity, 1)
		if typ.CalendarRef != "" {
			capacity[typ.CalendarRef] = capacity[typ.ID]
		}
	}
	var active []booking.BookingEvent
	for _, ev := range events {
		if rowOf[ev.Booking] == nil {
			h.t.Errorf("event %s without ledger row", ev.Booking)
		}
		if ev.Status == booking.StatusCancelled {
			continue
		}
		for _, o := range active {
			iv, jv := booking.Interval{Start: ev.Start, End: ev.End}, booking.Interval{Start: o.Start, End: o.End}
			shared := ev.Type == o.Type && capacity[ev.Type] > 1 && ev.Start.Equal(o.Start) && ev.End.Equal(o.End)
			if iv.Overlaps(jv) && !shared {
				h.t.Errorf("active bookings %s and %s overlap in the calendar", ev.Booking, o.Booking)
			}
		}
		active = append(active, ev)
	}
}

// noteRecorder is a Notifier that keeps what it is given and can be made to
// fail.
type noteRecorder struct {
	mu   sync.Mutex
	sent []booking.Notification
	fail error
}

func (r *noteRecorder) Notify(_ context.Context, n booking.Notification) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	b := *n.Appointment.Booking
	n.Appointment.Booking = &b
	r.sent = append(r.sent, n)
	return nil
}

// kinds returns the kinds of the notifications about booking id.
func (r *noteRecorder) kinds(id string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, n := range r.sent {
		if n.Appointment.Booking.ID == id {
			out = append(out, n.Kind)
		}
	}
	return out
}

func (r *noteRecorder) last(id string) booking.Notification {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.sent) - 1; i >= 0; i-- {
		if r.sent[i].Appointment.Booking.ID == id {
			return r.sent[i]
		}
	}
	return booking.Notification{}
}

var errInjected = booking.WrapError(booking.EUnavailable, errors.New("injected fault"), "injected fault")

// faultCalendar is the real calendar with faults injected on demand: the
// next calls of an operation fail before reaching the server, or after (the
// write lands, its answer is lost).
type faultCalendar struct {
	booking.Calendar
	mu     sync.Mutex
	before map[string]int // op → calls to fail before the server
	after  map[string]int // op → writes whose answer is lost
	pass   map[string]int // op → calls to let through before the faults apply
}

// failLater lets the next pass calls of op through, then fails one before
// it reaches the server.
func (f *faultCalendar) failLater(op string, pass int) {
	f.mu.Lock()
	if f.pass == nil {
		f.pass = map[string]int{}
	}
	f.pass[op] = pass
	f.mu.Unlock()
	f.failBefore(op, 1)
}

// failBefore makes the next n calls of op fail without reaching the server.
func (f *faultCalendar) failBefore(op string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.before == nil {
		f.before = map[string]int{}
	}
	f.before[op] = n
}

// failAfter makes the next n calls of op reach the server, then fail.
func (f *faultCalendar) failAfter(op string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.after == nil {
		f.after = map[string]int{}
	}
	f.after[op] = n
}

// failsBefore reports whether this call of op fails before the server.
func (f *faultCalendar) failsBefore(op string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.before[op] == 0 {
		return false
	}
	if f.pass[op] > 0 {
		f.pass[op]--
		return false
	}
	f.before[op]--
	return true
}

// failsAfter reports whether this call of op, which reached the server,
// loses its answer.
func (f *faultCalendar) failsAfter(op string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.after[op] > 0 {
		f.after[op]--
		return true
	}
	return false
}

func (f *faultCalendar) Busy(ctx context.Context, from, to time.Time) ([]booking.BusyInterval, error) {
	if f.failsBefore("busy") {
		return nil, errInjected
	}
	return f.Calendar.Busy(ctx, from, to)
}

func (f *faultCalendar) Create(ctx context.Context, a booking.Appointment) (booking.EventRef, error) {
	if f.failsBefore("create") {
		return booking.EventRef{}, errInjected
	}
	ref, err := f.Calendar.Create(ctx, a)
	if err == nil && f.failsAfter("create") {
		return booking.EventRef{}, errInjected
	}
	return ref, err
}

func (f *faultCalendar) Update(ctx context.Context, a booking.Appointment, ref booking.EventRef) (booking.EventRef, error) {
	if f.failsBefore("update") {
		return booking.EventRef{}, errInjected
	}
	nref, err := f.Calendar.Update(ctx, a, ref)
	if err == nil && f.failsAfter("update") {
		return booking.EventRef{}, errInjected
	}
	return nref, err
}

func (f *faultCalendar) Delete(ctx context.Context, ref booking.EventRef) error {
	if f.failsBefore("delete") {
		return errInjected
	}
	err := f.Calendar.Delete(ctx, ref)
	if err == nil && f.failsAfter("delete") {
		return errInjected
	}
	return err
}

// faultStore is the real store with faults injected on demand in Record:
// "create" for a new booking, "update" for a change.
type faultStore struct {
	booking.Store
	mu      sync.Mutex
	fail    map[string]int
	records int // calls of Record
}

func (f *faultStore) failNext(op string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail == nil {
		f.fail = map[string]int{}
	}
	f.fail[op] = n
}

func (f *faultStore) Record(ctx context.Context, c booking.Change) error {
	op := "update"
	if c.Create {
		op = "create"
	}
	f.mu.Lock()
	f.records++
	failing := f.fail[op] > 0
	if failing {
		f.fail[op]--
	}
	f.mu.Unlock()
	if failing {
		return booking.WrapError(booking.EUnavailable, errors.New("injected fault"), "store: injected fault")
	}
	return f.Store.Record(ctx, c)
}

// io_Copy copies a response body into sb.
func io_Copy(sb *strings.Builder, resp *http.Response) (int64, error) { return io.Copy(sb, resp.Body) }

// dbQuery runs a query on a separate read-only connection to the ledger.
func (h *harness) dbQuery(q string, args ...any) *sql.Row {
	h.t.Helper()
	db, err := sql.Open("sqlite", "file:"+h.dbPath+"?mode=ro")
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { db.Close() })
	return db.QueryRow(q, args...)
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// recordCount returns how many times Record was called.
func (f *faultStore) recordCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.records
}
