package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestEmbed runs the example's server on a free port with a new data
// directory, and books one visit over HTTP, under /rdv/, on the embedded
// calendar. examples/examples_test.go runs the built program.
func TestEmbed(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, ln, data) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	base := "http://" + ln.Addr().String()
	for i := 0; ; i++ {
		resp, err := http.Get(base + "/rdv/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if i == 100 {
			t.Fatalf("no answer on /rdv/healthz: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}

	if st, body := get(t, base+"/hello"); st != http.StatusOK || string(body) != "the host's own page\n" {
		t.Errorf("the host's route: %d %q", st, body)
	}
	if st, _ := get(t, base+"/v1/practitioners"); st != http.StatusNotFound {
		t.Errorf("rdv's API outside /rdv/: %d, want 404", st)
	}
	// The booking page links to the slots under the prefix.
	if st, body := get(t, base+"/rdv/"); st != http.StatusOK || !strings.Contains(string(body), `href="/rdv/book?`) {
		t.Errorf("the booking page: %d, without links under /rdv/:\n%.2000s", st, body)
	}

	from := time.Now().AddDate(0, 0, 1).Format(time.DateOnly)
	to := time.Now().AddDate(0, 0, 15).Format(time.DateOnly)
	st, body := get(t, base+"/rdv/v1/practitioners/martin/slots?type=consultation&from="+from+"&to="+to)
	var slots struct {
		Slots []struct{ Start string }
	}
	if err := json.Unmarshal(body, &slots); st != http.StatusOK || err != nil || len(slots.Slots) == 0 {
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
	defer resp.Body.Close()
	body, _ = io.ReadAll(resp.Body)
	var b struct{ ID, Status string }
	if err := json.Unmarshal(body, &b); resp.StatusCode != http.StatusCreated || err != nil || b.Status != "confirmed" {
		t.Fatalf("booking: %d %s", resp.StatusCode, body)
	}
	// The event is in the embedded calendar, on disk in the data directory.
	if _, err := os.Stat(filepath.Join(data, "dav", "martin", b.ID+".ics")); err != nil {
		t.Errorf("the booking's event: %v", err)
	}
	// The confirmation's manage link is under the prefix, and works.
	link := manageLink(t, filepath.Join(data, "outbox"), base+"/rdv/manage/")
	if st, _ := get(t, link); st != http.StatusOK {
		t.Errorf("the manage page %s: %d", link, st)
	}
}

func get(t *testing.T, url string) (int, []byte) {
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
	return resp.StatusCode, body
}

// manageLink waits for the first email in the outbox directory and
// returns the link in it that starts with prefix.
func manageLink(t *testing.T, outbox, prefix string) string {
	t.Helper()
	re := regexp.MustCompile(regexp.QuoteMeta(prefix) + `[A-Za-z0-9_-]+`)
	for i := 0; ; i++ {
		files, _ := filepath.Glob(filepath.Join(outbox, "*.eml"))
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			// The text part may be quoted-printable: undo its soft line breaks.
			text := strings.ReplaceAll(string(data), "=\r\n", "")
			if m := re.FindString(text); m != "" {
				return m
			}
		}
		if i == 200 {
			t.Fatalf("no email with a link under %s in %s (%d files)", prefix, outbox, len(files))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
