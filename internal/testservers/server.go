package testservers

import (
	"bytes"
	"context"
	"encoding/xml"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// Server is a running CalDAV server with one user, as a test sees it: where
// it is, who may log in, and how to put calendars and objects in place
// without going through the client under test.
type Server struct {
	URL       string // base URL of the host, with a trailing slash: what a user would type
	User      string
	Password  string
	Principal string // path of the user's principal
	Home      string // path of the user's calendar home, ending in "/"

	logs *logBuffer
}

// CalendarPath returns the path of the user's calendar named name.
func (s *Server) CalendarPath(name string) string { return s.Home + name + "/" }

// MkCalendar creates a calendar of events with a display name (RFC 4791
// section 5.3.1).
func (s *Server) MkCalendar(t testing.TB, name, displayName string) {
	t.Helper()
	s.mkCalendar(t, name, displayName)
}

// Put stores a new calendar object as is.
func (s *Server) Put(t testing.TB, calendar, object string, data []byte) {
	t.Helper()
	s.put(t, calendar, object, data)
}

// Do sends an authenticated request to path (Depth: 1 for PROPFIND and
// REPORT) and fails t unless the status is want. It returns the response
// body.
func (s *Server) Do(t testing.TB, method, path, contentType string, body []byte, want int) []byte {
	t.Helper()
	return s.do(t, method, path, contentType, body, want)
}

func (s *Server) mkCalendar(t T, name, displayName string) {
	t.Helper()
	s.do(t, "MKCALENDAR", s.CalendarPath(name), "application/xml", mkcalendarBody(displayName), http.StatusCreated)
}

func (s *Server) put(t T, calendar, object string, data []byte) {
	t.Helper()
	s.do(t, http.MethodPut, s.CalendarPath(calendar)+object, "text/calendar", data, http.StatusCreated)
}

func (s *Server) do(t T, method, path, contentType string, body []byte, want int) []byte {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, strings.TrimSuffix(s.URL, "/")+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if method == "PROPFIND" || method == "REPORT" {
		req.Header.Set("Depth", "1")
	}
	req.SetBasicAuth(s.User, s.Password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %s: %s", method, path, resp.Status, b.String())
	}
	return b.Bytes()
}

// Logs returns what the server's process has written so far.
func (s *Server) Logs() string { return s.logs.String() }

func mkcalendarBody(displayName string) []byte {
	var dn strings.Builder
	xml.EscapeText(&dn, []byte(displayName))
	return []byte(`<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:set><D:prop>
    <D:displayname>` + dn.String() + `</D:displayname>
    <C:supported-calendar-component-set><C:comp name="VEVENT"/></C:supported-calendar-component-set>
  </D:prop></D:set>
</C:mkcalendar>`)
}

// missing skips t, or fails it when servers are required, because what the
// server called name (a line of debian-packages.txt) needs is not
// installed.
func missing(t T, name, what string) {
	t.Helper()
	if Required() {
		t.Fatalf("%s is required (RDV_REQUIRE_SERVERS=1) but %s; %s", name, what, installHint(name))
	}
	t.Skipf("%s: %s; %s", name, what, installHint(name))
}

// logBuffer collects a process's output; it is safe for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// process runs cmd until t ends, with its output in logs, shown if t
// failed. The process gets its own process group, and the whole group is
// stopped (SIGTERM, then SIGKILL after 5 seconds), so that servers that
// fork workers leave none behind.
func process(t T, name string, cmd *exec.Cmd, logs *logBuffer, filter func(string) bool) {
	t.Helper()
	cmd.Stdout, cmd.Stderr = logs, logs
	ownGroup(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		stopGroup(cmd, false)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			stopGroup(cmd, true)
			<-done
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", name, filterLines(logs.String(), filter))
		}
	})
}

// filterLines keeps the lines of s for which keep is true (all if keep is
// nil).
func filterLines(s string, keep func(string) bool) string {
	if keep == nil {
		return s
	}
	var out strings.Builder
	for line := range strings.Lines(s) {
		if keep(line) {
			out.WriteString(line)
		}
	}
	return out.String()
}

// waitReady polls ready every 20 ms until it returns nil or 15 seconds
// pass; then it fails t with the last error (process shows the output).
func waitReady(t T, name string, ready func() error) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		err := ready()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not start: %v", name, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// fileExists reports whether path names an existing file.
func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
