package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/internal/bookingtest"
	"github.com/rdvlibre/rdv/internal/testservers"
)

// The calendar sync of the service, end to end: rdv runs as the binary
// does (serve), its periodic sync every second, emails written to
// DATA/outbox; the test acts as the practitioner's calendar client,
// straight on the CalDAV server: the embedded one, and a real Radicale.

// practitionerCalendar is the CalDAV server as the practitioner's calendar
// client reaches it.
type practitionerCalendar struct {
	do   func(t *testing.T, method, path string, body []byte) (int, []byte)
	path func(id string) string // of a booking's event
}

func TestSyncEmbedded(t *testing.T) {
	const token = "test-admin-token-0123456789abcdef0123456789"
	in := startEmbeddedConfig(t, func(c *Config) {
		c.Booking.SyncInterval = duration{time.Second}
		c.AdminToken = token
	})
	paris, _ := time.LoadLocation("Europe/Paris")
	today := time.Now().In(paris)
	slots := in.slots(today.AddDate(0, 0, 1), today.AddDate(0, 0, 15))
	pc := practitionerCalendar{
		do: func(t *testing.T, method, path string, body []byte) (int, []byte) {
			pw, err := os.ReadFile(filepath.Join(in.data, "dav-password"))
			if err != nil {
				t.Fatal(err)
			}
			req, err := http.NewRequest(method, in.base+path, bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			req.SetBasicAuth("demo", strings.TrimSpace(string(pw)))
			if body != nil {
				req.Header.Set("Content-Type", "text/calendar; charset=utf-8")
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			data, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, data
		},
		path: func(id string) string { return "/dav/calendars/demo/demo/" + id + ".ics" },
	}
	ids := testPractitionerChanges(t, in, pc, "demo", paris, slots)

	// The practitioner sees the result through the admin API.
	req, _ := http.NewRequest(http.MethodGet, in.base+"/v1/admin/practitioners/demo/bookings?from="+
		today.Format(time.DateOnly)+"&to="+today.AddDate(0, 0, 20).Format(time.DateOnly), nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list struct {
		Bookings []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"bookings"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("admin bookings: %d %v", resp.StatusCode, err)
	}
	status := map[string]string{}
	for _, b := range list.Bookings {
		status[b.ID] = b.Status
	}
	if status[ids[0]] != "cancelled" || status[ids[1]] != "confirmed" || status[ids[2]] != "cancelled" {
		t.Errorf("admin list: %v", list.Bookings)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("admin list Cache-Control %q", cc)
	}
}

func TestSyncRadicale(t *testing.T) {
	r := testservers.StartRadicale(t)
	r.MkCalendar(t, "rdv-bookings", "Rendez-vous")
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	cfg, err := ParseConfig([]byte(fmt.Sprintf(`data_dir = %q
[limits]
off = true
[booking]
sync_interval = "1s"
[[practitioners]]
id = "martin"
name = "Dr Martin"
timezone = "Europe/Paris"
open_on_holidays = true
[practitioners.hours]
mon = ["08:00-18:00"]
tue = ["08:00-18:00"]
wed = ["08:00-18:00"]
thu = ["08:00-18:00"]
fri = ["08:00-18:00"]
sat = ["08:00-18:00"]
sun = ["08:00-18:00"]
[practitioners.calendar]
url = %q
username = %q
password = %q
bookings = "Rendez-vous"
[[practitioners.types]]
id = "consultation"
duration = "20m"
`, data, r.URL, r.User, r.Password)))
	if err != nil {
		t.Fatal(err)
	}
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
	in := &instance{t: t, base: "http://" + ln.Addr().String(), data: data}
	waitHealthy(t, in.base)

	paris, _ := time.LoadLocation("Europe/Paris")
	tomorrow := time.Now().In(paris).AddDate(0, 0, 1)
	var sr slotsResponse
	q := "/v1/practitioners/martin/slots?type=consultation&from=" + tomorrow.Format(time.DateOnly) + "&to=" + tomorrow.AddDate(0, 0, 3).Format(time.DateOnly)
	if st, _ := in.do("GET", q, nil, &sr); st != 200 {
		t.Fatalf("slots: %d", st)
	}
	var slots []string
	for _, s := range sr.Slots {
		slots = append(slots, s.Start)
	}
	pc := practitionerCalendar{
		do: func(t *testing.T, method, path string, body []byte) (int, []byte) {
			req, err := http.NewRequest(method, strings.TrimSuffix(r.URL, "/")+path, bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			req.SetBasicAuth(r.User, r.Password)
			if body != nil {
				req.Header.Set("Content-Type", "text/calendar; charset=utf-8")
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			data, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, data
		},
		path: func(id string) string { return r.CalendarPath("rdv-bookings") + id + ".ics" },
	}
	testPractitionerChanges(t, in, pc, "martin", paris, slots)
}

// testPractitionerChanges books three visits of practitioner at the first
// slots, checks that sync passes that find nothing changed write nothing
// and send nothing; then, as the practitioner, deletes the first event,
// moves the second a day later and cancels the third, and waits for the
// ledger to follow and for each patient's email. It returns the booking
// ids.
func testPractitionerChanges(t *testing.T, in *instance, pc practitionerCalendar, practitioner string, loc *time.Location, slots []string) []string {
	t.Helper()
	if len(slots) < 3 {
		t.Fatalf("%d free slots, want 3", len(slots))
	}
	var bs []bookingResponse
	for i := range 3 {
		var b bookingResponse
		body := withPractitioner(bookBody(slots[i], bookingtest.PatientName(i), fmt.Sprintf("patient%d@example.org", i)), practitioner)
		if st, _ := in.do("POST", "/v1/bookings", body, &b); st != 201 {
			t.Fatalf("book %s: %d", slots[i], st)
		}
		bs = append(bs, b)
	}
	if got := waitMails(t, in.data, 3); len(got) != 3 {
		t.Fatalf("%d emails after three bookings", len(got))
	}

	// Nothing changed: two passes write nothing and send nothing.
	objects := map[string][]byte{}
	for _, b := range bs {
		st, data := pc.do(t, http.MethodGet, pc.path(b.ID), nil)
		if st != http.StatusOK {
			t.Fatalf("GET event %s: %d", b.ID, st)
		}
		objects[b.ID] = data
	}
	ledger := ledgerDigest(t, in.data)
	time.Sleep(2500 * time.Millisecond)
	if got := ledgerDigest(t, in.data); got != ledger {
		t.Errorf("the ledger changed while nothing did: %s, then %s", ledger, got)
	}
	for _, b := range bs {
		if _, data := pc.do(t, http.MethodGet, pc.path(b.ID), nil); !bytes.Equal(data, objects[b.ID]) {
			t.Errorf("event %s rewritten while nothing changed", b.ID)
		}
	}
	if got := waitMails(t, in.data, 3); len(got) != 3 {
		t.Errorf("%d emails while nothing changed, want 3", len(got))
	}

	// The practitioner deletes, moves, cancels.
	if st, body := pc.do(t, http.MethodDelete, pc.path(bs[0].ID), nil); st/100 != 2 {
		t.Fatalf("DELETE: %d %s", st, body)
	}
	start, err := time.Parse(time.RFC3339, bs[1].Start)
	if err != nil {
		t.Fatal(err)
	}
	newStart := start.In(loc).AddDate(0, 0, 1)
	if st, body := pc.do(t, http.MethodPut, pc.path(bs[1].ID), editEvent(t, objects[bs[1].ID], moveTo(newStart, newStart.Add(20*time.Minute)))); st/100 != 2 {
		t.Fatalf("PUT moved: %d %s", st, body)
	}
	if st, body := pc.do(t, http.MethodPut, pc.path(bs[2].ID), editEvent(t, objects[bs[2].ID], strikeOut)); st/100 != 2 {
		t.Fatalf("PUT cancelled: %d %s", st, body)
	}

	want := []struct{ status, start string }{
		{"cancelled", bs[0].Start},
		{"confirmed", newStart.Format(time.RFC3339)},
		{"cancelled", bs[2].Start},
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		ok := true
		for i, b := range bs {
			var got bookingResponse
			if st, _ := in.do("GET", "/v1/bookings/"+b.ManageToken, nil, &got); st != 200 || got.Status != want[i].status || got.Start != want[i].start {
				ok = false
				if time.Now().After(deadline) {
					t.Errorf("booking %d: %s at %s, want %s at %s", i, got.Status, got.Start, want[i].status, want[i].start)
				}
			}
		}
		if ok || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}

	// Each patient gets their email, once.
	wantMails := []sentMail{
		{"patient0@example.org", "Rendez-vous annulé"},
		{"patient1@example.org", "Rendez-vous déplacé"},
		{"patient2@example.org", "Rendez-vous annulé"},
	}
	var got []sentMail
	for {
		got = readMails(t, in.data)[3:]
		if len(got) >= 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	slices.SortFunc(got, func(a, b sentMail) int { return strings.Compare(a.to, b.to) })
	if len(got) != len(wantMails) {
		t.Fatalf("emails after the changes: %+v, want %+v", got, wantMails)
	}
	for i, m := range got {
		if !strings.Contains(m.to, wantMails[i].to) || !strings.HasPrefix(m.subject, wantMails[i].subject) {
			t.Errorf("email %d: to %s %q, want to %s %q…", i, m.to, m.subject, wantMails[i].to, wantMails[i].subject)
		}
	}
	return []string{bs[0].ID, bs[1].ID, bs[2].ID}
}

// sentMail is an email of the outbox directory.
type sentMail struct{ to, subject string }

// readMails reads the emails written to DATA/outbox, in the order written.
func readMails(t *testing.T, data string) []sentMail {
	t.Helper()
	dir := filepath.Join(data, "outbox")
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []sentMail
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".eml") || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		msg, err := mail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, sentMail{to: msg.Header.Get("To"), subject: subject})
	}
	return out
}

// ledgerDigest sums up what the ledger holds: the bookings, their last
// update and the outbox.
func ledgerDigest(t *testing.T, data string) string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(data, "rdv.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rows, msgs int
	var updated string
	if err := db.QueryRow(`SELECT count(*), coalesce(max(updated_at), '') FROM bookings`).Scan(&rows, &updated); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT count(*) FROM outbox`).Scan(&msgs); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%d bookings updated at most at %s, %d messages", rows, updated, msgs)
}
