package api

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/internal/requestid"
)

// TestRequestID checks that every answer has an id, the client's when it
// is short and safe, a new one otherwise; that problem+json errors carry
// it (from huma, outside huma, a 429) and the OpenAPI schema declares it;
// and that the request's log line has it.
func TestRequestID(t *testing.T) {
	e := newEnv(t)
	for _, tt := range []struct {
		name, sent string
		kept       bool
	}{
		{"none", "", false},
		{"kept", "lb-7f3a.42_x", true},
		{"too long", strings.Repeat("a", 65), false},
		{"forged log line", "x\" level=ERROR msg=\"forged", false},
		{"an email", "marie@example.org", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var h []string
			if tt.sent != "" {
				h = []string{"X-Request-Id", tt.sent}
			}
			for _, target := range []string{
				"/v1/practitioners/nobody/slots?type=consultation", // a huma error
				"/v1/nothing", // outside huma
			} {
				w := e.do(http.MethodGet, target, nil, h...)
				id := w.Header().Get("X-Request-Id")
				if !requestid.Valid(id) || (id == tt.sent) != tt.kept {
					t.Errorf("%s: X-Request-Id %q for %q", target, id, tt.sent)
				}
				if w.Code != http.StatusNotFound || decode(t, w)["request_id"] != id {
					t.Errorf("%s: %d %s, want a 404 with request_id %q", target, w.Code, w.Body, id)
				}
				if !strings.Contains(e.logs.String(), "request_id="+id) {
					t.Errorf("%s: no log line with request_id=%s:\n%s", target, id, e.logs)
				}
			}
		})
	}
	if w := e.do(http.MethodGet, "/healthz", nil); w.Header().Get("X-Request-Id") == "" {
		t.Error("a success has no X-Request-Id")
	}
	doc := decode(t, e.do(http.MethodGet, "/openapi.json", nil))
	props := doc["components"].(map[string]any)["schemas"].(map[string]any)["ErrorModel"].(map[string]any)["properties"].(map[string]any)
	if _, ok := props["request_id"]; !ok {
		t.Error("the ErrorModel schema, which allows no other member, lacks request_id")
	}
}

// TestRequestIDLimited checks the request id of a 429 of the rate limits.
func TestRequestIDLimited(t *testing.T) {
	e := newEnvConfig(t, func(c *Config) {
		c.NoRateLimits = false
		c.RateLimits = RateLimits{Lookup: Rate{Every: time.Hour, Burst: 1}}
	})
	var w = e.do(http.MethodGet, "/v1/bookings/nope", nil, "X-Request-Id", "first")
	for range 5 {
		if w = e.do(http.MethodGet, "/v1/bookings/nope", nil, "X-Request-Id", "limited-1"); w.Code == http.StatusTooManyRequests {
			break
		}
	}
	if w.Code != http.StatusTooManyRequests {
		t.Fatalf("not limited: %d", w.Code)
	}
	if m := decode(t, w); m["request_id"] != "limited-1" || m["limit"] != "rate" {
		t.Errorf("429: %s", w.Body)
	}
}
