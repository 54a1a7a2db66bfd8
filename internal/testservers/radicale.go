package testservers

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// RadicalePath is where Debian installs Radicale. The python3 on PATH may not
// be Debian's, so the program is run directly.
const RadicalePath = "/usr/bin/radicale"

// Required reports whether tests must fail, rather than skip, when a server's
// program is missing.
func Required() bool { return os.Getenv("RDV_REQUIRE_SERVERS") == "1" }

// Radicale is a running Radicale server with one user.
type Radicale struct {
	URL      string // base URL, with a trailing slash
	User     string
	Password string
}

// StartRadicale runs Radicale on a free port of 127.0.0.1 with one user,
// alice:secret, and stops it when t ends.
//
// When Radicale is missing the test is skipped, unless RDV_REQUIRE_SERVERS=1,
// in which case it fails.
func StartRadicale(t testing.TB) *Radicale {
	t.Helper()
	return startRadicale(t)
}

func startRadicale(t T) *Radicale {
	t.Helper()
	const name = "radicale"
	if !fileExists(RadicalePath) {
		missing(t, name, RadicalePath+" is missing")
	}
	dir := t.TempDir()
	port := freePort(t)
	users := filepath.Join(dir, "users")
	if err := os.WriteFile(users, []byte("alice:secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	config := fmt.Sprintf(`[server]
hosts = 127.0.0.1:%d
[auth]
type = htpasswd
htpasswd_filename = %s
htpasswd_encryption = plain
[rights]
type = owner_only
[storage]
filesystem_folder = %s
[logging]
level = warning
`, port, users, filepath.Join(dir, "collections"))
	configFile := filepath.Join(dir, "config")
	if err := os.WriteFile(configFile, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	logs := &logBuffer{}
	t.Cleanup(func() {
		// Registered before process's cleanup, so run after it: the
		// process has ended and its output is complete.
		if t.Failed() && strings.Contains(logs.String(), "No module named") {
			t.Logf("radicale lacks a Python module; %s", installHint(name))
		}
	})
	process(t, name, exec.Command(RadicalePath, "--config", configFile), logs, nil)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	waitReady(t, name, func() error {
		resp, err := http.Get(base + "/.web/")
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	})
	return &Radicale{URL: base + "/", User: "alice", Password: "secret"}
}

// CalendarPath returns the path of the user's calendar named name.
func (r *Radicale) CalendarPath(name string) string { return r.server().CalendarPath(name) }

// MkCalendar creates a calendar of events with a display name.
func (r *Radicale) MkCalendar(t testing.TB, name, displayName string) {
	t.Helper()
	r.server().MkCalendar(t, name, displayName)
}

// Put stores a calendar object as is.
func (r *Radicale) Put(t testing.TB, calendar, object string, data []byte) {
	t.Helper()
	r.server().Put(t, calendar, object, data)
}

// Do sends an authenticated request (Depth: 1 for PROPFIND and REPORT) and
// fails t unless the status is want. It returns the response body.
func (r *Radicale) Do(t testing.TB, method, path, contentType string, body []byte, want int) []byte {
	t.Helper()
	return r.server().Do(t, method, path, contentType, body, want)
}

// server is r as a generic Server: Radicale's principal and calendar home
// are both "/USER/".
func (r *Radicale) server() *Server {
	home := "/" + r.User + "/"
	return &Server{URL: r.URL, User: r.User, Password: r.Password, Principal: home, Home: home}
}

// FreePort returns a TCP port of 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	return freePort(t)
}

func freePort(t T) int {
	t.Helper()
	port := freeLocalPort()
	if port == 0 {
		t.Fatal("testservers: no free port on 127.0.0.1")
	}
	return port
}
