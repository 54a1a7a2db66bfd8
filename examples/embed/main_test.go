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
	"testing"
	"time"
)

// TestEmbed runs the example on a free port with a new data directory,
// and books one visit over HTTP on the embedded calendar.
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
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if i == 100 {
			t.Fatalf("no answer on /healthz: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}

	if st, body := get(t, base+"/hello"); st != http.StatusOK || string(body) != "the host's own page\n" {
		t.Errorf("the host's route: %d %q", st, body)
	}

	from := time.Now().AddDate(0, 0, 1).Format(time.DateOnly)
	to := time.Now().AddDate(0, 0, 15).Format(time.DateOnly)
	st, body := get(t, base+"/v1/practitioners/martin/slots?type=consultation&from="+from+"&to="+to)
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
	resp, err := http.Post(base+"/v1/bookings", "application/json", bytes.NewReader(req))
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
