// Package examples_test builds the programs of examples/ and runs them as a
// host would, checking what they print and serve. The Nextcloud
// configuration example is run by cmd/rdv's TestExampleNextcloudConfig,
// with rdv's own configuration parser.
package examples_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/davserver"
)

// built holds the programs built so far, by package directory.
var built struct {
	mu   sync.Mutex
	bins map[string]string
}

// program builds the program in directory dir of examples/ once, and
// returns the path of its binary.
func program(t *testing.T, dir string) string {
	t.Helper()
	built.mu.Lock()
	defer built.mu.Unlock()
	if bin, ok := built.bins[dir]; ok {
		if _, err := os.Stat(bin); err == nil {
			return bin
		}
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build the examples: %v", err)
	}
	out, err := os.MkdirTemp("", "rdv-example-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(out) })
	bin := filepath.Join(out, dir)
	cmd := exec.Command(goTool, "build", "-o", bin, "./"+dir)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./%s: %v\n%s", dir, err, msg)
	}
	if built.bins == nil {
		built.bins = map[string]string{}
	}
	built.bins[dir] = bin
	return bin
}

// freeAddr returns a loopback address with a port free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestEmbedProgram runs examples/embed: a host's server with rdv under
// /rdv/, its calendar the embedded CalDAV server, its ledger SQLite, in a
// new data directory. It books a visit through the host's server, then
// stops the program with an interrupt, as Ctrl-C does.
func TestEmbedProgram(t *testing.T) {
	bin := program(t, "embed")
	addr, data := freeAddr(t), t.TempDir()
	var output bytes.Buffer
	cmd := exec.Command(bin, "-addr", addr, "-data", data)
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stopped := false
	defer func() {
		if !stopped {
			cmd.Process.Kill()
			<-exited
		}
	}()
	base := "http://" + addr
	for i := 0; ; i++ {
		if resp, err := http.Get(base + "/rdv/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case err := <-exited:
			stopped = true
			t.Fatalf("the program stopped: %v\n%s", err, output.Bytes())
		case <-time.After(100 * time.Millisecond):
		}
		if i == 150 {
			t.Fatalf("no answer on /rdv/healthz after 15s\n%s", output.Bytes())
		}
	}

	if st, body := httpGet(t, base+"/hello"); st != http.StatusOK || body != "the host's own page\n" {
		t.Errorf("the host's route: %d %q", st, body)
	}
	from := time.Now().AddDate(0, 0, 1).Format(time.DateOnly)
	to := time.Now().AddDate(0, 0, 15).Format(time.DateOnly)
	st, body := httpGet(t, base+"/rdv/v1/practitioners/martin/slots?type=consultation&from="+from+"&to="+to)
	var slots struct{ Slots []struct{ Start string } }
	if err := json.Unmarshal([]byte(body), &slots); st != http.StatusOK || err != nil || len(slots.Slots) == 0 {
		t.Fatalf("slots: %d %s", st, body)
	}
	req, _ := json.Marshal(map[string]any{
		"practitioner": "martin", "type": "consultation", "start": slots.Slots[0].Start,
		"patient": map[string]string{"name": "Marie Curie", "email": "marie@example.org"},
	})
	resp, err := http.Post(base+"/rdv/v1/bookings", "application/json", bytes.NewReader(req))
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var booked struct{ ID, Status string }
	if err := json.Unmarshal(answer, &booked); resp.StatusCode != http.StatusCreated || err != nil || booked.Status != "confirmed" {
		t.Fatalf("booking: %d %s", resp.StatusCode, answer)
	}
	if _, err := os.Stat(filepath.Join(data, "dav", "martin", booked.ID+".ics")); err != nil {
		t.Errorf("the booking's event in the embedded calendar: %v", err)
	}

	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		stopped = true
		if err != nil {
			t.Errorf("after an interrupt: %v\n%s", err, output.Bytes())
		}
	case <-time.After(20 * time.Second):
		t.Errorf("the program did not stop within 20s of an interrupt\n%s", output.Bytes())
	}
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// freeslotsEvents are Dr Martin's "Personnel" calendar: a weekly meeting
// on Monday mornings, a cancelled one on Tuesday, a call on Tuesday.
var freeslotsEvents = []struct{ uid, lines string }{
	{"staff", "DTSTART;TZID=Europe/Paris:20270222T090000\r\nDTEND;TZID=Europe/Paris:20270222T100000\r\nRRULE:FREQ=WEEKLY;BYDAY=MO\r\n"},
	{"call", "DTSTART;TZID=Europe/Paris:20270302T100000\r\nDTEND;TZID=Europe/Paris:20270302T103000\r\n"},
	{"cancelled", "DTSTART;TZID=Europe/Paris:20270302T090000\r\nDTEND;TZID=Europe/Paris:20270302T093000\r\nSTATUS:CANCELLED\r\n"},
}

func vevent(uid, lines string) string {
	return "BEGIN:VEVENT\r\nUID:" + uid + "\r\nDTSTAMP:20270101T000000Z\r\n" + lines + "END:VEVENT\r\n"
}

func vcalendar(events ...string) string {
	return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//rdv//examples//FR\r\n" + strings.Join(events, "") + "END:VCALENDAR\r\n"
}

// freeslotsWant is what freeslots prints for 1–2 March 2027, open
// 09:00–11:00, visits of 30 minutes.
const freeslotsWant = `
Monday 1 March
  10:00–10:30
  10:30–11:00

Tuesday 2 March
  09:00–09:30
  09:30–10:00
  10:30–11:00

5 free slots, 2 busy intervals
`

// TestFreeslotsProgram runs examples/freeslots on a CalDAV calendar
// (rdv's embedded CalDAV server on a loopback port, with basic
// authentication) and on the same events exported to an .ics file: both
// print the same free slots.
func TestFreeslotsProgram(t *testing.T) {
	bin := program(t, "freeslots")
	fb, err := davserver.NewFileBackend(t.TempDir(), "anne")
	if err != nil {
		t.Fatal(err)
	}
	if err := fb.CreateCalendar("personnel", "Personnel"); err != nil {
		t.Fatal(err)
	}
	var events []string
	for _, e := range freeslotsEvents {
		if err := fb.PutObject("personnel", e.uid+".ics", []byte(vcalendar(vevent(e.uid, e.lines)))); err != nil {
			t.Fatal(err)
		}
		events = append(events, vevent(e.uid, e.lines))
	}
	dav := davserver.NewHandler(fb, "/dav/")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if user, pw, ok := r.BasicAuth(); !ok || user != "anne" || pw != "app-password" {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		dav.ServeHTTP(w, r)
	}))
	defer srv.Close()
	ics := filepath.Join(t.TempDir(), "agenda.ics")
	if err := os.WriteFile(ics, []byte(vcalendar(events...)), 0o600); err != nil {
		t.Fatal(err)
	}

	common := []string{"-from", "2027-03-01", "-days", "2", "-hours", "09:00-11:00", "-duration", "30m", "-tz", "Europe/Paris"}
	for _, tt := range []struct {
		name     string
		args     []string
		password string
		want     string // the output, or what the error says
		fails    bool
	}{
		{"CalDAV", append([]string{"-url", srv.URL + "/dav/", "-user", "anne", "-calendar", "Personnel"}, common...), "app-password", freeslotsWant, false},
		{"ics file", append([]string{"-ics", ics}, common...), "", freeslotsWant, false},
		{"wrong password", append([]string{"-url", srv.URL + "/dav/", "-user", "anne", "-calendar", "Personnel"}, common...), "guess", "credentials", true},
		{"no source", common, "", "give either -url or -ics", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(bin, tt.args...)
			cmd.Env = append(os.Environ(), "RDV_CALDAV_PASSWORD="+tt.password)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			switch {
			case tt.fails && err == nil:
				t.Fatalf("succeeded:\n%s", stdout.Bytes())
			case tt.fails && !strings.Contains(stderr.String(), tt.want):
				t.Errorf("error %q, want one saying %q", stderr.String(), tt.want)
			case !tt.fails && err != nil:
				t.Fatalf("%v\n%s", err, stderr.Bytes())
			case !tt.fails && stdout.String() != tt.want:
				t.Errorf("output:\n%s\nwant:\n%s", stdout.String(), tt.want)
			}
		})
	}
}

// TestExamplesHaveREADMEs checks that each example directory says what it
// is for and how to run it.
func TestExamplesHaveREADMEs(t *testing.T) {
	dirs, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		n++
		data, err := os.ReadFile(filepath.Join(d.Name(), "README.md"))
		if err != nil {
			t.Errorf("%s: %v", d.Name(), err)
			continue
		}
		if !strings.Contains(string(data), fmt.Sprintf("examples/%s", d.Name())) {
			t.Errorf("%s/README.md does not say how to run or use examples/%s", d.Name(), d.Name())
		}
	}
	if n < 3 {
		t.Errorf("%d examples, want at least embed, freeslots and nextcloud", n)
	}
}
