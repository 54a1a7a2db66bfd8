package api

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/internal/bookingtest"
)

// unknownCalendar is the calendar of newUnknownEnv.
type unknownCalendar struct{ *bookingtest.Calendar }

// put writes a booking event of another install (or of a lost store) into
// the calendar, with no ledger row nor intent for it, naming its patient as
// a real one does (ATTENDEE, DESCRIPTION): what adopting an event rebuilds
// the row from.
func (c unknownCalendar) put(id, typ string, start time.Time, status booking.Status, seq int, p booking.Patient) string {
	ref := c.Put(booking.BookingEvent{Ref: booking.EventRef{ETag: "1"}, Booking: id, Type: typ,
		Start: start, End: start.Add(20 * time.Minute), Status: status, Sequence: seq, Patient: p})
	return ref.Href
}

// writes counts the calendar's writes.
func (c unknownCalendar) writes() int {
	return c.Calls(bookingtest.OpCreate) + c.Calls(bookingtest.OpUpdate)
}

// sentNote is what a notification was: its kind, to whom, for which
// booking, and the manage token it carries.
type sentNote struct{ kind, to, booking, token string }

// sentNotifier is the recording notifier, read as sentNotes.
type sentNotifier struct{ bookingtest.Notifier }

func (n *sentNotifier) take() []sentNote {
	var out []sentNote
	for _, no := range n.Take() {
		b := no.Appointment.Booking
		out = append(out, sentNote{kind: no.Kind, to: b.Patient.Email, booking: b.ID, token: no.ManageToken})
	}
	return out
}

// newUnknownEnv is newAdminEnv on a patientCalendar and a sentNotifier.
func newUnknownEnv(t *testing.T) (*env, unknownCalendar, *sentNotifier) {
	t.Helper()
	cal := unknownCalendar{newFakeCalendar()}
	sent := &sentNotifier{}
	e := &env{t: t, cal: cal.Calendar, store: newFakeStore(t), notes: &bookingtest.Notifier{}, logs: &bookingtest.LogBuffer{}}
	log := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	now := func() time.Time { return testNow }
	e.svc = mustNewService(t, booking.ServiceConfig{Store: e.store, Notifier: sent, Now: now, Logger: log})
	if err := e.svc.AddPractitioner(demoPractitioner(), cal.Calendar); err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{Service: e.svc, BaseURL: baseURL, Logger: log, Now: now, AdminToken: adminToken})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = srv
	t.Cleanup(e.checkPrivacy)
	return e, cal, sent
}

const (
	lostID  = "6f1c2a4e-8a0b-4c7e-9d3f-2b5a1e0c9d11" // an event of a lost store, adoptable
	otherID = "0a9b8c7d-6e5f-4a3b-8c2d-1e0f9a8b7c6d" // an event of a type not configured here
)

func TestAdminUnknownEventsAdoptResend(t *testing.T) {
	e, cal, sent := newUnknownEnv(t)
	ctx := context.Background()
	patient := booking.Patient{Name: patientName, Email: patientEmail, Phone: patientPhone}
	lostHref := cal.put(lostID, "consultation", time.Date(2026, 12, 1, 10, 0, 0, 0, paris), booking.StatusConfirmed, 2, patient)
	cal.put(otherID, "massage", time.Date(2026, 12, 2, 11, 0, 0, 0, paris), booking.StatusPending, 0,
		booking.Patient{Name: "Irène Joliot", Email: "irene@example.org"})

	unknown := func(query string) []any {
		t.Helper()
		w := e.admin(http.MethodGet, "/v1/admin/practitioners/demo/unknown-events"+query, "")
		if w.Code != http.StatusOK {
			t.Fatalf("unknown events: %d %s", w.Code, w.Body)
		}
		return decode(t, w)["events"].([]any)
	}
	ready := func() map[string]any {
		t.Helper()
		w := e.do(http.MethodGet, "/readyz", nil)
		if w.Code != http.StatusOK {
			t.Fatalf("readyz: %d %s", w.Code, w.Body)
		}
		for _, secret := range []string{patientName, patientEmail, "Irène", lostID} {
			if strings.Contains(w.Body.String(), secret) {
				t.Errorf("readyz shows %q: %s", secret, w.Body)
			}
		}
		return decode(t, w)
	}

	// Nothing is known before a pass has looked at the calendar.
	if evs := unknown(""); len(evs) != 0 {
		t.Fatalf("unknown events before any pass: %v", evs)
	}
	if m := ready(); m["unknown_booking_events"] != nil {
		t.Errorf("readyz before any pass: %v", m)
	}

	// Reconcile leaves them as they are, and reports them.
	if n, err := e.svc.Reconcile(ctx); n != 0 || err != nil {
		t.Fatalf("Reconcile = %d, %v", n, err)
	}
	if cal.Len() != 2 || cal.writes() != 0 || e.store.count() != 0 {
		t.Fatalf("Reconcile touched the unknown events: %d events, %d writes, %d rows", cal.Len(), cal.writes(), e.store.count())
	}
	evs := unknown("")
	if len(evs) != 2 {
		t.Fatalf("unknown events: %v", evs)
	}
	first := evs[0].(map[string]any)
	want := map[string]any{
		"booking": lostID, "href": lostHref, "type": "consultation",
		"start": "2026-12-01T10:00:00+01:00", "end": "2026-12-01T10:20:00+01:00",
		"status": "confirmed", "sequence": float64(2), "first_seen": testNow.Format(time.RFC3339),
		"patient": map[string]any{"name": patientName, "email": patientEmail, "phone": patientPhone},
	}
	for k, v := range want {
		if got := first[k]; !equalJSON(got, v) {
			t.Errorf("unknown event %s = %v, want %v", k, got, v)
		}
	}
	if second := evs[1].(map[string]any); second["booking"] != otherID || second["status"] != "pending" || second["type"] != "massage" {
		t.Errorf("second unknown event: %v", second)
	}
	if got := unknown("?tz=America/New_York")[0].(map[string]any)["start"]; got != "2026-12-01T04:00:00-05:00" {
		t.Errorf("start in New York: %v", got)
	}
	wantProblem(t, e.admin(http.MethodGet, "/v1/admin/practitioners/nobody/unknown-events", ""), http.StatusNotFound, "nobody")
	wantProblem(t, e.admin(http.MethodGet, "/v1/admin/practitioners/demo/unknown-events?tz=Mars/Olympus", ""), http.StatusUnprocessableEntity, "tz")

	// /readyz stays ready, and counts them.
	if m := ready(); m["status"] != "ok" || !equalJSON(m["unknown_booking_events"], map[string]any{"demo": float64(2)}) {
		t.Errorf("readyz: %v", m)
	}

	// A dry run records nothing.
	w := e.admin(http.MethodPost, "/v1/admin/practitioners/demo/adopt", `{"dry_run":true}`)
	if w.Code != http.StatusOK {
		t.Fatalf("adopt dry run: %d %s", w.Code, w.Body)
	}
	m := decode(t, w)
	checkAdoption(t, m, true)
	if e.store.count() != 0 {
		t.Errorf("a dry run recorded %d rows", e.store.count())
	}
	if len(unknown("")) != 2 {
		t.Error("a dry run changed the unknown events")
	}

	// Adopting (an empty body) records the row, sends nothing, writes nothing.
	w = e.admin(http.MethodPost, "/v1/admin/practitioners/demo/adopt", "")
	if w.Code != http.StatusOK {
		t.Fatalf("adopt: %d %s", w.Code, w.Body)
	}
	checkAdoption(t, decode(t, w), false)
	row, err := e.store.Booking(ctx, lostID)
	if err != nil {
		t.Fatalf("no row once adopted: %v", err)
	}
	if row.Status != booking.StatusConfirmed || row.EventHref != lostHref || row.EventETag != "1" || row.Sequence != 2 ||
		row.Patient != patient || row.TokenHash != "" || !row.Start.Equal(time.Date(2026, 12, 1, 10, 0, 0, 0, paris)) {
		t.Errorf("adopted row %+v", row)
	}
	if e.store.count() != 1 {
		t.Errorf("%d rows, want the adopted one", e.store.count())
	}
	if got := sent.take(); len(got) != 0 {
		t.Errorf("adopting sent %v", got)
	}
	if cal.Len() != 2 || cal.writes() != 0 {
		t.Error("adopting wrote to the calendar")
	}
	if evs := unknown(""); len(evs) != 1 || evs[0].(map[string]any)["booking"] != otherID {
		t.Errorf("unknown events once adopted: %v", evs)
	}
	if m := ready(); !equalJSON(m["unknown_booking_events"], map[string]any{"demo": float64(1)}) {
		t.Errorf("readyz once adopted: %v", m)
	}
	list := decode(t, e.admin(http.MethodGet, "/v1/admin/practitioners/demo/bookings?from=2026-12-01&to=2026-12-02", ""))["bookings"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["id"] != lostID {
		t.Errorf("bookings once adopted: %v", list)
	}
	// Again: nothing left to adopt; the other event is still skipped.
	m = decode(t, e.admin(http.MethodPost, "/v1/admin/practitioners/demo/adopt", `{}`))
	if len(m["adopted"].([]any)) != 0 || len(m["skipped"].([]any)) != 1 || e.store.count() != 1 {
		t.Errorf("adopt again: %v", m)
	}

	// A new manage link: one email, to that patient, with a token that
	// opens the booking.
	resend := func() string {
		t.Helper()
		w := e.admin(http.MethodPost, "/v1/admin/bookings/"+lostID+"/resend-link", "")
		if w.Code != http.StatusOK {
			t.Fatalf("resend link: %d %s", w.Code, w.Body)
		}
		if m := decode(t, w); m["id"] != lostID || m["status"] != "confirmed" || m["patient"].(map[string]any)["email"] != patientEmail {
			t.Errorf("resend link: %v", m)
		}
		got := sent.take()
		if len(got) != 1 || got[0].kind != booking.NotifyLink || got[0].to != patientEmail || got[0].booking != lostID || got[0].token == "" {
			t.Fatalf("notifications %+v, want one link to the patient", got)
		}
		w = e.do(http.MethodGet, "/v1/bookings/"+got[0].token, nil)
		if w.Code != http.StatusOK || decode(t, w)["id"] != lostID {
			t.Fatalf("the new link does not open the booking: %d %s", w.Code, w.Body)
		}
		return got[0].token
	}
	old := resend()
	token := resend()
	if token == old {
		t.Fatal("the same token twice")
	}
	wantProblem(t, e.do(http.MethodGet, "/v1/bookings/"+old, nil), http.StatusNotFound, "")
	if w := e.do(http.MethodGet, "/v1/bookings/"+token, nil); w.Code != http.StatusOK {
		t.Errorf("the newest link: %d", w.Code)
	}

	wantProblem(t, e.admin(http.MethodPost, "/v1/admin/bookings/"+otherID+"/resend-link", ""), http.StatusNotFound, "no booking")
	if w := e.admin(http.MethodPost, "/v1/admin/bookings/"+lostID+"/cancel", ""); w.Code != http.StatusOK {
		t.Fatalf("cancel: %d %s", w.Code, w.Body)
	}
	sent.take()
	wantProblem(t, e.admin(http.MethodPost, "/v1/admin/bookings/"+lostID+"/resend-link", ""), http.StatusConflict, "cancelled")
	if got := sent.take(); len(got) != 0 {
		t.Errorf("a refused resend sent %v", got)
	}
}

// checkAdoption checks the answer of adopt for the two events of
// TestAdminUnknownEventsAdoptResend.
func checkAdoption(t *testing.T, m map[string]any, dryRun bool) {
	t.Helper()
	if m["practitioner"] != "demo" || m["dry_run"] != dryRun {
		t.Errorf("adopt: %v", m)
	}
	adopted, skipped := m["adopted"].([]any), m["skipped"].([]any)
	if len(adopted) != 1 || len(skipped) != 1 {
		t.Fatalf("adopted %v, skipped %v", adopted, skipped)
	}
	a := adopted[0].(map[string]any)
	if a["id"] != lostID || a["status"] != "confirmed" || a["type"] != "consultation" ||
		a["start"] != "2026-12-01T10:00:00+01:00" || a["end"] != "2026-12-01T10:20:00+01:00" ||
		!equalJSON(a["patient"], map[string]any{"name": patientName, "email": patientEmail, "phone": patientPhone}) {
		t.Errorf("adopted %v", a)
	}
	s := skipped[0].(map[string]any)
	if s["booking"] != otherID || s["href"] != "/calendars/demo/bookings/"+otherID+".ics" ||
		!strings.Contains(s["reason"].(string), "not configured") {
		t.Errorf("skipped %v", s)
	}
}

// equalJSON compares decoded JSON values.
func equalJSON(a, b any) bool {
	switch a := a.(type) {
	case map[string]any:
		b, ok := b.(map[string]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for k, v := range a {
			if !equalJSON(v, b[k]) {
				return false
			}
		}
		return true
	default:
		return a == b
	}
}

func TestAdminAdoptRefused(t *testing.T) {
	e, _, _ := newUnknownEnv(t)
	for _, tt := range []struct {
		name, path, body string
		status           int
		detail           string
	}{
		{"unknown practitioner", "/v1/admin/practitioners/nobody/adopt", "", http.StatusNotFound, "nobody"},
		{"dry_run not a boolean", "/v1/admin/practitioners/demo/adopt", `{"dry_run":"yes"}`, http.StatusUnprocessableEntity, "dry_run"},
		{"unknown field", "/v1/admin/practitioners/demo/adopt", `{"dryrun":true}`, http.StatusUnprocessableEntity, "dryrun"},
		{"not JSON", "/v1/admin/practitioners/demo/adopt", `dry_run`, http.StatusBadRequest, "JSON"},
		{"bad tz", "/v1/admin/practitioners/demo/adopt?tz=Nowhere", "", http.StatusUnprocessableEntity, "tz"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wantProblem(t, e.admin(http.MethodPost, tt.path, tt.body), tt.status, tt.detail)
		})
	}
	// Nothing unknown: an empty adoption.
	m := decode(t, e.admin(http.MethodPost, "/v1/admin/practitioners/demo/adopt", ""))
	if len(m["adopted"].([]any)) != 0 || len(m["skipped"].([]any)) != 0 || m["dry_run"] != false {
		t.Errorf("adopt with nothing unknown: %v", m)
	}
}
