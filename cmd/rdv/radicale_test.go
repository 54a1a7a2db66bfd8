package main

import (
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

// TestEndToEndRadicaleConfig runs the binary's wiring on a config file that
// points at a real Radicale: busy time comes from a second calendar (a daily
// recurring event with one EXDATE), and bookings are written to the bookings
// calendar picked by its display name.
func TestEndToEndRadicaleConfig(t *testing.T) {
	r := testservers.StartRadicale(t)
	r.MkCalendar(t, "rdv-bookings", "Rendez-vous")
	r.MkCalendar(t, "perso", "Personnel")

	paris, _ := time.LoadLocation("Europe/Paris")
	first := time.Now().In(paris).AddDate(0, 0, 1)
	skipped := first.AddDate(0, 0, 2)
	r.Put(t, "perso", "daily.ics", []byte(strings.ReplaceAll(fmt.Sprintf(`BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//test//EN
BEGIN:VEVENT
UID:daily-meeting@test
DTSTAMP:20260101T000000Z
DTSTART;TZID=Europe/Paris:%s
DTEND;TZID=Europe/Paris:%s
RRULE:FREQ=DAILY
EXDATE;TZID=Europe/Paris:%s
SUMMARY:Private
END:VEVENT
END:VCALENDAR
`, first.Format("20060102")+"T100000", first.Format("20060102")+"T110000", skipped.Format("20060102")+"T100000"), "\n", "\r\n")))

	dir := t.TempDir()
	config := fmt.Sprintf(`data_dir = %q
[[practitioners]]
id = "martin"
name = "Dr Martin"
email = "martin@example.org"
timezone = "Europe/Paris"
[practitioners.hours]
mon = ["09:00-12:00"]
tue = ["09:00-12:00"]
wed = ["09:00-12:00"]
thu = ["09:00-12:00"]
fri = ["09:00-12:00"]
sat = ["09:00-12:00"]
sun = ["09:00-12:00"]
[practitioners.calendar]
url = %q
username = %q
password = %q
bookings = "Rendez-vous"
busy = ["Personnel"]
[[practitioners.types]]
id = "consultation"
name = "Consultation"
duration = "20m"
`, filepath.Join(dir, "data"), r.URL, r.User, r.Password)
	configFile := filepath.Join(dir, "rdv.toml")
	if err := os.WriteFile(configFile, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(configFile)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Practitioners[0].OpenOnHolidays = true // whatever the day the test runs
	cfg.Limits.Off = true                      // one patient books many times here
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
	in := &instance{t: t, base: "http://" + ln.Addr().String()}
	waitHealthy(t, in.base)

	var sr slotsResponse
	q := fmt.Sprintf("/v1/practitioners/martin/slots?type=consultation&from=%s&to=%s",
		first.Format("2006-01-02"), first.AddDate(0, 0, 5).Format("2006-01-02"))
	if st, _ := in.do("GET", q, nil, &sr); st != 200 || len(sr.Slots) == 0 {
		t.Fatalf("slots: %d, %d slots", st, len(sr.Slots))
	}
	var slots []string
	for _, s := range sr.Slots {
		slots = append(slots, s.Start)
	}
	for i := 0; i < 5; i++ {
		d := first.AddDate(0, 0, i)
		ten := time.Date(d.Year(), d.Month(), d.Day(), 10, 20, 0, 0, paris).Format(time.RFC3339)
		if free, want := contains(slots, ten), i == 2; free != want {
			t.Errorf("%s free = %v, want %v (daily event with EXDATE on day 3)", ten, free, want)
		}
	}

	start := slots[0]
	var b bookingResponse
	if st, _ := in.do("POST", "/v1/bookings", withPractitioner(bookBody(start, "Marie Curie", "marie@example.org"), "martin"), &b); st != 201 {
		t.Fatalf("book: %d", st)
	}
	if st, _ := in.do("POST", "/v1/bookings", withPractitioner(bookBody(start, "Pierre Curie", "pierre@example.org"), "martin"), nil); st != 409 {
		t.Errorf("same slot again: %d, want 409", st)
	}
	obj := r.Do(t, http.MethodGet, r.CalendarPath("rdv-bookings")+b.ID+".ics", "", nil, 200)
	for _, want := range []string{"UID:" + b.ID, "STATUS:CONFIRMED", "SCHEDULE-AGENT=CLIENT", "TZID=Europe/Paris"} {
		if !strings.Contains(unfold(string(obj)), want) {
			t.Errorf("event in Radicale lacks %q:\n%s", want, obj)
		}
	}
	var c bookingResponse
	if st, _ := in.do("POST", "/v1/bookings/"+b.ManageToken+"/cancel", nil, &c); st != 200 || c.Status != "cancelled" {
		t.Fatalf("cancel: %d %+v", st, c)
	}
	obj = r.Do(t, http.MethodGet, r.CalendarPath("rdv-bookings")+b.ID+".ics", "", nil, 200)
	if !strings.Contains(string(obj), "STATUS:CANCELLED") {
		t.Errorf("event after cancel:\n%s", obj)
	}
	if st, _ := in.do("GET", q, nil, &sr); st != 200 || len(sr.Slots) == 0 || sr.Slots[0].Start != start {
		t.Errorf("cancelled slot not free again: %d %v", st, sr.Slots)
	}
}

func unfold(s string) string { return strings.ReplaceAll(s, "\r\n ", "") }

func waitHealthy(t *testing.T, base string) {
	t.Helper()
	for i := 0; ; i++ {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if i > 100 {
			t.Fatalf("rdv did not become healthy: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func withPractitioner(body map[string]any, id string) map[string]any {
	body["practitioner"] = id
	return body
}
