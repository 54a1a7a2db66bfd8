package api

import (
	"net/http"
	"testing"
)

// TestUncleanPathKeepsBasePath: an address with "//", "." or ".." is sent
// to its clean form under the base path (the mux's own redirect dropped
// it, out of rdv behind a proxy that mounts it under /rdv), never to
// another site.
func TestUncleanPathKeepsBasePath(t *testing.T) {
	e := newEnvConfig(t, func(c *Config) { c.BaseURL = "http://example.com/rdv" })
	for path, want := range map[string]string{
		"//p/demo":                    "/rdv/p/demo",
		"/p/../p/demo?day=2026-12-01": "/rdv/p/demo?day=2026-12-01",
		"/p//demo/consultation":       "/rdv/p/demo/consultation",
		"/v1//practitioners":          "/rdv/v1/practitioners",
		"/./static/":                  "/rdv/static/",
	} {
		w := e.do(http.MethodGet, path, nil)
		if w.Code != http.StatusTemporaryRedirect || w.Header().Get("Location") != want {
			t.Errorf("GET %s = %d to %q, want 307 to %q", path, w.Code, w.Header().Get("Location"), want)
		}
	}
	// Without a base path, a doubled slash never becomes another site's
	// address (a Location of "//evil.example/x" would be).
	if w := newEnv(t).do(http.MethodGet, "//evil.example/x", nil); w.Header().Get("Location") != "/evil.example/x" {
		t.Errorf("GET //evil.example/x = %d to %q", w.Code, w.Header().Get("Location"))
	}
	// A clean address is served as it is.
	if w := e.do(http.MethodGet, "/p/demo/consultation", nil); w.Code != http.StatusOK {
		t.Errorf("a clean address: %d", w.Code)
	}
}
