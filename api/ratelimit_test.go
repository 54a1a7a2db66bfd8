package api

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/internal/bookingtest"
)

// guarded returns e with a server that has the rate limits rl, CORS for
// cors, and the admin token; its clock is clock.
func guarded(t *testing.T, rl RateLimits, cors []string, clock *bookingtest.Clock) *env {
	t.Helper()
	e := newEnv(t)
	srv, err := New(Config{Service: e.svc, BaseURL: baseURL, Logger: e.srv.log, Now: clock.Now,
		RateLimits: rl, CORSOrigins: cors, AdminToken: adminToken})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = srv
	return e
}

// from sends a request as the client at addr ("192.0.2.7:5555").
func (e *env) from(addr, method, target, body string, headers ...string) *httptest.ResponseRecorder {
	e.t.Helper()
	var r *http.Request
	if body == "" {
		r = httptest.NewRequest(method, target, nil)
	} else {
		r = httptest.NewRequest(method, target, strings.NewReader(body))
	}
	r.RemoteAddr = addr
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	e.srv.ServeHTTP(w, r)
	return w
}

func TestRateLimitPerClient(t *testing.T) {
	clock := bookingtest.NewClock(testNow)
	e := guarded(t, RateLimits{Lookup: Rate{Every: time.Minute, Burst: 3}}, nil, clock)
	target := "/v1/bookings/" + booking.NewToken()
	for i := range 3 {
		if w := e.from("192.0.2.7:5555", http.MethodGet, target, ""); w.Code != http.StatusNotFound {
			t.Fatalf("lookup %d: %d, want 404", i+1, w.Code)
		}
	}
	w := e.from("192.0.2.7:6666", http.MethodGet, target, "")
	wantProblem(t, w, http.StatusTooManyRequests, "too many requests")
	if p := decode(t, w); p["limit"] != booking.LimitRate {
		t.Errorf("problem = %v, want limit %q", p, booking.LimitRate)
	}
	if got := w.Header().Get("Retry-After"); got != "60" {
		t.Errorf("Retry-After = %q, want 60", got)
	}
	// Another client is not held back; the page side gets a page.
	if w := e.from("192.0.2.8:5555", http.MethodGet, target, ""); w.Code != http.StatusNotFound {
		t.Errorf("another client: %d, want 404", w.Code)
	}
	wantPage(t, e.from("192.0.2.7:5555", http.MethodGet, "/manage/"+booking.NewToken(), ""), http.StatusTooManyRequests, "Trop de demandes")
	// The bucket refills with time.
	clock.Add(time.Minute)
	if w := e.from("192.0.2.7:5555", http.MethodGet, target, ""); w.Code != http.StatusNotFound {
		t.Errorf("a minute later: %d, want 404", w.Code)
	}
	// IPv6 clients are counted by /64.
	for i := range 3 {
		e.from("[2001:db8:1:2::"+string(rune('a'+i))+"]:443", http.MethodGet, target, "")
	}
	if w := e.from("[2001:db8:1:2:ffff::1]:443", http.MethodGet, target, ""); w.Code != http.StatusTooManyRequests {
		t.Errorf("another address of the same /64: %d, want 429", w.Code)
	}
	if w := e.from("[2001:db8:1:3::1]:443", http.MethodGet, target, ""); w.Code != http.StatusNotFound {
		t.Errorf("another /64: %d, want 404", w.Code)
	}
	m := httptest.NewRecorder()
	e.srv.MetricsHandler().ServeHTTP(m, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if !strings.Contains(m.Body.String(), `rdv_http_rate_limited_total{class="lookup"} 3`) {
		t.Errorf("metrics lack the refusals:\n%s", m.Body)
	}
}

func TestRateLimitClasses(t *testing.T) {
	for _, c := range []struct {
		method, path string
		class        int
	}{
		{http.MethodPost, "/v1/bookings", classBook},
		{http.MethodPost, "/book", classBook},
		{http.MethodPost, "/p/demo/consultation/waitlist", classBook},
		{http.MethodPost, "/s/generaliste/waitlist", classBook},
		{http.MethodPost, "/v1/bookings/tok/cancel", classChange},
		{http.MethodPost, "/manage/tok/reschedule", classChange},
		{http.MethodGet, "/v1/bookings/tok", classLookup},
		{http.MethodGet, "/manage/tok", classLookup},
		{http.MethodGet, "/v1/practitioners/demo/slots", classRead},
		{http.MethodGet, "/", classRead},
		{http.MethodGet, "/p/demo", classRead},
		{http.MethodGet, "/p/demo/consultation?day=2026-12-01", classRead},
		{http.MethodGet, "/manage/tok/move", classLookup},
		{http.MethodGet, "/manage/tok/event.ics", classLookup},
		{http.MethodGet, "/docs", classNone},
		{http.MethodGet, "/v1/admin/bookings", classNone},
		{http.MethodGet, "/healthz", classNone},
		{http.MethodGet, "/static/style.css", classNone},
	} {
		if got := classify(httptest.NewRequest(c.method, c.path, nil)); got != c.class {
			t.Errorf("%s %s: class %s, want %s", c.method, c.path, classNames[got], classNames[c.class])
		}
	}
}

func TestRateLimitBookThenOff(t *testing.T) {
	clock := bookingtest.NewClock(testNow)
	e := guarded(t, RateLimits{Book: Rate{Every: time.Hour, Burst: 1}}, nil, clock)
	body := bookingBody("consultation", "2026-12-01T09:00:00+01:00")
	if w := e.from("192.0.2.7:1", http.MethodPost, "/v1/bookings", body, "Content-Type", "application/json"); w.Code != http.StatusCreated {
		t.Fatalf("first booking: %d %s", w.Code, w.Body)
	}
	w := e.from("192.0.2.7:1", http.MethodPost, "/v1/bookings", bookingBody("consultation", "2026-12-01T10:00:00+01:00"), "Content-Type", "application/json")
	wantProblem(t, w, http.StatusTooManyRequests, "too many requests")
	if w.Header().Get("Retry-After") != "3600" {
		t.Errorf("Retry-After = %q", w.Header().Get("Retry-After"))
	}
	if e.store.count() != 1 {
		t.Errorf("%d bookings, want 1", e.store.count())
	}

	// A burst below 0 turns a limit off.
	off := guarded(t, RateLimits{Lookup: Rate{Burst: -1}}, nil, clock)
	for i := range 50 {
		if w := off.from("192.0.2.7:1", http.MethodGet, "/v1/bookings/x", ""); w.Code != http.StatusNotFound {
			t.Fatalf("lookup %d with the limit off: %d", i, w.Code)
		}
	}
}

func TestTrustedProxies(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	l := newLimiter(RateLimits{TrustedProxies: proxies})
	lf := newLimiter(RateLimits{TrustedProxies: proxies, ForwardedHeader: "Forwarded"})
	for _, c := range []struct {
		name, remote string
		headers      []string
		want         string
		forwarded    bool
	}{
		{"no proxy: headers ignored", "192.0.2.7:1", []string{"X-Forwarded-For", "198.51.100.1"}, "192.0.2.7/32", false},
		{"trusted proxy, X-Forwarded-For", "10.0.0.2:1", []string{"X-Forwarded-For", "198.51.100.1"}, "198.51.100.1/32", false},
		{"spoofed left-most entry", "10.0.0.2:1", []string{"X-Forwarded-For", "6.6.6.6, 198.51.100.1, 10.0.0.3"}, "198.51.100.1/32", false},
		{"a client's own Forwarded is ignored", "10.0.0.2:1", []string{"X-Forwarded-For", "198.51.100.9", "Forwarded", "for=6.6.6.6"}, "198.51.100.9/32", false},
		{"Forwarded when configured", "10.0.0.2:1", []string{"X-Forwarded-For", "6.6.6.6", "Forwarded", `for=198.51.100.2;proto=https, for="[2001:db8::1]:443"`}, "2001:db8::/64", true},
		{"Forwarded obfuscated", "[::1]:1", []string{"Forwarded", "for=_hidden"}, "::/64", true},
		{"all hops trusted", "10.0.0.2:1", []string{"X-Forwarded-For", "10.1.1.1, 10.2.2.2"}, "10.1.1.1/32", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = c.remote
			for i := 0; i+1 < len(c.headers); i += 2 {
				r.Header.Set(c.headers[i], c.headers[i+1])
			}
			lim := l
			if c.forwarded {
				lim = lf
			}
			got, ok := lim.client(r)
			if !ok || got.String() != c.want {
				t.Errorf("client = %v, %v; want %s", got, ok, c.want)
			}
		})
	}
}

func TestClientTableBounded(t *testing.T) {
	l := newLimiter(RateLimits{MaxClients: 100})
	tab := l.tables[classRead]
	for i := range 10000 {
		a := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		tab.get(netip.PrefixFrom(a, 32))
		if n := tab.len(); n > 100 {
			t.Fatalf("after %d clients the table holds %d, more than MaxClients", i+1, n)
		}
	}
	// A client seen often stays remembered: its bucket is not refilled by
	// the turnover of others.
	hot := netip.MustParsePrefix("192.0.2.1/32")
	first := tab.get(hot)
	for i := range 1000 {
		tab.get(netip.PrefixFrom(netip.AddrFrom4([4]byte{11, 0, byte(i >> 8), byte(i)}), 32))
		if i%10 == 0 && tab.get(hot) != first {
			t.Fatalf("a client seen every 10 requests was forgotten after %d others", i)
		}
	}
}

func TestJSONContentTypeRequired(t *testing.T) {
	e := newEnv(t)
	token := e.book("consultation", slotStart)
	for _, c := range []struct {
		name, target, body, contentType string
	}{
		{"booking without Content-Type", "/v1/bookings", bookingBody("consultation", "2026-12-01T10:00:00+01:00"), ""},
		{"booking as text/plain", "/v1/bookings", bookingBody("consultation", "2026-12-01T10:00:00+01:00"), "text/plain"},
		{"cancel as text/plain", "/v1/bookings/" + token + "/cancel", "{}", "text/plain"},
		{"cancel without a body nor Content-Type", "/v1/bookings/" + token + "/cancel", "", ""},
		{"reschedule as a form", "/v1/bookings/" + token + "/reschedule", "start=2026-12-01T10:00:00%2B01:00", "application/x-www-form-urlencoded"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var h []string
			if c.contentType != "" {
				h = []string{"Content-Type", c.contentType}
			}
			wantProblem(t, e.from("192.0.2.7:1", http.MethodPost, c.target, c.body, append(h, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")...),
				http.StatusUnsupportedMediaType, "application/json")
		})
	}
	if e.store.count() != 1 || e.store.status(token) != booking.StatusConfirmed || len(e.notes.Kinds("")) != 1 {
		t.Errorf("a refused request changed something: %d bookings, %s, messages %v", e.store.count(), e.store.status(token), e.notes.Kinds(""))
	}
	// With the JSON type, the same cancel works.
	if w := e.postJSON("/v1/bookings/"+token+"/cancel", "{}"); w.Code != http.StatusOK {
		t.Errorf("JSON cancel: %d %s", w.Code, w.Body)
	}
}

func TestCORS(t *testing.T) {
	clock := bookingtest.NewClock(testNow)
	e := guarded(t, RateLimits{}, []string{"https://www.cabinet.example"}, clock)
	pre := e.from("192.0.2.7:1", http.MethodOptions, "/v1/bookings", "",
		"Origin", "https://www.cabinet.example", "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type")
	if pre.Code != http.StatusNoContent || pre.Header().Get("Access-Control-Allow-Origin") != "https://www.cabinet.example" ||
		!strings.Contains(pre.Header().Get("Access-Control-Allow-Headers"), "Content-Type") {
		t.Errorf("preflight from an allowed origin: %d %v", pre.Code, pre.Header())
	}
	wantProblem(t, e.from("192.0.2.7:1", http.MethodOptions, "/v1/bookings", "",
		"Origin", "https://evil.example", "Access-Control-Request-Method", "POST"), http.StatusForbidden, "origin")
	w := e.from("192.0.2.7:1", http.MethodGet, "/v1/practitioners", "", "Origin", "https://www.cabinet.example")
	if w.Code != 200 || w.Header().Get("Access-Control-Allow-Origin") != "https://www.cabinet.example" {
		t.Errorf("GET from an allowed origin: %d %v", w.Code, w.Header())
	}
	w = e.from("192.0.2.7:1", http.MethodGet, "/v1/practitioners", "", "Origin", "https://evil.example")
	if w.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("GET from another origin got CORS headers: %v", w.Header())
	}
	// None by default.
	d := newEnv(t)
	if w := d.do(http.MethodOptions, "/v1/bookings", nil, "Origin", "https://www.cabinet.example", "Access-Control-Request-Method", "POST"); w.Code != http.StatusForbidden {
		t.Errorf("preflight with no origin allowed: %d", w.Code)
	}
	if _, err := New(Config{Service: e.svc, BaseURL: baseURL, CORSOrigins: []string{"https://x.example/path"}}); err == nil {
		t.Error("an origin with a path was accepted")
	}
}

func TestMetricsNotPublic(t *testing.T) {
	e := newEnv(t)
	if w := e.do(http.MethodGet, "/metrics", nil); w.Code != http.StatusNotFound {
		t.Errorf("without an admin token: %d, want 404", w.Code)
	}
	g := guarded(t, RateLimits{}, nil, bookingtest.NewClock(testNow))
	if w := g.do(http.MethodGet, "/metrics", nil); w.Code != http.StatusUnauthorized || w.Header().Get("WWW-Authenticate") == "" {
		t.Errorf("without the token: %d %v", w.Code, w.Header())
	}
	if w := g.do(http.MethodGet, "/metrics", nil, "Authorization", "Bearer "+adminToken); w.Code != 200 || !strings.Contains(w.Body.String(), "rdv_http_requests_total") {
		t.Errorf("with the token: %d", w.Code)
	}
	pub, err := New(Config{Service: e.svc, BaseURL: baseURL, PublicMetrics: true, Logger: e.srv.log})
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	pub.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if w.Code != 200 {
		t.Errorf("PublicMetrics: %d", w.Code)
	}
}

func TestAdminFailuresLogBounded(t *testing.T) {
	g := guarded(t, RateLimits{}, nil, bookingtest.NewClock(testNow))
	for range 50 {
		if w := g.do(http.MethodGet, "/v1/admin/practitioners/demo/bookings", nil, "Authorization", "Bearer wrong-token-wrong-token-wrong-token"); w.Code != http.StatusUnauthorized {
			t.Fatalf("wrong token: %d", w.Code)
		}
	}
	if n := strings.Count(g.logs.String(), "admin token refused"); n != 1 {
		t.Errorf("50 wrong tokens wrote %d warnings, want 1 per minute", n)
	}
}

// TestLimitProblem: a business limit reached through the API is a 429
// problem naming the limit, with Retry-After when waiting helps.
func TestLimitProblem(t *testing.T) {
	e := newEnvConfig(t, nil)
	svc := mustNewService(t, booking.ServiceConfig{Store: e.store, Notifier: e.notes, Now: func() time.Time { return testNow },
		Logger: e.srv.log, Limits: booking.Limits{NewPerMinute: 1}})
	if err := svc.AddPractitioner(demoPractitioner(), e.cal); err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{Service: svc, BaseURL: baseURL, Logger: e.srv.log, Now: func() time.Time { return testNow }, NoRateLimits: true})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = srv
	if w := e.postJSON("/v1/bookings", bookingBody("consultation", "2026-12-01T09:00:00+01:00")); w.Code != http.StatusCreated {
		t.Fatalf("first booking: %d %s", w.Code, w.Body)
	}
	w := e.postJSON("/v1/bookings", strings.Replace(bookingBody("consultation", "2026-12-01T10:00:00+01:00"), patientEmail, "other@example.org", 1))
	wantProblem(t, w, http.StatusTooManyRequests, "try again in a minute")
	if p := decode(t, w); p["limit"] != booking.LimitNew || w.Header().Get("Retry-After") != "60" {
		t.Errorf("problem %v, Retry-After %q; want limit %q and 60", p, w.Header().Get("Retry-After"), booking.LimitNew)
	}
}

// TestCrossSiteSpendsNoAllowance: requests refused as cross-site (415 on
// the API, 403 on the forms) take nothing from the client's rate limits.
func TestCrossSiteSpendsNoAllowance(t *testing.T) {
	e := guarded(t, RateLimits{Book: Rate{Every: time.Hour, Burst: 1}}, nil, bookingtest.NewClock(testNow))
	for range 5 {
		e.from("192.0.2.7:1", http.MethodPost, "/v1/bookings", bookingBody("consultation", slotStart), "Content-Type", "text/plain")
		e.from("192.0.2.7:1", http.MethodPost, "/book", "name=x", "Content-Type", "application/x-www-form-urlencoded", "Sec-Fetch-Site", "cross-site")
	}
	if w := e.from("192.0.2.7:1", http.MethodPost, "/v1/bookings", bookingBody("consultation", slotStart), "Content-Type", "application/json"); w.Code != http.StatusCreated {
		t.Errorf("the client's own booking after cross-site attempts: %d %s", w.Code, w.Body)
	}
}

func TestLimitErrorPages(t *testing.T) {
	e := newEnv(t)
	err := &booking.Error{Code: booking.ELimit, Message: "m", Limit: booking.LimitNew, RetryAfter: time.Minute}
	w := httptest.NewRecorder()
	e.srv.limitPage(w, httptest.NewRequest(http.MethodPost, "/book", nil), "", err, "01 23 45 67 89", nil)
	body := wantPage(t, w, http.StatusTooManyRequests, "Beaucoup de demandes")
	if w.Header().Get("Retry-After") != "60" || strings.Contains(body, "01 23") {
		t.Errorf("Retry-After %q; page %s", w.Header().Get("Retry-After"), body)
	}
	w = httptest.NewRecorder()
	err = &booking.Error{Code: booking.ELimit, Message: "m", Limit: booking.LimitActive}
	e.srv.limitPage(w, httptest.NewRequest(http.MethodPost, "/book", nil), "", err, "01 23 45 67 89", nil)
	wantPage(t, w, http.StatusTooManyRequests, "déjà des rendez-vous", "01 23 45 67 89")
	if w.Header().Get("Retry-After") != "" {
		t.Error("Retry-After on a limit that waiting does not lift")
	}
	status, _ := e.srv.problem(t.Context(), err)
	if status != http.StatusTooManyRequests {
		t.Errorf("ELimit → %d, want 429", status)
	}
}
