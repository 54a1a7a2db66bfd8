package testservers

import (
	"bytes"
	"embed"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// PHPPath is where Debian installs the PHP command line (php-cli).
const PHPPath = "/usr/bin/php"

// SabreDAVAutoload is the entry point of Debian's php-sabre-dav (1.8).
const SabreDAVAutoload = "/usr/share/php/Sabre/autoload.php"

//go:embed testdata/sabredav/server.php testdata/sabredav/schema.sql
var sabreFiles embed.FS

// StartSabreDAV runs sabre/dav, the CalDAV engine of Nextcloud, with
// Nextcloud's URL layout, on a free port of 127.0.0.1, with one user,
// alice:secret, and stops it when t ends:
//
//	/.well-known/caldav                      301 to /remote.php/dav/
//	/remote.php/dav/principals/users/alice/  principal
//	/remote.php/dav/calendars/alice/         calendar home
//	/                                        302 to /index.php/login, an HTML page
//
// It is PHP's built-in web server (php -S) with one worker, which serves
// one request at a time, and a SQLite database in a temporary directory.
// See testdata/sabredav/server.php.
func StartSabreDAV(t testing.TB) *Server {
	t.Helper()
	return StartSabreDAVWorkers(t, 1)
}

// StartSabreDAVWorkers is StartSabreDAV with n worker processes
// (PHP_CLI_SERVER_WORKERS) serving requests in parallel, as PHP-FPM does
// behind a real Nextcloud.
func StartSabreDAVWorkers(t testing.TB, n int) *Server {
	t.Helper()
	return startSabreDAV(t, n)
}

func startSabreDAV(t T, n int) *Server {
	t.Helper()
	const name = "sabredav"
	if !fileExists(PHPPath) {
		missing(t, name, PHPPath+" is missing")
	}
	if !fileExists(SabreDAVAutoload) {
		missing(t, name, SabreDAVAutoload+" is missing")
	}
	// The PHP extensions the server needs come in separate packages.
	out, err := exec.Command(PHPPath, "-r",
		`foreach (array_slice($argv, 1) as $e) if (!extension_loaded($e)) echo $e, " ";`,
		"pdo_sqlite", "dom", "xmlwriter", "mbstring").CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v: %s", PHPPath, err, out)
	}
	if ext := strings.TrimSpace(string(out)); ext != "" {
		missing(t, name, "PHP lacks the extensions "+ext)
	}

	dir := t.TempDir()
	www := filepath.Join(dir, "www")
	if err := os.Mkdir(www, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"server.php", "schema.sql"} {
		data, err := sabreFiles.ReadFile("testdata/sabredav/" + f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(www, f), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}

	s := &Server{
		User: "alice", Password: "secret",
		Principal: "/remote.php/dav/principals/users/alice/",
		Home:      "/remote.php/dav/calendars/alice/",
		logs:      &logBuffer{},
	}
	port := freePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	s.URL = "http://" + addr + "/"
	cmd := exec.Command(PHPPath, "-d", "include_path=.:/usr/share/php",
		"-S", addr, "-t", www, filepath.Join(www, "server.php"))
	cmd.Env = append(os.Environ(),
		"RDV_SABRE_DB="+filepath.Join(dir, "dav.sqlite"),
		"RDV_SABRE_USER="+s.User,
		"RDV_SABRE_PASSWORD="+s.Password,
	)
	if n > 1 {
		cmd.Env = append(cmd.Env, "PHP_CLI_SERVER_WORKERS="+strconv.Itoa(n))
	}
	cmd.Dir = dir
	// php -S logs two lines per connection; keep the rest.
	quiet := func(line string) bool {
		line = strings.TrimSpace(line)
		return !strings.HasSuffix(line, " Accepted") && !strings.HasSuffix(line, " Closing")
	}
	process(t, name, cmd, s.logs, quiet)

	// Ready when the DAV root answers: this first request also creates the
	// database.
	waitReady(t, name, func() error {
		req, err := http.NewRequest("PROPFIND", s.URL+"remote.php/dav/", bytes.NewReader(nil))
		if err != nil {
			return err
		}
		req.Header.Set("Depth", "0")
		req.SetBasicAuth(s.User, s.Password)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMultiStatus {
			return fmt.Errorf("PROPFIND /remote.php/dav/: %s", resp.Status)
		}
		return nil
	})
	return s
}
