package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/davserver"
)

// TestAlertCalendarUnreadable runs rdv on a real CalDAV server that then
// goes away, with a real SMTP server: the practitioner and the host are
// emailed that the calendar can't be read (once, after two failed passes),
// then that it can again; the calendar failing again soon after is not
// told again (one alert per 6 hours by default). The metrics count the
// alerts.
func TestAlertCalendarUnreadable(t *testing.T) {
	backend, err := davserver.NewFileBackend(t.TempDir(), "anne")
	if err != nil {
		t.Fatal(err)
	}
	if err := backend.CreateCalendar("rdv", "Rendez-vous"); err != nil {
		t.Fatal(err)
	}
	dav := davserver.NewHandler(backend, "/dav/")
	var mu sync.Mutex
	down := false
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		d := down
		mu.Unlock()
		if d {
			if c, _, err := w.(http.Hijacker).Hijack(); err == nil {
				c.Close() // the connection drops without an answer
			}
			return
		}
		dav.ServeHTTP(w, r)
	}))
	defer front.Close()
	setDown := func(d bool) {
		mu.Lock()
		down = d
		mu.Unlock()
	}

	smtpAddr := freeAddr(t)
	box := &mailbox{}
	serveSMTP(t, smtpAddr, box)
	metricsAddr := freeAddr(t)
	cfg, err := ParseConfig([]byte(fmt.Sprintf(`
metrics_addr = %q
[booking]
sync_interval = "1s"
[alerts]
failures = 2
to = ["host@example.net"]
[mail]
from = "rdv@cabinet.example"
[mail.smtp]
addr = %q
tls = "none"
[[practitioners]]
id = "anne"
name = "Dr Anne"
email = "anne@example.org"
[practitioners.hours]
mon = ["09:00-12:00"]
[practitioners.calendar]
url = %q
username = "anne"
password = "s3cret-password"
bookings = "Rendez-vous"
[[practitioners.types]]
id = "consultation"
duration = "20m"
`, metricsAddr, smtpAddr, front.URL+"/dav/calendars/anne/rdv/")))
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	var logMu sync.Mutex
	logger := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		logMu.Lock()
		defer logMu.Unlock()
		return logs.Write(p)
	}), nil))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, ln, io.Discard, logger) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	waitHealthy(t, "http://"+ln.Addr().String())

	// subjects waits for n messages and returns "recipient: subject" of each.
	subjects := func(n int) []string {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for len(box.messages()) < n && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
		}
		var out []string
		for i, raw := range box.messages() {
			m, err := mail.ReadMessage(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			s, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
			out = append(out, box.recipients()[i]+": "+s)
		}
		if len(out) != n {
			t.Fatalf("messages: %q, want %d", out, n)
		}
		return out
	}

	setDown(true)
	got := subjects(2)
	for i, to := range []string{"anne@example.org", "host@example.net"} {
		if !strings.HasPrefix(got[i], to+": ") || !strings.Contains(got[i], "calendrier") && !strings.Contains(got[i], "agenda illisible") {
			t.Errorf("alert %d: %q", i, got[i])
		}
	}
	setDown(false)
	got = subjects(4)[2:]
	for i, to := range []string{"anne@example.org", "host@example.net"} {
		if !strings.HasPrefix(got[i], to+": ") || !strings.Contains(got[i], "reprend") {
			t.Errorf("recovery %d: %q", i, got[i])
		}
	}
	setDown(true)
	time.Sleep(4 * time.Second) // four passes: failing, not told again
	if n := len(box.messages()); n != 4 {
		t.Errorf("%d messages after the calendar failed again soon after, want 4", n)
	}
	setDown(false)

	resp, err := http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`rdv_alerts_total{condition="calendar_unreadable",state="raised"} 1`,
		`rdv_alerts_total{condition="calendar_unreadable",state="recovered"} 1`,
		`rdv_caldav_request_errors_total{method="REPORT",practitioner="anne"}`,
		`rdv_caldav_requests_total{method="REPORT",practitioner="anne",status="none"}`,
	} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("metrics lack %q:\n%s", want, caldavLines(body))
		}
	}
	if bytes.Contains(body, []byte(front.URL)) || bytes.Contains(body, []byte("/dav/")) {
		t.Error("metrics show the calendar's URL")
	}
	logMu.Lock()
	defer logMu.Unlock()
	if !strings.Contains(logs.String(), `msg="alert: calendar_unreadable" practitioner=anne`) || !strings.Contains(logs.String(), `msg="alert not sent: one was sent lately" practitioner=anne`) {
		t.Errorf("logs:\n%s", logs.String())
	}
}

// caldavLines returns the lines of the rdv_caldav metrics in body.
func caldavLines(body []byte) string {
	var out []string
	for _, l := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(l, "rdv_caldav_req") && !strings.Contains(l, "_bucket") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
