package api

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/rdvlibre/rdv/booking"
)

// cheapHash is an Argon2id PHC string of password with the smallest
// parameters parsePasswordHash takes, so that the tests stay fast.
func cheapHash(password string) string {
	salt := []byte("0123456789abcdef")
	key := argon2.IDKey([]byte(password), salt, 1, 8*1024, 1, 32)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=19$m=8192,t=1,p=1$%s$%s", enc.EncodeToString(salt), enc.EncodeToString(key))
}

func TestDeskPasswordHash(t *testing.T) {
	const pw = "correct horse battery"
	phc, err := HashDeskPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(phc, "$argon2id$v=19$m=65536,t=3,p=4$") {
		t.Errorf("hash %q", phc)
	}
	h, err := parsePasswordHash(phc)
	if err != nil {
		t.Fatal(err)
	}
	if !h.matches(pw) || h.matches(pw+"!") {
		t.Error("the hash does not tell the password from another")
	}
	if again, _ := HashDeskPassword(pw); again == phc {
		t.Error("two hashes of one password are the same: no salt")
	}
	if _, err := HashDeskPassword("short"); err == nil {
		t.Error("a 5-character password was hashed")
	}
	good := cheapHash(pw)
	for _, bad := range []string{
		"", "$2y$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234", // bcrypt
		strings.Replace(good, "argon2id", "argon2i", 1),
		strings.Replace(good, "v=19", "v=16", 1),
		strings.Replace(good, "m=8192", "m=4194304", 1), // 4 GiB a login
		strings.Replace(good, "t=1", "t=1000", 1),
		good[:strings.LastIndex(good, "$")] + "$not*base64",
	} {
		if _, err := parsePasswordHash(bad); err == nil {
			t.Errorf("parsed %q", bad)
		}
	}
}

// A desk user logs in with a name and a password, and sees and acts for
// its practitioners only; a new password ends its sessions.
func TestDeskUsers(t *testing.T) {
	const pw = "sophie-password-123"
	durand := demoPractitioner()
	durand.ID, durand.Name = "durand", "Dr Paul Durand"
	users := []DeskUser{{Name: "Sophie", PasswordHash: cheapHash(pw), Practitioners: []string{"demo"}}}
	sessions := NewMemoryDeskSessions()
	d := newDeskEnv(t, func(c *Config) {
		if err := c.Service.AddPractitioner(durand, newFakeCalendar()); err != nil {
			t.Fatal(err)
		}
		c.Desk.Users, c.Desk.Sessions = users, sessions
	})
	ctx := context.Background()
	start := time.Date(2026, 12, 1, 9, 0, 0, 0, paris)
	mine, _, err := d.svc.Book(ctx, booking.BookRequest{PractitionerID: "demo", TypeID: "consultation", Start: start,
		Patient: booking.Patient{Name: "Louise Petit", Email: "louise@example.org"}})
	if err != nil {
		t.Fatal(err)
	}
	theirs, _, err := d.svc.Book(ctx, booking.BookRequest{PractitionerID: "durand", TypeID: "consultation", Start: start,
		Patient: booking.Patient{Name: "Henri Moreau", Email: "henri@example.org"}})
	if err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct{ user, password string }{{"Sophie", pw + "x"}, {"Nobody", pw}, {"Sophie", adminToken}, {"", pw}} {
		if w := d.post("/desk/login", url.Values{"user": {tt.user}, "token": {tt.password}}, ""); w.Code != http.StatusUnauthorized {
			t.Errorf("login %q with a wrong password: %d, want 401", tt.user, w.Code)
		}
	}
	if strings.Contains(d.logs.String(), pw) {
		t.Error("a password is in the logs")
	}
	w := d.post("/desk/login", url.Values{"user": {"Sophie"}, "token": {pw}}, "")
	if w.Code != http.StatusSeeOther {
		t.Fatalf("login: %d", w.Code)
	}
	cookie := strings.SplitN(w.Header().Get("Set-Cookie"), ";", 2)[0]
	page := d.get("/desk/?week=2026-12-01", cookie)
	body := page.Body.String()
	if !strings.Contains(body, "Louise Petit") || strings.Contains(body, "Henri Moreau") || strings.Contains(body, "/desk/messages") {
		t.Errorf("Sophie's agenda must show Dr Martin's patients only, and no messages link:\n%s", body)
	}
	csrf := csrfField.FindStringSubmatch(body)[1]
	for _, tt := range []struct {
		method, target string
		form           url.Values
	}{
		{http.MethodGet, "/desk/?p=durand", nil},
		{http.MethodGet, "/desk/messages", nil},
		{http.MethodGet, "/desk/bookings/" + theirs.ID + "/cancel", nil},
		{http.MethodGet, "/desk/bookings/" + theirs.ID + "/move", nil},
		{http.MethodPost, "/desk/bookings/" + theirs.ID + "/cancel", url.Values{"reason": {"other"}}},
		{http.MethodPost, "/desk/bookings/" + theirs.ID + "/link", url.Values{}},
		{http.MethodPost, "/desk/closures", url.Values{"practitioner": {"durand"}, "from": {"2026-12-24"}, "to": {"2026-12-24"}}},
		{http.MethodPost, "/desk/book", url.Values{"motive": {"durand/consultation"}, "day": {"2026-12-01"}, "start": {"2026-12-01T10:00:00+01:00"},
			"name": {"Jeanne Martin"}, "email": {"jeanne@example.org"}}},
		{http.MethodPost, "/desk/unknown/durand/adopt", url.Values{"dry": {"1"}}},
	} {
		var w = d.get(tt.target, cookie)
		if tt.method == http.MethodPost {
			tt.form.Set("csrf", csrf)
			w = d.post(tt.target, tt.form, cookie)
		}
		if w.Code != http.StatusNotFound {
			t.Errorf("Sophie: %s %s: %d, want 404", tt.method, tt.target, w.Code)
		}
	}
	if b, _ := d.store.Booking(ctx, theirs.ID); b.Status != booking.StatusPending && b.Status != booking.StatusConfirmed {
		t.Errorf("Dr Durand's booking is %s", b.Status)
	}
	if w := d.post("/desk/bookings/"+mine.ID+"/cancel", url.Values{"csrf": {csrf}, "reason": {"patient"}}, cookie); w.Code != http.StatusSeeOther {
		t.Errorf("Sophie cancels Dr Martin's booking: %d", w.Code)
	}
	if !strings.Contains(d.logs.String(), "user=Sophie") {
		t.Error("Sophie's actions are not logged with her name")
	}

	// The admin token sees everyone.
	admin, _ := d.login()
	if body := d.get("/desk/?week=2026-12-01", admin).Body.String(); !strings.Contains(body, "Henri Moreau") {
		t.Error("the admin token's agenda lacks Dr Durand's patient")
	}

	// A new password (the same sessions, a server with another hash).
	users[0].PasswordHash = cheapHash("another-password-456")
	other := newDeskEnv(t, func(c *Config) {
		if err := c.Service.AddPractitioner(durand, newFakeCalendar()); err != nil {
			t.Fatal(err)
		}
		c.Desk.Users, c.Desk.Sessions = users, sessions
	})
	wantLogin(t, "after a new password", other.get("/desk/", cookie))
	if w := other.get("/desk/", admin); w.Code != http.StatusOK {
		t.Errorf("the admin token's session after Sophie's new password: %d", w.Code)
	}
}

// Failed logins sent at once from one client are limited as if they came
// one after the other: a try takes its token before the password is
// checked, not after, so that tries in flight can't overrun the limit.
func TestDeskLoginLimitConcurrent(t *testing.T) {
	d := newDeskEnv(t, func(c *Config) {
		c.Desk.Users = []DeskUser{{Name: "sophie", PasswordHash: cheapHash("correct horse battery")}}
	})
	const tries = 30
	codes := make(chan int, tries)
	var wg sync.WaitGroup
	for range tries {
		wg.Go(func() {
			form := url.Values{"user": {"sophie"}, "token": {"wrong horse battery"}}
			r := httptest.NewRequest(http.MethodPost, "/desk/login", strings.NewReader(form.Encode()))
			for i := 0; i+1 < len(sameOrigin); i += 2 {
				r.Header.Set(sameOrigin[i], sameOrigin[i+1])
			}
			w := httptest.NewRecorder()
			d.srv.ServeHTTP(w, r) // not d.post: env.do keeps the pages, for one goroutine
			codes <- w.Code
		})
	}
	wg.Wait()
	close(codes)
	refused := 0
	for c := range codes {
		if c == http.StatusUnauthorized {
			refused++
		}
	}
	if refused > deskLoginRate.Burst {
		t.Errorf("%d wrong passwords checked at once, want at most %d", refused, deskLoginRate.Burst)
	}
	// A success gives its token back: the right password is not counted.
	l := newDeskEnv(t, func(c *Config) {
		c.Desk.Users = []DeskUser{{Name: "sophie", PasswordHash: cheapHash("correct horse battery")}}
	})
	for i := range deskLoginRate.Burst + 2 {
		if w := l.post("/desk/login", url.Values{"user": {"sophie"}, "token": {"correct horse battery"}}, ""); w.Code != http.StatusSeeOther {
			t.Fatalf("right password %d: %d, want 303", i+1, w.Code)
		}
	}
}

// An unknown user name is checked against a hash as costly as the users'
// own, whatever parameters their hashes have: its refusal takes no longer
// than a wrong password's, and so does not tell which names exist.
func TestDeskUnknownNameTiming(t *testing.T) {
	d := newDeskEnv(t, func(c *Config) {
		c.Desk.Users = []DeskUser{{Name: "sophie", PasswordHash: cheapHash("correct horse battery")}}
	})
	fastest := func(user string) time.Duration {
		best := time.Hour
		for range 5 {
			start := time.Now()
			if w := d.post("/desk/login", url.Values{"user": {user}, "token": {"wrong horse battery"}}, ""); w.Code != http.StatusUnauthorized {
				t.Fatalf("%s: %d", user, w.Code)
			}
			d.advance(deskLoginRate.Every) // a token back for the next try
			best = min(best, time.Since(start))
		}
		return best
	}
	known, unknown := fastest("sophie"), fastest("nobody")
	if unknown > 4*known+20*time.Millisecond {
		t.Errorf("an unknown name takes %v, a known one %v", unknown, known)
	}
}

// Passwords are hashed a few at a time, whatever the number of clients:
// with every slot taken, a login waits, and gives up with its request.
func TestDeskLoginHashesFew(t *testing.T) {
	d := newDeskEnv(t, func(c *Config) {
		c.Desk.Users = []DeskUser{{Name: "sophie", PasswordHash: cheapHash("correct horse battery")}}
	})
	for range cap(d.srv.desk.hashing) {
		d.srv.desk.hashing <- struct{}{}
	}
	form := url.Values{"user": {"sophie"}, "token": {"correct horse battery"}}
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	r := httptest.NewRequestWithContext(ctx, http.MethodPost, "/desk/login", strings.NewReader(form.Encode()))
	for i := 0; i+1 < len(sameOrigin); i += 2 {
		r.Header.Set(sameOrigin[i], sameOrigin[i+1])
	}
	w := httptest.NewRecorder()
	d.srv.ServeHTTP(w, r)
	if w.Code != http.StatusServiceUnavailable {
		t.Errorf("a login with every hashing slot taken: %d, want 503", w.Code)
	}
	<-d.srv.desk.hashing
	if w := d.post("/desk/login", form, ""); w.Code != http.StatusSeeOther {
		t.Errorf("a login with a slot free: %d, want 303", w.Code)
	}
}

// The page of a login refused for too many tries is the same form again:
// with users, it still asks for the name.
func TestDeskLimitedLoginForm(t *testing.T) {
	d := newDeskEnv(t, func(c *Config) {
		c.Desk.Users = []DeskUser{{Name: "sophie", PasswordHash: cheapHash("correct horse battery")}}
	})
	var w *httptest.ResponseRecorder
	for range deskLoginRate.Burst + 1 {
		w = d.post("/desk/login", url.Values{"user": {"sophie"}, "token": {"wrong horse battery"}}, "")
	}
	if body := w.Body.String(); w.Code != http.StatusTooManyRequests || !strings.Contains(body, `id="user"`) || !strings.Contains(body, `value="sophie"`) {
		t.Errorf("login refused for too many tries: %d, without the name field\n%s", w.Code, body)
	}
}
