package api

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
)

// deskEnv is an env with the desk on, and a clock of its own for the
// sessions (the booking service keeps testNow).
type deskEnv struct {
	*env
	mu  sync.Mutex
	now time.Time
}

func newDeskEnv(t *testing.T, change func(*Config)) *deskEnv {
	t.Helper()
	d := &deskEnv{now: testNow}
	d.env = newEnvConfig(t, func(c *Config) {
		c.AdminToken = adminToken
		c.Now = d.clock
		if change != nil {
			change(c)
		}
	})
	return d
}

func (d *deskEnv) clock() time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.now
}

func (d *deskEnv) advance(by time.Duration) {
	d.mu.Lock()
	d.now = d.now.Add(by)
	d.mu.Unlock()
}

// sameOrigin are the headers a browser sends with a form of the desk.
var sameOrigin = []string{"Content-Type", "application/x-www-form-urlencoded", "Sec-Fetch-Site", "same-origin", "Origin", baseURL}

// post posts form to target with cookie ("" for none) and headers (after
// the same-origin ones, which they override).
func (d *deskEnv) post(target string, form url.Values, cookie string, headers ...string) *httptest.ResponseRecorder {
	d.t.Helper()
	h := append(append([]string{}, sameOrigin...), headers...)
	if cookie != "" {
		h = append(h, "Cookie", cookie)
	}
	return d.do(http.MethodPost, target, strings.NewReader(form.Encode()), h...)
}

func (d *deskEnv) get(target, cookie string) *httptest.ResponseRecorder {
	d.t.Helper()
	if cookie == "" {
		return d.do(http.MethodGet, target, nil)
	}
	return d.do(http.MethodGet, target, nil, "Cookie", cookie)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// login logs in and returns the session cookie ("name=value") and the
// session's CSRF token.
func (d *deskEnv) login() (cookie, csrf string) {
	d.t.Helper()
	w := d.post("/desk/login", url.Values{"token": {adminToken}}, "")
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/desk/" {
		d.t.Fatalf("login: %d to %q: %s", w.Code, w.Header().Get("Location"), w.Body)
	}
	res := w.Result()
	defer res.Body.Close()
	for _, c := range res.Cookies() {
		if c.Name == "__Host-rdv_desk" {
			cookie = c.Name + "=" + c.Value
		}
	}
	if cookie == "" {
		d.t.Fatalf("login: no session cookie in %q", w.Header().Values("Set-Cookie"))
	}
	page := d.get("/desk/", cookie)
	m := csrfField.FindStringSubmatch(page.Body.String())
	if page.Code != http.StatusOK || m == nil {
		d.t.Fatalf("agenda after login: %d, CSRF field %v", page.Code, m)
	}
	return cookie, m[1]
}

// wantLogin checks that w sends the browser to the login page.
func wantLogin(t *testing.T, label string, w *httptest.ResponseRecorder) {
	t.Helper()
	if w.Code != http.StatusFound || w.Header().Get("Location") != "/desk/login" {
		t.Errorf("%s: %d to %q, want 302 to /desk/login", label, w.Code, w.Header().Get("Location"))
	}
}

var deskGets = []string{"/desk/", "/desk/book", "/desk/closures", "/desk/unknown", "/desk/messages",
	"/desk/bookings/00000000-0000-4000-8000-000000000000/move", "/desk/bookings/00000000-0000-4000-8000-000000000000/cancel", "/desk/nothing"}

var deskPosts = []string{"/desk/logout", "/desk/book", "/desk/closures", "/desk/closures/demo/x/remove", "/desk/unknown/demo/adopt",
	"/desk/bookings/00000000-0000-4000-8000-000000000000/move", "/desk/bookings/00000000-0000-4000-8000-000000000000/cancel",
	"/desk/bookings/00000000-0000-4000-8000-000000000000/link", "/desk/nothing"}

// Without a session every desk page leads to the login page and every
// action is refused; without an admin token there is no desk at all.
func TestDeskNeedsLogin(t *testing.T) {
	d := newDeskEnv(t, nil)
	for _, p := range deskGets {
		w := d.get(p, "")
		wantLogin(t, p, w)
		if w.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control = %q", p, w.Header().Get("Cache-Control"))
		}
		wantLogin(t, p+" with a made-up session", d.get(p, "__Host-rdv_desk=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"))
	}
	for _, p := range deskPosts {
		if w := d.post(p, url.Values{"csrf": {"x"}}, ""); w.Code != http.StatusForbidden {
			t.Errorf("POST %s without a session: %d, want 403", p, w.Code)
		}
	}
	if w := d.get("/desk/login", ""); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `type="password"`) {
		t.Errorf("login page: %d", w.Code)
	}

	off := newEnv(t)
	for _, p := range []string{"/desk/", "/desk/login"} {
		if w := off.do(http.MethodGet, p, nil); w.Code != http.StatusNotFound {
			t.Errorf("without an admin token, %s: %d, want 404", p, w.Code)
		}
	}
}

// Login: the cookie's attributes, the headers of the pages, a wrong token
// refused without being logged, and failed tries limited per client.
func TestDeskLogin(t *testing.T) {
	d := newDeskEnv(t, func(c *Config) { c.Practice.FrameAncestors = []string{"https://www.cabinet.example"} })
	const wrong = "not-the-token-but-long-enough-0123456789"
	w := d.post("/desk/login", url.Values{"token": {wrong}}, "")
	if w.Code != http.StatusUnauthorized || len(w.Result().Cookies()) != 0 {
		t.Errorf("wrong token: %d, cookies %q", w.Code, w.Header().Values("Set-Cookie"))
	}
	if logs := d.logs.String(); strings.Contains(logs, wrong) || !strings.Contains(logs, "desk: login refused") {
		t.Errorf("logs after a wrong token:\n%s", logs)
	}

	w = d.post("/desk/login", url.Values{"token": {adminToken}}, "")
	set := w.Header().Get("Set-Cookie")
	for _, want := range []string{"__Host-rdv_desk=", "Path=/;", "HttpOnly", "Secure", "SameSite=Strict"} {
		if !strings.Contains(set, want) {
			t.Errorf("session cookie %q lacks %q", set, want)
		}
	}
	if strings.Contains(d.logs.String(), adminToken) {
		t.Error("the admin token is in the logs")
	}
	cookie, _ := d.login()
	page := d.get("/desk/", cookie)
	h := page.Header()
	if h.Get("X-Frame-Options") != "DENY" || !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") ||
		h.Get("Cache-Control") != "no-store" || h.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("desk page headers: %v", h)
	}

	// Ten failures, then even the right token waits.
	l := newDeskEnv(t, nil)
	for i := range deskLoginRate.Burst - 1 {
		if w := l.post("/desk/login", url.Values{"token": {wrong}}, ""); w.Code != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i+1, w.Code)
		}
	}
	if w := l.post("/desk/login", url.Values{"token": {adminToken}}, ""); w.Code != http.StatusSeeOther {
		t.Errorf("the right token after 9 failures: %d, want 303", w.Code)
	}
	l.post("/desk/login", url.Values{"token": {wrong}}, "")
	w = l.post("/desk/login", url.Values{"token": {adminToken}}, "")
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") == "" {
		t.Errorf("after 10 failures: %d, Retry-After %q, want 429", w.Code, w.Header().Get("Retry-After"))
	}
	l.advance(deskLoginRate.Every)
	if w := l.post("/desk/login", url.Values{"token": {adminToken}}, ""); w.Code != http.StatusSeeOther {
		t.Errorf("a try later: %d, want 303", w.Code)
	}
}

// A desk action needs its session's CSRF token and a post from the desk's
// own pages, whatever else it carries.
func TestDeskCrossSite(t *testing.T) {
	d := newDeskEnv(t, nil)
	cookie, csrf := d.login()
	form := url.Values{"csrf": {csrf}, "practitioner": {"demo"}, "from": {"2026-12-24"}, "to": {"2026-12-26"}}
	for _, tt := range []struct {
		name    string
		form    url.Values
		headers []string
	}{
		{"Sec-Fetch-Site cross-site", form, []string{"Sec-Fetch-Site", "cross-site"}},
		{"Sec-Fetch-Site same-site", form, []string{"Sec-Fetch-Site", "same-site"}},
		{"Sec-Fetch-Site none", form, []string{"Sec-Fetch-Site", "none"}},
		{"foreign Origin", form, []string{"Sec-Fetch-Site", "", "Origin", "https://evil.example"}},
		{"foreign Origin, same-origin fetch", form, []string{"Origin", "https://evil.example"}},
		{"Origin null without Sec-Fetch-Site", form, []string{"Sec-Fetch-Site", "", "Origin", "null"}},
		{"no CSRF token", url.Values{"practitioner": {"demo"}, "from": {"2026-12-24"}, "to": {"2026-12-26"}}, nil},
		{"wrong CSRF token", url.Values{"csrf": {csrf + "x"}, "practitioner": {"demo"}, "from": {"2026-12-24"}, "to": {"2026-12-26"}}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if w := d.post("/desk/closures", tt.form, cookie, tt.headers...); w.Code != http.StatusForbidden {
				t.Errorf("%d, want 403", w.Code)
			}
		})
	}
	cs, err := d.svc.Closures(t.Context(), "demo", booking.Date{Year: 2026, Month: 12, Day: 1}, booking.Date{Year: 2027, Month: 1, Day: 31})
	if err != nil || len(cs) != 0 {
		t.Fatalf("closures after refused posts: %v, %v", cs, err)
	}
	if w := d.post("/desk/closures", form, cookie); w.Code != http.StatusOK {
		t.Errorf("the same post from the desk: %d, want 200", w.Code)
	}
}

// A session ends after 12 idle hours, 7 days after the login however used,
// at logout, and when the admin token changes.
func TestDeskSessionEnds(t *testing.T) {
	t.Run("idle", func(t *testing.T) {
		d := newDeskEnv(t, nil)
		cookie, _ := d.login()
		d.advance(DefaultDeskIdle - time.Minute)
		if w := d.get("/desk/", cookie); w.Code != http.StatusOK {
			t.Fatalf("before the idle time: %d", w.Code)
		}
		d.advance(DefaultDeskIdle - time.Minute) // used a minute before: still on
		if w := d.get("/desk/", cookie); w.Code != http.StatusOK {
			t.Fatalf("used within the idle time: %d", w.Code)
		}
		d.advance(DefaultDeskIdle)
		wantLogin(t, "after the idle time", d.get("/desk/", cookie))
	})
	t.Run("absolute", func(t *testing.T) {
		d := newDeskEnv(t, func(c *Config) { c.Desk.Max = 24 * time.Hour })
		cookie, _ := d.login()
		for range 2 {
			d.advance(11 * time.Hour)
			if w := d.get("/desk/", cookie); w.Code != http.StatusOK {
				t.Fatalf("within the day: %d", w.Code)
			}
		}
		d.advance(2 * time.Hour)
		wantLogin(t, "a day after the login", d.get("/desk/", cookie))
	})
	t.Run("logout", func(t *testing.T) {
		d := newDeskEnv(t, nil)
		cookie, csrf := d.login()
		w := d.post("/desk/logout", url.Values{"csrf": {csrf}}, cookie)
		if w.Code != http.StatusSeeOther || !strings.Contains(w.Header().Get("Set-Cookie"), "Max-Age=0") {
			t.Errorf("logout: %d, Set-Cookie %q", w.Code, w.Header().Get("Set-Cookie"))
		}
		wantLogin(t, "after logout", d.get("/desk/", cookie))
		if !strings.Contains(d.logs.String(), "desk: logout") {
			t.Error("logout not logged")
		}
	})
	t.Run("token changed", func(t *testing.T) {
		sessions := NewMemoryDeskSessions()
		d := newDeskEnv(t, func(c *Config) { c.Desk.Sessions = sessions })
		cookie, _ := d.login()
		other := newDeskEnv(t, func(c *Config) {
			c.Desk.Sessions = sessions
			c.AdminToken = "another-admin-token-0123456789abcdefghij"
		})
		wantLogin(t, "with another admin token", other.get("/desk/", cookie))
		wantLogin(t, "back with the first token: the session was deleted", d.get("/desk/", cookie))
	})
}

// The desk books by phone, shows the booking in the agenda with the
// patient's contact, moves it, resends its link, cancels it with a reason
// and closes days, logging each action with ids only (env.checkPrivacy
// checks the logs hold no patient data).
func TestDeskActions(t *testing.T) {
	d := newDeskEnv(t, nil)
	cookie, csrf := d.login()
	page := d.get("/desk/book?motive=demo/consultation&day=2026-12-01", cookie)
	if page.Code != http.StatusOK || !strings.Contains(page.Body.String(), `value="2026-12-01T09:00:00&#43;01:00"`) {
		t.Fatalf("phone booking times: %d\n%s", page.Code, page.Body)
	}
	form := url.Values{"csrf": {csrf}, "motive": {"demo/consultation"}, "day": {"2026-12-01"}, "start": {"2026-12-01T09:00:00+01:00"},
		"name": {patientName}, "email": {patientEmail}, "phone": {patientPhone}, "key": {"desk-test-1"}}
	w := d.post("/desk/book", form, cookie)
	if w.Code != http.StatusSeeOther || !strings.Contains(w.Header().Get("Location"), "done=booked") {
		t.Fatalf("phone booking: %d to %q\n%s", w.Code, w.Header().Get("Location"), w.Body)
	}
	bs := d.store.Bookings()
	if len(bs) != 1 {
		t.Fatalf("%d bookings, want 1", len(bs))
	}
	id := bs[0].ID
	agenda := d.get(w.Header().Get("Location"), cookie).Body.String()
	for _, want := range []string{patientName, patientEmail, strings.TrimPrefix(patientPhone, "+"), "09:00–09:20", "/desk/bookings/" + id + "/cancel"} {
		if !strings.Contains(agenda, want) {
			t.Errorf("agenda lacks %q", want)
		}
	}

	if w := d.get("/desk/bookings/"+id+"/move?day=2026-12-02", cookie); !strings.Contains(w.Body.String(), `value="2026-12-02T10:00:00&#43;01:00"`) {
		t.Fatalf("move page: %d\n%s", w.Code, w.Body)
	}
	w = d.post("/desk/bookings/"+id+"/move", url.Values{"csrf": {csrf}, "day": {"2026-12-02"}, "start": {"2026-12-02T10:00:00+01:00"}}, cookie)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("move: %d\n%s", w.Code, w.Body)
	}
	if b, _ := d.store.Booking(t.Context(), id); !b.Start.Equal(time.Date(2026, 12, 2, 10, 0, 0, 0, paris)) {
		t.Errorf("moved to %v", b.Start)
	}
	if w := d.post("/desk/bookings/"+id+"/link", url.Values{"csrf": {csrf}}, cookie); w.Code != http.StatusSeeOther {
		t.Errorf("resend link: %d", w.Code)
	}

	w = d.post("/desk/closures", url.Values{"csrf": {csrf}, "practitioner": {"demo"}, "from": {"2026-12-02"}, "to": {"2026-12-02"}, "label": {"Formation"}}, cookie)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), patientName) || !strings.Contains(w.Body.String(), "Formation") {
		t.Errorf("closure added: %d; the page must list the booking on that day and the closure\n%s", w.Code, w.Body)
	}

	if w := d.post("/desk/bookings/"+id+"/cancel", url.Values{"csrf": {csrf}, "reason": {"Marie asked"}}, cookie); w.Code != http.StatusUnprocessableEntity {
		t.Errorf("cancel with a reason not on the list: %d, want 422", w.Code)
	}
	w = d.post("/desk/bookings/"+id+"/cancel", url.Values{"csrf": {csrf}, "reason": {"patient"}}, cookie)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("cancel: %d\n%s", w.Code, w.Body)
	}
	if b, _ := d.store.Booking(t.Context(), id); b.Status != booking.StatusCancelled {
		t.Errorf("status after cancel = %s", b.Status)
	}
	if w := d.get("/desk/messages", cookie); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "Messages non remis") {
		t.Errorf("messages page: %d", w.Code)
	}
	en := d.get("/desk/closures?lang=en", cookie)
	for _, want := range []string{`<html lang="en">`, "<h1>Closures</h1>", "Book by phone", `href="/desk/closures?lang=fr"`} {
		if !strings.Contains(en.Body.String(), want) {
			t.Errorf("the desk in English lacks %q", want)
		}
	}
	logs := d.logs.String()
	for _, want := range []string{"desk: book", "desk: move", "desk: resend link", "desk: closure added", "desk: cancel", "reason=patient", "booking=" + id, "request_id="} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q", want)
		}
	}
	if strings.Contains(logs, csrf) || strings.Contains(logs, strings.TrimPrefix(cookie, "__Host-rdv_desk=")) {
		t.Error("the logs hold the session's secrets")
	}
}

// The phone booking form holds the patient fields to the rules of the
// patient's own form: hostile values are refused, field by field, and
// never logged.
func TestDeskHostilePatient(t *testing.T) {
	d := newDeskEnv(t, nil)
	cookie, csrf := d.login()
	for _, tt := range []struct{ name, field, value, want string }{
		{"RTL override", "name", "Marie\u202eeiruC", `href="#name"`},
		{"NUL", "name", "Marie\x00Curie", `href="#name"`},
		{"URL as name", "name", "http://evil.example", `href="#name"`},
		{"markup", "name", `<script>alert(1)</script>`, `href="#name"`},
		{"email with ?cc=", "email", "a?cc=x@example.org", `href="#email"`},
		{"email at localhost", "email", "root@localhost", `href="#email"`},
		{"phone with letters", "phone", "06 CALL ME", `href="#phone"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			form := url.Values{"csrf": {csrf}, "motive": {"demo/consultation"}, "day": {"2026-12-01"}, "start": {"2026-12-01T09:00:00+01:00"},
				"name": {"Jeanne Martin"}, "email": {"jeanne@example.org"}}
			form.Set(tt.field, tt.value)
			w := d.post("/desk/book", form, cookie)
			body := w.Body.String()
			if w.Code != http.StatusUnprocessableEntity || !strings.Contains(body, tt.want) {
				t.Errorf("%d, want 422 with an error on %s\n%s", w.Code, tt.field, body)
			}
			if strings.Contains(body, "<script>") {
				t.Error("the value is echoed as markup")
			}
			if strings.Contains(d.logs.String(), tt.value) {
				t.Error("the value is in the logs")
			}
		})
	}
	if n := d.store.count(); n != 0 {
		t.Errorf("%d bookings made from hostile forms", n)
	}
}

// The desk lists the booking events unknown to this install, shows what
// adopting them would do, then adopts them.
func TestDeskAdopt(t *testing.T) {
	d := newDeskEnv(t, nil)
	cal := unknownCalendar{d.cal}
	cal.put(lostID, "consultation", time.Date(2026, 12, 1, 10, 0, 0, 0, paris), booking.StatusConfirmed, 2,
		booking.Patient{Name: "Irène Joliot", Email: "irene@example.org"})
	if _, err := d.svc.Reconcile(t.Context()); err != nil {
		t.Fatal(err)
	}
	cookie, csrf := d.login()
	if body := d.get("/desk/unknown", cookie).Body.String(); !strings.Contains(body, "Irène Joliot") || !strings.Contains(body, `name="dry" value="1"`) {
		t.Fatalf("unknown events page:\n%s", body)
	}
	w := d.post("/desk/unknown/demo/adopt", url.Values{"csrf": {csrf}, "dry": {"1"}}, cookie)
	if body := w.Body.String(); w.Code != http.StatusOK || !strings.Contains(body, "serait adopté") || !strings.Contains(body, `name="dry" value="0"`) {
		t.Fatalf("dry run: %d\n%s", w.Code, body)
	}
	if _, err := d.store.Booking(t.Context(), lostID); booking.ErrorCode(err) != booking.ENotFound {
		t.Fatalf("the dry run recorded the booking: %v", err)
	}
	w = d.post("/desk/unknown/demo/adopt", url.Values{"csrf": {csrf}, "dry": {"0"}}, cookie)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "1 rendez-vous adoptés") {
		t.Errorf("adopt: %d\n%s", w.Code, w.Body)
	}
	if b, err := d.store.Booking(t.Context(), lostID); err != nil || b.Status != booking.StatusConfirmed {
		t.Errorf("adopted booking: %v %v", b, err)
	}
	if logs := d.logs.String(); !strings.Contains(logs, "desk: adopt") || strings.Contains(logs, "Irène") || strings.Contains(logs, "irene@") {
		t.Errorf("adoption not logged, or logged with the patient:\n%s", logs)
	}
}

// Behind a proxy that serves rdv under a path, the desk's address without
// its slash leads to the desk under that path, not to the site's root;
// other methods there are refused as under /desk/.
func TestDeskBasePath(t *testing.T) {
	d := newDeskEnv(t, func(c *Config) { c.BaseURL = "https://example.org/rdv" })
	for _, m := range []string{http.MethodGet, http.MethodHead} {
		w := d.do(m, "/desk", nil)
		if loc := w.Header().Get("Location"); (w.Code != http.StatusFound && w.Code != http.StatusMovedPermanently) || !strings.HasPrefix(loc, "/rdv/desk/") {
			t.Errorf("%s /desk: %d to %q, want a redirect under /rdv/desk/", m, w.Code, loc)
		}
	}
	if w := d.do(http.MethodPost, "/desk", strings.NewReader(""), sameOrigin...); w.Code != http.StatusForbidden {
		t.Errorf("POST /desk without a session: %d, want 403", w.Code)
	}
	if w := d.get("/desk/", ""); w.Header().Get("Location") != "/rdv/desk/login" {
		t.Errorf("GET /desk/: to %q, want /rdv/desk/login", w.Header().Get("Location"))
	}
}

// French typography: a non-breaking space, never a plain one, before
// « : ; ? ! », so that a line never starts with the sign.
func TestDeskFrenchSpaces(t *testing.T) {
	var texts []string
	v := reflect.ValueOf(*deskTexts["fr"])
	for i := range v.NumField() {
		switch f := v.Field(i); f.Kind() {
		case reflect.String:
			texts = append(texts, f.String())
		case reflect.Map:
			for it := f.MapRange(); it.Next(); {
				texts = append(texts, it.Value().String())
			}
		}
	}
	bad := regexp.MustCompile(` [:;?!]`)
	for _, s := range texts {
		if bad.MatchString(s) {
			t.Errorf("a plain space before a sign in %q", s)
		}
	}
}

// A move posted for a booking cancelled meanwhile says so, rather than
// that the time is taken, and offers no other time.
func TestDeskMoveCancelledMeanwhile(t *testing.T) {
	d := newDeskEnv(t, nil)
	cookie, csrf := d.login()
	form := url.Values{"csrf": {csrf}, "motive": {"demo/consultation"}, "day": {"2026-12-01"}, "start": {"2026-12-01T09:00:00+01:00"},
		"name": {patientName}, "email": {patientEmail}, "key": {"desk-test-m"}}
	if w := d.post("/desk/book", form, cookie); w.Code != http.StatusSeeOther {
		t.Fatalf("phone booking: %d\n%s", w.Code, w.Body)
	}
	id := d.store.Bookings()[0].ID
	if w := d.post("/desk/bookings/"+id+"/cancel", url.Values{"csrf": {csrf}, "reason": {"patient"}}, cookie); w.Code != http.StatusSeeOther {
		t.Fatalf("cancel: %d", w.Code)
	}
	w := d.post("/desk/bookings/"+id+"/move", url.Values{"csrf": {csrf}, "day": {"2026-12-02"}, "start": {"2026-12-02T10:00:00+01:00"}}, cookie)
	body := w.Body.String()
	if w.Code != http.StatusConflict || !strings.Contains(body, deskTexts["fr"].Problems["state"]) || strings.Contains(body, `name="start"`) {
		t.Errorf("move of a cancelled booking: %d\n%s", w.Code, body)
	}
}
