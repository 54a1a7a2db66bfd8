package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	"github.com/rdvlibre/rdv/internal/bookingtest"
)

// instance is an rdv service running on embedded defaults for a test.
type instance struct {
	t    *testing.T
	base string
	data string
}

func startEmbedded(t *testing.T) *instance { return startEmbeddedConfig(t, nil) }

// startEmbeddedConfig is startEmbedded with the configuration changed by
// change, if not nil.
func startEmbeddedConfig(t *testing.T, change func(*Config)) *instance {
	t.Helper()
	return startEmbeddedLogged(t, change, nil)
}

// startEmbeddedLogged is startEmbeddedConfig with the service's log lines
// (JSON, every level) and its standard output written to logs; nil
// discards them.
func startEmbeddedLogged(t *testing.T, change func(*Config), logs io.Writer) *instance {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	cfg := &Config{Addr: ln.Addr().String(), DataDir: data}
	// These tests book many times for one patient from one address; the
	// limits have their own tests (abuse_test.go), which turn them on.
	cfg.Limits.Off = true
	if change != nil {
		change(cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	if logs == nil {
		logs = io.Discard
	}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	go func() { done <- serve(ctx, cfg, ln, logs, logger) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	in := &instance{t: t, base: "http://" + ln.Addr().String(), data: data}
	for i := 0; ; i++ {
		resp, err := http.Get(in.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if i > 100 {
			t.Fatalf("rdv did not become healthy: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return in
}

// do sends a request and decodes a JSON answer into out (if not nil). It
// returns the status and the content type.
func (in *instance) do(method, path string, body any, out any) (int, string) {
	in.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			in.t.Fatal(err)
		}
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, in.base+path, r)
	if err != nil {
		in.t.Fatal(err)
	}
	if r != nil || method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		in.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		in.t.Fatal(err)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			in.t.Fatalf("%s %s: %d, body %q: %v", method, path, resp.StatusCode, data, err)
		}
	}
	return resp.StatusCode, resp.Header.Get("Content-Type")
}

// dav fetches a path of the embedded CalDAV server.
func (in *instance) dav(method, path string) (int, []byte) {
	in.t.Helper()
	pw, err := os.ReadFile(filepath.Join(in.data, "dav-password"))
	if err != nil {
		in.t.Fatal(err)
	}
	req, _ := http.NewRequest(method, in.base+path, nil)
	req.SetBasicAuth("demo", strings.TrimSpace(string(pw)))
	if method == "PROPFIND" {
		req.Header.Set("Depth", "1")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		in.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
}

// event returns the booking event with this id from the demo calendar.
func (in *instance) event(id string) *ical.Event {
	in.t.Helper()
	status, data := in.dav("GET", "/dav/calendars/demo/demo/"+id+".ics")
	if status != 200 {
		in.t.Fatalf("GET event %s: %d %s", id, status, data)
	}
	cal, err := ical.NewDecoder(bytes.NewReader(data)).Decode()
	if err != nil {
		in.t.Fatalf("event %s does not parse: %v", id, err)
	}
	evs := cal.Events()
	if len(evs) != 1 {
		in.t.Fatalf("event %s: %d VEVENTs", id, len(evs))
	}
	return &evs[0]
}

// state counts what a request may have written: calendar objects, outbox
// messages and ledger rows.
type state struct{ objects, mails, rows int }

func (in *instance) state() state {
	in.t.Helper()
	var s state
	_, body := in.dav("PROPFIND", "/dav/calendars/demo/demo/")
	s.objects = strings.Count(string(body), ".ics</")
	entries, _ := os.ReadDir(filepath.Join(in.data, "outbox"))
	s.mails = len(entries)
	rows, err := openLedgerForCount(filepath.Join(in.data, "rdv.db"))
	if err != nil {
		in.t.Fatal(err)
	}
	s.rows = rows
	return s
}

type slotsResponse struct {
	Practitioner string `json:"practitioner"`
	Type         string `json:"type"`
	Timezone     string `json:"timezone"`
	Slots        []struct {
		Start string `json:"start"`
		End   string `json:"end"`
	} `json:"slots"`
}

type bookingResponse struct {
	ID          string `json:"id"`
	Status      string `json:"status"`
	Start       string `json:"start"`
	End         string `json:"end"`
	ManageToken string `json:"manage_token"`
	ManageURL   string `json:"manage_url"`
}

type problem struct {
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
}

// waitState returns the state once it is want, or after 10 s: emails are
// sent in the background, after the request that caused them returned.
func (in *instance) waitState(want state) state {
	in.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := in.state()
		if got == want || time.Now().After(deadline) {
			return got
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// settled returns the state once the emails of the requests made so far,
// sent in the background, have left: when it stays the same for 300 ms.
func (in *instance) settled() state {
	in.t.Helper()
	last := in.state()
	for range 50 {
		time.Sleep(300 * time.Millisecond)
		got := in.state()
		if got == last {
			return got
		}
		last = got
	}
	return last
}

// waitMails returns the emails in data once there are want of them, or
// after 10 s (they are sent in the background).
func waitMails(t *testing.T, data string, want int) []sentMail {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := readMails(t, data)
		if len(got) >= want || time.Now().After(deadline) {
			return got
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (in *instance) slots(from, to time.Time) []string {
	in.t.Helper()
	var sr slotsResponse
	q := fmt.Sprintf("/v1/practitioners/demo/slots?type=consultation&from=%s&to=%s", from.Format("2006-01-02"), to.Format("2006-01-02"))
	if st, _ := in.do("GET", q, nil, &sr); st != 200 {
		in.t.Fatalf("slots: %d", st)
	}
	out := make([]string, len(sr.Slots))
	for i, s := range sr.Slots {
		out[i] = s.Start
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func bookBody(start, name, email string) map[string]any {
	return map[string]any{
		"practitioner": "demo", "type": "consultation", "start": start,
		"patient": map[string]any{"name": name, "email": email, "phone": "+33612345678"},
	}
}

func TestEndToEndEmbedded(t *testing.T) {
	in := startEmbedded(t)
	paris, _ := time.LoadLocation("Europe/Paris")
	today := time.Now().In(paris)
	from, to := today.AddDate(0, 0, 1), today.AddDate(0, 0, 29)

	var list struct {
		Practitioners []struct {
			ID               string `json:"id"`
			Name             string `json:"name"`
			Timezone         string `json:"timezone"`
			AppointmentTypes []struct {
				ID              string `json:"id"`
				DurationMinutes int    `json:"duration_minutes"`
			} `json:"appointment_types"`
		} `json:"practitioners"`
	}
	if st, _ := in.do("GET", "/v1/practitioners", nil, &list); st != 200 {
		t.Fatalf("practitioners: %d", st)
	}
	if len(list.Practitioners) != 1 || list.Practitioners[0].ID != "demo" || list.Practitioners[0].Timezone != "Europe/Paris" ||
		len(list.Practitioners[0].AppointmentTypes) != 1 || list.Practitioners[0].AppointmentTypes[0].DurationMinutes != 20 {
		t.Fatalf("practitioners: %+v", list)
	}

	slots := in.slots(from, to)
	if len(slots) == 0 {
		t.Fatal("no free slot in four weeks")
	}
	// The seeded weekly meeting (Tuesdays 09:00-10:00) blocks every Tuesday
	// morning but the one its EXDATE removes, two weeks after this week's.
	monday := today
	for monday.Weekday() != time.Monday {
		monday = monday.AddDate(0, 0, -1)
	}
	for week := 1; week <= 3; week++ {
		tue := monday.AddDate(0, 0, 7*week+1)
		nine := time.Date(tue.Year(), tue.Month(), tue.Day(), 9, 10, 0, 0, paris).Format(time.RFC3339)
		free := contains(slots, nine)
		if want := week == 2; free != want {
			t.Errorf("Tuesday %s 09:10 free = %v, want %v (weekly meeting with EXDATE)", tue.Format("2006-01-02"), free, want)
		}
	}

	start := slots[len(slots)/2]
	before := in.settled()
	var b bookingResponse
	st, _ := in.do("POST", "/v1/bookings", bookBody(start, "Marie Curie", "marie@example.org"), &b)
	if st != 201 || b.ID == "" || b.ManageToken == "" || b.Status != "confirmed" || b.Start != start {
		t.Fatalf("book: %d %+v", st, b)
	}
	if !strings.HasSuffix(b.ManageURL, "/manage/"+b.ManageToken) {
		t.Errorf("manage_url %q", b.ManageURL)
	}
	if after := in.waitState(state{before.objects + 1, before.mails + 1, before.rows + 1}); after != (state{before.objects + 1, before.mails + 1, before.rows + 1}) {
		t.Errorf("after booking: %+v, before %+v", after, before)
	}

	var p problem
	st, ct := in.do("POST", "/v1/bookings", bookBody(start, "Pierre Curie", "pierre@example.org"), &p)
	if st != 409 || !strings.HasPrefix(ct, "application/problem+json") || !strings.Contains(p.Detail, "no longer free") {
		t.Errorf("second booking of the slot: %d %s %+v", st, ct, p)
	}
	if contains(in.slots(from, to), start) {
		t.Error("booked slot still listed")
	}

	var got bookingResponse
	if st, _ := in.do("GET", "/v1/bookings/"+b.ManageToken, nil, &got); st != 200 || got.ID != b.ID || got.Status != "confirmed" {
		t.Errorf("get by token: %d %+v", st, got)
	}

	// The event, as the practitioner's calendar client sees it.
	ev := in.event(b.ID)
	checkProp := func(name, want string) {
		t.Helper()
		p := ev.Props.Get(name)
		if p == nil || p.Value != want {
			t.Errorf("event %s = %v, want %q", name, p, want)
		}
	}
	checkProp(ical.PropUID, b.ID)
	checkProp(ical.PropStatus, "CONFIRMED")
	checkProp("X-RDV-BOOKING", b.ID)
	// The demo's type is private: its events name it by an opaque ref.
	if p := ev.Props.Get("X-RDV-TYPE"); p == nil || !regexp.MustCompile(`^t-[0-9a-f]{16}$`).MatchString(p.Value) {
		t.Errorf("event X-RDV-TYPE = %v, want an opaque t-…", p)
	}
	if tz := ev.Props.Get(ical.PropDateTimeStart).Params.Get(ical.ParamTimezoneID); tz != "Europe/Paris" {
		t.Errorf("DTSTART TZID = %q", tz)
	}
	if dt, err := ev.DateTimeStart(paris); err != nil || dt.Format(time.RFC3339) != start {
		t.Errorf("DTSTART = %v (%v), want %s", dt, err, start)
	}
	if org := ev.Props.Get(ical.PropOrganizer); org == nil || !strings.EqualFold(org.Value, "mailto:anne.martin@example.org") {
		t.Errorf("ORGANIZER = %v", org)
	}
	att := ev.Props.Get(ical.PropAttendee)
	if att == nil || !strings.EqualFold(att.Value, "mailto:marie@example.org") || att.Params.Get("SCHEDULE-AGENT") != "CLIENT" {
		t.Errorf("ATTENDEE = %+v", att)
	}

	// The confirmation email.
	checkConfirmationMail(t, in.data, b.ID)

	var c bookingResponse
	if st, _ := in.do("POST", "/v1/bookings/"+b.ManageToken+"/cancel", nil, &c); st != 200 || c.Status != "cancelled" {
		t.Fatalf("cancel: %d %+v", st, c)
	}
	if s := in.event(b.ID).Props.Get(ical.PropStatus); s == nil || s.Value != "CANCELLED" {
		t.Errorf("event STATUS after cancel = %v", s)
	}
	if !contains(in.slots(from, to), start) {
		t.Error("cancelled slot not free again")
	}
	if st, _ := in.do("GET", "/v1/bookings/"+b.ManageToken, nil, &got); st != 200 || got.Status != "cancelled" {
		t.Errorf("get after cancel: %d %+v", st, got)
	}
}

func checkConfirmationMail(t *testing.T, data, id string) {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(data, "outbox"))
	if err != nil || len(entries) == 0 {
		t.Fatalf("outbox: %v, %d files", err, len(entries))
	}
	raw, err := os.ReadFile(filepath.Join(data, "outbox", entries[len(entries)-1].Name()))
	if err != nil {
		t.Fatal(err)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("eml does not parse: %v", err)
	}
	if to := msg.Header.Get("To"); !strings.Contains(to, "marie@example.org") {
		t.Errorf("To = %q", to)
	}
	var cal *ical.Calendar
	var html []byte
	var walk func(r io.Reader, ct string)
	walk = func(r io.Reader, ct string) {
		mt, params, err := mime.ParseMediaType(ct)
		if err != nil {
			t.Fatalf("content type %q: %v", ct, err)
		}
		if strings.HasPrefix(mt, "multipart/") {
			mr := multipart.NewReader(r, params["boundary"])
			for {
				part, err := mr.NextPart()
				if err == io.EOF {
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				walk(decodePart(t, part), part.Header.Get("Content-Type"))
			}
		}
		if mt == "text/html" && html == nil {
			if html, err = io.ReadAll(r); err != nil {
				t.Fatal(err)
			}
		}
		if mt == "text/calendar" && cal == nil {
			if params["method"] != "REQUEST" {
				t.Errorf("text/calendar method = %q", params["method"])
			}
			c, err := ical.NewDecoder(r).Decode()
			if err != nil {
				t.Fatalf("invitation does not parse: %v", err)
			}
			cal = c
		}
	}
	walk(msg.Body, msg.Header.Get("Content-Type"))
	if cal == nil {
		t.Fatal("no text/calendar part")
	}
	if !bytes.Contains(html, []byte(`<html lang="fr">`)) || !bytes.Contains(html, []byte(`<a href="`)) {
		t.Errorf("no HTML part in French with the manage link:\n%s", html)
	}
	if m := cal.Props.Get(ical.PropMethod); m == nil || m.Value != "REQUEST" {
		t.Errorf("METHOD = %v", m)
	}
	if evs := cal.Events(); len(evs) != 1 || evs[0].Props.Get(ical.PropUID).Value != id {
		t.Errorf("invitation events: %d", len(evs))
	}
}

func decodePart(t *testing.T, p *multipart.Part) io.Reader {
	// multipart.Reader already decodes quoted-printable; base64 is ours to do.
	if strings.EqualFold(p.Header.Get("Content-Transfer-Encoding"), "base64") {
		data, err := io.ReadAll(p)
		if err != nil {
			t.Fatal(err)
		}
		dec, err := decodeBase64(data)
		if err != nil {
			t.Fatal(err)
		}
		return bytes.NewReader(dec)
	}
	return p
}

func TestConcurrentBookingsOneWinner(t *testing.T) {
	in := startEmbedded(t)
	paris, _ := time.LoadLocation("Europe/Paris")
	today := time.Now().In(paris)
	slots := in.slots(today.AddDate(0, 0, 1), today.AddDate(0, 0, 15))
	if len(slots) == 0 {
		t.Fatal("no slot")
	}
	start := slots[0]
	before := in.settled()
	const n = 20
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i], _ = in.do("POST", "/v1/bookings", bookBody(start, bookingtest.PatientName(i), fmt.Sprintf("p%d@example.org", i)), nil)
		}()
	}
	wg.Wait()
	count := map[int]int{}
	for _, s := range statuses {
		count[s]++
	}
	if count[201] != 1 || count[409] != n-1 {
		t.Fatalf("statuses: %v, want one 201 and %d 409", count, n-1)
	}
	if after := in.waitState(state{before.objects + 1, before.mails + 1, before.rows + 1}); after != (state{before.objects + 1, before.mails + 1, before.rows + 1}) {
		t.Errorf("after %d concurrent bookings: %+v, before %+v", n, after, before)
	}
}

func TestBadInputWritesNothing(t *testing.T) {
	in := startEmbedded(t)
	paris, _ := time.LoadLocation("Europe/Paris")
	today := time.Now().In(paris)
	slots := in.slots(today.AddDate(0, 0, 1), today.AddDate(0, 0, 15))
	if len(slots) == 0 {
		t.Fatal("no slot")
	}
	start := slots[0]
	st0, _ := time.Parse(time.RFC3339, start)
	notSlot := st0.Add(7 * time.Minute).Format(time.RFC3339)
	big := `{"practitioner":"demo","type":"consultation","start":"` + start + `","patient":{"name":"` + strings.Repeat("a", 10<<20) + `","email":"a@example.org"}}`

	tests := []struct {
		name   string
		body   any
		status int
		detail string
	}{
		{"malformed JSON", `{"practitioner":"demo",`, 400, ""},
		{"unknown practitioner", map[string]any{"practitioner": "nobody", "type": "consultation", "start": start,
			"patient": map[string]any{"name": "A B", "email": "a@example.org"}}, 404, "nobody"},
		{"unknown type", map[string]any{"practitioner": "demo", "type": "surgery", "start": start,
			"patient": map[string]any{"name": "A B", "email": "a@example.org"}}, 404, "surgery"},
		{"start that is not a slot", bookBody(notSlot, "A B", "a@example.org"), 422, "not a bookable start"},
		{"email without @", bookBody(start, "A B", "a.example.org"), 422, "email"},
		{"CR/LF in the name", bookBody(start, "Eve\r\nBcc: x@example.org", "eve@example.org"), 422, "name"},
		{"10 MB body", big, 413, ""},
	}
	before := in.settled()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var p problem
			st, ct := in.do("POST", "/v1/bookings", tc.body, &p)
			if tc.name == "malformed JSON" && (st == 400 || st == 422) {
				st = 400 // either is a fair answer to broken JSON
			}
			if st != tc.status || !strings.HasPrefix(ct, "application/problem+json") || p.Status != st {
				t.Fatalf("status %d %s %+v, want %d problem+json", st, ct, p, tc.status)
			}
			if p.Detail == "" && p.Title == "" {
				t.Error("problem without title or detail")
			}
			if tc.detail != "" && !strings.Contains(strings.ToLower(p.Detail+fmt.Sprint(p)), strings.ToLower(tc.detail)) {
				t.Errorf("detail %q does not mention %q", p.Detail, tc.detail)
			}
			if strings.Contains(p.Detail, "Eve") || strings.Contains(p.Detail, "x@example.org") {
				t.Errorf("problem echoes patient data: %q", p.Detail)
			}
		})
	}
	if after := in.state(); after != before {
		t.Errorf("bad requests wrote something: %+v, before %+v", after, before)
	}
}
