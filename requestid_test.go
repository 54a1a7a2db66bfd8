package rdv

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/internal/bookingtest"
)

// TestRequestIDDeep checks that a line logged by the booking service for
// a request (the booking created) carries the request's id, as the HTTP
// server's own line does, with a logger the host gave as it is.
func TestRequestIDDeep(t *testing.T) {
	logs := &bookingtest.LogBuffer{}
	o := testOptions(t)
	o.Logger = slog.New(slog.NewTextHandler(logs, nil))
	a, err := New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	start := nextMonday(time.Now()).Add(9 * time.Hour).Format(time.RFC3339)
	body := `{"practitioner":"martin","type":"consultation","start":"` + start + `","patient":{"name":"Marie Curie","email":"marie@example.org","phone":"+33612345678"}}`
	r := httptest.NewRequest(http.MethodPost, "/v1/bookings", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-Request-Id", "deep-1")
	w := httptest.NewRecorder()
	a.Handler().ServeHTTP(w, r)
	if w.Code != http.StatusCreated {
		t.Fatalf("book: %d %s", w.Code, w.Body)
	}
	a.Service().Flush()
	var created, request bool
	for _, line := range strings.Split(logs.String(), "\n") {
		created = created || strings.Contains(line, `msg="booking created"`) && strings.Contains(line, "request_id=deep-1")
		request = request || strings.Contains(line, `msg="http request"`) && strings.Contains(line, "request_id=deep-1")
	}
	if !created || !request {
		t.Errorf("booking line with the id: %v, request line: %v\n%s", created, request, logs)
	}
	for _, secret := range []string{"Marie", "marie@", "612345678"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("logs show %q", secret)
		}
	}
}
