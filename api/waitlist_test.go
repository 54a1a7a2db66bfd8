package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/internal/bookingtest"
)

// waitEnv is an env with a waiting list; Tuesday 1 December is taken.
type waitEnv struct {
	*env
	ws *bookingtest.WaitStore
	wn *bookingtest.WaitNotifier
	wl *booking.Waitlist
}

func newWaitEnv(t *testing.T, change func(*Config)) *waitEnv {
	t.Helper()
	w := &waitEnv{ws: bookingtest.NewWaitStore(), wn: &bookingtest.WaitNotifier{}}
	w.env = newEnvConfig(t, func(c *Config) {
		w.wl = booking.NewWaitlist(c.Service, w.ws, w.wn, booking.WaitlistConfig{MaxPerEmail: 2})
		c.Waitlist = w.wl
		if change != nil {
			change(c)
		}
	})
	w.cal.PutForeign("/cal/busy.ics", day(1, 0), day(2, 0))
	return w
}

// joinBody asks for the window from–until with this email.
func joinBody(from, until, email string) string {
	return `{"practitioner":"demo","type":"consultation","from":"` + from + `","until":"` + until + `","part":"morning",` +
		`"patient":{"name":"` + patientName + `","email":"` + email + `"}}`
}

// token delivers the waiting list's messages and returns the token of the
// last one.
func (w *waitEnv) token() string {
	w.t.Helper()
	if _, err := w.wl.Deliver(context.Background()); err != nil {
		w.t.Fatal(err)
	}
	ns := w.wn.Take()
	if len(ns) == 0 {
		w.t.Fatal("no waiting-list message sent")
	}
	return ns[len(ns)-1].Token
}

func TestWaitlistAPI(t *testing.T) {
	w := newWaitEnv(t, nil)
	r := w.postJSON("/v1/waitlist", joinBody("2026-12-01", "2026-12-01", patientEmail))
	if r.Code != http.StatusCreated {
		t.Fatalf("join: %d %s", r.Code, r.Body)
	}
	m := decode(t, r)
	if m["status"] != "pending" || m["id"] == "" || r.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("join: %v", m)
	}
	token := w.token()

	r = w.postJSON("/v1/waitlist/"+token+"/confirm", "")
	if r.Code != http.StatusOK || decode(t, r)["status"] != "active" {
		t.Fatalf("confirm: %d %s", r.Code, r.Body)
	}
	r = w.postJSON("/v1/waitlist/"+token+"/leave", "")
	if r.Code != http.StatusOK || decode(t, r)["status"] != "left" {
		t.Fatalf("leave: %d %s", r.Code, r.Body)
	}
	wantProblem(t, w.postJSON("/v1/waitlist/"+token+"/confirm", ""), http.StatusConflict, "left")
	wantProblem(t, w.postJSON("/v1/waitlist/AAAAAAAAAAAAAAAAAAAAAA/confirm", ""), http.StatusNotFound, "")

	t.Run("a free slot in the window", func(t *testing.T) {
		r := w.postJSON("/v1/waitlist", joinBody("2026-12-01", "2026-12-02", "ada@example.org"))
		wantProblem(t, r, http.StatusConflict, "free slots")
		if m := decode(t, r); m["day"] != "2026-12-02" || m["slots_url"] != baseURL+"/p/demo/consultation?day=2026-12-02" {
			t.Errorf("409: %v", m)
		}
	})
	t.Run("refused", func(t *testing.T) {
		for _, tt := range []struct {
			name, body string
			status     int
			detail     string
		}{
			{"bad date", joinBody("2026-12-32", "2026-12-01", "ada@example.org"), 422, ""},
			{"reversed", joinBody("2026-12-02", "2026-12-01", "ada@example.org"), 422, "before the first"},
			{"past the horizon", joinBody("2026-12-01", "2027-06-01", "ada@example.org"), 422, "horizon"},
			{"header injection", joinBody("2026-12-01", "2026-12-01", `ada@example.org\r\nBcc: x@example.org`), 422, ""},
			{"hostile name", strings.Replace(joinBody("2026-12-01", "2026-12-01", "ada@example.org"), patientName, `<script>x</script>`, 1), 422, ""},
			{"unknown type", strings.Replace(joinBody("2026-12-01", "2026-12-01", "ada@example.org"), "consultation", "nope", 1), 404, ""},
			{"weekday 9", strings.Replace(joinBody("2026-12-01", "2026-12-01", "ada@example.org"), `"part"`, `"weekdays":[9],"part"`, 1), 422, ""},
			{"10 MB body", `{"practitioner":"` + strings.Repeat("a", 10<<20) + `"}`, 413, "too large"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				wantProblem(t, w.postJSON("/v1/waitlist", tt.body), tt.status, tt.detail)
			})
		}
	})
	t.Run("per address", func(t *testing.T) {
		for i := range 2 {
			if r := w.postJSON("/v1/waitlist", joinBody("2026-12-01", "2026-12-01", "cap@example.org")); r.Code != http.StatusCreated {
				t.Fatalf("join %d: %d %s", i, r.Code, r.Body)
			}
		}
		r := w.postJSON("/v1/waitlist", joinBody("2026-12-01", "2026-12-01", "cap@example.org"))
		wantProblem(t, r, http.StatusTooManyRequests, "")
		if decode(t, r)["limit"] != booking.LimitWaitPerEmail {
			t.Errorf("429: %s", r.Body)
		}
	})
}

func TestWaitlistAPIRateLimited(t *testing.T) {
	w := newWaitEnv(t, func(c *Config) {
		c.NoRateLimits = false
		c.RateLimits = RateLimits{Book: Rate{Every: 1 << 40, Burst: 2}}
	})
	for i := range 2 {
		r := w.postJSON("/v1/waitlist", joinBody("2026-12-01", "2026-12-01", fmt.Sprintf("r%d@example.org", i)))
		if r.Code != http.StatusCreated {
			t.Fatalf("join %d: %d %s", i, r.Code, r.Body)
		}
	}
	wantProblem(t, w.postJSON("/v1/waitlist", joinBody("2026-12-01", "2026-12-01", "r9@example.org")), http.StatusTooManyRequests, "")
}

func TestWaitlistAPIOff(t *testing.T) {
	e := newEnv(t)
	wantProblem(t, e.postJSON("/v1/waitlist", joinBody("2026-12-01", "2026-12-01", patientEmail)), http.StatusNotFound, "no waiting list")
}

// day returns December d of 2026 at hh:00 in Paris.
func day(d, hh int) time.Time { return time.Date(2026, 12, d, hh, 0, 0, 0, paris) }

// TestWaitlistAdminPatient: the admin export lists a patient's waiting-list
// entries, and the erasure erases them, live ones included.
func TestWaitlistAdminPatient(t *testing.T) {
	w := newWaitEnv(t, func(c *Config) { c.AdminToken = adminToken })
	if r := w.postJSON("/v1/waitlist", joinBody("2026-12-01", "2026-12-01", patientEmail)); r.Code != http.StatusCreated {
		t.Fatalf("join: %d %s", r.Code, r.Body)
	}
	token := w.token()
	r := w.admin(http.MethodPost, "/v1/admin/patients/export", `{"email":"`+patientEmail+`"}`)
	if r.Code != http.StatusOK {
		t.Fatalf("export: %d %s", r.Code, r.Body)
	}
	list, _ := decode(t, r)["waitlist"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["patient"].(map[string]any)["email"] != patientEmail ||
		list[0].(map[string]any)["status"] != "pending" || list[0].(map[string]any)["from"] != "2026-12-01" {
		t.Fatalf("export's waitlist: %v", list)
	}
	r = w.admin(http.MethodPost, "/v1/admin/patients/erase", `{"email":"`+patientEmail+`"}`)
	if r.Code != http.StatusOK {
		t.Fatalf("erase: %d %s", r.Code, r.Body)
	}
	if erased, _ := decode(t, r)["waitlist"].([]any); len(erased) != 1 {
		t.Fatalf("erased: %s", r.Body)
	}
	wantProblem(t, w.postJSON("/v1/waitlist/"+token+"/confirm", ""), http.StatusNotFound, "")
	r = w.admin(http.MethodPost, "/v1/admin/patients/export", `{"email":"`+patientEmail+`"}`)
	if list, _ := decode(t, r)["waitlist"].([]any); len(list) != 0 {
		t.Fatalf("export after the erasure: %s", r.Body)
	}
}
