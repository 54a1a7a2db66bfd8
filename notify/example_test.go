package notify_test

import (
	"context"
	"fmt"
	"log"
	"mime"
	"net/mail"
	"os"
	"path/filepath"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/notify"
)

// A Mailer that writes its messages to an outbox directory, as the embedded
// demo does. With an SMTPSender instead, the messages go to a mail server.
func ExampleMailer() {
	outbox, err := os.MkdirTemp("", "outbox")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(outbox)

	m, err := notify.NewMailer(notify.MailerConfig{
		From:    "Cabinet Martin <rdv@cabinet.example>",
		BaseURL: "https://rdv.cabinet.example",
		Lang:    "en",
		Sender:  notify.DirSender{Dir: outbox},
	})
	if err != nil {
		log.Fatal(err)
	}

	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		log.Fatal(err)
	}
	p := &booking.Practitioner{ID: "demo", Name: "Dr Anne Martin", Location: paris,
		Types: []booking.AppointmentType{{ID: "consultation", Name: "Consultation", Duration: 20 * time.Minute}}}
	start := time.Date(2026, time.December, 1, 9, 0, 0, 0, paris)
	b := &booking.Booking{ID: "7c9e6679-7425-40de-944b-e07fc1f90ae7", PractitionerID: "demo", TypeID: "consultation",
		Start: start, End: start.Add(20 * time.Minute), Status: booking.StatusConfirmed,
		Patient: booking.Patient{Name: "Marie Curie", Email: "marie@example.org"}}
	err = m.Notify(context.Background(), booking.Notification{
		Kind:        booking.NotifyCreated,
		Appointment: booking.Appointment{Booking: b, Practitioner: p, Type: &p.Types[0]},
		ManageToken: booking.NewToken(),
	})
	if err != nil {
		log.Fatal(err)
	}

	files, _ := filepath.Glob(filepath.Join(outbox, "*.eml"))
	f, err := os.Open(files[0])
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	msg, err := mail.ReadMessage(f)
	if err != nil {
		log.Fatal(err)
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	fmt.Println(len(files), "message:", subject)
	// Output: 1 message: Appointment confirmed: 1 December at 09:00 — Dr Anne Martin
}
