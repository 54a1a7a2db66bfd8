package main

import (
	"bytes"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// testClock is a clock the test moves while the app runs (Config.now).
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// TestEndToEndReminders runs the app with the embedded calendar, a type
// reminded a day and two hours before, the outbox job every second, and a
// clock the test moves: each reminder is written once, at its time, as an
// email without an invitation to act on.
func TestEndToEndReminders(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	clock := &testClock{t: time.Date(2027, 3, 1, 7, 0, 0, 0, paris)} // a Monday
	in := startEmbeddedConfig(t, func(cfg *Config) {
		p := demoPractitioner()
		p.Types[0].Reminders = &[]duration{{24 * time.Hour}, {2 * time.Hour}}
		cfg.Practitioners = []PractitionerConfig{p}
		cfg.Booking.JobsInterval = duration{time.Second}
		cfg.now = clock.Now
	})
	day := time.Date(2027, 3, 2, 0, 0, 0, 0, paris)
	var start time.Time
	for _, s := range in.slots(day, day.AddDate(0, 0, 1)) {
		if st, _ := time.Parse(time.RFC3339, s); st.In(paris).Hour() >= 11 {
			start = st.In(paris)
			break
		}
	}
	if start.IsZero() {
		t.Fatal("no slot on Tuesday after 11:00")
	}
	var b bookingResponse
	if st, _ := in.do("POST", "/v1/bookings", bookBody(start.Format(time.RFC3339), "Marie Curie", "marie@example.org"), &b); st != 201 {
		t.Fatalf("book: %d", st)
	}
	reminders := func() []string {
		var out []string
		for _, m := range readMails(t, in.data) {
			if strings.HasPrefix(m.subject, "Rappel") {
				out = append(out, m.subject)
			}
		}
		return out
	}
	// waitReminders waits until n reminders are written, then three runs
	// of the outbox job more, and returns how many there are.
	waitReminders := func(n int) int {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for len(reminders()) < n && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		time.Sleep(3 * time.Second)
		return len(reminders())
	}
	if got := waitMails(t, in.data, 1); len(got) != 1 {
		t.Fatalf("%d emails after booking, want the confirmation", len(got))
	}

	clock.Set(start.AddDate(0, 0, -1).Add(-time.Minute))
	if n := waitReminders(0); n != 0 {
		t.Fatalf("%d reminders a minute before the first is due", n)
	}
	clock.Set(start.AddDate(0, 0, -1))
	if n := waitReminders(1); n != 1 {
		t.Fatalf("%d reminders once the first is due, want 1", n)
	}
	clock.Set(start.Add(-2 * time.Hour))
	if n := waitReminders(2); n != 2 {
		t.Fatalf("%d reminders once the second is due, want 2", n)
	}
	want := "Rappel : rendez-vous le 2 mars à " + start.Format("15:04") + " — Dr Anne Martin"
	for _, s := range reminders() {
		if s != want {
			t.Errorf("subject %q, want %q", s, want)
		}
	}
	checkReminderMail(t, in.data)
}

// checkReminderMail checks that the reminders in data's outbox carry no
// text/calendar part, only the invitation attached.
func checkReminderMail(t *testing.T, data string) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(data, "outbox", "*.eml"))
	found := 0
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		msg, err := mail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		if !strings.HasPrefix(subject, "Rappel") {
			continue
		}
		found++
		var types []string
		var walk func(ct string, body []byte)
		walk = func(ct string, body []byte) {
			mt, params, err := mime.ParseMediaType(ct)
			if err != nil {
				t.Fatal(err)
			}
			types = append(types, mt)
			if !strings.HasPrefix(mt, "multipart/") {
				return
			}
			mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
			for {
				p, err := mr.NextPart()
				if err != nil {
					return
				}
				var buf bytes.Buffer
				buf.ReadFrom(p)
				walk(p.Header.Get("Content-Type"), buf.Bytes())
			}
		}
		var body bytes.Buffer
		body.ReadFrom(msg.Body)
		walk(msg.Header.Get("Content-Type"), body.Bytes())
		got := strings.Join(types, " ")
		if want := "multipart/mixed multipart/alternative text/plain text/html application/ics"; got != want {
			t.Errorf("reminder parts: %s, want %s", got, want)
		}
	}
	if found == 0 {
		t.Error("no reminder in the outbox")
	}
}
