package api

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestMetrics(t *testing.T) {
	e := newEnv(t)
	token := e.book("consultation", slotStart)
	e.do(http.MethodGet, "/v1/bookings/"+token, nil)
	e.do(http.MethodGet, "/v1/practitioners", nil)
	e.do("BREW", "/v1/practitioners", nil)

	rec := httptest.NewRecorder()
	e.srv.MetricsHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("GET /metrics: %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	body, _ := io.ReadAll(rec.Body)
	text := string(body)
	for _, want := range []string{
		`rdv_http_requests_total{method="GET",route="/v1/practitioners",status="200"} 1`,
		`rdv_http_requests_total{method="GET",route="/v1/bookings/{token}",status="200"} 1`,
		`rdv_http_requests_total{method="OTHER",`,
		`rdv_http_request_duration_seconds_bucket{method="GET",route="/v1/practitioners",status="200",le="+Inf"} 1`,
		"# TYPE rdv_http_request_duration_seconds histogram",
		`rdv_outbox_messages_total{outcome="sent"} 1`,
		"rdv_outbox_waiting 1", // the booking's reminder, due the day before
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %q:\n%s", want, text)
		}
	}
	for _, secret := range []string{token, patientName, patientEmail, patientPhone} {
		if secret != "" && strings.Contains(text, secret) {
			t.Errorf("metrics reveal %q", secret)
		}
	}
}
