package testservers

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// smokeEvent is a weekly event in Europe/Paris with its VTIMEZONE: five
// Mondays of March 2027 at 09:00, the last one after the change to summer
// time.
//
//go:embed testdata/smoke/weekly-paris.ics
var smokeEvent []byte

// smokeTZIDOnly is a weekly event with an EXDATE whose TZID has no VTIMEZONE
// in the object, as in many of the tests' fixtures: the server must know the
// zone by its name. Radicale finds it with pytz (python3-tz); without it, it
// answers 400 ("No module named 'pytz'"), unless an earlier object of the
// same process brought a VTIMEZONE of that name.
//
//go:embed testdata/smoke/weekly-tzid-no-vtimezone.ics
var smokeTZIDOnly []byte

type smokeCheck struct {
	name  string
	check func(t T, repo string)
}

// smokeChecks are the servers Smoke knows, in the order it reports them.
var smokeChecks = []smokeCheck{
	{"radicale", func(t T, _ string) { smokeCalDAV(t, startRadicale(t).server()) }},
	{"sabredav", func(t T, _ string) { smokeCalDAV(t, startSabreDAV(t, 1)) }},
	{"postgresql", func(t T, _ string) { smokePostgres(t) }},
	{"chromium", func(t T, _ string) { smokeChromium(t) }},
	{"icaljs", smokeICalJS},
}

// Smoke checks that the real servers of the integration tests work on this
// machine, with the tests' own start code: it starts each server named (all
// if none: radicale, sabredav, postgresql, chromium, icaljs), makes it do one
// real thing and stops it. repo is the root of rdv's repository (ical.js is
// in recur/testdata/icaljs). It writes a line per server to w, with what went
// wrong and the Debian packages to install, and returns an error naming the
// servers that failed. The checks run in parallel and take a few seconds.
func Smoke(w io.Writer, repo string, names ...string) error {
	if len(names) == 0 {
		for _, c := range smokeChecks {
			names = append(names, c.name)
		}
	}
	type result struct {
		check  func(T, string)
		log    string
		failed bool
		took   time.Duration
	}
	results := make([]result, len(names))
	for i, name := range names {
		j := slices.IndexFunc(smokeChecks, func(c smokeCheck) bool { return c.name == name })
		if j < 0 {
			return fmt.Errorf("testservers: no smoke test for %q", name)
		}
		results[i].check = smokeChecks[j].check
	}
	var wg sync.WaitGroup
	for i := range results {
		r := &results[i]
		wg.Go(func() {
			start := time.Now()
			r.log, r.failed = runCheck(func(t T) { r.check(t, repo) })
			r.took = time.Since(start)
		})
	}
	wg.Wait()
	var failed []string
	for i, name := range names {
		r := results[i]
		status := "ok"
		if r.failed {
			status = "FAILED"
			failed = append(failed, name)
		}
		fmt.Fprintf(w, "%-10s %-6s %5.1fs\n", name, status, r.took.Seconds())
		if r.failed {
			for line := range strings.Lines(r.log) {
				fmt.Fprintf(w, "    %s", line)
			}
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("testservers: smoke test failed: %s", strings.Join(failed, ", "))
	}
	return nil
}

// smokeCalDAV stores, in a new calendar, an event with a TZID alone (first:
// see smokeTZIDOnly) and one with its VTIMEZONE, and reads the latter back.
func smokeCalDAV(t T, s *Server) {
	t.Helper()
	s.mkCalendar(t, "smoke", "Smoke test")
	s.put(t, "smoke", "weekly-tzid-no-vtimezone.ics", smokeTZIDOnly)
	s.put(t, "smoke", "weekly-paris.ics", smokeEvent)
	body := s.do(t, "GET", s.CalendarPath("smoke")+"weekly-paris.ics", "", nil, 200)
	if !bytes.Contains(body, []byte("TZID:Europe/Paris")) {
		t.Fatalf("GET of the event just stored: no VTIMEZONE in\n%s", body)
	}
}

// smokePostgres starts a server of its own (initdb, pg_ctl start, as the
// postgres user when run as root), creates a database and queries it.
func smokePostgres(t T) {
	t.Helper()
	srv := startPostgresServer(t)
	dsn := srv.createDatabase(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var one int
	if err := conn.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("SELECT 1: %d, %v", one, err)
	}
}

// smokeChromium has headless Chromium, with the tests' flags, load a page
// whose script measures a link, and print the page (--dump-dom). With no font
// to lay text out in, the link has no width, and the browser test fails.
func smokeChromium(t T) {
	t.Helper()
	const name = "chromium"
	if !fileExists(ChromiumPath) {
		missing(t, name, ChromiumPath+" is missing")
	}
	const page = `<!DOCTYPE html><title>smoke</title>
<p><a id="a" href="#">Prendre rendez-vous</a></p>
<script>document.body.dataset.width = Math.round(document.getElementById('a').getBoundingClientRect().width)</script>`
	var args []string
	for _, f := range ChromiumFlags {
		args = append(args, "--"+f)
	}
	args = append(args, "--user-data-dir="+t.TempDir(), "--dump-dom",
		"data:text/html;charset=utf-8,"+url.PathEscape(page))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, ChromiumPath, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	ownGroup(cmd) // the browser's helper processes end with it
	cmd.Cancel = func() error { stopGroup(cmd, true); return nil }
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s --dump-dom: %v\n%s", ChromiumPath, err, stderr.String())
	}
	m := regexp.MustCompile(`data-width="(\d+)"`).FindSubmatch(stdout.Bytes())
	if m == nil {
		t.Fatalf("%s --dump-dom: the page's script did not run; output:\n%s\n%s", ChromiumPath, stdout.String(), stderr.String())
	}
	if width, _ := strconv.Atoi(string(m[1])); width == 0 {
		missing(t, name, "it lays text out with no width (no fonts?)")
	}
}

// smokeICalJS runs ical.js (recur/testdata/icaljs/expand.mjs, as recur's
// differential test does) on the weekly event and checks its five instances,
// the last one in summer time.
func smokeICalJS(t T, repo string) {
	t.Helper()
	const name = "icaljs"
	dir := filepath.Join(repo, "recur", "testdata", "icaljs")
	node, err := exec.LookPath("node")
	if err != nil {
		missing(t, name, "node is not on PATH")
	}
	if !fileExists(filepath.Join(dir, "node_modules", "ical.js", "package.json")) {
		t.Fatalf("ical.js is not installed in %s: npm ci --prefix %s", dir, dir)
	}
	file := filepath.Join(t.TempDir(), "weekly-paris.ics")
	if err := os.WriteFile(file, smokeEvent, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, "expand.mjs", file, "2027-03-01T00:00:00Z", "2027-04-01T00:00:00Z", "Europe/Paris")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s expand.mjs: %v\n%s", node, err, stderr.String())
	}
	var res struct{ Intervals []struct{ Start, End int64 } }
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("expand.mjs output: %v\n%s", err, out)
	}
	var got []string
	for _, iv := range res.Intervals {
		got = append(got, time.Unix(iv.Start, 0).UTC().Format(time.RFC3339))
	}
	want := []string{"2027-03-01T08:00:00Z", "2027-03-08T08:00:00Z", "2027-03-15T08:00:00Z", "2027-03-22T08:00:00Z", "2027-03-29T07:00:00Z"}
	if !slices.Equal(got, want) {
		t.Fatalf("ical.js expands the weekly event to %v, want %v", got, want)
	}
}
