package testservers

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
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
func StartRadicale(t testing.TB) *Radicale {
	t.Helper()
	if _, err := os.Stat(RadicalePath); err != nil {
		if Required() {
			t.Fatalf("radicale is required (RDV_REQUIRE_SERVERS=1) but %s is missing", RadicalePath)
		}
		t.Skipf("%s is missing; install the radicale package to run this test", RadicalePath)
	}
	dir := t.TempDir()
	port := FreePort(t)
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
	var logs bytes.Buffer
	cmd := exec.Command(RadicalePath, "--config", configFile)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("radicale output:\n%s", logs.String())
		}
	})
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	for deadline := time.Now().Add(15 * time.Second); ; {
		resp, err := http.Get(base + "/.web/")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("radicale did not start: %v\n%s", err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
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
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
