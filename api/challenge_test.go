package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/internal/pow"
)

var challengeKey = []byte("challenge key of the tests, 32 bytes or more")

// challengeEnv is an env whose server asks for a proof of work, with a clock
// of its own that the test moves (the booking service keeps testNow).
func challengeEnv(t *testing.T) (*env, *time.Time) {
	t.Helper()
	clock := testNow
	e := newEnvConfig(t, func(c *Config) {
		c.Now = func() time.Time { return clock }
		c.Challenge = ChallengeConfig{Enabled: true, Key: challengeKey, MaxNumber: 5000}
	})
	return e, &clock
}

// solved gets a challenge from the server and solves it as a Go client does.
func (e *env) solved() pow.Payload {
	e.t.Helper()
	w := e.do(http.MethodGet, "/v1/challenge", nil)
	if w.Code != http.StatusOK || w.Header().Get("Cache-Control") != "no-store" {
		e.t.Fatalf("GET /v1/challenge = %d %v: %s", w.Code, w.Header(), w.Body)
	}
	var c pow.Challenge
	if err := json.Unmarshal(w.Body.Bytes(), &c); err != nil {
		e.t.Fatal(err)
	}
	p, err := pow.Solve(context.Background(), c)
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

func TestChallengeAPI(t *testing.T) {
	e, clock := challengeEnv(t)

	m := decode(t, e.do(http.MethodGet, "/v1/challenge", nil))
	for _, k := range []string{"algorithm", "challenge", "salt", "signature", "maxnumber"} {
		if _, ok := m[k]; !ok {
			t.Errorf("challenge lacks %q: %v", k, m)
		}
	}
	if m["algorithm"] != "SHA-256" || m["maxnumber"] != float64(5000) {
		t.Errorf("challenge = %v", m)
	}

	used := e.solved().Encode()
	w := e.postJSON("/v1/bookings", bookingBody("consultation", slotStart), AltchaHeader, used)
	if w.Code != http.StatusCreated {
		t.Fatalf("booking with a solved challenge = %d: %s", w.Code, w.Body)
	}

	const other = "2026-12-01T09:20:00+01:00"
	tests := []struct {
		name    string
		payload func() string
		detail  string
	}{
		{"missing", func() string { return "" }, "a proof of work is required"},
		{"malformed", func() string { return "bm90IGpzb24=" }, "not base64 of the JSON"},
		{"tampered signature", func() string {
			p := e.solved()
			p.Signature = strings.Repeat("0", 64)
			return p.Encode()
		}, "does not solve a challenge of this server"},
		{"wrong number", func() string {
			p := e.solved()
			p.Number = (p.Number + 1) % 5001
			return p.Encode()
		}, "does not solve a challenge of this server"},
		{"replayed", func() string { return used }, "already used"},
		{"expired", func() string {
			p := e.solved()
			*clock = clock.Add(5 * time.Minute)
			return p.Encode()
		}, "expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, objects := e.store.count(), e.cal.Len()
			var headers []string
			if p := tt.payload(); p != "" {
				headers = []string{AltchaHeader, p}
			}
			w := e.postJSON("/v1/bookings", bookingBody("consultation", other), headers...)
			wantProblem(t, w, http.StatusUnprocessableEntity, tt.detail)
			if e.store.count() != before || e.cal.Len() != objects {
				t.Error("a refused proof of work booked something")
			}
		})
	}

	metrics := e.metricsText()
	for _, want := range []string{
		`rdv_bot_refused_total{check="challenge",reason="missing"} 1`,
		`rdv_bot_refused_total{check="challenge",reason="invalid"} 2`,
		`rdv_bot_refused_total{check="challenge",reason="expired"} 1`,
		`rdv_bot_refused_total{check="challenge",reason="replayed"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

// Off (the default), there is no challenge to get and bookings need none.
func TestChallengeDisabled(t *testing.T) {
	e := newEnv(t)
	wantProblem(t, e.do(http.MethodGet, "/v1/challenge", nil), http.StatusNotFound, "no such API route")
	if w := e.do(http.MethodGet, "/static/challenge.js", nil); w.Code != http.StatusNotFound {
		t.Errorf("GET /static/challenge.js = %d, want 404", w.Code)
	}
	if w := e.postJSON("/v1/bookings", bookingBody("consultation", slotStart)); w.Code != http.StatusCreated {
		t.Fatalf("booking without challenge = %d: %s", w.Code, w.Body)
	}
	body := wantPage(t, e.do(http.MethodGet, bookPath, nil), http.StatusOK)
	for _, absent := range []string{"<script", "<noscript", "data-challenge", `name="altcha"`} {
		if strings.Contains(body, absent) {
			t.Errorf("the form has %q with the challenge off", absent)
		}
	}
}

func TestChallengeForm(t *testing.T) {
	e, _ := challengeEnv(t)
	body := wantPage(t, e.do(http.MethodGet, bookPath, nil), http.StatusOK,
		`data-challenge="/v1/challenge"`, `<input type="hidden" name="altcha" value="">`,
		`<script src="`+staticPath(t, "challenge.js")+`" defer></script>`, "<noscript>", "a besoin de JavaScript")
	if strings.Count(body, "<script") != 1 {
		t.Errorf("the form has other scripts:\n%s", body)
	}
	w := e.do(http.MethodGet, "/static/challenge.js", nil)
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "text/javascript; charset=utf-8" {
		t.Fatalf("GET /static/challenge.js = %d %q", w.Code, w.Header().Get("Content-Type"))
	}
	for _, banned := range []string{"eval(", "new Function", "innerHTML", "http://", "https://"} {
		if strings.Contains(w.Body.String(), banned) {
			t.Errorf("challenge.js uses %q", banned)
		}
	}

	post := func(altcha string) *httptest.ResponseRecorder {
		f := bookForm("consultation", slotStart, patientName, patientEmail, patientPhone)
		f.Set("altcha", altcha)
		return e.postForm("/book", f, "Origin", "http://example.com", "Sec-Fetch-Site", "same-origin")
	}
	// Without JavaScript: refused, the form comes back with what was typed.
	wantPage(t, post(""), http.StatusUnprocessableEntity, "a besoin de JavaScript", `value="`+patientName+`"`)
	if e.store.count() != 0 {
		t.Fatal("a form without proof of work booked")
	}
	p := e.solved().Encode()
	if w := post(p); w.Code != http.StatusSeeOther {
		t.Fatalf("form with a solved challenge = %d:\n%s", w.Code, w.Body)
	}
	wantPage(t, post(p), http.StatusUnprocessableEntity, "pas abouti ou a expiré")
	if e.store.count() != 1 {
		t.Errorf("%d bookings, want 1", e.store.count())
	}
}
