package main

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/internal/bookingtest"
	"github.com/rdvlibre/rdv/internal/testservers"
)

// The tests of replicas_test.go, crash_test.go and bench_test.go run the rdv
// binary itself, built once per test binary (with the race detector when
// the tests have it), as separate processes on free loopback ports, against
// real servers: PostgreSQL and Radicale from internal/testservers, or
// SQLite and the embedded CalDAV server in the data directory. They read
// the ledger and the calendar straight from the database and the CalDAV
// server's storage, not through rdv.

// TestMain removes the binaries built for the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if builds.dir != "" {
		os.RemoveAll(builds.dir)
	}
	os.Exit(code)
}

// skipHeavy skips a test that starts real processes under -short, unless
// servers are required (RDV_REQUIRE_SERVERS=1, as in CI), where it must run.
func skipHeavy(tb testing.TB) {
	tb.Helper()
	if testing.Short() && !testservers.Required() {
		tb.Skip("starts rdv processes and real servers; skipped with -short (RDV_REQUIRE_SERVERS=1 runs it)")
	}
}

// builds are the rdv binaries built so far, by build tags.
var builds struct {
	mu   sync.Mutex
	dir  string
	bins map[string]string
}

// rdvBinary builds the rdv binary with the build tags tags ("" for the
// normal build, "rdvfault" for the crash tests') on first use, and returns
// its path. It is built with -race when the tests are.
func rdvBinary(tb testing.TB, tags string) string {
	tb.Helper()
	builds.mu.Lock()
	defer builds.mu.Unlock()
	if bin, ok := builds.bins[tags]; ok {
		return bin
	}
	if builds.dir == "" {
		dir, err := os.MkdirTemp("", "rdv-bin-")
		if err != nil {
			tb.Fatal(err)
		}
		builds.dir, builds.bins = dir, map[string]string{}
	}
	bin := filepath.Join(builds.dir, "rdv")
	args := []string{"build", "-o"}
	if tags != "" {
		bin += "-" + tags
		args = append(args, bin, "-tags", tags)
	} else {
		args = append(args, bin)
	}
	if raceEnabled() {
		args = append(args, "-race")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	start := time.Now()
	cmd := exec.Command(goTool, append(args, ".")...) // the package of the test: cmd/rdv
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	tb.Logf("built %s in %v", filepath.Base(bin), time.Since(start).Round(time.Millisecond))
	builds.bins[tags] = bin
	return bin
}

// raceEnabled reports whether the test binary was built with -race.
func raceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// rdvProcess is an rdv binary running for a test.
type rdvProcess struct {
	tb    testing.TB
	name  string
	base  string // http://127.0.0.1:PORT
	cmd   *exec.Cmd
	logs  *bookingtest.LogBuffer
	done  chan struct{} // closed when the process has exited
	state *os.ProcessState
	// retried: the process could not listen and another took its place.
	retried bool
}

// startRdv runs bin serve with the configuration file config and the data
// directory data on a free port, with env added to the environment, and
// waits until it answers /healthz, which it does once the reconciliation
// on start is over. When tb ends, the process is stopped (SIGTERM, then
// SIGKILL after 10 s) and, if tb failed, its output is shown.
func startRdv(tb testing.TB, name, bin, config, data string, env ...string) *rdvProcess {
	tb.Helper()
	p, err := spawnRdv(tb, name, bin, config, data, env...)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// spawnRdv is startRdv for any goroutine: it returns an error instead of
// failing tb.
func spawnRdv(tb testing.TB, name, bin, config, data string, env ...string) (*rdvProcess, error) {
	for attempt := 1; ; attempt++ {
		p := &rdvProcess{tb: tb, name: name, logs: &bookingtest.LogBuffer{}, done: make(chan struct{})}
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		p.base = "http://" + addr
		p.cmd = exec.Command(bin, "serve", "-config", config, "-addr", addr, "-data", data)
		p.cmd.Env = append(os.Environ(), env...)
		p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
		if err := p.cmd.Start(); err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		go func() {
			p.cmd.Wait()
			p.state = p.cmd.ProcessState
			close(p.done)
		}()
		tb.Cleanup(p.stop)
		err = p.waitHealthy(60 * time.Second)
		if err == nil {
			return p, nil
		}
		if p.exited() && strings.Contains(p.logs.String(), "address already in use") && attempt < 3 {
			p.retried = true // the free port was taken meanwhile
			continue
		}
		return nil, fmt.Errorf("%s did not start: %v\n%s", name, err, p.logs.String())
	}
}

// freePort returns a TCP port of 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitHealthy waits until p answers /healthz. The answer counts only once
// p has said it listens ("rdv is running", printed after its listener is
// open): the port was free when chosen, but another process of a test
// running beside this one may have taken it meanwhile, and answer for p.
func (p *rdvProcess) waitHealthy(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		resp, err := http.Get(p.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			switch {
			case resp.StatusCode != http.StatusOK:
				err = fmt.Errorf("/healthz: %s", resp.Status)
			case !strings.Contains(p.logs.String(), "rdv is running"):
				err = fmt.Errorf("/healthz answered, but %s has not said it listens", p.name)
			default:
				return nil
			}
		}
		if p.exited() {
			return fmt.Errorf("exited: %v", p.state)
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (p *rdvProcess) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop ends the process, if it still runs, with SIGTERM, and fails the test
// unless it shuts down cleanly; past 10 s it is killed. A process that
// ended before, other than by SIGKILL (which only the tests send), fails
// the test too. A failed test shows its output.
func (p *rdvProcess) stop() {
	if p.retried {
		return
	}
	if p.exited() {
		if ws, ok := p.state.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
			p.tb.Errorf("%s ended by itself: %v", p.name, p.state)
		}
	} else {
		p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
			if !p.state.Success() {
				p.tb.Errorf("%s: exit after SIGTERM: %v", p.name, p.state)
			}
		case <-time.After(10 * time.Second):
			p.cmd.Process.Kill()
			<-p.done
			p.tb.Errorf("%s did not stop within 10 s of SIGTERM", p.name)
		}
	}
	if p.tb.Failed() {
		p.tb.Logf("%s output (last 100 lines):\n%s", p.name, lastLines(p.logs.String(), 100))
	}
}

// waitKilled waits for the process to die of SIGKILL, and fails the test
// if it does not within timeout or dies otherwise.
func (p *rdvProcess) waitKilled(timeout time.Duration) {
	p.tb.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		p.tb.Fatalf("%s still runs %v after the request that should have killed it", p.name, timeout)
	}
	ws, ok := p.state.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		p.tb.Fatalf("%s ended with %v, want killed by SIGKILL", p.name, p.state)
	}
}

func lastLines(s string, n int) string {
	lines := strings.SplitAfter(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "")
}

// httpClient is the client of the tests of real processes: up to 60 s per
// request, a connection per concurrent request.
var httpClient = &http.Client{
	Timeout:   60 * time.Second,
	Transport: &http.Transport{MaxIdleConnsPerHost: 256, IdleConnTimeout: 30 * time.Second},
}

// call sends a JSON request (body nil for none), with the header fields
// given as name, value pairs, and returns the status and the body of the
// answer; err is a failure to get an answer at all.
func (p *rdvProcess) call(method, path string, body any, header ...string) (int, []byte, error) {
	var r io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, p.base+path, r)
	if err != nil {
		return 0, nil, err
	}
	if body != nil || method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, data, err
}

// mustCall is call that fails the test unless the answer has status want;
// it decodes a JSON answer into out, if not nil.
func (p *rdvProcess) mustCall(method, path string, body any, want int, out any) {
	p.tb.Helper()
	st, data, err := p.call(method, path, body)
	if err != nil {
		p.tb.Fatalf("%s: %s %s: %v", p.name, method, path, err)
	}
	if st != want {
		p.tb.Fatalf("%s: %s %s: %d %s, want %d", p.name, method, path, st, data, want)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			p.tb.Fatalf("%s: %s %s: %v", p.name, method, path, err)
		}
	}
}

// bookingBody is the JSON body of a booking request of practitioner martin.
func bookingBody(typ string, start time.Time, i int) map[string]any {
	return map[string]any{
		"practitioner": "martin", "type": typ, "start": start.Format(time.RFC3339),
		"patient": map[string]any{"name": bookingtest.PatientName(i), "email": fmt.Sprintf("p%d@example.org", i)},
	}
}

// procConfig is what differs between the configurations of the processes
// of these tests. They all serve one practitioner, martin, in Paris, open
// every day 08:00–18:00 (public holidays included), with four types:
// consultation (20 min, a start every 10 min), suivi (30 min, every 10 min,
// confirmed by email), atelier (a group: 1 h, every 30 min, 3 patients)
// and provisoire (20 min, to confirm within 2 s), each bookable a year
// ahead.
type procConfig struct {
	store string // "" for SQLite in the data directory, else a postgres:// URL
	// radicale, if not nil, holds the bookings calendar named bookings
	// (its display name); else the embedded CalDAV server does.
	radicale *testservers.Radicale
	bookings string
	// jobsInterval, syncInterval and intentGrace: "" for the defaults.
	jobsInterval, syncInterval, intentGrace string
	// limits is the body of the [limits] table; "" turns the limits off:
	// most of these tests book many times from one address.
	limits string
	// trustedProxies, adminToken and metricsAddr are the top-level keys
	// trusted_proxies, admin_token and metrics_addr; empty for none.
	trustedProxies          []string
	adminToken, metricsAddr string
	// contact is martin's contact, shown when a limit refuses a booking.
	contact string
	// noLimitsTable leaves the [limits] table out, for a binary older
	// than it (BenchmarkFlashCrowd's "before"), which had no limits.
	noLimitsTable bool
	// maxPerDay is martin's max_per_day, typeMaxPerDay those of the
	// types, by id; 0 or absent for none.
	maxPerDay     int
	typeMaxPerDay map[string]int
}

// capacities are the capacities of the types of procConfig.
var capacities = map[string]int{"consultation": 1, "suivi": 1, "atelier": 3, "provisoire": 1}

// writeConfig writes the configuration file of c, with a secret file of its
// own, in dir and returns its path.
func writeConfig(tb testing.TB, dir string, c procConfig) string {
	tb.Helper()
	var key [32]byte
	rand.Read(key[:])
	secretFile := filepath.Join(dir, "secret.key")
	if err := os.WriteFile(secretFile, []byte(base64.RawURLEncoding.EncodeToString(key[:])+"\n"), 0o600); err != nil {
		tb.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "secret_file = %q\n", secretFile)
	if c.store != "" {
		fmt.Fprintf(&b, "store = %q\n", c.store)
	}
	// Top-level keys: before the first [table] header.
	if len(c.trustedProxies) > 0 {
		quoted := make([]string, len(c.trustedProxies))
		for i, p := range c.trustedProxies {
			quoted[i] = fmt.Sprintf("%q", p)
		}
		fmt.Fprintf(&b, "trusted_proxies = [%s]\n", strings.Join(quoted, ", "))
	}
	if c.adminToken != "" {
		fmt.Fprintf(&b, "admin_token = %q\n", c.adminToken)
	}
	if c.metricsAddr != "" {
		fmt.Fprintf(&b, "metrics_addr = %q\n", c.metricsAddr)
	}
	if !c.noLimitsTable {
		limits := c.limits
		if limits == "" {
			limits = "off = true\n"
		}
		fmt.Fprintf(&b, "[limits]\n%s", limits)
	}
	b.WriteString("[booking]\n")
	if c.jobsInterval != "" {
		fmt.Fprintf(&b, "jobs_interval = %q\n", c.jobsInterval)
	}
	if c.syncInterval != "" {
		fmt.Fprintf(&b, "sync_interval = %q\n", c.syncInterval)
	}
	if c.intentGrace != "" {
		fmt.Fprintf(&b, "intent_grace = %q\n", c.intentGrace)
	}
	b.WriteString(`[[practitioners]]
id = "martin"
name = "Dr Martin"
email = "martin@example.org"
timezone = "Europe/Paris"
open_on_holidays = true
`)
	if c.contact != "" {
		fmt.Fprintf(&b, "contact = %q\n", c.contact)
	}
	if c.maxPerDay != 0 {
		fmt.Fprintf(&b, "max_per_day = %d\n", c.maxPerDay)
	}
	b.WriteString("[practitioners.hours]\n")
	for _, d := range []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"} {
		fmt.Fprintf(&b, "%s = [\"08:00-18:00\"]\n", d)
	}
	if c.radicale != nil {
		fmt.Fprintf(&b, "[practitioners.calendar]\nurl = %q\nusername = %q\npassword = %q\nbookings = %q\n",
			c.radicale.URL, c.radicale.User, c.radicale.Password, c.bookings)
	}
	for _, typ := range []struct{ id, keys string }{
		{"consultation", "duration = \"20m\"\nstep = \"10m\"\n"},
		{"suivi", "duration = \"30m\"\nstep = \"10m\"\nrequire_confirmation = true\n"},
		{"atelier", "duration = \"1h\"\nstep = \"30m\"\ncapacity = 3\n"},
		{"provisoire", "duration = \"20m\"\nstep = \"10m\"\nrequire_confirmation = true\nconfirm_within = \"2s\"\n"},
	} {
		fmt.Fprintf(&b, "[[practitioners.types]]\nid = %q\n%shorizon_days = 365\n", typ.id, typ.keys)
		if n := c.typeMaxPerDay[typ.id]; n != 0 {
			fmt.Fprintf(&b, "max_per_day = %d\n", n)
		}
	}
	path := filepath.Join(dir, "rdv.toml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

var paris = mustZone("Europe/Paris")

// localDay returns hh:mm on the day d days from today, in Paris.
func localDay(d, hh, mm int) time.Time {
	now := time.Now().In(paris)
	return time.Date(now.Year(), now.Month(), now.Day()+d, hh, mm, 0, 0, paris)
}
