package api

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestMetrics(t *testing.T) {
	e := newEnv(t)
	token := e.book("consultation", slotStart)
	e.do(http.MethodGet, "/v1/bookings/"+token, nil)
	e.do(http.MethodGet, "/v1/practitioners", nil)
	e.do("BREW", "/v1/practitioners", nil)
	e.do(http.MethodGet, "/v1/practitioners/demo/slots?type=consultation", nil)

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
		`rdv_slot_computation_seconds_count{practitioner="demo",query="slots"} 1`,
		`rdv_http_requests_total{method="GET",route="/v1/practitioners/{id}/slots",status="200"} 1`,
		"rdv_start_time_seconds ",
		"go_goroutines ", // the Go runtime collector
		"process_start_time_seconds ",
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

// TestMetricsRegistry checks that a Server registers its metrics on the
// registry it is given, beside the host's own, and that two Servers, each
// on a registry of its own, count apart.
func TestMetricsRegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	host := prometheus.NewCounter(prometheus.CounterOpts{Name: "host_thing_total", Help: "A host's own."})
	reg.MustRegister(host)
	host.Inc()
	e := newEnvConfig(t, func(c *Config) { c.Registry = reg })
	other := newEnv(t)
	e.do(http.MethodGet, "/v1/practitioners", nil)

	text := scrape(t, e.srv.MetricsHandler())
	for _, want := range []string{"host_thing_total 1", `rdv_http_requests_total{method="GET",route="/v1/practitioners",status="200"} 1`} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "go_goroutines") {
		t.Error("the runtime collectors were added to the host's registry, which may have them already")
	}
	if text := scrape(t, other.srv.MetricsHandler()); strings.Contains(text, "rdv_http_requests_total{") || strings.Contains(text, "host_thing") {
		t.Errorf("the other server counted the first one's requests:\n%s", text)
	}
	if _, err := New(Config{Service: e.svc, BaseURL: "http://rdv.test", Registry: reg}); err == nil {
		t.Error("a second server registered on the same registry: its metrics would be mixed with the first's")
	}
}

func scrape(t *testing.T, h http.Handler) string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: %d", rec.Code)
	}
	return rec.Body.String()
}
