package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/internal/testservers"
)

// The binary's wiring with an availability calendar, from a config file to
// the HTTP API: Dr Martin sets no weekly hours; her "Horaires" calendar opens
// every Monday 09:00–12:00 (8 March excluded) and her config closes 15
// March. Now is Monday 1 March 2027, 07:00, in Paris.

const availConfig = `data_dir = %q
[[practitioners]]
id = "martin"
name = "Dr Martin"
email = "martin@example.org"
timezone = "Europe/Paris"
closed = ["2027-03-15"]
[practitioners.calendar]
%s
availability = "Horaires"
[[practitioners.types]]
id = "consultation"
name = "Consultation"
duration = "30m"
`

// serveConfig runs serve on a config file until t ends.
func serveConfig(t *testing.T, dir, config string) *instance {
	t.Helper()
	configFile := filepath.Join(dir, "rdv.toml")
	if err := os.WriteFile(configFile, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(configFile)
	if err != nil {
		t.Fatal(err)
	}
	cfg.now = func() time.Time { return availNow }
	cfg.Limits.Off = true // one patient books many times here
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, ln, io.Discard, slog.New(slog.NewTextHandler(io.Discard, nil))) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	in := &instance{t: t, base: "http://" + ln.Addr().String(), data: filepath.Join(dir, "data")}
	waitHealthy(t, in.base)
	return in
}

// checkAvailabilitySlots asks the API for the slots of the first two weeks
// of March and books one.
func checkAvailabilitySlots(t *testing.T, in *instance) {
	t.Helper()
	var sr slotsResponse
	if st, _ := in.do("GET", "/v1/practitioners/martin/slots?type=consultation&from=2027-03-01&to=2027-03-16", nil, &sr); st != 200 {
		t.Fatalf("slots: %d", st)
	}
	var got []string
	for _, s := range sr.Slots {
		got = append(got, s.Start)
	}
	want := []string{
		"2027-03-01T09:00:00+01:00", "2027-03-01T09:30:00+01:00", "2027-03-01T10:00:00+01:00",
		"2027-03-01T10:30:00+01:00", "2027-03-01T11:00:00+01:00", "2027-03-01T11:30:00+01:00",
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("slots:\n%v\nwant:\n%v", got, want)
	}
	body := withPractitioner(bookBody("2027-03-01T10:00:00+01:00", "Marie Curie", "marie@example.org"), "martin")
	if st, _ := in.do("POST", "/v1/bookings", body, nil); st != 201 {
		t.Errorf("book an open Monday: %d", st)
	}
	body = withPractitioner(bookBody("2027-03-02T10:00:00+01:00", "Pierre Curie", "pierre@example.org"), "martin")
	if st, _ := in.do("POST", "/v1/bookings", body, nil); st != 422 {
		t.Errorf("book a Tuesday: %d, want 422", st)
	}
}

// TestEndToEndAvailabilityEmbedded: without a calendar URL, rdv creates the
// availability calendar in its embedded server, where a calendar client
// (here a plain PUT) adds the opening hours.
func TestEndToEndAvailabilityEmbedded(t *testing.T) {
	dir := t.TempDir()
	in := serveConfig(t, dir, fmt.Sprintf(availConfig, filepath.Join(dir, "data"), ""))
	pw, err := os.ReadFile(filepath.Join(in.data, "dav-password"))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPut, in.base+"/dav/calendars/demo/martin-availability/mondays.ics",
		bytes.NewReader([]byte(strings.ReplaceAll(availMondays, "\n", "\r\n"))))
	req.SetBasicAuth("demo", strings.TrimSpace(string(pw)))
	req.Header.Set("Content-Type", "text/calendar")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT: %s", resp.Status)
	}
	checkAvailabilitySlots(t, in)
}

// TestEndToEndAvailabilityRadicale: the same on a real Radicale, the
// calendars picked by their display names.
func TestEndToEndAvailabilityRadicale(t *testing.T) {
	r := testservers.StartRadicale(t)
	r.MkCalendar(t, "rdv", "Rendez-vous")
	r.MkCalendar(t, "horaires", "Horaires")
	r.Put(t, "horaires", "mondays.ics", []byte(strings.ReplaceAll(availMondays, "\n", "\r\n")))
	dir := t.TempDir()
	cal := fmt.Sprintf("url = %q\nusername = %q\npassword = %q\nbookings = \"Rendez-vous\"", r.URL, r.User, r.Password)
	in := serveConfig(t, dir, fmt.Sprintf(availConfig, filepath.Join(dir, "data"), cal))
	checkAvailabilitySlots(t, in)
	if obj := r.Do(t, "PROPFIND", r.CalendarPath("horaires"), "", nil, http.StatusMultiStatus); strings.Count(string(obj), ".ics") != 1 {
		t.Errorf("the availability calendar got written to:\n%s", obj)
	}
}
