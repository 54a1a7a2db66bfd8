package rdv

import (
	"bytes"
	"context"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/internal/bookingtest"
)

// digestMails returns the emails to the practitioner in the outbox
// directory dir: subject and decoded text.
func digestMails(t *testing.T, dir, to string) (subjects, bodies []string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".eml") {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		msg, err := mail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(msg.Header.Get("To"), to) {
			continue
		}
		subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		body, _ := io.ReadAll(quotedprintable.NewReader(msg.Body))
		subjects, bodies = append(subjects, subject), append(bodies, string(body))
	}
	return subjects, bodies
}

// TestDailyDigest: at the practitioner's local time, and once, the day's
// active bookings are emailed to them with the patients' names and
// phones, and no private motive; not before the time, not hours after,
// and not on a day without bookings.
func TestDailyDigest(t *testing.T) {
	clock := bookingtest.NewClock(time.Date(2026, time.December, 7, 6, 0, 0, 0, time.UTC)) // a Monday
	o := testOptions(t)
	o.Now = clock.Now
	o.Practitioners[0].Email = "martin@cabinet.example"
	o.DailyDigest = map[string]booking.Clock{"martin": 7 * 60}
	a, err := New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx := context.Background()
	for i, name := range []string{"Marie Curie", "Pierre Curie", "Irène Curie"} {
		_, tok, err := a.Service().Book(ctx, booking.BookRequest{
			PractitionerID: "martin", TypeID: "consultation", Start: time.Date(2026, time.December, 7, 9, 20*i, 0, 0, time.UTC),
			Patient: booking.Patient{Name: name, Email: "curie" + string(rune('0'+i)) + "@example.org", Phone: "+3361234567" + string(rune('0'+i))},
		})
		if err != nil {
			t.Fatal(err)
		}
		if i == 2 {
			if _, err := a.Service().Cancel(ctx, tok); err != nil {
				t.Fatal(err)
			}
		}
	}
	a.Service().Flush()
	outbox := a.Outbox()

	a.sendDigests(ctx)
	if s, _ := digestMails(t, outbox, "martin@cabinet.example"); len(s) != 0 {
		t.Fatalf("a digest before its time: %q", s)
	}
	clock.Set(time.Date(2026, time.December, 7, 7, 5, 0, 0, time.UTC))
	a.sendDigests(ctx)
	a.sendDigests(ctx) // the next run of the jobs sends nothing more
	subjects, bodies := digestMails(t, outbox, "martin@cabinet.example")
	if len(subjects) != 1 {
		t.Fatalf("%d digests, want one", len(subjects))
	}
	if subjects[0] != "Rendez-vous du lundi 7 décembre : 2" {
		t.Errorf("subject %q", subjects[0])
	}
	for _, want := range []string{"09:00–09:20  Marie Curie, +33612345670", "09:20–09:40  Pierre Curie, +33612345671"} {
		if !strings.Contains(bodies[0], want) {
			t.Errorf("the digest lacks %q:\n%s", want, bodies[0])
		}
	}
	if strings.Contains(bodies[0], "Irène") || strings.Contains(bodies[0], "Consultation") {
		t.Errorf("the digest names a cancelled booking or a private motive:\n%s", bodies[0])
	}

	// Tuesday: no booking, no email; Wednesday at 13:00, too late.
	clock.Set(time.Date(2026, time.December, 8, 7, 1, 0, 0, time.UTC))
	a.sendDigests(ctx)
	clock.Set(time.Date(2026, time.December, 9, 13, 0, 0, 0, time.UTC))
	a.sendDigests(ctx)
	if s, _ := digestMails(t, outbox, "martin@cabinet.example"); len(s) != 1 {
		t.Errorf("%d digests after two days without, want still one: %q", len(s), s)
	}
}
