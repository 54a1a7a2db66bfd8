package api

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the tests must not depend on the host's zoneinfo

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/internal/bookingtest"
)

// The calendar, the store and the notifier are the shared in-memory doubles
// of internal/bookingtest; the real adapters (caldav, store, notify) are
// tested on their own.

func newFakeCalendar() *bookingtest.Calendar { return bookingtest.NewCalendar() }

// setBusyErr makes every Busy of c fail with err.
func setBusyErr(c *bookingtest.Calendar, err error) {
	c.FailBefore(bookingtest.OpBusy, bookingtest.Always, err)
}

// fakeStore is the in-memory store, with the counts the tests read.
type fakeStore struct {
	*bookingtest.Store
}

func newFakeStore(testing.TB) *fakeStore { return &fakeStore{bookingtest.NewStore()} }

func (s *fakeStore) count() int { return len(s.Bookings()) }

func (s *fakeStore) status(token string) booking.Status {
	b, err := s.BookingByTokenHash(context.Background(), booking.HashToken(token))
	if err != nil {
		return ""
	}
	return b.Status
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
	t     testing.TB
	srv   *Server
	svc   *booking.Service
	cal   *bookingtest.Calendar
	store *fakeStore
	notes *bookingtest.Notifier
	logs  *bookingtest.LogBuffer
	ready func(context.Context) error
	pages []string // bodies of the HTML responses
}

func newEnv(t testing.TB) *env {
	t.Helper()
	return newEnvConfig(t, nil)
}

// newEnvConfig is newEnv with the server's configuration changed by change,
// if not nil.
func newEnvConfig(t testing.TB, change func(*Config)) *env {
	t.Helper()
	e := &env{t: t, cal: newFakeCalendar(), store: newFakeStore(t), notes: &bookingtest.Notifier{}, logs: &bookingtest.LogBuffer{}}
	log := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	now := func() time.Time { return testNow }
	e.svc = mustNewService(t, booking.ServiceConfig{Store: e.store, Notifier: e.notes, Now: now, Logger: log})
	if err := e.svc.AddPractitioner(demoPractitioner(), e.cal); err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		Service: e.svc,
		BaseURL: baseURL,
		Logger:  log,
		Now:     now,
		Ready:   func(ctx context.Context) error { return e.ready(ctx) },
		// Every request of these tests comes from one address; the rate
		// limits have their own tests (ratelimit_test.go).
		NoRateLimits: true,
	}
	if change != nil {
		change(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.srv = srv
	e.ready = func(context.Context) error { return nil }
	t.Cleanup(e.checkPrivacy)
	return e
}

// loadsFromElsewhere matches what makes a page load or send something to
// an absolute URL: src, srcset, data and form actions, link elements, CSS
// url() and @import.
var loadsFromElsewhere = regexp.MustCompile(`(?:\s(?:src|srcset|data|action|formaction|poster)\s*=\s*["']?\s*(?:https?:)?//)|<link[^>]*href\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?\s*(?:https?:)?//|@import`)

// checkPrivacy checks what must hold after any test: no patient data in the
// logs, nothing from another site in the pages, and no script but the
// site's own challenge.js.
func (e *env) checkPrivacy() {
	logs := e.logs.String()
	for _, secret := range []string{patientName, patientEmail, patientPhone, "Curie", "marie"} {
		if strings.Contains(logs, secret) {
			e.t.Errorf("logs contain patient data %q:\n%s", secret, logs)
		}
	}
	for _, page := range e.pages {
		low := strings.ToLower(page)
		// Links may lead elsewhere (the practice's legal pages, a map);
		// nothing the page loads may come from elsewhere.
		if loadsFromElsewhere.MatchString(low) {
			e.t.Errorf("page loads something from another site:\n%s", page)
		}
		if strings.Count(low, "<script") != strings.Count(page, `<script src="`+staticPath(e.t, "challenge.js")+`" defer></script>`) {
			e.t.Errorf("page has a script other than challenge.js:\n%s", page)
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
	if strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") && w.Header().Get("Content-Encoding") == "" {
		e.pages = append(e.pages, w.Body.String())
	}
	return w
}

func (e *env) postJSON(target, body string, headers ...string) *httptest.ResponseRecorder {
	e.t.Helper()
	return e.do(http.MethodPost, target, strings.NewReader(body), append([]string{"Content-Type", "application/json"}, headers...)...)
}

// decode decodes a JSON response into a map.
func decode(t testing.TB, w *httptest.ResponseRecorder) map[string]any {
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

// mustNewService is booking.NewService, failing tb on error.
//
// Without Limits set, it turns the limits off: these tests book many times
// for one patient or practitioner; the limits have their own tests. It
// delivers inline.
func mustNewService(tb testing.TB, cfg booking.ServiceConfig) *booking.Service {
	tb.Helper()
	if cfg.Limits == (booking.Limits{}) {
		cfg.Limits = booking.NoLimits()
	}
	cfg.InlineDelivery = true // the tests read what was sent right after a call
	svc, err := booking.NewService(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return svc
}

// metricsText returns the server's metrics, as a listener of the host's
// own serves them.
func (e *env) metricsText() string {
	w := httptest.NewRecorder()
	e.srv.MetricsHandler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	return w.Body.String()
}
