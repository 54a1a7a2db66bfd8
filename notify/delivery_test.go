package notify

import (
	"context"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/rdvlibre/rdv/booking"
)

// TestMessageIdentity: a message's Message-ID comes from its outbox id, the
// same at every attempt, and its invitation's DTSTAMP is the time of the
// change, not of the sending.
func TestMessageIdentity(t *testing.T) {
	rec := &recorder{}
	m := newMailer(t, "fr", rec)
	changed := time.Date(2026, time.November, 19, 7, 1, 2, 0, time.UTC)
	n := booking.Notification{Kind: booking.NotifyConfirmed, Appointment: appointment(t, booking.StatusConfirmed),
		ID: "1b4e28ba-2fa1-41d2-883f-0016d3cca427", ChangedAt: changed}
	var ids []string
	for range 2 {
		if err := m.Notify(context.Background(), n); err != nil {
			t.Fatal(err)
		}
		raw := rec.last(t).msg
		msg, err := mail.ReadMessage(strings.NewReader(string(raw)))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, msg.Header.Get("Message-Id"))
		if !strings.Contains(string(raw), "DTSTAMP:20261119T070102Z") {
			t.Errorf("the invitation's DTSTAMP is not the time of the change:\n%s", raw)
		}
	}
	if want := "<1b4e28ba-2fa1-41d2-883f-0016d3cca427@" + strings.Split(testFrom, "@")[1]; ids[0] != ids[1] || !strings.HasPrefix(ids[0], strings.TrimSuffix(want, ">")) {
		t.Errorf("Message-IDs %q, want twice %s>", ids, want)
	}
}

// TestPermanentRefusal: a 5xx reply of the mail server is an EInvalid
// error, which the service gives up at once; a 4xx one is not.
func TestPermanentRefusal(t *testing.T) {
	be := &smtpBackend{refuseRcpt: true}
	addr := startSMTP(t, be, "none", nil)
	s, err := NewSMTPSender(SMTPConfig{Addr: addr, TLS: "none", HELO: testHELO})
	if err != nil {
		t.Fatal(err)
	}
	m := newMailer(t, "fr", s)
	n := booking.Notification{Kind: booking.NotifyConfirmed, Appointment: appointment(t, booking.StatusConfirmed), ID: "x"}
	err = m.Notify(context.Background(), n)
	if booking.ErrorCode(err) != booking.EInvalid {
		t.Errorf("550 5.1.1: %v (code %q), want an EInvalid error", err, booking.ErrorCode(err))
	}
	if strings.Contains(err.Error(), "@") {
		t.Errorf("the error names an address: %v", err)
	}
	down, err := NewSMTPSender(SMTPConfig{Addr: downAddr(t), TLS: "none", HELO: testHELO, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := newMailer(t, "fr", down).Notify(context.Background(), n); booking.ErrorCode(err) != booking.EUnavailable {
		t.Errorf("server down: %v (code %q), want EUnavailable", err, booking.ErrorCode(err))
	}
}

// TestCarriedLink: a confirmation or a move that took over the manage link
// of a first message dropped before it left gives the link; without it,
// they point to the first message.
func TestCarriedLink(t *testing.T) {
	for _, lang := range []string{"fr", "en"} {
		for _, kind := range []string{booking.NotifyConfirmed, booking.NotifyRescheduled} {
			rec := &recorder{}
			m := newMailer(t, lang, rec)
			n := booking.Notification{Kind: kind, Appointment: appointment(t, booking.StatusConfirmed), ID: "x", ManageToken: "tok_abcdefghijklmnopqrs"}
			if err := m.Notify(context.Background(), n); err != nil {
				t.Fatal(err)
			}
			raw := string(rec.last(t).msg)
			if strings.Count(raw, "/manage/tok_abcdefghijklmnopqrs") < 2 {
				t.Errorf("%s %s: the link is not in both parts", lang, kind)
			}
			n.ManageToken = ""
			if err := m.Notify(context.Background(), n); err != nil {
				t.Fatal(err)
			}
			if raw := string(rec.last(t).msg); strings.Contains(raw, "/manage/") {
				t.Errorf("%s %s without a token shows a link", lang, kind)
			}
		}
	}
}

// TestOrganizerMatchesFrom: the invitation's ORGANIZER agrees with the
// message's From (RFC 6047): SENT-BY when the practitioner's address is
// another, the From address itself when the practitioner has none.
func TestOrganizerMatchesFrom(t *testing.T) {
	for _, c := range []struct {
		name, email, want string
	}{
		{"another address", "dr.martin@example.org", `ORGANIZER;CN=Dr Anne Martin;SENT-BY="mailto:rdv@cabinet.example":mailto:dr.martin@example.org`},
		{"no address", "", "ORGANIZER;CN=Dr Anne Martin:mailto:rdv@cabinet.example"},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec := &recorder{}
			m := newMailer(t, "fr", rec)
			a := appointment(t, booking.StatusConfirmed)
			p := *a.Practitioner
			p.Email = c.email
			a.Practitioner = &p
			if err := m.Notify(context.Background(), booking.Notification{Kind: booking.NotifyConfirmed, Appointment: a, ID: "x"}); err != nil {
				t.Fatal(err)
			}
			cal := strings.ReplaceAll(string(parseMessage(t, rec.last(t).msg).calendar.body), "\r\n ", "")
			if !strings.Contains(cal, c.want) {
				t.Errorf("no %q in:\n%s", c.want, cal)
			}
		})
	}
}

// TestRefusedRecipient: only a refusal of the address itself is given up
// at once; a refused sender, bad credentials or a policy refusal are a
// configuration to fix, and retried.
func TestRefusedRecipient(t *testing.T) {
	for _, c := range []struct {
		r    smtpReply
		want bool
	}{
		{smtpReply{Step: "rcpt", Code: 550, Enhanced: smtp.EnhancedCode{5, 1, 1}}, true},
		{smtpReply{Step: "rcpt", Code: 553, Enhanced: smtp.NoEnhancedCode}, true},
		{smtpReply{Step: "rcpt", Code: 550, Enhanced: smtp.EnhancedCode{5, 7, 1}}, false}, // relay denied
		{smtpReply{Step: "rcpt", Code: 452, Enhanced: smtp.EnhancedCode{4, 2, 2}}, false},
		{smtpReply{Step: "mail", Code: 550, Enhanced: smtp.EnhancedCode{5, 1, 8}}, false},
		{smtpReply{Step: "auth", Code: 535, Enhanced: smtp.EnhancedCode{5, 7, 8}}, false},
		{smtpReply{Step: "data", Code: 554, Enhanced: smtp.NoEnhancedCode}, false},
	} {
		if got := c.r.refusedRecipient(); got != c.want {
			t.Errorf("%s %d %v: refused for good %v, want %v", c.r.Step, c.r.Code, c.r.Enhanced, got, c.want)
		}
	}
}
