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

// TestDigest: the day's agenda to the practitioner, in the instance's
// language, with times, names and phones; a private motive stays out, a
// disclosed one is named.
func TestDigest(t *testing.T) {
	for _, lang := range []string{"fr", "en"} {
		t.Run(lang, func(t *testing.T) {
			first := appointment(t, booking.StatusPending)
			second := appointment(t, booking.StatusConfirmed)
			b := *second.Booking
			b.ID, b.Start, b.End = "b2", b.Start.Add(time.Hour), b.End.Add(time.Hour)
			b.Patient = booking.Patient{Name: "Pierre Curie", Email: "pierre@example.org"}
			disclosed := *second.Type
			disclosed.Name, disclosed.DiscloseMotive = "Vaccination", true
			second.Booking, second.Type = &b, &disclosed
			rec := &recorder{}
			err := newMailer(t, lang, rec).SendDigest(context.Background(), Digest{
				Practitioner: first.Practitioner, Day: booking.Date{Year: 2026, Month: time.December, Day: 1},
				Bookings: []booking.Appointment{first, second},
			})
			if err != nil {
				t.Fatal(err)
			}
			s := rec.last(t)
			if len(s.to) != 1 || s.to[0] != "anne.martin@example.org" {
				t.Errorf("sent to %v", s.to)
			}
			msg, err := mail.ReadMessage(bytes.NewReader(s.msg))
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(quotedprintable.NewReader(msg.Body))
			golden(t, "digest_"+lang+".txt", body)
			subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
			if want := map[string]string{"fr": "Rendez-vous du mardi 1er décembre : 2", "en": "Appointments on Tuesday 1 December: 2"}[lang]; subject != want {
				t.Errorf("subject %q, want %q", subject, want)
			}
			if msg.Header.Get("Message-Id") != "<digest-demo-2026-12-01@cabinet.example>" {
				t.Errorf("Message-ID %q", msg.Header.Get("Message-Id"))
			}
			if strings.Contains(string(body), "Première consultation") || !strings.Contains(string(body), "Vaccination") ||
				!strings.Contains(string(body), "09:00–09:20  Marie Curie, +33612345678") {
				t.Errorf("body:\n%s", body)
			}
		})
	}
}
