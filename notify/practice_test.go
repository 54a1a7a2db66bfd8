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

	"github.com/rdvlibre/rdv/booking"
)

// practiceMail sends n to the practice with a Mailer in lang and returns
// the message read back: its header and decoded text.
func practiceMail(t *testing.T, lang string, n booking.Notification) (sent, mail.Header, string) {
	t.Helper()
	rec := &recorder{}
	if err := newMailer(t, lang, rec).Notify(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	s := rec.last(t)
	msg, err := mail.ReadMessage(bytes.NewReader(s.msg))
	if err != nil {
		t.Fatal(err)
	}
	if ct := msg.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" || msg.Header.Get("Content-Transfer-Encoding") != "quoted-printable" {
		t.Errorf("Content-Type %q: want a plain-text message", ct)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatal(err)
	}
	return s, msg.Header, string(body)
}

func practiceNote(t *testing.T, kind string) booking.Notification {
	return booking.Notification{Kind: kind, Appointment: appointment(t, booking.StatusConfirmed), ID: "1b4e28ba-2fa1-41d2-883f-0016d3cca427",
		Recipient: booking.RecipientPractice}
}

// TestPracticeMail: the practice's copy goes to the practitioner's
// address, in the instance's language, names the patient with their
// phone, and keeps a private motive out; a disclosed one is named.
func TestPracticeMail(t *testing.T) {
	dec := new(mime.WordDecoder)
	for _, tt := range []struct {
		lang, kind, subject string
		says                []string
	}{
		{"fr", booking.NotifyCreated, "Nouveau rendez-vous : Marie Curie, 1er décembre à 09:00", []string{"pris en ligne"}},
		{"fr", booking.NotifyRescheduled, "Rendez-vous déplacé : Marie Curie, 1er décembre à 09:00", []string{"déplacé", "Il était prévu le"}},
		{"fr", booking.NotifyCancelled, "Rendez-vous annulé : Marie Curie, 1er décembre à 09:00", []string{"de nouveau libre"}},
		{"fr", booking.NotifyExpired, "Rendez-vous non confirmé, libéré : Marie Curie, 1er décembre à 09:00", []string{"pas été confirmé"}},
		{"en", booking.NotifyCreated, "New appointment: Marie Curie, 1 December at 09:00", []string{"booked online"}},
		{"en", booking.NotifyCancelled, "Appointment cancelled: Marie Curie, 1 December at 09:00", []string{"free again"}},
	} {
		t.Run(tt.lang+"/"+tt.kind, func(t *testing.T) {
			n := practiceNote(t, tt.kind)
			if tt.kind == booking.NotifyRescheduled {
				n.Previous = booking.Interval{Start: n.Appointment.Booking.Start.AddDate(0, 0, -1), End: n.Appointment.Booking.End.AddDate(0, 0, -1)}
			}
			s, h, body := practiceMail(t, tt.lang, n)
			if len(s.to) != 1 || s.to[0] != "anne.martin@example.org" {
				t.Errorf("sent to %v, want the practitioner", s.to)
			}
			if subject, _ := dec.DecodeHeader(h.Get("Subject")); subject != tt.subject {
				t.Errorf("subject %q, want %q", subject, tt.subject)
			}
			for _, want := range append(tt.says, "Marie Curie", "+33612345678", "marie@example.org") {
				if !strings.Contains(body, want) {
					t.Errorf("body lacks %q:\n%s", want, body)
				}
			}
			if strings.Contains(body, "Première consultation") {
				t.Errorf("the private motive is in the practice's mail:\n%s", body)
			}
			if h.Get("Message-Id") != "<1b4e28ba-2fa1-41d2-883f-0016d3cca427@cabinet.example>" || h.Get("Content-Language") != tt.lang {
				t.Errorf("Message-ID %q, Content-Language %q", h.Get("Message-Id"), h.Get("Content-Language"))
			}
		})
	}
	n := practiceNote(t, booking.NotifyCreated)
	n.Appointment.Type.DiscloseMotive = true
	if _, _, body := practiceMail(t, "fr", n); !strings.Contains(body, "Motif : Première consultation") {
		t.Errorf("a disclosed motive is not named:\n%s", body)
	}
}

// TestPracticeUndelivered: a message the patient never got is told to the
// practice, with what it was and the number to call.
func TestPracticeUndelivered(t *testing.T) {
	n := practiceNote(t, booking.NotifyUndelivered)
	n.About = booking.NotifyCancelled
	_, h, body := practiceMail(t, "fr", n)
	golden(t, "practice_undelivered_fr.txt", []byte(body))
	if subject, _ := new(mime.WordDecoder).DecodeHeader(h.Get("Subject")); subject != "Message non remis : Marie Curie, 1er décembre à 09:00" {
		t.Errorf("subject %q", subject)
	}
	for _, want := range []string{"Marie Curie n'a pas reçu l'avis d'annulation de son rendez-vous", "Appelez-le/la au +33612345678"} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
	n.Appointment.Booking.Status = booking.StatusPending
	n.About = booking.NotifyCreated
	_, _, body = practiceMail(t, "en", n)
	golden(t, "practice_undelivered_en.txt", []byte(body))
	if !strings.Contains(body, "Marie Curie did not receive the request to confirm their appointment") {
		t.Errorf("body:\n%s", body)
	}
}

// TestPracticeNoAddress: a practice without a usable address is given up
// (EInvalid), naming no one.
func TestPracticeNoAddress(t *testing.T) {
	n := practiceNote(t, booking.NotifyCreated)
	n.Appointment.Practitioner.Email = ""
	err := newMailer(t, "fr", &recorder{}).Notify(context.Background(), n)
	if booking.ErrorCode(err) != booking.EInvalid || strings.Contains(err.Error(), "Marie") {
		t.Errorf("%v, want an EInvalid error without the patient's name", err)
	}
}

// TestRouter: the patient's message is the Mailer's, as before; the
// practice's goes to the practitioner; the webhooks' to Webhooks; a
// webhook message without webhooks, or handed to the Mailer, is EInternal.
func TestRouter(t *testing.T) {
	rec, direct := &recorder{}, &recorder{}
	r := newReceiver(t)
	router := &Router{Mail: newMailer(t, "fr", rec), Webhooks: newWebhooks(t, Webhook{URL: r.srv.URL, Secret: testWebhookSecret})}
	patient := booking.Notification{Kind: booking.NotifyConfirmed, Appointment: appointment(t, booking.StatusConfirmed), ID: "x"}
	if err := router.Notify(context.Background(), patient); err != nil {
		t.Fatal(err)
	}
	if err := newMailer(t, "fr", direct).Notify(context.Background(), patient); err != nil {
		t.Fatal(err)
	}
	if got, want := rec.last(t), direct.last(t); got.to[0] != "marie@example.org" || !bytes.Equal(stripBoundaries(got.msg), stripBoundaries(want.msg)) {
		t.Errorf("the router changed the patient's message")
	}
	if err := router.Notify(context.Background(), practiceNote(t, booking.NotifyCreated)); err != nil || rec.last(t).to[0] != "anne.martin@example.org" {
		t.Errorf("practice: %v, to %v", err, rec.last(t).to)
	}
	hook := webhookNote(t, booking.NotifyCreated, booking.StatusConfirmed)
	if err := router.Notify(context.Background(), hook); err != nil || len(r.deliveries()) != 1 {
		t.Errorf("webhook: %v, %d deliveries", err, len(r.deliveries()))
	}
	if err := (&Router{Mail: router.Mail}).Notify(context.Background(), hook); booking.ErrorCode(err) != booking.EInternal {
		t.Errorf("webhook without webhooks: %v", err)
	}
	if err := router.Mail.Notify(context.Background(), hook); booking.ErrorCode(err) != booking.EInternal {
		t.Errorf("webhook to the mailer: %v", err)
	}
}

// stripBoundaries removes the random MIME boundaries of msg.
func stripBoundaries(msg []byte) []byte {
	var out []string
	for _, l := range strings.Split(string(msg), "\r\n") {
		if strings.HasPrefix(l, "--") || strings.Contains(l, "boundary=") {
			continue
		}
		out = append(out, l)
	}
	return []byte(strings.Join(out, "\n"))
}
