package api

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkServeHealthz measures the work every request does around its
// handler (request id, metrics, log line, compression check) on the
// cheapest route, GET /healthz; BenchmarkScrape a scrape of /metrics after
// requests on 20 series.
func BenchmarkServeHealthz(b *testing.B) {
	s := benchServer(b, nil)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/healthz", nil))
		if w.Code != http.StatusOK {
			b.Fatalf("%d", w.Code)
		}
	}
}

func BenchmarkScrape(b *testing.B) {
	s := benchServer(b, nil)
	for _, p := range []string{"/healthz", "/v1/practitioners", "/v1/nothing", "/openapi.json", "/docs"} {
		for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, "BREW"} {
			s.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(m, p, nil))
		}
	}
	h := s.MetricsHandler()
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		if w.Code != http.StatusOK {
			b.Fatalf("%d", w.Code)
		}
	}
}
