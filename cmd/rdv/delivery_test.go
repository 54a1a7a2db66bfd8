package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/internal/testservers"
	"github.com/rdvlibre/rdv/notify"
	"github.com/rdvlibre/rdv/store"
)

// TestRequestDoesNotWaitForMail: the mail server holds the confirmation
// email until the booking's HTTP answer has arrived. A request that waited
// on SMTP would never get its answer (the test's client gives up after 20
// s); it gets its 201, and the email leaves once the server lets go.
func TestRequestDoesNotWaitForMail(t *testing.T) {
	box := &mailbox{release: make(chan struct{})}
	addr := freeAddr(t)
	serveSMTP(t, addr, box)
	released := false
	t.Cleanup(func() {
		if !released {
			close(box.release)
		}
	})

	in := startEmbeddedConfig(t, func(c *Config) {
		c.Mail.From = "Cabinet Martin <rdv@cabinet.example>"
		c.Mail.SMTP = SMTPConfig{Addr: addr, TLS: "none"}
	})
	paris, _ := time.LoadLocation("Europe/Paris")
	today := time.Now().In(paris)
	slots := in.slots(today.AddDate(0, 0, 1), today.AddDate(0, 0, 15))
	if len(slots) == 0 {
		t.Fatal("no free slot")
	}
	body, _ := json.Marshal(bookBody(slots[0], "Marie Curie", "marie@example.org"))
	req, _ := http.NewRequest(http.MethodPost, in.base+"/v1/bookings", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	client := &http.Client{Timeout: 20 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("the booking got no answer while the mail server held its email: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("booking: %d", resp.StatusCode)
	}
	if n := len(box.messages()); n != 0 {
		t.Fatalf("%d emails delivered while the server held them", n)
	}
	close(box.release)
	released = true
	deadline := time.Now().Add(15 * time.Second)
	for len(box.messages()) < 1 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := len(box.messages()); n != 1 {
		t.Errorf("%d emails once the server let go, want 1", n)
	}
}

var (
	icsSequence = regexp.MustCompile(`(?m)^SEQUENCE:(\d+)\r?$`)
	icsMethod   = regexp.MustCompile(`(?m)^METHOD:([A-Z]+)\r?$`)
	icsStamp    = regexp.MustCompile(`(?m)^DTSTAMP:(\d{8}T\d{6}Z)\r?$`)
	msgID       = regexp.MustCompile(`(?mi)^Message-Id: (<[^>]+>)\r?$`)
)

// mailFacts are what the delivery tests read of a received email.
type mailFacts struct {
	method, stamp, id string
	sequence          int
	link              bool
}

func factsOf(t *testing.T, raw []byte) mailFacts {
	t.Helper()
	s := strings.ReplaceAll(string(raw), "=\r\n", "")
	var f mailFacts
	if m := icsMethod.FindStringSubmatch(s); m != nil {
		f.method = m[1]
	}
	if m := icsStamp.FindStringSubmatch(s); m != nil {
		f.stamp = m[1]
	}
	if m := msgID.FindStringSubmatch(s); m != nil {
		f.id = m[1]
	}
	if m := icsSequence.FindStringSubmatch(s); m != nil {
		f.sequence, _ = strconv.Atoi(m[1])
	}
	f.link = strings.Contains(s, "/manage/")
	return f
}

// TestDeliveryAfterOutage: during a mail outage a pending booking is
// confirmed then moved, on SQLite and on two replicas sharing PostgreSQL,
// each dispatching at once when the server is back. The patient gets one
// email, the move, with the manage link of the first one (dropped), and
// a SEQUENCE above the ones before; the cancellation that follows goes out
// after it, with a higher SEQUENCE. No message is sent twice, none that a
// later change superseded is sent at all.
func TestDeliveryAfterOutage(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			addr := freeAddr(t) // nothing listens there yet: the outage
			mailer := func(now func() time.Time) booking.Notifier {
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
			h := newHarness(t, harnessOptions{notifier: mailer})
			svcs := []*booking.Service{h.svc}
			if backend == "postgres" {
				pg, err := store.OpenPostgres(ctx, testservers.StartPostgres(t))
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { pg.Close() })
				svcs = nil
				locker := store.NewLocker(pg)
				for range 2 {
					s := mustNewService(t, booking.ServiceConfig{Store: pg, Notifier: mailer(h.clock.Now), Locker: locker,
						Now: h.clock.Now, Secret: h.secret, Logger: quietLogger()})
					if err := s.AddPractitioner(testPractitioner(), h.cal); err != nil {
						t.Fatal(err)
					}
					svcs = append(svcs, s)
				}
			}
			_, token, err := svcs[0].Book(ctx, booking.BookRequest{PractitionerID: "demo", TypeID: "suivi", Start: day(2, 9, 0),
				Patient: booking.Patient{Name: "Marie Curie", Email: "marie@example.org"}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := svcs[len(svcs)-1].Confirm(ctx, token); err != nil {
				t.Fatal(err)
			}
			if _, err := svcs[0].Reschedule(ctx, token, day(2, 11, 0)); err != nil {
				t.Fatal(err)
			}

			box := &mailbox{}
			serveSMTP(t, addr, box)
			h.clock.Add(time.Hour)
			dispatchAll(t, svcs)
			got := box.messages()
			if len(got) != 1 {
				t.Fatalf("%d emails after the outage, want 1 (the move)", len(got))
			}
			move := factsOf(t, got[0])
			if move.method != "REQUEST" || !move.link || move.sequence < 2 {
				t.Errorf("the move's email: %+v; want a REQUEST with the manage link and SEQUENCE ≥ 2", move)
			}
			if _, err := svcs[len(svcs)-1].Cancel(ctx, token); err != nil {
				t.Fatal(err)
			}
			h.clock.Add(time.Minute)
			dispatchAll(t, svcs)
			got = box.messages()
			if len(got) != 2 {
				t.Fatalf("%d emails after the cancel, want 2", len(got))
			}
			cancel := factsOf(t, got[1])
			if cancel.method != "CANCEL" || cancel.sequence <= move.sequence || cancel.stamp < move.stamp || cancel.id == move.id {
				t.Errorf("the cancellation: %+v after %+v; want a CANCEL with a higher SEQUENCE, a later DTSTAMP, another Message-ID", cancel, move)
			}
			dispatchAll(t, svcs)
			if n := len(box.messages()); n != 2 {
				t.Errorf("%d emails after another dispatch, want 2: one was sent twice", n)
			}
		})
	}
}

// freeAddr returns a loopback address where nothing listens (yet).
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// dispatchAll runs Dispatch on every service at once.
func dispatchAll(t *testing.T, svcs []*booking.Service) {
	t.Helper()
	var wg sync.WaitGroup
	for _, s := range svcs {
		wg.Go(func() {
			if _, err := s.Dispatch(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}

// TestPermanentRefusalToldToPractice: the mail server refuses the patient's
// address for good (550 5.1.1): the email is given up at its first
// attempt, listed as undelivered by the admin API, and the practitioner is
// told by email.
func TestPermanentRefusalToldToPractice(t *testing.T) {
	box := &mailbox{refuse: "nobody@example.org"}
	addr := freeAddr(t)
	serveSMTP(t, addr, box)
	const token = "test-admin-token-0123456789abcdef0123456789"
	in := startEmbeddedConfig(t, func(c *Config) {
		c.Mail.From = "Cabinet Martin <rdv@cabinet.example>"
		c.Mail.SMTP = SMTPConfig{Addr: addr, TLS: "none"}
		c.AdminToken = token
	})
	paris, _ := time.LoadLocation("Europe/Paris")
	today := time.Now().In(paris)
	slots := in.slots(today.AddDate(0, 0, 1), today.AddDate(0, 0, 15))
	var b bookingResponse
	if st, _ := in.do("POST", "/v1/bookings", bookBody(slots[0], "Marie Curie", "nobody@example.org"), &b); st != 201 {
		t.Fatalf("book: %d", st)
	}
	deadline := time.Now().Add(15 * time.Second)
	for len(box.messages()) == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	got, to := box.messages(), box.recipients()
	if len(got) != 1 || to[0] != "anne.martin@example.org" {
		t.Fatalf("received %d messages (to %v), want one, to the practitioner", len(got), to)
	}
	if body := strings.ReplaceAll(string(got[0]), "=\r\n", ""); !strings.Contains(body, "Marie Curie") {
		t.Errorf("the practice's email does not name the patient:\n%s", body)
	}
	req, _ := http.NewRequest(http.MethodGet, in.base+"/v1/admin/messages/failed", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list struct {
		Messages []struct {
			Booking, Kind, Recipient string
			Attempts                 int
		} `json:"messages"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	if len(list.Messages) != 1 || list.Messages[0].Booking != b.ID || list.Messages[0].Kind != "created" ||
		list.Messages[0].Recipient != "patient" || list.Messages[0].Attempts != 1 {
		t.Errorf("undelivered = %+v, want the created message, given up at its first attempt", list.Messages)
	}
}
