package rdv

import (
	"bytes"
	"context"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
)

// mailRecorder is a notify.Sender that keeps the subject and recipient of
// each message, and its bodies.
type mailRecorder struct {
	mu     sync.Mutex
	sent   []string // "to: subject"
	bodies []string
}

func (r *mailRecorder) Send(_ context.Context, _ string, to []string, msg []byte) error {
	m, err := mail.ReadMessage(bytes.NewReader(msg))
	if err != nil {
		return err
	}
	s, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	body, err := io.ReadAll(quotedprintable.NewReader(m.Body))
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.sent = append(r.sent, strings.Join(to, ",")+": "+s)
	r.bodies = append(r.bodies, string(body))
	r.mu.Unlock()
	return nil
}

func (r *mailRecorder) subjects(prefix string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, s := range r.sent {
		if strings.Contains(s, prefix) {
			out = append(out, s)
		}
	}
	return out
}

// TestAlertSyncHeld empties a practitioner's bookings calendar: the sync is
// held, and the practitioner is told, once however many checks; once the
// events are back and the sync resumed, told again.
func TestAlertSyncHeld(t *testing.T) {
	ctx := context.Background()
	rec := &mailRecorder{}
	o := testOptions(t)
	o.Practitioners[0].Email = "martin@example.org"
	o.Mail.Sender, o.Mail.Lang = rec, "en"
	a, err := New(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	monday := nextMonday(time.Now())
	for i := range 7 {
		start := monday.Add(9*time.Hour + time.Duration(i)*20*time.Minute)
		p := booking.Patient{Name: "Patient", Email: "p" + string(rune('a'+i)) + "@example.org"}
		if _, _, err := a.Service().Book(ctx, booking.BookRequest{PractitionerID: "martin", TypeID: "consultation", Start: start, Patient: p}); err != nil {
			t.Fatal(err)
		}
	}
	a.Service().Flush()
	cal := a.Calendar("martin")
	events, err := cal.Events(ctx, monday, monday.AddDate(0, 0, 1))
	if err != nil || len(events) != 7 {
		t.Fatalf("events: %d, %v", len(events), err)
	}
	for _, ev := range events {
		if err := cal.Delete(ctx, ev.Ref); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		if _, err := a.Service().Sync(ctx); err == nil {
			t.Fatal("the sync of an emptied calendar was not held")
		}
		a.checkAlerts(ctx)
	}
	if got := rec.subjects("sync"); len(got) != 1 || got[0] != "martin@example.org: Calendar sync held for Dr Martin" {
		t.Errorf("alerts: %q", got)
	}
	if got := rec.subjects("booking stopped"); len(got) != 0 {
		t.Errorf("a readable calendar told unreadable: %q", got)
	}
	// The events put back: the sync resumes, and the practitioner is told.
	for _, ev := range events {
		b, err := a.store.Booking(ctx, ev.Booking)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cal.Create(ctx, booking.Appointment{Booking: b, Practitioner: &o.Practitioners[0], Type: &o.Practitioners[0].Types[0]}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.Service().Sync(ctx); err != nil {
		t.Fatal(err)
	}
	a.checkAlerts(ctx)
	if got := rec.subjects("sync"); len(got) != 2 || got[1] != "martin@example.org: Calendar sync resumed for Dr Martin" {
		t.Errorf("alerts: %q", got)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for i, b := range rec.bodies {
		if strings.Contains(rec.sent[i], "Calendar sync") && !strings.Contains(b, " since "+time.Now().UTC().Format("Monday")) && !strings.Contains(b, " from "+time.Now().UTC().Format("Monday")) {
			t.Errorf("%s: the message does not say since when:\n%s", rec.sent[i], b)
		}
	}
}
