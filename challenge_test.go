package rdv

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rdvlibre/rdv/internal/pow"
)

// The challenge key comes from the secret: a replica sharing the secret
// accepts the solution of another's challenge, an instance with another
// secret refuses it.
func TestChallengeKeyFromSecret(t *testing.T) {
	app := func(secret string) http.Handler {
		o := testOptions(t)
		o.Secret = []byte(secret)
		o.Challenge = Challenge{Enabled: true, MaxNumber: 1000}
		a, err := New(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.Close() })
		return a.Handler()
	}
	shared := strings.Repeat("s", 32)
	one, two, other := app(shared), app(shared), app(strings.Repeat("o", 32))

	w := httptest.NewRecorder()
	one.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/v1/challenge", nil))
	var c pow.Challenge
	if err := json.Unmarshal(w.Body.Bytes(), &c); err != nil || w.Code != http.StatusOK {
		t.Fatalf("GET /v1/challenge = %d %v: %s", w.Code, err, w.Body)
	}
	p, err := pow.Solve(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	// The proof of work is checked first: an unknown practitioner's 404
	// says it passed.
	book := func(h http.Handler) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, "/v1/bookings", strings.NewReader(
			`{"practitioner":"nobody","type":"consultation","start":"2030-01-07T09:00:00Z","patient":{"name":"A","email":"a@example.org"}}`))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("X-Altcha", p.Encode())
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	if w := book(other); w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "does not solve a challenge of this server") {
		t.Errorf("another secret: %d %s, want 422", w.Code, w.Body)
	}
	if w := book(two); w.Code != http.StatusNotFound {
		t.Errorf("a replica with the same secret: %d %s, want the proof accepted", w.Code, w.Body)
	}
}
