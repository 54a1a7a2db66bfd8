package testservers

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// PostgresServer is a PostgreSQL server run from the distribution's binaries
// (Debian's postgresql package) on a free port of 127.0.0.1, with trust
// authentication for the superuser "postgres", fsync off and its Unix socket in
// its own directory. It is made for tests: fast, and losing its data on a crash
// is fine.
type PostgresServer struct {
	Port int
	// Dir holds the data directory (data/), the Unix socket and the log
	// (postgres.log). It belongs to the user the server runs as.
	Dir string

	bin   string // directory of initdb, pg_ctl and postgres
	runAs string // "postgres" when the tests run as root (initdb refuses root), else ""
	dbs   atomic.Int64
}

// The server shared by the tests of one test binary, started by the first
// StartPostgres and stopped when the binary exits (see startWatchdog).
var sharedPostgres struct {
	once     sync.Once
	srv      *PostgresServer
	err      error
	took     time.Duration
	watchdog *os.File // write end of the watchdog's stdin, kept open until exit
}

// StartPostgres returns the address (postgres://…, sslmode=disable) of a new,
// empty database on a PostgreSQL server shared by all the tests of the test
// binary. The server is started on first use (initdb and start take one to
// three seconds), each database takes a fraction of a second to create; the
// database is dropped when t ends, and the server is stopped when the test
// binary exits, however it exits.
//
// Advisory locks, like everything else, are per database, so tests sharing
// the server don't see each other's.
//
// When PostgreSQL's programs are missing the test is skipped, unless
// RDV_REQUIRE_SERVERS=1, in which case it fails.
func StartPostgres(t testing.TB) string {
	t.Helper()
	bin := requirePostgres(t)
	sharedPostgres.once.Do(func() {
		start := time.Now()
		sharedPostgres.srv, sharedPostgres.err = startSharedPostgres(bin)
		sharedPostgres.took = time.Since(start)
		if sharedPostgres.err == nil {
			t.Logf("testservers: shared PostgreSQL server started in %v on port %d", sharedPostgres.took.Round(time.Millisecond), sharedPostgres.srv.Port)
		}
	})
	if sharedPostgres.err != nil {
		t.Fatalf("testservers: cannot start PostgreSQL: %v", sharedPostgres.err)
	}
	return sharedPostgres.srv.CreateDatabase(t)
}

// StartPostgresServer starts a PostgreSQL server of its own in a directory of
// t.TempDir(), for a test that must stop or restart the server, and stops it
// (pg_ctl stop -m fast) when t ends. Prefer StartPostgres, which is cheaper.
func StartPostgresServer(t testing.TB) *PostgresServer {
	t.Helper()
	return startPostgresServer(t)
}

func startPostgresServer(t T) *PostgresServer {
	t.Helper()
	bin := requirePostgres(t)
	dir := t.TempDir()
	// t.TempDir's parent is private to the current user: let the server's
	// user walk through it to its own directory.
	if err := os.Chmod(filepath.Dir(dir), 0o711); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	srv, err := newPostgres(bin, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Errorf("testservers: %v", err)
		}
	})
	if err := srv.initdb(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Logf("testservers: PostgreSQL server started in %v on port %d", time.Since(start).Round(time.Millisecond), srv.Port)
	return srv
}

// DSN returns the address of the database named db.
func (s *PostgresServer) DSN(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.Port, db)
}

// CreateDatabase creates a new, empty database, dropped when t ends, and
// returns its address.
func (s *PostgresServer) CreateDatabase(t testing.TB) string {
	t.Helper()
	return s.createDatabase(t)
}

func (s *PostgresServer) createDatabase(t T) string {
	t.Helper()
	name := fmt.Sprintf("test_%d", s.dbs.Add(1))
	if err := s.admin("CREATE DATABASE " + name); err != nil {
		t.Fatalf("testservers: %v", err)
	}
	t.Cleanup(func() {
		// FORCE ends the sessions a test left open.
		if err := s.admin("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Errorf("testservers: %v", err)
		}
	})
	return s.DSN(name)
}

// admin runs one statement on the server's postgres database.
func (s *PostgresServer) admin(stmt string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.DSN("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, stmt); err != nil {
		return fmt.Errorf("%s: %w", stmt, err)
	}
	return nil
}

// Start starts the server (again) and waits until it accepts connections.
func (s *PostgresServer) Start() error {
	opts := strings.Join([]string{
		"-p", strconv.Itoa(s.Port),
		"-k", s.Dir, // Unix socket
		"-c", "listen_addresses=127.0.0.1",
		"-c", "fsync=off",
		"-c", "full_page_writes=off",
		"-c", "synchronous_commit=off",
		"-c", "max_connections=200",
		"-c", "shared_buffers=32MB",
	}, " ")
	_, err := s.run("pg_ctl", "start", "-w", "-t", "60", "-D", s.dataDir(),
		"-l", filepath.Join(s.Dir, "postgres.log"), "-o", opts)
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(s.Dir, "postgres.log"))
		return fmt.Errorf("pg_ctl start: %w\n%s", err, log)
	}
	return nil
}

// Stop stops the server with a fast shutdown: sessions are ended, the data
// is kept. Stopping a stopped server does nothing.
func (s *PostgresServer) Stop() error {
	if _, err := os.Stat(filepath.Join(s.dataDir(), "postmaster.pid")); err != nil {
		return nil // not running
	}
	if _, err := s.run("pg_ctl", "stop", "-m", "fast", "-w", "-D", s.dataDir()); err != nil {
		return fmt.Errorf("pg_ctl stop: %w", err)
	}
	return nil
}

func (s *PostgresServer) dataDir() string { return filepath.Join(s.Dir, "data") }

// newPostgres prepares a server in dir, which it gives to the server's user,
// on a free port. It starts nothing.
func newPostgres(bin, dir string) (*PostgresServer, error) {
	s := &PostgresServer{Port: freeLocalPort(), Dir: dir, bin: bin}
	if s.Port == 0 {
		return nil, fmt.Errorf("testservers: no free port")
	}
	if os.Geteuid() == 0 {
		s.runAs = "postgres"
		u, err := user.Lookup(s.runAs)
		if err != nil {
			return nil, fmt.Errorf("testservers: initdb refuses root and there is no postgres user: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// initdb creates the cluster: UTF-8, C locale, trust authentication.
func (s *PostgresServer) initdb() error {
	if _, err := s.run("initdb", "-D", s.dataDir(), "-A", "trust", "-U", "postgres",
		"-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"); err != nil {
		return fmt.Errorf("initdb: %w", err)
	}
	return nil
}

// run runs one of PostgreSQL's programs as the server's user.
func (s *PostgresServer) run(prog string, args ...string) ([]byte, error) {
	name := filepath.Join(s.bin, prog)
	if s.runAs != "" {
		args = append([]string{"-u", s.runAs, "--", name}, args...)
		name = "runuser"
	}
	cmd := exec.Command(name, args...)
	cmd.Dir = s.Dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return out.Bytes(), fmt.Errorf("%w: %s", err, bytes.TrimSpace(out.Bytes()))
	}
	return out.Bytes(), nil
}

// startSharedPostgres starts the shared server in a directory of its own,
// removed with the server when the test binary exits.
func startSharedPostgres(bin string) (*PostgresServer, error) {
	dir, err := os.MkdirTemp("", "rdv-postgres-")
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, err
	}
	s, err := newPostgres(bin, dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := s.startWatchdog(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := s.initdb(); err != nil {
		return nil, err
	}
	for range 3 { // the free port may have been taken in the meantime
		if err = s.Start(); err == nil {
			return s, nil
		}
		s.Port = freeLocalPort()
	}
	return nil, err
}

// startWatchdog starts a shell that waits for the end of its standard input,
// whose write end only this process holds, then stops the server and removes
// its directory. The pipe closes when the test binary exits, even when it is
// killed; the shell ignores the terminal's interrupt, so that ^C on go test
// still ends in a clean stop.
func (s *PostgresServer) startWatchdog() error {
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	quote := func(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
	pgctl := quote(filepath.Join(s.bin, "pg_ctl"))
	if s.runAs != "" {
		pgctl = "runuser -u " + s.runAs + " -- " + pgctl
	}
	script := fmt.Sprintf(`trap '' INT TERM HUP
while read -r _; do :; done
if [ -f %[1]s/postmaster.pid ]; then %[2]s stop -m fast -w -D %[1]s >/dev/null 2>&1; fi
rm -rf %[3]s
`, quote(s.dataDir()), pgctl, quote(s.Dir))
	cmd := exec.Command("/bin/sh", "-c", script)
	cmd.Stdin = r // stdout and stderr: /dev/null, so go test does not wait for them
	if err := cmd.Start(); err != nil {
		w.Close()
		return err
	}
	go cmd.Wait() // reaps it if the pipe is closed early
	sharedPostgres.watchdog = w
	return nil
}

// requirePostgres returns the directory of PostgreSQL's programs, or skips
// (fails when servers are required) if there is none.
func requirePostgres(t T) string {
	t.Helper()
	bin := PostgresBin()
	if bin == "" {
		missing(t, "postgresql", "initdb, pg_ctl and postgres were not found")
	}
	return bin
}

// PostgresBin returns the directory of PostgreSQL's initdb and pg_ctl: the
// value of RDV_POSTGRES_BIN if set, else the newest of Debian's
// /usr/lib/postgresql/*/bin, else the directory of pg_ctl on PATH; "" if none.
func PostgresBin() string {
	has := func(dir string) bool {
		for _, p := range []string{"initdb", "pg_ctl", "postgres"} {
			if fi, err := os.Stat(filepath.Join(dir, p)); err != nil || fi.IsDir() {
				return false
			}
		}
		return true
	}
	if dir := os.Getenv("RDV_POSTGRES_BIN"); dir != "" {
		if has(dir) {
			return dir
		}
		return ""
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return pgVersion(dirs[i]) > pgVersion(dirs[j]) })
	for _, dir := range dirs {
		if has(dir) {
			return dir
		}
	}
	if p, err := exec.LookPath("pg_ctl"); err == nil && has(filepath.Dir(p)) {
		return filepath.Dir(p)
	}
	return ""
}

// pgVersion reads the major version in /usr/lib/postgresql/VERSION/bin.
func pgVersion(bin string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(bin)))
	return v
}

// freeLocalPort is FreePort without a test: a port of 127.0.0.1 that was
// free a moment ago, 0 if none.
func freeLocalPort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
