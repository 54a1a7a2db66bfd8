package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/danielgtaylor/huma/v2"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/internal/bookingtest"
)

func TestPractitioners(t *testing.T) {
	e := newEnv(t)
	w := e.do(http.MethodGet, "/v1/practitioners", nil)
	if w.Code != http.StatusOK {
		t.Fatalf("status = %d: %s", w.Code, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	want := map[string]any{"practitioners": []any{map[string]any{
		"id": "demo", "name": "Dr Anne Martin", "timezone": "Europe/Paris",
		"appointment_types": []any{
			map[string]any{"id": "consultation", "name": "Consultation", "duration_minutes": float64(20),
				"capacity": float64(1), "cancel_cutoff_minutes": float64(0), "require_confirmation": false},
			map[string]any{"id": "suivi", "name": "Suivi", "duration_minutes": float64(30),
				"capacity": float64(1), "cancel_cutoff_minutes": float64(0), "require_confirmation": true},
		},
	}}}
	if got := decode(t, w); !reflect.DeepEqual(got, want) {
		t.Errorf("body = %v\nwant %v", got, want)
	}
}

// slotsOf returns the start and end of each slot of a slots response.
func slotsOf(t *testing.T, m map[string]any) (starts, ends []string) {
	t.Helper()
	list, ok := m["slots"].([]any)
	if !ok {
		t.Fatalf("no slots array in %v", m)
	}
	for _, s := range list {
		sm := s.(map[string]any)
		starts = append(starts, sm["start"].(string))
		ends = append(ends, sm["end"].(string))
	}
	return starts, ends
}

func TestSlots(t *testing.T) {
	tests := []struct {
		name       string
		query      url.Values
		zone       string
		n          int
		first      string
		firstEnd   string
		last       string
		wantAbsent string
	}{
		{
			name:  "dates in the practitioner's zone",
			query: url.Values{"type": {"consultation"}, "from": {"2026-12-01"}, "to": {"2026-12-02"}},
			zone:  "Europe/Paris", n: 18,
			first: "2026-12-01T09:00:00+01:00", firstEnd: "2026-12-01T09:20:00+01:00",
			last: "2026-12-01T16:40:00+01:00",
		},
		{
			name:  "dates in New York",
			query: url.Values{"type": {"consultation"}, "from": {"2026-12-01"}, "to": {"2026-12-02"}, "tz": {"America/New_York"}},
			// 1 December in New York is 06:00 on the 1st to 06:00 on the 2nd in Paris.
			zone: "America/New_York", n: 18,
			first: "2026-12-01T03:00:00-05:00", firstEnd: "2026-12-01T03:20:00-05:00",
			last: "2026-12-01T10:40:00-05:00",
		},
		{
			name:  "instants",
			query: url.Values{"type": {"consultation"}, "from": {"2026-12-01T10:00:00+01:00"}, "to": {"2026-12-01T11:00:00+01:00"}},
			zone:  "Europe/Paris", n: 3,
			first: "2026-12-01T10:00:00+01:00", firstEnd: "2026-12-01T10:20:00+01:00",
			last: "2026-12-01T10:40:00+01:00",
		},
		{
			name:  "instants written in New York",
			query: url.Values{"type": {"consultation"}, "from": {"2026-12-01T09:00:00Z"}, "to": {"2026-12-01T10:00:00Z"}, "tz": {"America/New_York"}},
			zone:  "America/New_York", n: 3,
			first: "2026-12-01T04:00:00-05:00", firstEnd: "2026-12-01T04:20:00-05:00",
			last: "2026-12-01T04:40:00-05:00",
		},
		{
			name:  "default window: today and six more days",
			query: url.Values{"type": {"suivi"}},
			zone:  "Europe/Paris", n: 5 * 12,
			first: "2026-11-30T09:00:00+01:00", firstEnd: "2026-11-30T09:30:00+01:00",
			last: "2026-12-04T16:30:00+01:00",
		},
		{
			name:  "default end: a week after a date",
			query: url.Values{"type": {"consultation"}, "from": {"2026-12-07"}},
			zone:  "Europe/Paris", n: 5 * 18,
			first: "2026-12-07T09:00:00+01:00", firstEnd: "2026-12-07T09:20:00+01:00",
			last: "2026-12-11T16:40:00+01:00",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			w := e.do(http.MethodGet, "/v1/practitioners/demo/slots?"+tt.query.Encode(), nil)
			if w.Code != http.StatusOK {
				t.Fatalf("status = %d: %s", w.Code, w.Body)
			}
			m := decode(t, w)
			if m["practitioner"] != "demo" || m["type"] != tt.query.Get("type") || m["timezone"] != tt.zone {
				t.Errorf("practitioner, type, timezone = %v, %v, %v", m["practitioner"], m["type"], m["timezone"])
			}
			starts, ends := slotsOf(t, m)
			if len(starts) != tt.n {
				t.Fatalf("%d slots, want %d: %v", len(starts), tt.n, starts)
			}
			if starts[0] != tt.first || ends[0] != tt.firstEnd || starts[len(starts)-1] != tt.last {
				t.Errorf("first = %s–%s, last = %s; want %s–%s, %s", starts[0], ends[0], starts[len(starts)-1], tt.first, tt.firstEnd, tt.last)
			}
			if len(m) != 4 {
				t.Errorf("response has fields %v, want practitioner, type, timezone, slots", m)
			}
		})
	}
}

func TestSlotsRejected(t *testing.T) {
	tests := []struct {
		name   string
		target string
		status int
		detail string
	}{
		{"unknown time zone", "/v1/practitioners/demo/slots?type=consultation&tz=Mars/Olympus_Mons", 422, "IANA"},
		{"Local is no IANA zone", "/v1/practitioners/demo/slots?type=consultation&tz=Local", 422, "IANA"},
		{"path as a zone", "/v1/practitioners/demo/slots?type=consultation&tz=../../etc/passwd", 422, "IANA"},
		{"bad date", "/v1/practitioners/demo/slots?type=consultation&from=2026-13-01", 422, "from must be a date"},
		{"bad instant", "/v1/practitioners/demo/slots?type=consultation&from=2026-12-01T09:00", 422, "RFC 3339"},
		{"bad end", "/v1/practitioners/demo/slots?type=consultation&to=demain", 422, "to must be a date"},
		{"to before from", "/v1/practitioners/demo/slots?type=consultation&from=2026-12-08&to=2026-12-01", 422, "to must be after from"},
		{"empty window", "/v1/practitioners/demo/slots?type=consultation&from=2026-12-01&to=2026-12-01", 422, "to must be after from"},
		{"window too long", "/v1/practitioners/demo/slots?type=consultation&from=2026-12-01&to=2030-12-01", 422, "too long"},
		{"missing type", "/v1/practitioners/demo/slots", 422, "type"},
		{"unknown type", "/v1/practitioners/demo/slots?type=chirurgie", 404, "no appointment type"},
		{"unknown practitioner", "/v1/practitioners/nobody/slots?type=consultation", 404, "no practitioner"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			wantProblem(t, e.do(http.MethodGet, tt.target, nil), tt.status, tt.detail)
			if e.cal.Calls(bookingtest.OpBusy) != 0 {
				t.Errorf("the calendar was read %d times", e.cal.Calls(bookingtest.OpBusy))
			}
		})
	}
}

func TestBookingLifecycle(t *testing.T) {
	e := newEnv(t)
	const start = "2026-12-01T09:00:00+01:00"
	slotsURL := "/v1/practitioners/demo/slots?type=consultation&from=2026-12-01&to=2026-12-02"
	hasSlot := func() bool {
		starts, _ := slotsOf(t, decode(t, e.do(http.MethodGet, slotsURL, nil)))
		for _, s := range starts {
			if s == start {
				return true
			}
		}
		return false
	}
	if !hasSlot() {
		t.Fatal("the slot is not free to begin with")
	}

	// Book.
	w := e.postJSON("/v1/bookings", bookingBody("consultation", start), "Idempotency-Key", "a1b2c3")
	if w.Code != http.StatusCreated {
		t.Fatalf("book: status = %d: %s", w.Code, w.Body)
	}
	created := decode(t, w)
	token, _ := created["manage_token"].(string)
	if !booking.ValidToken(token) {
		t.Fatalf("manage_token = %q", token)
	}
	if got, want := w.Header().Get("Location"), baseURL+"/v1/bookings/"+token; got != want {
		t.Errorf("Location = %q, want %q", got, want)
	}
	if got, want := created["manage_url"], baseURL+"/manage/"+token; got != want {
		t.Errorf("manage_url = %v, want %q", got, want)
	}
	if w.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control = %q", w.Header().Get("Cache-Control"))
	}
	for k, want := range map[string]any{
		"status": "confirmed", "practitioner": "demo", "type": "consultation",
		"start": start, "end": "2026-12-01T09:20:00+01:00",
	} {
		if created[k] != want {
			t.Errorf("%s = %v, want %v", k, created[k], want)
		}
	}
	if _, ok := created["patient"]; ok || len(created) != 9 || created["practitioner_name"] != "Dr Anne Martin" {
		t.Errorf("created booking has fields %v", created)
	}
	if e.cal.Len() != 1 || e.store.count() != 1 {
		t.Fatalf("%d events, %d bookings after booking", e.cal.Len(), e.store.count())
	}
	if hasSlot() {
		t.Error("the booked slot is still listed")
	}

	// The same slot again.
	w = e.postJSON("/v1/bookings", bookingBody("consultation", start))
	wantProblem(t, w, http.StatusConflict, "no longer free")
	if e.cal.Len() != 1 || e.store.count() != 1 {
		t.Errorf("%d events, %d bookings after a conflict", e.cal.Len(), e.store.count())
	}

	// Read it back.
	w = e.do(http.MethodGet, "/v1/bookings/"+token, nil)
	if w.Code != http.StatusOK {
		t.Fatalf("get: status = %d: %s", w.Code, w.Body)
	}
	got := decode(t, w)
	wantPatient := map[string]any{"name": patientName, "email": patientEmail, "phone": patientPhone}
	if !reflect.DeepEqual(got["patient"], wantPatient) {
		t.Errorf("patient = %v", got["patient"])
	}
	if got["id"] != created["id"] || got["start"] != start || got["status"] != "confirmed" {
		t.Errorf("booking = %v", got)
	}
	if _, ok := got["manage_token"]; ok {
		t.Error("GET shows the manage token")
	}
	if _, ok := got["manage_url"]; ok {
		t.Error("GET shows the manage URL")
	}

	// Unknown and malformed tokens.
	wantProblem(t, e.do(http.MethodGet, "/v1/bookings/"+booking.NewToken(), nil), http.StatusNotFound, "no booking")
	wantProblem(t, e.do(http.MethodGet, "/v1/bookings/nope", nil), http.StatusNotFound, "no booking")
	wantProblem(t, e.postJSON("/v1/bookings/"+booking.NewToken()+"/cancel", ""), http.StatusNotFound, "no booking")

	// Confirming a confirmed booking changes nothing.
	w = e.postJSON("/v1/bookings/"+token+"/confirm", "")
	if w.Code != http.StatusOK || decode(t, w)["status"] != "confirmed" {
		t.Errorf("confirm: %d %s", w.Code, w.Body)
	}

	// Cancel: the slot is free again.
	w = e.postJSON("/v1/bookings/"+token+"/cancel", "")
	if w.Code != http.StatusOK || decode(t, w)["status"] != "cancelled" {
		t.Fatalf("cancel: %d %s", w.Code, w.Body)
	}
	if !hasSlot() {
		t.Error("the cancelled slot is not listed again")
	}
	// A cancelled booking can't be confirmed.
	wantProblem(t, e.postJSON("/v1/bookings/"+token+"/confirm", ""), http.StatusConflict, "cancelled")
	if got := e.notes.Kinds(""); !reflect.DeepEqual(got, []string{booking.NotifyCreated, booking.NotifyCancelled}) {
		t.Errorf("notifications = %v", got)
	}

	// Logs name routes, never tokens.
	logs := e.logs.String()
	if strings.Contains(logs, token) {
		t.Error("the logs contain a manage token")
	}
	for _, want := range []string{"route=/v1/bookings/{token}/cancel", "route=/v1/bookings", "status=201", "status=409", "method=POST", "duration="} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
}

func TestBookingPendingThenConfirmed(t *testing.T) {
	e := newEnv(t)
	w := e.postJSON("/v1/bookings", bookingBody("suivi", "2026-12-02T14:30:00+01:00"))
	if w.Code != http.StatusCreated {
		t.Fatalf("book: status = %d: %s", w.Code, w.Body)
	}
	created := decode(t, w)
	if created["status"] != "pending" || created["end"] != "2026-12-02T15:00:00+01:00" {
		t.Errorf("created = %v", created)
	}
	token := created["manage_token"].(string)
	w = e.postJSON("/v1/bookings/"+token+"/confirm", "")
	if w.Code != http.StatusOK || decode(t, w)["status"] != "confirmed" {
		t.Errorf("confirm: %d %s", w.Code, w.Body)
	}
	if e.store.status(token) != booking.StatusConfirmed {
		t.Errorf("stored status = %s", e.store.status(token))
	}
}

func TestBookingRejected(t *testing.T) {
	patient := `"patient":{"name":"` + patientName + `","email":"` + patientEmail + `"}`
	tests := []struct {
		name        string
		body        string
		contentType string
		status      int
		detail      string
	}{
		{"malformed JSON", `{"practitioner":"demo",`, "", 400, "not valid JSON"},
		{"not JSON at all", `practitioner=demo`, "", 400, "not valid JSON"},
		{"empty body", ``, "", 400, "body is required"},
		{"unknown field", `{"practitioner":"demo","type":"consultation","start":"2026-12-01T09:00:00+01:00",` + patient + `,"reason":"toux"}`, "", 422, "body.reason: unexpected property"},
		{"missing email", `{"practitioner":"demo","type":"consultation","start":"2026-12-01T09:00:00+01:00","patient":{"name":"` + patientName + `"}}`, "", 422, "email"},
		{"start not RFC 3339", `{"practitioner":"demo","type":"consultation","start":"2026-12-01 09:00",` + patient + `}`, "", 422, "body.start"},
		{"unknown practitioner", `{"practitioner":"nobody","type":"consultation","start":"2026-12-01T09:00:00+01:00",` + patient + `}`, "", 404, `no practitioner "nobody"`},
		{"unknown type", `{"practitioner":"demo","type":"chirurgie","start":"2026-12-01T09:00:00+01:00",` + patient + `}`, "", 404, `no appointment type "chirurgie"`},
		{"start between slots", `{"practitioner":"demo","type":"consultation","start":"2026-12-01T09:10:00+01:00",` + patient + `}`, "", 422, "not a bookable start"},
		{"start when closed", `{"practitioner":"demo","type":"consultation","start":"2026-12-05T09:00:00+01:00",` + patient + `}`, "", 422, "not a bookable start"},
		{"start in the past", `{"practitioner":"demo","type":"consultation","start":"2026-11-27T09:00:00+01:00",` + patient + `}`, "", 422, "not a bookable start"},
		{"email without @", `{"practitioner":"demo","type":"consultation","start":"2026-12-01T09:00:00+01:00","patient":{"name":"` + patientName + `","email":"marie.example.org"}}`, "", 422, "email is not a valid address"},
		{"name with CR LF", `{"practitioner":"demo","type":"consultation","start":"2026-12-01T09:00:00+01:00","patient":{"name":"Marie\r\nBcc: x@example.org","email":"` + patientEmail + `"}}`, "", 422, "line breaks"},
		{"bad phone", `{"practitioner":"demo","type":"consultation","start":"2026-12-01T09:00:00+01:00",` + strings.TrimSuffix(patient, "}") + `,"phone":"appelez-moi"}}`, "", 422, "phone"},
		{"form content type", `practitioner=demo`, "application/x-www-form-urlencoded", 415, "application/json"},
		{"text content type", bookingBody("consultation", "2026-12-01T09:00:00+01:00"), "text/plain", 415, "application/json"},
		{"10 MB body", `{"practitioner":"` + strings.Repeat("a", 10<<20) + `"}`, "", 413, "too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			ct := tt.contentType
			if ct == "" {
				ct = "application/json"
			}
			w := e.do(http.MethodPost, "/v1/bookings", strings.NewReader(tt.body), "Content-Type", ct)
			detail := wantProblem(t, w, tt.status, tt.detail)
			if len(detail) > 500 {
				t.Errorf("detail is %d bytes long", len(detail))
			}
			if strings.Contains(w.Body.String(), patientName) || strings.Contains(w.Body.String(), "aaaaaaaa") {
				t.Errorf("the problem echoes the request: %s", w.Body)
			}
			if e.cal.Calls(bookingtest.OpBusy) != 0 || e.cal.Calls(bookingtest.OpCreate) != 0 || e.store.Calls(bookingtest.OpRecordCreate) != 0 || len(e.notes.Kinds("")) != 0 {
				t.Errorf("the calendar (%d reads, %d creates), store (%d) or notifier (%v) were called",
					e.cal.Calls(bookingtest.OpBusy), e.cal.Calls(bookingtest.OpCreate), e.store.Calls(bookingtest.OpRecordCreate), e.notes.Kinds(""))
			}
		})
	}
}

func TestCalendarUnavailable(t *testing.T) {
	const secret = "caldav.internal.example:8443/remote.php/dav/calendars/anne"
	e := newEnv(t)
	setBusyErr(e.cal, booking.WrapError(booking.EUnavailable,
		fmt.Errorf("caldav: PROPFIND https://%s: dial tcp: connection refused", secret),
		"the practitioner's calendar can't be reached, try again later"))

	w := e.do(http.MethodGet, "/v1/practitioners/demo/slots?type=consultation", nil)
	wantProblem(t, w, http.StatusServiceUnavailable, "calendar can't be reached")
	if strings.Contains(w.Body.String(), secret) || strings.Contains(w.Body.String(), "refused") {
		t.Errorf("the problem leaks the cause: %s", w.Body)
	}

	w = e.postJSON("/v1/bookings", bookingBody("consultation", "2026-12-01T09:00:00+01:00"))
	wantProblem(t, w, http.StatusServiceUnavailable, "calendar can't be reached")
	if strings.Contains(w.Body.String(), secret) {
		t.Errorf("the problem leaks the cause: %s", w.Body)
	}
	if e.cal.Calls(bookingtest.OpCreate) != 0 || e.store.Calls(bookingtest.OpRecordCreate) != 0 {
		t.Error("a booking was written without its calendar")
	}
	if !strings.Contains(e.logs.String(), "connection refused") {
		t.Error("the cause is not logged")
	}
}

func TestInternalErrorsHidden(t *testing.T) {
	const secret = "/var/lib/rdv/secret-4242.db"
	t.Run("store", func(t *testing.T) {
		e := newEnv(t)
		e.store.FailBefore(bookingtest.OpRecordCreate, bookingtest.Always, fmt.Errorf("sqlite: %s: disk I/O error", secret))
		w := e.postJSON("/v1/bookings", bookingBody("consultation", "2026-12-01T09:00:00+01:00"))
		if d := wantProblem(t, w, http.StatusInternalServerError, "internal error"); d != "internal error" {
			t.Errorf("detail = %q", d)
		}
		if strings.Contains(w.Body.String(), "secret") || strings.Contains(w.Body.String(), "sqlite") {
			t.Errorf("the problem leaks the cause: %s", w.Body)
		}
		if !strings.Contains(e.logs.String(), "disk I/O error") {
			t.Error("the internal error is not logged")
		}
		if e.cal.Len() != 0 {
			t.Error("an event was left without its booking")
		}
	})
	t.Run("calendar", func(t *testing.T) {
		e := newEnv(t)
		setBusyErr(e.cal, errors.New("unexpected: "+secret))
		w := e.do(http.MethodGet, "/v1/practitioners/demo/slots?type=consultation", nil)
		wantProblem(t, w, http.StatusInternalServerError, "internal error")
		if strings.Contains(w.Body.String(), "secret") {
			t.Errorf("the problem leaks the cause: %s", w.Body)
		}
	})
}

func TestProblemMapping(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		err    error
		status int
		msg    string
	}{
		{booking.Errorf(booking.EInvalid, "bad"), 422, "bad"},
		{booking.Errorf(booking.ENotFound, "gone"), 404, "gone"},
		{booking.Errorf(booking.EConflict, "taken"), 409, "taken"},
		{fmt.Errorf("wrapped: %w", booking.Errorf(booking.EUnavailable, "down")), 503, "down"},
		{booking.WrapError(booking.EInternal, errors.New("secret"), "also secret"), 500, "internal error"},
		{booking.Errorf("strange", "secret"), 500, "internal error"},
		{errors.New("secret"), 500, "internal error"},
		{context.Canceled, 500, "internal error"},
	}
	for _, tt := range tests {
		status, msg := e.srv.problem(context.Background(), tt.err)
		if status != tt.status || msg != tt.msg {
			t.Errorf("problem(%v) = %d, %q; want %d, %q", tt.err, status, msg, tt.status, tt.msg)
		}
	}
}

func TestHealth(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{"/healthz", "/readyz"} {
		w := e.do(http.MethodGet, path, nil)
		if w.Code != http.StatusOK || !reflect.DeepEqual(decode(t, w), map[string]any{"status": "ok"}) {
			t.Errorf("GET %s = %d %s", path, w.Code, w.Body)
		}
	}
	e.ready = func(context.Context) error { return errors.New("store: ping postgres://rdv:hunter2@db/rdv: timeout") }
	w := e.do(http.MethodGet, "/readyz", nil)
	wantProblem(t, w, http.StatusServiceUnavailable, "not ready")
	if strings.Contains(w.Body.String(), "hunter2") {
		t.Errorf("readyz leaks the cause: %s", w.Body)
	}
	if w := e.do(http.MethodGet, "/healthz", nil); w.Code != http.StatusOK {
		t.Errorf("healthz = %d when not ready", w.Code)
	}
}

func TestAPINoRoute(t *testing.T) {
	e := newEnv(t)
	wantProblem(t, e.do(http.MethodGet, "/v1/nothing", nil), http.StatusNotFound, "no such API route")
	wantProblem(t, e.do(http.MethodGet, "/v1/practitioners/demo", nil), http.StatusNotFound, "no such API route")
	w := e.do(http.MethodDelete, "/v1/practitioners", nil)
	wantProblem(t, w, http.StatusMethodNotAllowed, "not allowed")
	if got := w.Header().Get("Allow"); got != "GET" {
		t.Errorf("Allow = %q", got)
	}
	w = e.do(http.MethodGet, "/v1/bookings", nil)
	wantProblem(t, w, http.StatusMethodNotAllowed, "not allowed")
	if got := w.Header().Get("Allow"); got != "POST" {
		t.Errorf("Allow = %q", got)
	}
}

func TestOpenAPI(t *testing.T) {
	e := newEnv(t)
	w := e.do(http.MethodGet, "/openapi.json", nil)
	if w.Code != http.StatusOK {
		t.Fatalf("status = %d", w.Code)
	}
	doc := decode(t, w)
	paths, _ := doc["paths"].(map[string]any)
	for _, p := range []string{"/v1/practitioners", "/v1/practitioners/{id}/slots", "/v1/bookings",
		"/v1/bookings/{token}", "/v1/bookings/{token}/confirm", "/v1/bookings/{token}/cancel", "/healthz", "/readyz"} {
		if _, ok := paths[p]; !ok {
			t.Errorf("the OpenAPI document lacks %s", p)
		}
	}
	// The one server is the base URL, even at the root.
	if servers, _ := doc["servers"].([]any); len(servers) != 1 || servers[0].(map[string]any)["url"] != baseURL {
		t.Errorf("servers %v, want the base URL %s", doc["servers"], baseURL)
	}
	if !bytes.Contains(w.Body.Bytes(), []byte("Idempotency-Key")) {
		t.Error("Idempotency-Key is not documented")
	}
	// The documented limits are those of booking.Patient.Validate.
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	props := schemas["Patient"].(map[string]any)["properties"].(map[string]any)
	for field, max := range map[string]int{"name": booking.MaxNameLen, "email": booking.MaxEmailLen, "phone": booking.MaxPhoneLen} {
		if got := props[field].(map[string]any)["maxLength"]; got != float64(max) {
			t.Errorf("Patient.%s maxLength = %v, want %d", field, got, max)
		}
	}
	for _, name := range []string{"Booking", "CreatedBooking", "NewBooking", "SlotList", "PractitionerList"} {
		if _, ok := schemas[name]; !ok {
			t.Errorf("no schema %s", name)
		}
	}
	if w := e.do(http.MethodGet, "/docs", nil); w.Code != http.StatusOK {
		t.Errorf("GET /docs = %d", w.Code)
	}
}

func TestSanitizeProblem(t *testing.T) {
	t.Run("500 from huma", func(t *testing.T) {
		em := huma.NewError(http.StatusInternalServerError, "unexpected error occurred", errors.New("dial tcp secret-host")).(*huma.ErrorModel)
		v, err := sanitizeProblem(nil, "500", em)
		if err != nil {
			t.Fatal(err)
		}
		got := v.(*huma.ErrorModel)
		if got.Detail != "internal error" || got.Errors != nil {
			t.Errorf("sanitised = %+v", got)
		}
	})
	t.Run("values are not echoed", func(t *testing.T) {
		em := huma.NewError(http.StatusUnprocessableEntity, "validation failed",
			&huma.ErrorDetail{Location: "body.patient.email", Message: "expected string", Value: patientEmail}).(*huma.ErrorModel)
		v, _ := sanitizeProblem(nil, "422", em)
		got := v.(*huma.ErrorModel)
		if got.Detail != "invalid request: body.patient.email: expected string" || got.Errors[0].Value != nil {
			t.Errorf("sanitised = %+v", got)
		}
	})
	t.Run("other values pass", func(t *testing.T) {
		v, _ := sanitizeProblem(nil, "200", "ok")
		if v != "ok" {
			t.Errorf("got %v", v)
		}
	})
}
