package notify

import (
	"bytes"
	"context"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	"github.com/rdvlibre/rdv/booking"
)

// A reminder is text and the invitation as it stands, attached: no
// text/calendar alternative a calendar client would act on, the booking's
// current SEQUENCE, no manage link.
func TestNotifyReminder(t *testing.T) {
	for _, c := range []struct{ lang, subject string }{
		{"fr", "Rappel : rendez-vous le 1er décembre à 09:00 — Dr Anne Martin"},
		{"en", "Reminder: appointment on 1 December at 09:00 — Dr Anne Martin"},
	} {
		t.Run(c.lang, func(t *testing.T) {
			rec := &recorder{}
			m := newMailer(t, c.lang, rec)
			a := appointment(t, booking.StatusConfirmed)
			a.Booking.Sequence = 3
			if err := m.Notify(context.Background(), booking.Notification{Kind: booking.NotifyReminder, Appointment: a, ID: "5f0c7a52-8d1b-4a55-9a0b-2b7d0e6c1a11"}); err != nil {
				t.Fatal(err)
			}
			msg := readMessage(t, rec.last(t).msg)
			if subject, err := new(mime.WordDecoder).DecodeHeader(msg.header.Get("Subject")); err != nil || subject != c.subject {
				t.Errorf("Subject = %q (%v), want %q", subject, err, c.subject)
			}
			if len(msg.alternative) != 2 {
				t.Fatalf("%d alternatives, want the text and the HTML only", len(msg.alternative))
			}
			text := msg.alternative[0]
			if mt, _, _ := mime.ParseMediaType(text.header.Get("Content-Type")); mt != "text/plain" {
				t.Fatalf("alternative %q", mt)
			}
			golden(t, c.lang+"_reminder", bytes.ReplaceAll(text.body, []byte("\r\n"), []byte("\n")))
			if strings.Contains(string(text.body), "/manage/") {
				t.Error("a reminder holds a manage link")
			}
			att := msg.attachment
			if mt, params, _ := mime.ParseMediaType(att.header.Get("Content-Type")); mt != "application/ics" || params["name"] != "invite.ics" {
				t.Errorf("attachment Content-Type = %q", att.header.Get("Content-Type"))
			}
			cal, err := ical.NewDecoder(bytes.NewReader(att.body)).Decode()
			if err != nil {
				t.Fatal(err)
			}
			if p := cal.Props.Get(ical.PropMethod); p == nil || p.Value != "REQUEST" {
				t.Errorf("METHOD = %v", p)
			}
			if seq := cal.Events()[0].Props.Get(ical.PropSequence); seq == nil || seq.Value != "3" {
				t.Errorf("SEQUENCE = %v, want the booking's 3", seq)
			}
		})
	}
}

// With an alarm configured, the invitations carry a VALARM; a
// cancellation does not.
func TestNotifyAlarm(t *testing.T) {
	rec := &recorder{}
	m, err := NewMailer(MailerConfig{From: testFrom, BaseURL: testBaseURL, Sender: rec, Now: fixedNow, Alarm: 90 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		kind   string
		status booking.Status
		alarm  bool
	}{
		{booking.NotifyCreated, booking.StatusConfirmed, true},
		{booking.NotifyReminder, booking.StatusConfirmed, true},
		{booking.NotifyCancelled, booking.StatusCancelled, false},
	} {
		t.Run(c.kind, func(t *testing.T) {
			n := booking.Notification{Kind: c.kind, Appointment: appointment(t, c.status), ManageToken: testToken}
			if err := m.Notify(context.Background(), n); err != nil {
				t.Fatal(err)
			}
			msg := readMessage(t, rec.last(t).msg)
			cal, err := ical.NewDecoder(bytes.NewReader(msg.attachment.body)).Decode()
			if err != nil {
				t.Fatal(err)
			}
			ev := cal.Events()[0]
			if got := len(ev.Children) == 1 && ev.Children[0].Name == ical.CompAlarm; got != c.alarm {
				t.Fatalf("alarm %v, want %v", got, c.alarm)
			}
			if c.alarm {
				if tr := ev.Children[0].Props.Get(ical.PropTrigger); tr == nil || tr.Value != "-PT1H30M" {
					t.Errorf("TRIGGER = %v", tr)
				}
			}
		})
	}
	for _, bad := range []time.Duration{-time.Hour, MaxAlarm + time.Minute, time.Hour + time.Second} {
		if _, err := NewMailer(MailerConfig{From: testFrom, BaseURL: testBaseURL, Sender: rec, Alarm: bad}); booking.ErrorCode(err) != booking.EInvalid {
			t.Errorf("alarm %v: %v, want EInvalid", bad, err)
		}
	}
}

// loose is a message read back part by part, whatever the number of its
// alternatives.
type loose struct {
	header      mail.Header
	alternative []part
	attachment  part
}

// readMessage reads raw as message.encode writes it: a multipart/mixed of
// a multipart/alternative and an attachment.
func readMessage(t *testing.T, raw []byte) *loose {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	l := &loose{header: msg.Header}
	mixed := multipartOf(t, msg.Header, msg.Body, "multipart/mixed")
	altPart, err := mixed.NextRawPart()
	if err != nil {
		t.Fatal(err)
	}
	alt := multipartOf(t, mail.Header(altPart.Header), altPart, "multipart/alternative")
	for {
		p, err := alt.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		l.alternative = append(l.alternative, decodePart(t, p))
	}
	l.attachment = nextPart(t, mixed)
	if _, err := mixed.NextRawPart(); err != io.EOF {
		t.Errorf("multipart/mixed has more than two parts (%v)", err)
	}
	return l
}

// decodePart reads p, a quoted-printable part.
func decodePart(t *testing.T, p *multipart.Part) part {
	t.Helper()
	h := mail.Header(p.Header)
	if cte := h.Get("Content-Transfer-Encoding"); cte != "quoted-printable" {
		t.Fatalf("part %q: Content-Transfer-Encoding %q", h.Get("Content-Type"), cte)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(p))
	if err != nil {
		t.Fatal(err)
	}
	return part{header: h, body: body}
}
