package caldav

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/internal/testcal"
)

// TestStats checks what a Calendar tells a host for its metrics and
// alerts: every request with its method and status (0 when the server
// can't be reached), the validations by outcome, and the failures in a
// row, which a successful read starts again at zero.
func TestStats(t *testing.T) {
	fs := newFlakyServer(t)
	var mu sync.Mutex
	seen := map[string]int{} // "METHOD status" → requests
	log, _ := lockedLog()
	c, err := New(context.Background(), Config{
		URL: fs.url, BookingsCalendar: "rdv", BusyCalendars: []string{"work"},
		Timeout: 300 * time.Millisecond, Logger: log, Location: testcal.Paris(t),
		HTTPClient: &http.Client{Transport: fs},
		Observe: func(method string, status int, d time.Duration) {
			if d < 0 {
				t.Errorf("%s: duration %v", method, d)
			}
			mu.Lock()
			seen[method+" "+http.StatusText(status)]++
			mu.Unlock()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	from := time.Date(2027, 3, 10, 0, 0, 0, 0, time.UTC)
	read := func() error { _, err := c.Busy(ctx, from, from.Add(24*time.Hour)); return err }
	for range 2 {
		if err := read(); err != nil {
			t.Fatal(err)
		}
	}
	if st := c.CacheStats(); st.Changed != 1 || st.Unchanged != 3 || st.Failed != 0 {
		t.Errorf("after two reads of two calendars: %+v, want 1 changed (the first load of the one with an event), 3 unchanged", st)
	}
	mu.Lock()
	if seen["PROPFIND Multi-Status"] == 0 || seen["REPORT Multi-Status"] == 0 {
		t.Errorf("requests observed: %v", seen)
	}
	mu.Unlock()

	fs.mode.Store("down")
	for range 3 {
		if err := read(); err == nil {
			t.Fatal("read a calendar that is down")
		}
	}
	h := c.Health()
	if h.Failures != 3 || h.Since.IsZero() {
		t.Errorf("after three failed reads: %+v", h)
	}
	if st := c.CacheStats(); st.Failed < 3 {
		t.Errorf("failed validations: %+v", st)
	}
	mu.Lock()
	if seen["PROPFIND "] == 0 && seen["REPORT "] == 0 {
		t.Errorf("no request without an answer observed: %v", seen)
	}
	mu.Unlock()

	fs.mode.Store("")
	if err := read(); err != nil {
		t.Fatal(err)
	}
	if h := c.Health(); h.Failures != 0 || !h.Since.IsZero() {
		t.Errorf("read again, health %+v", h)
	}
}
