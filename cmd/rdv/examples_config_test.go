package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/davserver"
)

// The example configuration a host copies, examples/nextcloud/rdv.toml:
// read by rdv's own parser and checks, then run, with its Nextcloud
// replaced by a stand-in (rdv's embedded CalDAV server, one per account,
// behind Nextcloud's paths and basic authentication) and its secrets by
// files of the test's.

const exampleConfig = "../../examples/nextcloud/rdv.toml"

// fakeNextcloud answers like a Nextcloud's CalDAV for several accounts:
// /.well-known/caldav redirects to /remote.php/dav/, which is the account
// of the basic authentication's user, each a davserver with its files.
type fakeNextcloud struct {
	dir       string
	passwords map[string]string
	accounts  map[string]*davserver.FileBackend
	handlers  map[string]http.Handler
}

func newFakeNextcloud(t *testing.T, passwords map[string]string) (*fakeNextcloud, *httptest.Server) {
	t.Helper()
	nc := &fakeNextcloud{dir: t.TempDir(), passwords: passwords,
		accounts: map[string]*davserver.FileBackend{}, handlers: map[string]http.Handler{}}
	for user := range passwords {
		fb, err := davserver.NewFileBackend(filepath.Join(nc.dir, user), user)
		if err != nil {
			t.Fatal(err)
		}
		nc.accounts[user], nc.handlers[user] = fb, davserver.NewHandler(fb, "/remote.php/dav/")
	}
	srv := httptest.NewServer(nc)
	t.Cleanup(srv.Close)
	return nc, srv
}

func (nc *fakeNextcloud) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/.well-known/caldav" {
		http.Redirect(w, r, "/remote.php/dav/", http.StatusMovedPermanently)
		return
	}
	user, pw, ok := r.BasicAuth()
	if !ok || nc.passwords[user] == "" || pw != nc.passwords[user] {
		w.Header().Set("WWW-Authenticate", `Basic realm="Nextcloud"`)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	if !strings.HasPrefix(r.URL.Path, "/remote.php/dav/") {
		http.NotFound(w, r)
		return
	}
	nc.handlers[user].ServeHTTP(w, r)
}

// calendar creates a calendar of user's with objects in it.
func (nc *fakeNextcloud) calendar(t *testing.T, user, name, display string, objects ...string) {
	t.Helper()
	if err := nc.accounts[user].CreateCalendar(name, display); err != nil {
		t.Fatal(err)
	}
	for i, o := range objects {
		if err := nc.accounts[user].PutObject(name, fmt.Sprintf("event-%d.ics", i), []byte(o)); err != nil {
			t.Fatal(err)
		}
	}
}

func exampleEvent(uid, start, end string, extra ...string) string {
	return strings.Join(append([]string{"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Nextcloud//Calendar//EN",
		"BEGIN:VEVENT", "UID:" + uid, "DTSTAMP:20270101T000000Z",
		"DTSTART;TZID=Europe/Paris:" + start, "DTEND;TZID=Europe/Paris:" + end},
		append(extra, "END:VEVENT", "END:VCALENDAR")...), "\r\n") + "\r\n"
}

func TestExampleNextcloudConfig(t *testing.T) {
	cfg, err := LoadConfig(exampleConfig)
	if err != nil {
		t.Fatalf("%s does not parse: %v", exampleConfig, err)
	}
	if err := cfg.check(); err != nil {
		t.Fatalf("%s is refused: %v", exampleConfig, err)
	}
	if len(cfg.Practitioners) != 2 {
		t.Fatalf("%d practitioners, want 2", len(cfg.Practitioners))
	}
	for _, pc := range cfg.Practitioners {
		c := pc.Calendar
		if !strings.HasPrefix(c.URL, "https://") || c.Username == "" || c.PasswordFile == "" || c.Bookings == "" {
			t.Errorf("practitioner %s: not bound to a Nextcloud account: %+v", pc.ID, c)
		}
	}
	if cfg.Mail.SMTP.Addr == "" || cfg.BaseURL == "" || cfg.AdminTokenFile == "" {
		t.Errorf("the example leaves out SMTP, base_url or the admin token: %+v", cfg)
	}

	// Run it: its Nextcloud, secrets and directories replaced by the test's.
	passwords := map[string]string{}
	for _, pc := range cfg.Practitioners {
		passwords[pc.Calendar.Username] = "app-password-of-" + pc.ID
	}
	nc, srv := newFakeNextcloud(t, passwords)
	nc.calendar(t, "anne.martin", "rendez-vous", "Rendez-vous")
	nc.calendar(t, "anne.martin", "personnel", "Personnel",
		exampleEvent("dentist@nc", "20270301T100000", "20270301T110000", "SUMMARY:Dentiste"))
	nc.calendar(t, "paul.durand", "rendez-vous", "Rendez-vous")
	nc.calendar(t, "paul.durand", "horaires", "Horaires",
		exampleEvent("tuesdays@nc", "20270302T140000", "20270302T180000", "RRULE:FREQ=WEEKLY;BYDAY=TU", "SUMMARY:Cabinet"))

	dir := t.TempDir()
	secret := func(name, value string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(value+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	cfg.DataDir = filepath.Join(dir, "data")
	cfg.AdminTokenFile = secret("admin-token", strings.Repeat("t", 40))
	cfg.Mail.SMTP = SMTPConfig{} // emails to DATA/outbox
	for i := range cfg.Practitioners {
		c := &cfg.Practitioners[i].Calendar
		c.URL = srv.URL
		c.PasswordFile = secret(c.Username, passwords[c.Username])
	}
	cfg.now = func() time.Time { return availNow } // Monday 1 March 2027, 07:00 in Paris
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, ln, io.Discard, slog.New(slog.NewTextHandler(io.Discard, nil))) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	in := &instance{t: t, base: "http://" + ln.Addr().String(), data: cfg.DataDir}
	waitHealthy(t, in.base)

	// Dr Martin: her hours, minus two hours of notice and her dentist in
	// "Personnel" (10:00–11:00, with 5 minutes after each visit).
	var sr slotsResponse
	if st, body := in.do("GET", "/v1/practitioners/martin/slots?type=consultation&from=2027-03-01&to=2027-03-02", nil, &sr); st != 200 {
		t.Fatalf("martin's slots: %d %s", st, body)
	}
	var before, after int
	firstAfter := ""
	for _, s := range sr.Slots {
		start, err := time.Parse(time.RFC3339, s.Start)
		if err != nil {
			t.Fatal(err)
		}
		hm := start.Format("15:04")
		switch {
		case hm < "09:00":
			t.Errorf("slot %s within the two hours of notice", s.Start)
		case hm > "09:35" && hm < "11:00":
			t.Errorf("slot %s over the dentist's hour", s.Start)
		case hm < "10:00":
			before++
		default:
			if after == 0 {
				firstAfter = s.Start
			}
			after++
		}
	}
	if before == 0 || after == 0 {
		t.Errorf("martin's slots on 1 March: %d before the dentist, %d after: %+v", before, after, sr.Slots)
	}
	// Paul Durand: only the open time of "Horaires", Tuesdays 14:00–18:00.
	sr = slotsResponse{}
	if st, body := in.do("GET", "/v1/practitioners/durand/slots?type=seance&from=2027-03-01&to=2027-03-08", nil, &sr); st != 200 {
		t.Fatalf("durand's slots: %d %s", st, body)
	}
	var got []string
	for _, s := range sr.Slots {
		got = append(got, strings.TrimPrefix(s.Start, "2027-03-02T"))
	}
	want := "14:00:00+01:00 14:30:00+01:00 15:00:00+01:00 15:30:00+01:00 16:00:00+01:00 16:30:00+01:00 17:00:00+01:00 17:30:00+01:00"
	if strings.Join(got, " ") != want {
		t.Errorf("durand's slots: %v\nwant Tuesday 2 March at %s", got, want)
	}

	// One booking each lands in that practitioner's own account.
	for _, b := range []struct{ practitioner, typ, start, user string }{
		{"martin", "consultation", firstAfter, "anne.martin"},
		{"durand", "seance", "2027-03-02T14:30:00+01:00", "paul.durand"},
	} {
		body := withPractitioner(bookBody(b.start, "Marie Curie", "marie@example.org"), b.practitioner)
		body["type"] = b.typ
		var booked struct{ ID string }
		if st, text := in.do("POST", "/v1/bookings", body, &booked); st != 201 {
			t.Fatalf("booking with %s: %d %s", b.practitioner, st, text)
		}
		if _, err := os.Stat(filepath.Join(nc.dir, b.user, "rendez-vous", booked.ID+".ics")); err != nil {
			t.Errorf("%s's booking is not in %s's Rendez-vous calendar: %v", b.practitioner, b.user, err)
		}
	}
}
