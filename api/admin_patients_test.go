package api

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// bookAs books the consultation at start through the API for the patient
// of the tests, with this email address; it returns the booking's id.
func (e *env) bookAs(start, email string) string {
	e.t.Helper()
	w := e.postJSON("/v1/bookings", strings.Replace(bookingBody("consultation", start), patientEmail, email, 1))
	if w.Code != http.StatusCreated {
		e.t.Fatalf("book %s: %d %s", start, w.Code, w.Body)
	}
	return decode(e.t, w)["id"].(string)
}

func TestAdminPatientExport(t *testing.T) {
	e := newAdminEnv(t, nil)
	a := e.bookAs("2026-12-01T09:00:00+01:00", patientEmail)
	b := e.bookAs("2026-12-01T10:00:00+01:00", "Marie.Curie+rdv@EXAMPLE.org")
	e.bookAs("2026-12-01T11:00:00+01:00", "irene@example.org")

	w := e.admin(http.MethodPost, "/v1/admin/patients/export", `{"email":"MARIE.CURIE@example.org"}`)
	if w.Code != http.StatusOK {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	m := decode(t, w)
	bookings := m["bookings"].([]any)
	if len(bookings) != 2 {
		t.Fatalf("%d bookings, want 2: %s", len(bookings), w.Body)
	}
	first := bookings[0].(map[string]any)
	if first["id"] != a || bookings[1].(map[string]any)["id"] != b {
		t.Errorf("bookings %v, want %s then %s", bookings, a, b)
	}
	patient := first["patient"].(map[string]any)
	if patient["name"] != patientName || patient["email"] != patientEmail || patient["phone"] != patientPhone {
		t.Errorf("patient = %v", patient)
	}
	if first["start"] != "2026-12-01T09:00:00+01:00" || first["status"] != "confirmed" || first["updated_at"] == "" {
		t.Errorf("booking = %v", first)
	}
	msgs := m["messages"].([]any)
	if len(msgs) == 0 {
		t.Fatal("no message exported")
	}
	for _, x := range msgs {
		msg := x.(map[string]any)
		if (msg["booking"] != a && msg["booking"] != b) || msg["kind"] == "" || msg["state"] == "" || msg["recipient"] == "" {
			t.Errorf("message = %v", msg)
		}
	}
	if _, ok := m["idempotency_records"].([]any); !ok {
		t.Errorf("no idempotency_records list: %s", w.Body)
	}
	if !strings.Contains(m["calendar"].(string), "calendar") {
		t.Errorf("calendar note = %v", m["calendar"])
	}
	if strings.Contains(w.Body.String(), "irene") {
		t.Error("the export shows another patient")
	}

	for _, body := range []string{`{"email":"nobody@example.org"}`} {
		w := e.admin(http.MethodPost, "/v1/admin/patients/export", body)
		if w.Code != http.StatusOK || len(decode(t, w)["bookings"].([]any)) != 0 {
			t.Errorf("export of %s: %d %s", body, w.Code, w.Body)
		}
	}
	for _, body := range []string{`{"email":"marie"}`, `{}`, `{"email":"` + strings.Repeat("a", 300) + `@example.org"}`} {
		if w := e.admin(http.MethodPost, "/v1/admin/patients/export", body); w.Code != http.StatusUnprocessableEntity {
			t.Errorf("export of %.40s: %d %s", body, w.Code, w.Body)
		}
	}
	// The address is in no URL: GET is not an operation.
	if w := e.do(http.MethodGet, "/v1/admin/patients/export?email="+patientEmail, nil, "Authorization", "Bearer "+adminToken); w.Code != http.StatusMethodNotAllowed && w.Code != http.StatusNotFound {
		t.Errorf("GET with the address in the URL: %d", w.Code)
	}
	assertNoAddressLogged(t, e, "Marie.Curie+rdv@EXAMPLE.org", "MARIE.CURIE@example.org", "irene")
}

func TestAdminPatientErase(t *testing.T) {
	e := newAdminEnv(t, nil)
	a := e.bookAs("2026-12-01T09:00:00+01:00", patientEmail)
	b := e.bookAs("2026-12-01T10:00:00+01:00", "marie.curie+rdv@example.org")
	other := e.bookAs("2026-12-01T11:00:00+01:00", "irene@example.org")

	// An active booking to come: refused, nothing changed.
	w := e.admin(http.MethodPost, "/v1/admin/patients/erase", `{"email":"Marie.Curie@Example.org"}`)
	wantProblem(t, w, http.StatusConflict, "active booking")
	if e.store.Erased(a) || e.store.Erased(b) || e.store.Row(a).Patient.Email != patientEmail {
		t.Fatal("a refused erasure changed something")
	}

	w = e.admin(http.MethodPost, "/v1/admin/patients/erase", `{"email":"Marie.Curie@Example.org","cancel":true}`)
	if w.Code != http.StatusOK {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	m := decode(t, w)
	var erased, cancelled []string
	for _, x := range m["erased"].([]any) {
		erased = append(erased, x.(string))
	}
	for _, x := range m["cancelled"].([]any) {
		cancelled = append(cancelled, x.(string))
	}
	want := []string{a, b}
	slices.Sort(want)
	slices.Sort(erased)
	slices.Sort(cancelled)
	if !slices.Equal(erased, want) || !slices.Equal(cancelled, want) {
		t.Errorf("erased %v, cancelled %v; want %v for both", erased, cancelled, want)
	}
	for _, id := range want {
		r := e.store.Row(id)
		if r.Patient.Name != "" || r.Patient.Email != "" || r.Patient.Phone != "" || r.TokenHash != "" || r.Status != "cancelled" {
			t.Errorf("row %s after the erasure: %+v", id, r)
		}
		if ev, ok := e.cal.EventOf(id); !ok || ev.Status != "cancelled" {
			t.Errorf("the event of %s: found %v, status %s; want kept, cancelled", id, ok, ev.Status)
		}
	}
	if r := e.store.Row(other); r.Patient.Email != "irene@example.org" {
		t.Error("another patient was erased")
	}
	w = e.admin(http.MethodPost, "/v1/admin/patients/export", `{"email":"`+patientEmail+`"}`)
	if n := len(decode(t, w)["bookings"].([]any)); n != 0 || strings.Contains(w.Body.String(), patientName) {
		t.Errorf("export after the erasure: %s", w.Body)
	}
	// Again: nothing left, harmless.
	w = e.admin(http.MethodPost, "/v1/admin/patients/erase", `{"email":"`+patientEmail+`"}`)
	if w.Code != http.StatusOK || len(decode(t, w)["erased"].([]any)) != 0 {
		t.Errorf("erase again: %d %s", w.Code, w.Body)
	}
	if w := e.admin(http.MethodPost, "/v1/admin/patients/erase", `{"email":"@example.org"}`); w.Code != http.StatusUnprocessableEntity {
		t.Errorf("erase of a malformed address: %d %s", w.Code, w.Body)
	}
	assertNoAddressLogged(t, e, "Marie.Curie@Example.org", "marie.curie+rdv@example.org", "irene")
}

// assertNoAddressLogged fails if the logs or the metrics of e hold one of
// the addresses (the test's patient's are checked by checkPrivacy), and
// unless the logs count what the admin calls did.
func assertNoAddressLogged(t *testing.T, e *env, addrs ...string) {
	t.Helper()
	logs, metrics := e.logs.String(), e.metricsText()
	for _, a := range addrs {
		if strings.Contains(strings.ToLower(logs), strings.ToLower(a)) || strings.Contains(strings.ToLower(metrics), strings.ToLower(a)) {
			t.Errorf("the logs or metrics hold %q", a)
		}
	}
	if !strings.Contains(logs, "patient data") {
		t.Errorf("the logs do not count the admin calls:\n%s", logs)
	}
}
