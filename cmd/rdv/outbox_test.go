package main

import (
	"bytes"
	"context"
	"io"
	"log"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/notify"
)

// mailbox is a go-smtp backend that keeps the messages it accepts, with
// their recipient. With release set, DATA waits until it is closed (a
// server that takes its time); with refuse set, that recipient is refused
// for good (550 5.1.1, no such mailbox).
type mailbox struct {
	release chan struct{}
	refuse  string

	mu   sync.Mutex
	msgs [][]byte
	to   []string
}

func (m *mailbox) NewSession(*smtp.Conn) (smtp.Session, error) { return &mailSession{box: m}, nil }

func (m *mailbox) messages() [][]byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([][]byte(nil), m.msgs...)
}

// recipients returns the recipient of each message, in order.
func (m *mailbox) recipients() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.to...)
}

type mailSession struct {
	box *mailbox
	to  string
}

func (s *mailSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.box.refuse != "" && strings.EqualFold(to, s.box.refuse) {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"}
	}
	s.to = to
	return nil
}
func (s *mailSession) Reset()        {}
func (s *mailSession) Logout() error { return nil }
func (s *mailSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if s.box.release != nil {
		<-s.box.release
	}
	s.box.mu.Lock()
	s.box.msgs = append(s.box.msgs, b)
	s.box.to = append(s.box.to, s.to)
	s.box.mu.Unlock()
	return nil
}

// serveSMTP runs a go-smtp server for box (a *mailbox, or an *authMailbox
// of check_test.go) on addr until the test ends.
func serveSMTP(t *testing.T, addr string, box smtp.Backend) {
	t.Helper()
	s := smtp.NewServer(box)
	s.Domain = "localhost"
	s.AllowInsecureAuth = true // on the loopback, for the sessions that authenticate
	s.ErrorLog = log.New(io.Discard, "", 0)
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Serve(l)
	}()
	t.Cleanup(func() {
		s.Close()
		<-done
	})
}

// TestOutboxSurvivesSMTPOutage books while the mail server is down: the
// booking succeeds and its email waits in the outbox; once the server is
// up and the backoff has passed, a restarted service sends it, manage link
// included.
func TestOutboxSurvivesSMTPOutage(t *testing.T) {
	ctx := context.Background()
	addr := freeAddr(t) // nothing listens there yet

	newMailer := func(now func() time.Time) *notify.Mailer {
		sender, err := notify.NewSMTPSender(notify.SMTPConfig{Addr: addr, TLS: notify.TLSNone, Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		m, err := notify.NewMailer(notify.MailerConfig{From: "rdv@cabinet.example", BaseURL: "https://rdv.example.org", Sender: sender, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	h := newHarness(t, harnessOptions{notifier: func(now func() time.Time) booking.Notifier { return newMailer(now) }})

	b, token := h.book("consultation", day(2, 9, 0), 1)
	var attempts int
	var sealed []byte
	if err := h.dbQuery(`SELECT attempts, sealed FROM outbox WHERE booking_id = ? AND sent_at IS NULL`, b.ID).Scan(&attempts, &sealed); err != nil {
		t.Fatalf("the email is not waiting in the outbox: %v", err)
	}
	if attempts != 1 || len(sealed) == 0 || bytes.Contains(sealed, []byte(token)) {
		t.Errorf("outbox row: %d attempts, sealed %d bytes (holds the token in clear: %v)", attempts, len(sealed), bytes.Contains(sealed, []byte(token)))
	}
	// Not due before its backoff, and the server is still down.
	if n, err := h.svc.Dispatch(ctx); n != 0 || err != nil {
		t.Errorf("Dispatch before the backoff = %d, %v", n, err)
	}
	h.clock.Add(31 * time.Second)
	if n, _ := h.svc.Dispatch(ctx); n != 0 {
		t.Errorf("sent %d with the server down", n)
	}

	// The server comes up; the process restarted meanwhile.
	box := &mailbox{}
	serveSMTP(t, addr, box)
	restarted := mustNewService(t, booking.ServiceConfig{Store: h.db, Notifier: newMailer(h.clock.Now), Locker: h.locker,
		Now: h.clock.Now, Secret: h.secret, Logger: quietLogger()})
	if err := restarted.AddPractitioner(testPractitioner(), h.cal); err != nil {
		t.Fatal(err)
	}
	h.clock.Add(time.Minute + time.Second) // past the second backoff
	n, err := restarted.Dispatch(ctx)
	if err != nil || n != 1 {
		t.Fatalf("Dispatch after the outage = %d, %v; want 1", n, err)
	}
	msgs := box.messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages received, want 1", len(msgs))
	}
	body := strings.ReplaceAll(string(msgs[0]), "=\r\n", "")
	if !strings.Contains(body, "/manage/"+token) {
		t.Errorf("the email has no manage link:\n%s", body)
	}
	if err := h.dbQuery(`SELECT count(*) FROM outbox WHERE booking_id = ? AND sent_at IS NOT NULL AND sealed IS NULL`, b.ID).Scan(&n); err != nil || n != 1 {
		t.Errorf("outbox row not marked sent with its token wiped (%d, %v)", n, err)
	}
	if n, _ := restarted.Dispatch(ctx); n != 0 || len(box.messages()) != 1 {
		t.Error("the email was sent twice")
	}
}

// TestOutboxGivesUp: a message that can never be sent (the notifier says
// the address is unusable) is given up at once, not retried.
func TestOutboxGivesUp(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, harnessOptions{})
	h.notes.fail = booking.Errorf(booking.EInvalid, "notify: the patient's email is not a usable address")
	b, _ := h.book("consultation", day(2, 9, 0), 1)
	var failed int
	if err := h.dbQuery(`SELECT count(*) FROM outbox WHERE booking_id = ? AND recipient = '' AND failed_at IS NOT NULL`, b.ID).Scan(&failed); err != nil || failed != 1 {
		t.Errorf("message not given up (%d, %v)", failed, err)
	}
	// The practice is told (here its notifier fails too: given up as well).
	var told int
	if err := h.dbQuery(`SELECT count(*) FROM outbox WHERE booking_id = ? AND recipient = 'practice' AND kind = 'undelivered' AND about = 'created'`, b.ID).Scan(&told); err != nil || told != 1 {
		t.Errorf("the practice is not told of the message given up (%d, %v)", told, err)
	}
	h.notes.fail = nil
	h.clock.Add(24 * time.Hour)
	if n, _ := h.svc.Dispatch(ctx); n != 0 {
		t.Errorf("a given-up message was sent")
	}
	// Purge removes it a week later.
	h.clock.Add(8 * 24 * time.Hour)
	if err := h.svc.Purge(ctx); err != nil {
		t.Fatal(err)
	}
	// (The booking's reminder, waiting for its time, stays.)
	if err := h.dbQuery(`SELECT count(*) FROM outbox WHERE kind <> 'reminder'`).Scan(&failed); err != nil || failed != 0 {
		t.Errorf("%d messages left after Purge (%v)", failed, err)
	}
}
