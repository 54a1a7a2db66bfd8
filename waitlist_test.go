package rdv

import (
	"context"
	"encoding/json"
	"io"
	"log"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/internal/bookingtest"
	"github.com/rdvlibre/rdv/internal/testservers"
	"github.com/rdvlibre/rdv/notify"
)

// smtpBox is a go-smtp server that keeps the messages it accepts.
type smtpBox struct {
	mu   sync.Mutex
	msgs []capturedMail
}

type capturedMail struct {
	to, subject, body string
}

type smtpBoxSession struct {
	box *smtpBox
	to  string
}

func (b *smtpBox) NewSession(*smtp.Conn) (smtp.Session, error) { return &smtpBoxSession{box: b}, nil }
func (s *smtpBoxSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *smtpBoxSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = to
	return nil
}
func (s *smtpBoxSession) Reset()        {}
func (s *smtpBoxSession) Logout() error { return nil }
func (s *smtpBoxSession) Data(r io.Reader) error {
	msg, err := mail.ReadMessage(r)
	if err != nil {
		return err
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	raw, err := io.ReadAll(msg.Body)
	if err != nil {
		return err
	}
	body := strings.NewReplacer("=\r\n", "", "=3D", "=").Replace(string(raw))
	s.box.mu.Lock()
	s.box.msgs = append(s.box.msgs, capturedMail{to: s.to, subject: subject, body: body})
	s.box.mu.Unlock()
	return nil
}

// take returns the messages received since the last take.
func (b *smtpBox) take() []capturedMail {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := b.msgs
	b.msgs = nil
	return out
}

// serveSMTPBox runs box on the loopback until the test ends and returns
// its address.
func serveSMTPBox(t *testing.T, box *smtpBox) string {
	s := smtp.NewServer(box)
	s.Domain = "localhost"
	s.ErrorLog = log.New(io.Discard, "", 0)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.Serve(l)
	}()
	t.Cleanup(func() {
		s.Close()
		<-done
	})
	return l.Addr().String()
}

var waitLink = regexp.MustCompile(`/waitlist/confirm/([A-Za-z0-9_-]{22})`)

// TestWaitlistEndToEnd: a day's only slot is booked; three patients join
// its waiting list, the first never confirms; the booking is cancelled:
// the second is emailed once, the third only after the interval, the
// first (expired) never. On SQLite and PostgreSQL, mail through SMTP.
func TestWaitlistEndToEnd(t *testing.T) {
	for _, be := range []struct {
		name  string
		store func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "rdv.db") }},
		{"postgres", func(t *testing.T) string { return testservers.StartPostgres(t) }},
	} {
		t.Run(be.name, func(t *testing.T) { testWaitlistEndToEnd(t, be.store(t)) })
	}
}

func testWaitlistEndToEnd(t *testing.T, store string) {
	ctx := context.Background()
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	box := &smtpBox{}
	clock := bookingtest.NewClock(time.Date(2026, time.November, 30, 8, 0, 0, 0, paris))
	o := testOptions(t)
	o.Store, o.Now, o.NoRateLimits = store, clock.Now, true
	o.Practitioners[0].Location = paris
	o.Practitioners[0].Schedule = booking.Schedule{}
	o.Practitioners[0].Schedule.Weekly.Set(time.Tuesday, booking.ClockRange{Start: 9 * 60, End: 9*60 + 20})
	o.Mail.SMTP = notify.SMTPConfig{Addr: serveSMTPBox(t, box), TLS: notify.TLSNone, Timeout: 5 * time.Second}
	o.Mail.From = "Cabinet Martin <rdv@cabinet.example>"
	o.Waitlist = &booking.WaitlistConfig{Batch: 1, Interval: 30 * time.Minute}
	logs := &bookingtest.LogBuffer{}
	o.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	defer func() {
		for _, secret := range []string{"example.org", "Lovelace", "Curie"} {
			if strings.Contains(logs.String(), secret) {
				t.Errorf("the logs hold patient data %q:\n%s", secret, logs)
			}
		}
	}()
	a, err := New(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	web := httptest.NewServer(a.Handler())
	defer web.Close()
	post := jsonPoster(t, web.URL)

	booked := post("/v1/bookings", `{"practitioner":"martin","type":"consultation","start":"2026-12-08T09:00:00+01:00",`+
		`"patient":{"name":"Pierre Curie","email":"pierre@example.org"}}`)
	a.Service().Flush()
	box.take()

	emails := []string{"first@example.org", "second@example.org", "third@example.org"}
	tokens := map[string]string{}
	for _, email := range emails {
		post("/v1/waitlist", `{"practitioner":"martin","type":"consultation","from":"2026-12-08","until":"2026-12-08",`+
			`"lang":"en","patient":{"name":"Ada Lovelace","email":"`+email+`"}}`)
		a.Service().Flush()
		msgs := box.take()
		if len(msgs) != 1 || msgs[0].to != email {
			t.Fatalf("join of %s: sent %v", email, msgs)
		}
		m := waitLink.FindStringSubmatch(msgs[0].body)
		if m == nil {
			t.Fatalf("no confirmation link:\n%s", msgs[0].body)
		}
		tokens[email] = m[1]
		clock.Add(time.Minute)
	}
	// The first never confirms; a day later its link is dead.
	clock.Add(12 * time.Hour)
	post("/v1/waitlist/"+tokens["second@example.org"]+"/confirm", "")
	post("/v1/waitlist/"+tokens["third@example.org"]+"/confirm", "")
	clock.Add(13 * time.Hour)
	resp, err := http.Post(web.URL+"/v1/waitlist/"+tokens["first@example.org"]+"/confirm", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("confirming an expired entry: %d", resp.StatusCode)
	}

	a.runWaitlist(ctx)
	if msgs := box.take(); len(msgs) != 0 {
		t.Fatalf("alerts while the slot is taken: %v", msgs)
	}
	post("/v1/bookings/"+booked["manage_token"].(string)+"/cancel", "")
	a.Service().Flush()
	box.take() // the cancellation

	alerted := func() []string {
		t.Helper()
		a.runWaitlist(ctx)
		var to []string
		for _, m := range box.take() {
			if !strings.Contains(m.body, "/p/martin/consultation?day=2026-12-08&lang=en") || !strings.Contains(m.subject, "A slot is free") {
				t.Errorf("not an alert of the slot: %s\n%s", m.subject, m.body)
			}
			to = append(to, m.to)
		}
		return to
	}
	if to := alerted(); len(to) != 1 || to[0] != "second@example.org" {
		t.Fatalf("first round alerted %v, want second@example.org only", to)
	}
	clock.Add(29 * time.Minute)
	if to := alerted(); len(to) != 0 {
		t.Fatalf("before the interval: alerted %v", to)
	}
	clock.Add(time.Minute)
	if to := alerted(); len(to) != 1 || to[0] != "third@example.org" {
		t.Fatalf("after the interval: alerted %v, want third@example.org", to)
	}
	clock.Add(time.Hour)
	if to := alerted(); len(to) != 0 {
		t.Fatalf("everyone told: alerted %v", to)
	}
	// Counts only: 2 alerts recorded; 3 confirmations and 2 alerts sent.
	rec := httptest.NewRecorder()
	a.MetricsHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, want := range []string{`rdv_waitlist_messages_total{outcome="alerted"} 2`, `rdv_waitlist_messages_total{outcome="sent"} 5`} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if strings.Contains(rec.Body.String(), "example.org") {
		t.Error("the metrics show an address")
	}
}

// TestWaitlistNudged: with the jobs' round an hour away, a cancellation
// alerts the waiting list at once.
func TestWaitlistNudged(t *testing.T) {
	ctx := context.Background()
	box := &smtpBox{}
	clock := bookingtest.NewClock(time.Date(2026, time.November, 30, 8, 0, 0, 0, time.UTC))
	o := testOptions(t)
	o.Now, o.NoRateLimits = clock.Now, true
	o.JobsInterval, o.SyncInterval = time.Hour, time.Hour
	o.Practitioners[0].Schedule = booking.Schedule{}
	o.Practitioners[0].Schedule.Weekly.Set(time.Tuesday, booking.ClockRange{Start: 9 * 60, End: 9*60 + 20})
	o.Mail.SMTP = notify.SMTPConfig{Addr: serveSMTPBox(t, box), TLS: notify.TLSNone, Timeout: 5 * time.Second}
	o.Waitlist = &booking.WaitlistConfig{}
	a, err := New(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	start := time.Date(2026, time.December, 8, 9, 0, 0, 0, time.UTC)
	_, manage, err := a.Service().Book(ctx, booking.BookRequest{PractitionerID: "martin", TypeID: "consultation", Start: start,
		Patient: booking.Patient{Name: "Pierre Curie", Email: "pierre@example.org"}})
	if err != nil {
		t.Fatal(err)
	}
	day := booking.Date{Year: 2026, Month: time.December, Day: 8}
	if _, err := a.waitlist.Join(ctx, booking.JoinRequest{PractitionerID: "martin", TypeID: "consultation",
		Patient: booking.Patient{Name: "Ada Lovelace", Email: "ada@example.org"},
		Window:  booking.Window{From: day, Until: day, Part: booking.PartAny}}); err != nil {
		t.Fatal(err)
	}
	a.Service().Flush()
	var token string
	for _, m := range box.take() {
		if l := waitLink.FindStringSubmatch(m.body); l != nil {
			token = l[1]
		}
	}
	if _, err := a.waitlist.Confirm(ctx, token); err != nil {
		t.Fatalf("confirm %q: %v", token, err)
	}

	run, stop := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- a.Run(run) }()
	defer func() {
		stop()
		<-done
	}()
	<-a.Reconciled()
	if _, err := a.Service().Cancel(ctx, manage); err != nil {
		t.Fatal(err)
	}
	// Wait for the alert: nothing else would send it within the hour.
	giveUp := time.After(30 * time.Second)
	for {
		for _, m := range box.take() {
			if m.to == "ada@example.org" && strings.Contains(m.body, "day=2026-12-08") {
				return
			}
		}
		select {
		case <-time.After(20 * time.Millisecond):
		case <-giveUp:
			t.Fatal("no alert after the cancellation")
		}
	}
}

// TestWaitlistSharedEndToEnd: both practitioners of a shared motive are
// booked up on a day; a patient joins the shared motive's waiting list;
// the second one's booking is cancelled: the patient is emailed once, of
// the shared motive and its day page, naming no practitioner. SQLite.
func TestWaitlistSharedEndToEnd(t *testing.T) {
	ctx := context.Background()
	box := &smtpBox{}
	clock := bookingtest.NewClock(time.Date(2026, time.November, 30, 8, 0, 0, 0, time.UTC))
	o := testOptions(t)
	o.Store, o.Now, o.NoRateLimits = filepath.Join(t.TempDir(), "rdv.db"), clock.Now, true
	o.Practitioners[0].Schedule = booking.Schedule{}
	o.Practitioners[0].Schedule.Weekly.Set(time.Tuesday, booking.ClockRange{Start: 9 * 60, End: 9*60 + 20})
	dupont := booking.Practitioner{ID: "dupont", Name: "Dr Dupont", Location: time.UTC,
		Types: []booking.AppointmentType{{ID: "consultation", Name: "Consultation", Duration: 20 * time.Minute}}}
	dupont.Schedule.Weekly.Set(time.Tuesday, booking.ClockRange{Start: 10 * 60, End: 10*60 + 20})
	o.Practitioners = append(o.Practitioners, dupont)
	o.SharedTypes = []booking.SharedType{{ID: "generaliste", Name: "Consultation de médecine générale", TypeID: "consultation",
		Practitioners: []string{"martin", "dupont"}}}
	o.Mail.SMTP = notify.SMTPConfig{Addr: serveSMTPBox(t, box), TLS: notify.TLSNone, Timeout: 5 * time.Second}
	o.Mail.From = "Cabinet Martin <rdv@cabinet.example>"
	o.Waitlist = &booking.WaitlistConfig{}
	a, err := New(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	web := httptest.NewServer(a.Handler())
	defer web.Close()
	post := jsonPoster(t, web.URL)
	post("/v1/bookings", `{"practitioner":"martin","type":"consultation","start":"2026-12-08T09:00:00Z",`+
		`"patient":{"name":"Pierre Curie","email":"pierre@example.org"}}`)
	booked := post("/v1/bookings", `{"practitioner":"dupont","type":"consultation","start":"2026-12-08T10:00:00Z",`+
		`"patient":{"name":"Pierre Curie","email":"pierre@example.org"}}`)
	a.Service().Flush()
	box.take()

	post("/v1/waitlist", `{"shared":"generaliste","from":"2026-12-08","until":"2026-12-08",`+
		`"lang":"en","patient":{"name":"Ada Lovelace","email":"ada@example.org"}}`)
	a.Service().Flush()
	msgs := box.take()
	if len(msgs) != 1 || !strings.Contains(msgs[0].subject, "Consultation de médecine générale") {
		t.Fatalf("join: sent %v", msgs)
	}
	m := waitLink.FindStringSubmatch(msgs[0].body)
	if m == nil {
		t.Fatalf("no confirmation link:\n%s", msgs[0].body)
	}
	post("/v1/waitlist/"+m[1]+"/confirm", "")

	a.runWaitlist(ctx)
	if msgs := box.take(); len(msgs) != 0 {
		t.Fatalf("alerts while both are booked: %v", msgs)
	}
	post("/v1/bookings/"+booked["manage_token"].(string)+"/cancel", "")
	a.Service().Flush()
	box.take() // the cancellation
	a.runWaitlist(ctx)
	msgs = box.take()
	if len(msgs) != 1 || msgs[0].to != "ada@example.org" {
		t.Fatalf("alerted %v, want ada@example.org once", msgs)
	}
	if !strings.Contains(msgs[0].body, "/s/generaliste?day=2026-12-08&lang=en") || strings.Contains(msgs[0].subject+msgs[0].body, "Dr ") {
		t.Errorf("not an alert of the shared motive: %s\n%s", msgs[0].subject, msgs[0].body)
	}
	clock.Add(time.Hour)
	a.runWaitlist(ctx)
	if msgs := box.take(); len(msgs) != 0 {
		t.Fatalf("alerted again: %v", msgs)
	}
}

// jsonPoster returns a function that posts a JSON body to a path of base
// and returns the decoded answer, failing t on a status of 300 or more
// (named by the path's second element, never the body: it holds patient
// data).
func jsonPoster(t *testing.T, base string) func(path, body string) map[string]any {
	return func(path, body string) map[string]any {
		t.Helper()
		resp, err := http.Post(base+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		if resp.StatusCode >= 300 {
			t.Fatalf("POST %s: %d %v", strings.Split(path, "/")[2], resp.StatusCode, m)
		}
		return m
	}
}
