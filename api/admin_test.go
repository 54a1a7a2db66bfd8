package api

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/internal/bookingtest"
)

const adminToken = "s3cr3t-admin-token-0123456789abcdefghij"

// newAdminEnv is newEnv with the admin API enabled; change, if not nil,
// changes the practitioner before it is registered.
func newAdminEnv(t *testing.T, change func(*booking.Practitioner)) *env {
	t.Helper()
	e := &env{t: t, cal: newFakeCalendar(), store: newFakeStore(t), notes: &bookingtest.Notifier{}, logs: &bookingtest.LogBuffer{}}
	log := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	now := func() time.Time { return testNow }
	e.svc = mustNewService(t, booking.ServiceConfig{Store: e.store, Notifier: e.notes, Now: now, Logger: log})
	p := demoPractitioner()
	if change != nil {
		change(&p)
	}
	if err := e.svc.AddPractitioner(p, e.cal); err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{Service: e.svc, BaseURL: baseURL, Logger: log, Now: now, AdminToken: adminToken})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = srv
	t.Cleanup(e.checkPrivacy)
	return e
}

// admin sends a request to the admin API with the admin token.
func (e *env) admin(method, target, body string) *httptest.ResponseRecorder {
	e.t.Helper()
	headers := []string{"Authorization", "Bearer " + adminToken}
	if body != "" {
		headers = append(headers, "Content-Type", "application/json")
	}
	w := e.do(method, target, strings.NewReader(body), headers...)
	if got := w.Header().Get("Cache-Control"); got != "no-store" {
		e.t.Errorf("%s %s: Cache-Control = %q, want no-store", method, target, got)
	}
	return w
}

// bookFor books the consultation that starts at start for patient i through
// the API, and returns its id and manage token.
func (e *env) bookFor(start string, i int) (id, token string) {
	e.t.Helper()
	body := strings.Replace(bookingBody("consultation", start), patientEmail, "p"+string(rune('0'+i))+"."+patientEmail, 1)
	w := e.postJSON("/v1/bookings", body)
	if w.Code != http.StatusCreated {
		e.t.Fatalf("book %s: %d %s", start, w.Code, w.Body)
	}
	m := decode(e.t, w)
	return m["id"].(string), m["manage_token"].(string)
}

var adminRoutes = []struct{ method, path, body string }{
	{http.MethodGet, "/v1/admin/practitioners/demo/bookings", ""},
	{http.MethodPost, "/v1/admin/bookings/00000000-0000-4000-8000-000000000000/cancel", ""},
	{http.MethodGet, "/v1/admin/practitioners/demo/closures", ""},
	{http.MethodPost, "/v1/admin/practitioners/demo/closures", `{"from":"2026-12-24","to":"2026-12-26"}`},
	{http.MethodDelete, "/v1/admin/practitioners/demo/closures/00000000-0000-4000-8000-000000000000", ""},
	{http.MethodGet, "/v1/admin/practitioners/demo/unknown-events", ""},
	{http.MethodPost, "/v1/admin/practitioners/demo/adopt", `{"dry_run":false}`},
	{http.MethodPost, "/v1/admin/bookings/00000000-0000-4000-8000-000000000000/resend-link", ""},
	{http.MethodPost, "/v1/admin/patients/export", `{"email":"` + patientEmail + `"}`},
	{http.MethodPost, "/v1/admin/patients/erase", `{"email":"` + patientEmail + `","cancel":true}`},
}

func TestAdminDisabled(t *testing.T) {
	e := newEnv(t) // no admin token
	for _, r := range adminRoutes {
		t.Run(r.method+" "+r.path, func(t *testing.T) {
			w := e.do(r.method, r.path, strings.NewReader(r.body), "Authorization", "Bearer "+adminToken, "Content-Type", "application/json")
			wantProblem(t, w, http.StatusNotFound, "the admin API is disabled")
			if got := w.Header().Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control = %q", got)
			}
		})
	}
	if e.store.count() != 0 || e.cal.Len() != 0 {
		t.Error("a disabled admin API changed something")
	}
}

func TestAdminAuth(t *testing.T) {
	e := newAdminEnv(t, nil)
	for _, r := range adminRoutes {
		for _, tt := range []struct {
			name, header, challenge string
		}{
			{"no token", "", `Bearer realm="rdv admin"`},
			{"basic auth", "Basic YWRtaW46YWRtaW4=", `Bearer realm="rdv admin"`},
			{"empty bearer", "Bearer ", `Bearer realm="rdv admin"`},
			{"wrong token", "Bearer " + strings.ToUpper(adminToken), `Bearer realm="rdv admin", error="invalid_token"`},
			{"prefix of the token", "Bearer " + adminToken[:len(adminToken)-1], `Bearer realm="rdv admin", error="invalid_token"`},
			{"token and more", "Bearer " + adminToken + "x", `Bearer realm="rdv admin", error="invalid_token"`},
		} {
			t.Run(r.method+" "+r.path+" "+tt.name, func(t *testing.T) {
				headers := []string{"Content-Type", "application/json"}
				if tt.header != "" {
					headers = append(headers, "Authorization", tt.header)
				}
				w := e.do(r.method, r.path, strings.NewReader(r.body), headers...)
				wantProblem(t, w, http.StatusUnauthorized, "token")
				if got := w.Header().Get("WWW-Authenticate"); got != tt.challenge {
					t.Errorf("WWW-Authenticate = %q, want %q", got, tt.challenge)
				}
				if got := w.Header().Get("Cache-Control"); got != "no-store" {
					t.Errorf("Cache-Control = %q", got)
				}
			})
		}
	}
	if logs := e.logs.String(); strings.Contains(logs, adminToken[:20]) {
		t.Errorf("the logs show the token:\n%s", logs)
	}
	// The scheme's name is case-insensitive.
	w := e.do(http.MethodGet, "/v1/admin/practitioners/demo/bookings", nil, "Authorization", "bearer "+adminToken)
	if w.Code != http.StatusOK {
		t.Errorf("lower-case scheme: %d %s", w.Code, w.Body)
	}
	if _, err := New(Config{Service: e.svc, BaseURL: baseURL, AdminToken: "short"}); err == nil {
		t.Error("a short admin token is accepted")
	}
}

func TestAdminBookings(t *testing.T) {
	e := newAdminEnv(t, nil)
	first, _ := e.bookFor("2026-12-01T09:00:00+01:00", 1)
	second, token := e.bookFor("2026-12-01T14:00:00+01:00", 2)
	other, _ := e.bookFor("2026-12-03T09:00:00+01:00", 3)
	if w := e.postJSON("/v1/bookings/"+token+"/cancel", ""); w.Code != http.StatusOK {
		t.Fatalf("cancel: %d", w.Code)
	}

	w := e.admin(http.MethodGet, "/v1/admin/practitioners/demo/bookings?from=2026-12-01&to=2026-12-02", "")
	if w.Code != http.StatusOK {
		t.Fatalf("list: %d %s", w.Code, w.Body)
	}
	m := decode(t, w)
	if m["practitioner"] != "demo" || m["timezone"] != "Europe/Paris" ||
		m["from"] != "2026-12-01T00:00:00+01:00" || m["to"] != "2026-12-02T00:00:00+01:00" {
		t.Errorf("list header: %v", m)
	}
	list := m["bookings"].([]any)
	if len(list) != 2 {
		t.Fatalf("%d bookings, want 2: %v", len(list), list)
	}
	b0, b1 := list[0].(map[string]any), list[1].(map[string]any)
	if b0["id"] != first || b0["status"] != "confirmed" || b1["id"] != second || b1["status"] != "cancelled" {
		t.Errorf("bookings %v", list)
	}
	p := b0["patient"].(map[string]any)
	if p["name"] != patientName || p["email"] != "p1."+patientEmail || p["phone"] != patientPhone {
		t.Errorf("the practitioner does not get the patient's contact: %v", p)
	}
	if b0["start"] != "2026-12-01T09:00:00+01:00" || b0["end"] != "2026-12-01T09:20:00+01:00" || b0["type"] != "consultation" ||
		b0["created_at"] != testNow.Format(time.RFC3339) {
		t.Errorf("booking %v", b0)
	}
	if strings.Contains(w.Body.String(), other) {
		t.Error("a booking outside the window is listed")
	}

	// In another zone; the default window is the week from today.
	m = decode(t, e.admin(http.MethodGet, "/v1/admin/practitioners/demo/bookings?tz=America/New_York", ""))
	if m["timezone"] != "America/New_York" || len(m["bookings"].([]any)) != 3 ||
		m["bookings"].([]any)[0].(map[string]any)["start"] != "2026-12-01T03:00:00-05:00" {
		t.Errorf("list in New York: %v", m)
	}

	wantProblem(t, e.admin(http.MethodGet, "/v1/admin/practitioners/nobody/bookings", ""), http.StatusNotFound, "nobody")
	wantProblem(t, e.admin(http.MethodGet, "/v1/admin/practitioners/demo/bookings?from=2026-12-02&to=2026-12-01", ""),
		http.StatusUnprocessableEntity, "after")
	wantProblem(t, e.admin(http.MethodGet, "/v1/admin/practitioners/demo/bookings?from=2026-01-01&to=2030-01-01", ""),
		http.StatusUnprocessableEntity, "too long")
}

func TestAdminCancel(t *testing.T) {
	e := newAdminEnv(t, func(p *booking.Practitioner) { p.Types[0].CancelCutoff = 48 * time.Hour })
	id, token := e.bookFor("2026-12-01T09:00:00+01:00", 1)
	// 25 hours ahead: past the 48-hour cut-off, the patient can't cancel.
	wantProblem(t, e.postJSON("/v1/bookings/"+token+"/cancel", ""), http.StatusConflict, "no longer be cancelled")

	w := e.admin(http.MethodPost, "/v1/admin/bookings/"+id+"/cancel", "")
	if w.Code != http.StatusOK {
		t.Fatalf("admin cancel: %d %s", w.Code, w.Body)
	}
	m := decode(t, w)
	if m["id"] != id || m["status"] != "cancelled" || m["patient"].(map[string]any)["email"] != "p1."+patientEmail {
		t.Errorf("admin cancel: %v", m)
	}
	if got := e.store.status(token); got != booking.StatusCancelled {
		t.Errorf("ledger status %s", got)
	}
	if evs, _ := e.cal.Events(context.Background(), testNow, testNow.AddDate(0, 1, 0)); len(evs) != 1 || evs[0].Status != booking.StatusCancelled {
		t.Errorf("events %+v, want the booking's, cancelled", evs)
	}
	kinds := e.notes.Kinds("")
	if !slices.Equal(kinds, []string{booking.NotifyCreated, booking.NotifyCancelled}) {
		t.Errorf("notifications %v: the patient is not told", kinds)
	}
	// Again: nothing changes, nobody is told twice.
	if w := e.admin(http.MethodPost, "/v1/admin/bookings/"+id+"/cancel", ""); w.Code != http.StatusOK {
		t.Errorf("cancel again: %d", w.Code)
	}
	if len(e.notes.Kinds("")) != 2 {
		t.Errorf("notifications after a second cancel: %v", e.notes.Kinds(""))
	}
	wantProblem(t, e.admin(http.MethodPost, "/v1/admin/bookings/no-such-booking/cancel", ""), http.StatusNotFound, "no booking")

	// An event the practitioner changed meanwhile: 409, nothing changes.
	id2, token2 := e.bookFor("2026-12-02T09:00:00+01:00", 2)
	if ev, ok := e.cal.EventOf(id2); ok {
		// The practitioner moved it in the calendar: the write is refused.
		e.cal.Edit(ev.Ref.Href, func(ev *booking.BookingEvent) { ev.Start, ev.End = ev.Start.Add(time.Hour), ev.End.Add(time.Hour) })
	}
	wantProblem(t, e.admin(http.MethodPost, "/v1/admin/bookings/"+id2+"/cancel", ""), http.StatusConflict, "changed in the practitioner's calendar")
	if got := e.store.status(token2); got != booking.StatusConfirmed {
		t.Errorf("status after a refused cancel: %s", got)
	}
}

func TestAdminClosures(t *testing.T) {
	e := newAdminEnv(t, func(p *booking.Practitioner) {
		p.Schedule.Closures = []booking.Closure{{From: mustDate("2026-12-24"), To: mustDate("2026-12-26"), Label: "Noël"}}
	})
	booked, _ := e.bookFor("2026-12-02T10:00:00+01:00", 1)
	_, cancelledToken := e.bookFor("2026-12-02T11:00:00+01:00", 2)
	e.postJSON("/v1/bookings/"+cancelledToken+"/cancel", "")
	slotsOn := func(day, next string) int {
		starts, _ := slotsOf(t, decode(t, e.do(http.MethodGet, "/v1/practitioners/demo/slots?type=consultation&from="+day+"&to="+next, nil)))
		return len(starts)
	}
	if slotsOn("2026-12-02", "2026-12-03") == 0 || slotsOn("2026-12-03", "2026-12-04") == 0 {
		t.Fatal("no slots before the closure")
	}

	// Close 2 and 3 December: the booking on the 2nd is kept, and listed.
	w := e.admin(http.MethodPost, "/v1/admin/practitioners/demo/closures", `{"from":"2026-12-02","to":"2026-12-03","label":" formation "}`)
	if w.Code != http.StatusCreated {
		t.Fatalf("add closure: %d %s", w.Code, w.Body)
	}
	m := decode(t, w)
	c := m["closure"].(map[string]any)
	closureID, _ := c["id"].(string)
	if closureID == "" || c["from"] != "2026-12-02" || c["to"] != "2026-12-03" || c["label"] != "formation" || c["source"] != "api" {
		t.Errorf("closure %v", c)
	}
	affected := m["bookings"].([]any)
	if len(affected) != 1 || affected[0].(map[string]any)["id"] != booked ||
		affected[0].(map[string]any)["patient"].(map[string]any)["name"] != patientName {
		t.Errorf("bookings on the closed days: %v, want the active one with its patient", affected)
	}
	if got := e.store.status(cancelledToken); got != booking.StatusCancelled {
		t.Errorf("status %s", got)
	}

	// No slot on the closed days, for the slots list and for booking.
	if n := slotsOn("2026-12-02", "2026-12-04"); n != 0 {
		t.Errorf("%d slots on the closed days", n)
	}
	if n := slotsOn("2026-12-04", "2026-12-05"); n == 0 {
		t.Error("no slot the day after the closure")
	}
	wantProblem(t, e.postJSON("/v1/bookings", bookingBody("consultation", "2026-12-03T09:00:00+01:00")), http.StatusConflict, "no longer free")

	// Listed with the configured closure, by first day; from today by default.
	m = decode(t, e.admin(http.MethodGet, "/v1/admin/practitioners/demo/closures", ""))
	list := m["closures"].([]any)
	if len(list) != 2 || list[0].(map[string]any)["id"] != closureID ||
		list[1].(map[string]any)["source"] != "config" || list[1].(map[string]any)["label"] != "Noël" || list[1].(map[string]any)["id"] != nil {
		t.Errorf("closures %v", list)
	}
	m = decode(t, e.admin(http.MethodGet, "/v1/admin/practitioners/demo/closures?from=2026-12-20&to=2026-12-31", ""))
	if list := m["closures"].([]any); len(list) != 1 || list[0].(map[string]any)["source"] != "config" {
		t.Errorf("closures of late December: %v", list)
	}

	// Refused closures.
	for _, tt := range []struct{ name, body, detail string }{
		{"not a date", `{"from":"2026-12-32","to":"2026-12-33"}`, "from"},
		{"out of order", `{"from":"2026-12-10","to":"2026-12-09"}`, "before it starts"},
		{"in the past", `{"from":"2026-11-01","to":"2026-11-29"}`, "in the past"},
		{"label with a line break", `{"from":"2026-12-10","to":"2026-12-10","label":"a\nb"}`, "label"},
		{"label too long", `{"from":"2026-12-10","to":"2026-12-10","label":"` + strings.Repeat("é", 201) + `"}`, "label"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wantProblem(t, e.admin(http.MethodPost, "/v1/admin/practitioners/demo/closures", tt.body), http.StatusUnprocessableEntity, tt.detail)
		})
	}
	wantProblem(t, e.admin(http.MethodPost, "/v1/admin/practitioners/nobody/closures", `{"from":"2026-12-10","to":"2026-12-10"}`), http.StatusNotFound, "nobody")

	// Reopen.
	w = e.admin(http.MethodDelete, "/v1/admin/practitioners/demo/closures/"+closureID, "")
	if w.Code != http.StatusNoContent || w.Body.Len() != 0 {
		t.Fatalf("delete: %d %q", w.Code, w.Body)
	}
	if n := slotsOn("2026-12-03", "2026-12-04"); n == 0 {
		t.Error("no slot once the closure is removed")
	}
	wantProblem(t, e.admin(http.MethodDelete, "/v1/admin/practitioners/demo/closures/"+closureID, ""), http.StatusNotFound, "no closure")
	wantProblem(t, e.admin(http.MethodDelete, "/v1/admin/practitioners/other/closures/"+closureID, ""), http.StatusNotFound, "other")

	// The methods of the route.
	w = e.do(http.MethodPut, "/v1/admin/practitioners/demo/closures", nil, "Authorization", "Bearer "+adminToken)
	wantProblem(t, w, http.StatusMethodNotAllowed, "not allowed")
	if got := w.Header().Get("Allow"); got != "GET, POST" {
		t.Errorf("Allow = %q", got)
	}
}

func mustDate(s string) booking.Date {
	d, err := booking.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestAdminOpenAPI(t *testing.T) {
	e := newEnv(t)
	doc := decode(t, e.do(http.MethodGet, "/openapi.json", nil))
	schemes := doc["components"].(map[string]any)["securitySchemes"].(map[string]any)
	s, _ := schemes[adminScheme].(map[string]any)
	if s["type"] != "http" || s["scheme"] != "bearer" {
		t.Errorf("security scheme %v", schemes)
	}
	paths := doc["paths"].(map[string]any)
	for _, r := range []struct{ method, path string }{
		{"get", "/v1/admin/practitioners/{id}/bookings"},
		{"post", "/v1/admin/bookings/{id}/cancel"},
		{"get", "/v1/admin/practitioners/{id}/closures"},
		{"post", "/v1/admin/practitioners/{id}/closures"},
		{"delete", "/v1/admin/practitioners/{id}/closures/{closure_id}"},
		{"get", "/v1/admin/practitioners/{id}/unknown-events"},
		{"post", "/v1/admin/practitioners/{id}/adopt"},
		{"post", "/v1/admin/bookings/{id}/resend-link"},
		{"post", "/v1/admin/patients/export"},
		{"post", "/v1/admin/patients/erase"},
	} {
		item, _ := paths[r.path].(map[string]any)
		op, _ := item[r.method].(map[string]any)
		if op == nil {
			t.Errorf("%s %s is not documented", r.method, r.path)
			continue
		}
		sec, _ := op["security"].([]any)
		if len(sec) != 1 || sec[0].(map[string]any)[adminScheme] == nil {
			t.Errorf("%s %s: security %v", r.method, r.path, op["security"])
		}
		if _, ok := op["responses"].(map[string]any)["401"]; !ok {
			t.Errorf("%s %s: 401 not documented", r.method, r.path)
		}
	}
	// Every other operation needs no token, and says so with
	// "security": [] rather than nothing.
	public := 0
	for path, item := range paths {
		if strings.HasPrefix(path, "/v1/admin/") {
			continue
		}
		for method, op := range item.(map[string]any) {
			op, ok := op.(map[string]any)
			if !ok {
				continue
			}
			public++
			if sec, ok := op["security"].([]any); !ok || len(sec) != 0 {
				t.Errorf("%s %s: security %#v, want []", method, path, op["security"])
			}
		}
	}
	if public < 8 {
		t.Errorf("%d public operations checked, want the 8 or more of the API", public)
	}
}

// TestAdminClosureCancelsBookings: with cancel_bookings, the practice's
// choice, the bookings on the closed days are cancelled and their patients
// told; without, they are kept (TestAdminClosures).
func TestAdminClosureCancelsBookings(t *testing.T) {
	e := newAdminEnv(t, nil)
	id, token := e.bookFor("2026-12-02T10:00:00+01:00", 1)
	other, otherToken := e.bookFor("2026-12-04T10:00:00+01:00", 2)
	w := e.admin(http.MethodPost, "/v1/admin/practitioners/demo/closures", `{"from":"2026-12-02","to":"2026-12-03","cancel_bookings":true}`)
	if w.Code != http.StatusCreated {
		t.Fatalf("add closure: %d %s", w.Code, w.Body)
	}
	m := decode(t, w)
	bs := m["bookings"].([]any)
	if len(bs) != 1 || bs[0].(map[string]any)["id"] != id || bs[0].(map[string]any)["status"] != "cancelled" || m["not_cancelled"] != nil {
		t.Errorf("answer %v, want the booking of the 2nd, cancelled", m)
	}
	if e.store.status(token) != booking.StatusCancelled || e.store.status(otherToken) != booking.StatusConfirmed {
		t.Errorf("statuses %s, %s (booking %s outside the closure)", e.store.status(token), e.store.status(otherToken), other)
	}
	kinds := e.notes.Kinds("")
	if len(kinds) != 3 || kinds[2] != booking.NotifyCancelled {
		t.Errorf("messages %v, want the two bookings' then the cancellation", kinds)
	}
}
