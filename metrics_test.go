package rdv

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
)

// TestAppMetrics checks the metrics the App adds to the server's: the
// CalDAV requests of each practitioner (here to the embedded server), the
// cache validations, the sync passes and holds, the bookings by status,
// the Go runtime and process; and that no patient data and no calendar URL
// shows.
func TestAppMetrics(t *testing.T) {
	ctx := context.Background()
	a, err := New(ctx, testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	patient := booking.Patient{Name: "Marie Curie", Email: "marie@example.org", Phone: "+33612345678"}
	start := nextMonday(time.Now()).Add(9 * time.Hour)
	if _, _, err := a.Service().Book(ctx, booking.BookRequest{PractitionerID: "martin", TypeID: "consultation", Start: start, Patient: patient}); err != nil {
		t.Fatal(err)
	}
	a.Service().Flush()
	if _, err := a.Service().Sync(ctx); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	a.MetricsHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	text := rec.Body.String()
	for _, want := range []string{
		`rdv_caldav_requests_total{method="PUT",practitioner="martin",status="201"} 1`,
		`rdv_caldav_request_duration_seconds_count{method="PROPFIND",practitioner="martin"}`,
		`rdv_caldav_validations_total{practitioner="martin",result="unchanged"}`,
		`rdv_calendar_failures{practitioner="martin"} 0`,
		`rdv_sync_passes_total{outcome="ok"} 1`,
		`rdv_sync_held{practitioner="martin"} 0`,
		`rdv_bookings{practitioner="martin",status="confirmed"} 1`,
		`rdv_bookings{practitioner="martin",status="pending"} 0`,
		`rdv_outbox_messages_total{outcome="sent"} 1`,
		"go_goroutines ",
		"process_start_time_seconds ",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if t.Failed() {
		t.Log(text)
	}
	for _, secret := range []string{patient.Name, patient.Email, patient.Phone, "/dav/", "rdv.embedded"} {
		if strings.Contains(text, secret) {
			t.Errorf("metrics show %q", secret)
		}
	}
}

// nextMonday returns midnight UTC of the Monday after t's day.
func nextMonday(t time.Time) time.Time {
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, 1)
	for d.Weekday() != time.Monday {
		d = d.AddDate(0, 0, 1)
	}
	return d
}
