package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// What the abuse suite (abuse_test.go) sends and reads: raw requests with
// their answer's header, distinct slots, the problems of the limits.

// abuseEnv is an rdv process on SQLite and the embedded CalDAV server.
type abuseEnv struct {
	*rdvProcess
	data  string
	slots slotSeq
}

// startAbuse starts rdv with the configuration c in a data directory of
// its own.
func startAbuse(t *testing.T, name string, c procConfig) *abuseEnv {
	t.Helper()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	c.jobsInterval = "1s"
	p := startRdv(t, name, rdvBinary(t, ""), writeConfig(t, dir, c), data)
	return &abuseEnv{rdvProcess: p, data: data, slots: slotSeq{day: 1}}
}

// written is what a request may have written: ledger rows, calendar
// events and emails.
type written struct{ rows, events, mails int }

func (e *abuseEnv) written(t *testing.T) written {
	t.Helper()
	read := func() written {
		return written{
			rows:   len(readLedger(t, filepath.Join(e.data, "rdv.db"))),
			events: len(embeddedEvents(t, e.data, "martin")),
			mails:  len(readMails(t, e.data)),
		}
	}
	// Emails leave in the background: once the count holds still.
	last := read()
	for range 50 {
		time.Sleep(300 * time.Millisecond)
		got := read()
		if got == last {
			return got
		}
		last = got
	}
	return last
}

// slotSeq hands out distinct consultation slots (20 minutes), thirty a
// day from 08:00, from day days from today on.
type slotSeq struct {
	mu  sync.Mutex
	day int
	n   int
}

func (s *slotSeq) next() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.n
	s.n++
	return localDay(s.day+i/30, 8, 0).Add(time.Duration(i%30) * 20 * time.Minute)
}

// reply is an answer of rdv, with its header.
type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) String() string { return fmt.Sprintf("%d %.300s", r.status, r.body) }

// do sends a request with the raw body body (nil for none) and the
// Content-Type ctype ("" for none), and the header fields given as name,
// value pairs.
func do(t *testing.T, p *rdvProcess, method, path, ctype string, body []byte, header ...string) reply {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	url := path
	if !strings.HasPrefix(path, "http") {
		url = p.base + path
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %s %s: %v", p.name, method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s: %s %s: %v", p.name, method, path, err)
	}
	return reply{resp.StatusCode, resp.Header, data}
}

// postJSON posts v as JSON.
func postJSON(t *testing.T, p *rdvProcess, path string, v any, header ...string) reply {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, p, http.MethodPost, path, "application/json", data, header...)
}

// consultation returns a booking request of a consultation at start for a
// patient with this email.
func consultation(start time.Time, email string) map[string]any {
	return map[string]any{
		"practitioner": "martin", "type": "consultation", "start": start.Format(time.RFC3339),
		"patient": map[string]any{"name": "Patient Test", "email": email},
	}
}

// from is the header of a request relayed by the trusted proxy
// (127.0.0.1) for the client address addr.
func from(addr string) []string { return []string{"X-Forwarded-For", addr} }

// wantLimit fails the test unless r is the 429 problem of limit, with a
// Retry-After of lo to hi seconds (none when hi is 0).
func wantLimit(t *testing.T, what string, r reply, limit string, lo, hi int) {
	t.Helper()
	var pb struct {
		Detail string `json:"detail"`
		Limit  string `json:"limit"`
	}
	if r.status != http.StatusTooManyRequests || json.Unmarshal(r.body, &pb) != nil ||
		!strings.Contains(r.header.Get("Content-Type"), "problem+json") {
		t.Errorf("%s: %v, want a 429 problem (%s)", what, r, limit)
		return
	}
	if pb.Limit != limit || pb.Detail == "" {
		t.Errorf("%s: problem names the limit %q (detail %q), want %q", what, pb.Limit, pb.Detail, limit)
	}
	ra := r.header.Get("Retry-After")
	if hi == 0 {
		if ra != "" {
			t.Errorf("%s: Retry-After %q for a limit that waiting does not lift", what, ra)
		}
		return
	}
	if n, err := strconv.Atoi(ra); err != nil || n < lo || n > hi {
		t.Errorf("%s: Retry-After %q, want %d to %d seconds", what, ra, lo, hi)
	}
}

// grepLines returns the lines of data that hold s.
func grepLines(data []byte, s string) string {
	var out []string
	for l := range strings.SplitSeq(string(data), "\n") {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// basicAuth is the credentials of a Basic Authorization header.
func basicAuth(user, password string) string {
	req, _ := http.NewRequest(http.MethodGet, "/", nil)
	req.SetBasicAuth(user, password)
	return strings.TrimPrefix(req.Header.Get("Authorization"), "Basic ")
}

// waitMailsTo waits until the outbox directory holds want emails to
// address, then a little longer to see that no more come, and returns how
// many it holds.
func waitMailsTo(t *testing.T, data, address string, want int) int {
	t.Helper()
	count := func() int {
		n := 0
		for _, m := range readMails(t, data) {
			if strings.Contains(m.to, address) {
				n++
			}
		}
		return n
	}
	deadline := time.Now().Add(10 * time.Second)
	for count() < want && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(1500 * time.Millisecond) // the outbox job runs every second
	return count()
}
