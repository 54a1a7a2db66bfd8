package notify

import (
	"bytes"
	"context"
	"encoding/base64"
	"flag"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/rdvlibre/rdv/booking"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const (
	testBookingID = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
	testToken     = "q1w2e3r4t5y6u7i8o9p0aZ" // shape of booking.NewToken
	testBaseURL   = "https://rdv.cabinet.example"
	testFrom      = "Cabinet Martin <rdv@cabinet.example>"
)

func paris(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// appointment returns a booking of Marie Curie with Dr Anne Martin on Tuesday
// 1 December 2026 at 09:00, Paris time, in the given status.
func appointment(t *testing.T, status booking.Status) booking.Appointment {
	t.Helper()
	loc := paris(t)
	p := &booking.Practitioner{
		ID:       "demo",
		Name:     "Dr Anne Martin",
		Email:    "anne.martin@example.org",
		Location: loc,
		Types: []booking.AppointmentType{{
			ID:                  "consultation",
			Name:                "Première consultation",
			Duration:            20 * time.Minute,
			Location:            "12 rue de la Paix, 75002 Paris",
			RequireConfirmation: true,
		}},
	}
	start := time.Date(2026, time.December, 1, 9, 0, 0, 0, loc)
	b := &booking.Booking{
		ID:             testBookingID,
		PractitionerID: p.ID,
		TypeID:         "consultation",
		Start:          start,
		End:            start.Add(20 * time.Minute),
		Status:         status,
		Patient:        booking.Patient{Name: "Marie Curie", Email: "marie@example.org", Phone: "+33612345678"},
		TokenHash:      booking.HashToken(testToken),
		CreatedAt:      time.Date(2026, time.November, 20, 8, 30, 15, 0, time.UTC),
		UpdatedAt:      time.Date(2026, time.November, 20, 8, 30, 15, 0, time.UTC),
	}
	return booking.Appointment{Booking: b, Practitioner: p, Type: &p.Types[0]}
}

func fixedNow() time.Time { return time.Date(2026, time.November, 20, 8, 30, 15, 0, time.UTC) }

// sent is a message handed to a Sender.
type sent struct {
	from string
	to   []string
	msg  []byte
}

// recorder is a Sender that keeps what it is given, then passes it on to
// next, if set.
type recorder struct {
	next Sender
	mu   sync.Mutex
	sent []sent
}

func (r *recorder) Send(ctx context.Context, from string, to []string, msg []byte) error {
	r.mu.Lock()
	r.sent = append(r.sent, sent{from, append([]string(nil), to...), bytes.Clone(msg)})
	r.mu.Unlock()
	if r.next != nil {
		return r.next.Send(ctx, from, to, msg)
	}
	return nil
}

func (r *recorder) last(t *testing.T) sent {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.sent) == 0 {
		t.Fatal("no message sent")
	}
	return r.sent[len(r.sent)-1]
}

func newMailer(t *testing.T, lang string, s Sender) *Mailer {
	t.Helper()
	m, err := NewMailer(MailerConfig{From: testFrom, BaseURL: testBaseURL + "/", Lang: lang, Sender: s, Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// part is a leaf of a parsed message.
type part struct {
	header mail.Header // of the part, as written
	body   []byte      // decoded from its Content-Transfer-Encoding
}

// parsed is a message read back with net/mail and mime/multipart, checked to
// have the structure message.encode promises.
type parsed struct {
	header     mail.Header
	text       part
	html       part
	calendar   part
	attachment part
}

func parseMessage(t *testing.T, raw []byte) *parsed {
	t.Helper()
	if bytes.Contains(bytes.ReplaceAll(raw, []byte("\r\n"), nil), []byte("\n")) {
		t.Error("message has a bare LF")
	}
	for i, line := range strings.Split(string(raw), "\r\n") {
		if len(line) > 998 {
			t.Errorf("line %d has %d octets, more than RFC 5322 allows", i+1, len(line))
		}
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("net/mail can't read the message: %v", err)
	}
	p := &parsed{header: msg.Header}
	mixed := multipartOf(t, msg.Header, msg.Body, "multipart/mixed")
	altPart, err := mixed.NextRawPart()
	if err != nil {
		t.Fatal(err)
	}
	alt := multipartOf(t, mail.Header(altPart.Header), altPart, "multipart/alternative")
	p.text = nextPart(t, alt)
	p.html = nextPart(t, alt)
	// A reminder has no text/calendar alternative (NoInvite).
	if cp, err := alt.NextRawPart(); err == nil {
		p.calendar = readPart(t, cp)
		if _, err := alt.NextRawPart(); err != io.EOF {
			t.Errorf("multipart/alternative has more than three parts (%v)", err)
		}
	} else if err != io.EOF {
		t.Fatal(err)
	}
	p.attachment = nextPart(t, mixed)
	if _, err := mixed.NextRawPart(); err != io.EOF {
		t.Errorf("multipart/mixed has more than two parts (%v)", err)
	}
	return p
}

func multipartOf(t *testing.T, h mail.Header, body io.Reader, want string) *multipart.Reader {
	t.Helper()
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || mt != want || params["boundary"] == "" {
		t.Fatalf("Content-Type = %q (%v), want %s with a boundary", h.Get("Content-Type"), err, want)
	}
	return multipart.NewReader(body, params["boundary"])
}

// nextPart reads the next part of r raw, and decodes its body.
func nextPart(t *testing.T, r *multipart.Reader) part {
	t.Helper()
	p, err := r.NextRawPart()
	if err != nil {
		t.Fatal(err)
	}
	return readPart(t, p)
}

// readPart reads p, decoded from its Content-Transfer-Encoding.
func readPart(t *testing.T, p *multipart.Part) part {
	t.Helper()
	raw, err := io.ReadAll(p)
	if err != nil {
		t.Fatal(err)
	}
	h := mail.Header(p.Header)
	var body []byte
	switch cte := h.Get("Content-Transfer-Encoding"); cte {
	case "quoted-printable":
		for _, line := range strings.Split(string(raw), "\r\n") {
			if len(line) > 76 {
				t.Errorf("quoted-printable line of %d characters", len(line))
			}
		}
		body, err = io.ReadAll(quotedprintable.NewReader(bytes.NewReader(raw)))
	case "base64":
		body, err = base64.StdEncoding.DecodeString(strings.ReplaceAll(string(raw), "\r\n", ""))
	default:
		t.Fatalf("part %q: Content-Transfer-Encoding %q", h.Get("Content-Type"), cte)
	}
	if err != nil {
		t.Fatal(err)
	}
	return part{header: h, body: body}
}

// golden compares got with testdata/name.golden, or rewrites the file with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run go test -update after checking):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}
