package api

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
)

// benchEnv is a server with 5 practitioners of 3 motives each, whose
// calendars hold a busy hour every working morning for 60 days.
func benchEnv(b *testing.B) *env {
	b.Helper()
	e := newEnv(b)
	for i := range 4 {
		p := demoPractitioner()
		p.ID, p.Name = fmt.Sprintf("p%d", i), fmt.Sprintf("Dr Praticien %d", i)
		p.Types = []booking.AppointmentType{
			{ID: "consultation", Name: "Consultation", Duration: 20 * time.Minute},
			{ID: "suivi", Name: "Suivi", Duration: 30 * time.Minute},
			{ID: "long", Name: "Consultation longue", Duration: 45 * time.Minute, Step: 15 * time.Minute},
		}
		cal := newFakeCalendar()
		for d := range 60 {
			day := testNow.AddDate(0, 0, d)
			start := time.Date(day.Year(), day.Month(), day.Day(), 10, 0, 0, 0, paris)
			cal.AddBusy(booking.Interval{Start: start, End: start.Add(time.Hour)})
		}
		if err := e.svc.AddPractitioner(p, cal); err != nil {
			b.Fatal(err)
		}
	}
	return e
}

// BenchmarkPages serves the steps of a booking, reporting the bytes of each
// page as sent with gzip.
func BenchmarkPages(b *testing.B) {
	e := benchEnv(b)
	for _, target := range []string{"/", "/p/p1", "/p/p1/consultation", "/p/p1/long?day=2026-12-15", bookPath} {
		b.Run(target, func(b *testing.B) {
			r := httptest.NewRequest(http.MethodGet, target, nil)
			r.Header.Set("Accept-Encoding", "gzip")
			var n int
			for b.Loop() {
				w := httptest.NewRecorder()
				e.srv.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatalf("GET %s = %d", target, w.Code)
				}
				n = w.Body.Len()
			}
			b.ReportMetric(float64(n), "bytes/page")
		})
	}
}
