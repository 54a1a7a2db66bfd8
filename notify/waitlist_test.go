package notify

import (
	"bytes"
	"context"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
)

// TestWaitlistMessages: the waiting list's confirmation and alert, in each
// language, with the leave link in both; a private motive stays out.
func TestWaitlistMessages(t *testing.T) {
	const token = "AAAAAAAAAAAAAAAAAAAAAA"
	for _, lang := range []string{"fr", "en"} {
		for _, kind := range []string{booking.WaitConfirm, booking.WaitAlert} {
			t.Run(lang+"/"+kind, func(t *testing.T) {
				a := appointment(t, booking.StatusConfirmed)
				e := &booking.WaitEntry{ID: "e1", PractitionerID: "demo", TypeID: "consultation", Lang: lang,
					Patient: booking.Patient{Name: "Marie Curie", Email: "marie@example.org"},
					Window:  booking.Window{From: booking.Date{Year: 2026, Month: 12, Day: 1}, Until: booking.Date{Year: 2026, Month: 12, Day: 4}, Part: booking.PartAny},
					// Joined at 10:30 on 30 November: 24 hours to confirm.
					ExpiresAt: time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC)}
				rec := &recorder{}
				err := newMailer(t, "fr", rec).NotifyWait(context.Background(), booking.WaitNotification{
					ID: "e1-7", Kind: kind, Entry: e, Practitioner: a.Practitioner, Type: a.Type, Token: token,
					Slot: booking.Interval{Start: a.Booking.Start, End: a.Booking.End},
				})
				if err != nil {
					t.Fatal(err)
				}
				s := rec.last(t)
				if len(s.to) != 1 || s.to[0] != "marie@example.org" {
					t.Errorf("sent to %v", s.to)
				}
				msg, err := mail.ReadMessage(bytes.NewReader(s.msg))
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(quotedprintable.NewReader(msg.Body))
				golden(t, "waitlist_"+lang+"_"+kind+".txt", body)
				subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
				if !strings.Contains(subject, "Dr Anne Martin") {
					t.Errorf("subject %q", subject)
				}
				if msg.Header.Get("Message-Id") != "<e1-7@cabinet.example>" {
					t.Errorf("Message-ID %q", msg.Header.Get("Message-Id"))
				}
				text := string(body)
				if strings.Contains(text, "Première consultation") {
					t.Errorf("a private motive named:\n%s", text)
				}
				if !strings.Contains(text, "https://rdv.cabinet.example/waitlist/leave/"+token+"?lang="+lang) {
					t.Errorf("no leave link:\n%s", text)
				}
				want := "https://rdv.cabinet.example/waitlist/confirm/" + token + "?lang=" + lang
				if kind == booking.WaitAlert {
					want = "https://rdv.cabinet.example/p/demo/consultation?day=2026-12-01&lang=" + lang
					if strings.Contains(text, "/confirm/") {
						t.Errorf("an alert with a confirmation link:\n%s", text)
					}
				}
				if !strings.Contains(text, want) {
					t.Errorf("no link %s:\n%s", want, text)
				}
			})
		}
	}
}

// TestWaitlistRefusals: a message without its token, or to an address
// that can't be used, is never sent (EInternal, EInvalid).
func TestWaitlistRefusals(t *testing.T) {
	a := appointment(t, booking.StatusConfirmed)
	e := &booking.WaitEntry{ID: "e1", Lang: "en", Patient: booking.Patient{Name: "M", Email: "m@example.org\r\nBcc: x@example.org"}}
	m := newMailer(t, "en", &recorder{})
	n := booking.WaitNotification{Kind: booking.WaitConfirm, Entry: e, Practitioner: a.Practitioner, Type: a.Type, Token: "t", Slot: booking.Interval{Start: time.Now()}}
	if err := m.NotifyWait(context.Background(), n); booking.ErrorCode(err) != booking.EInvalid {
		t.Errorf("header injection: %v", err)
	}
	n.Token = ""
	if err := m.NotifyWait(context.Background(), n); booking.ErrorCode(err) != booking.EInternal {
		t.Errorf("no token: %v", err)
	}
}

// TestWaitlistSharedMessages: a shared motive's entry is told the motive's
// name and no practitioner, its alert linking to the shared day page.
func TestWaitlistSharedMessages(t *testing.T) {
	const token = "AAAAAAAAAAAAAAAAAAAAAA"
	for _, lang := range []string{"fr", "en"} {
		for _, kind := range []string{booking.WaitConfirm, booking.WaitAlert} {
			t.Run(lang+"/"+kind, func(t *testing.T) {
				a := appointment(t, booking.StatusConfirmed)
				e := &booking.WaitEntry{ID: "e1", TypeID: "consultation", SharedID: "generaliste", Lang: lang,
					Patient:   booking.Patient{Name: "Marie Curie", Email: "marie@example.org"},
					Window:    booking.Window{From: booking.Date{Year: 2026, Month: 12, Day: 1}, Until: booking.Date{Year: 2026, Month: 12, Day: 4}, Part: booking.PartAny},
					ExpiresAt: time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC)}
				rec := &recorder{}
				err := newMailer(t, "fr", rec).NotifyWait(context.Background(), booking.WaitNotification{
					ID: "e1-7", Kind: kind, Entry: e, Practitioner: a.Practitioner, Type: a.Type, Token: token,
					Shared: &booking.SharedType{ID: "generaliste", Name: "Consultation de médecine générale", TypeID: "consultation"},
					Slot:   booking.Interval{Start: a.Booking.Start, End: a.Booking.End},
				})
				if err != nil {
					t.Fatal(err)
				}
				msg, err := mail.ReadMessage(bytes.NewReader(rec.last(t).msg))
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(quotedprintable.NewReader(msg.Body))
				golden(t, "waitlist_shared_"+lang+"_"+kind+".txt", body)
				subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
				text := subject + "\n" + string(body)
				if !strings.Contains(subject, "Consultation de médecine générale") {
					t.Errorf("subject %q", subject)
				}
				for _, no := range []string{"Anne Martin", "Première consultation", "/p/demo"} {
					if strings.Contains(text, no) {
						t.Errorf("%q in:\n%s", no, text)
					}
				}
				if kind == booking.WaitAlert {
					if want := "https://rdv.cabinet.example/s/generaliste?day=2026-12-01&lang=" + lang; !strings.Contains(text, want) {
						t.Errorf("no link %s:\n%s", want, text)
					}
				}
			})
		}
	}
}
