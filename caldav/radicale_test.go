package caldav

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const radicalePath = "/usr/bin/radicale"

// requireServers reports whether tests must fail, rather than skip, when an
// external server is missing (CI sets RDV_REQUIRE_SERVERS=1).
func requireServers() bool { return os.Getenv("RDV_REQUIRE_SERVERS") == "1" }

// startRadicale runs Radicale on a free port of 127.0.0.1 with a
// throw-away storage and one user, alice:secret, and stops it when t ends.
func startRadicale(t *testing.T) *testServer {
	t.Helper()
	if _, err := os.Stat(radicalePath); err != nil {
		if requireServers() {
			t.Fatalf("radicale is required (RDV_REQUIRE_SERVERS=1) but %s is missing", radicalePath)
		}
		t.Skipf("%s is missing; install the radicale package to run this test", radicalePath)
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
	var logs bytes.Buffer
	cmd := exec.Command(radicalePath, "--config", configFile)
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
	deadline := time.Now().Add(15 * time.Second)
	for {
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

	s := &testServer{
		url: base + "/", user: "alice", pass: "secret",
		calendarPath: func(name string) string { return "/alice/" + name + "/" },
	}
	s.mkcal = func(t *testing.T, name, displayName string) {
		t.Helper()
		body := `<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:set><D:prop>
    <D:displayname>` + xmlEscape(displayName) + `</D:displayname>
    <C:supported-calendar-component-set><C:comp name="VEVENT"/></C:supported-calendar-component-set>
  </D:prop></D:set>
</C:mkcalendar>`
		radicaleDo(t, s, "MKCALENDAR", s.calendarPath(name), "application/xml", []byte(body), http.StatusCreated)
	}
	s.put = func(t *testing.T, cal, obj string, data []byte) {
		t.Helper()
		radicaleDo(t, s, http.MethodPut, s.calendarPath(cal)+obj, "text/calendar", data, http.StatusCreated)
	}
	return s
}

func radicaleDo(t *testing.T, s *testServer, method, path, contentType string, body []byte, want int) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, strings.TrimSuffix(s.url, "/")+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.SetBasicAuth(s.user, s.pass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		t.Fatalf("%s %s: %s: %s", method, path, resp.Status, b.String())
	}
}

func xmlEscape(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func TestClientRadicale(t *testing.T) {
	if testing.Short() && !requireServers() {
		t.Skip("starts Radicale")
	}
	runClientSuite(t, startRadicale(t))
}
