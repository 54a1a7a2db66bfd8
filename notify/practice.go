package notify

import (
	"bytes"
	"context"
	"fmt"
	"mime"
	"net/mail"
	"text/template"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/internal/locale"
)

// The practice's messages (booking.RecipientPractice): a short plain-text
// email to the practitioner's address when a booking is made, moved,
// cancelled or released (booking.Practitioner.NotifyBookings), and when a
// message to a patient was given up (booking.NotifyUndelivered), so that
// someone calls them. They are written in the Mailer's language from
// templates/<lang>/practice.tmpl, one template that switches on the kind.
// The practice's staff see the patient's name, phone and email (it is their
// agenda), and the motive only if the type discloses it.

// practiceKinds are the kinds of the practice's messages, to try the
// templates on.
var practiceKinds = []string{booking.NotifyCreated, booking.NotifyConfirmed, booking.NotifyRescheduled,
	booking.NotifyCancelled, booking.NotifyExpired, booking.NotifyUndelivered}

// practiceData is what practice.tmpl sees; every field is plain text.
type practiceData struct {
	Lang         string
	Kind         string // the notification kind
	About        string // for "undelivered": the kind of the message the patient did not get
	Patient      string // the patient's name
	Phone        string // "" if they gave none
	Email        string
	Practitioner string
	Type         string // the appointment type's name, "" unless the type discloses it
	When         string // as messageData.When
	Previous     string // the former time of a moved booking, as When
	Day          string // as messageData.Day
	Minutes      int
	Pending      bool // the booking waits for the patient's confirmation
}

// parseMessage reads the text template rel (from the directory, or the
// embedded one) and checks it defines a subject and a body. It returns
// the template and where it was read, for errors.
func (src *templateSource) parseMessage(rel string) (*template.Template, string, error) {
	b, where, err := src.read(rel)
	if err != nil {
		return nil, "", err
	}
	t, err := template.New(rel).Option("missingkey=error").Parse(string(b))
	if err != nil {
		return nil, "", fmt.Errorf("notify: template file %s: %w", where, err)
	}
	for _, name := range []string{"subject", "body"} {
		if t.Lookup(name) == nil {
			return nil, "", fmt.Errorf("notify: template file %s: no %q template defined", where, name)
		}
	}
	return t, where, nil
}

// loadPracticeTemplates parses practice.tmpl of each language, from dir
// when it has one, and tries it on every kind.
func loadPracticeTemplates(dir string) (map[string]*template.Template, error) {
	src := &templateSource{dir: dir}
	out := map[string]*template.Template{}
	for _, lang := range languages {
		rel := lang + "/practice.tmpl"
		t, where, err := src.parseMessage(rel)
		if err != nil {
			return nil, err
		}
		s := sampleData(lang)
		for _, kind := range practiceKinds {
			d := &practiceData{Lang: lang, Kind: kind, About: booking.NotifyCreated, Patient: s.Patient, Phone: "+33612345678",
				Email: "marie@example.org", Practitioner: s.Practitioner, Type: s.Type, When: s.When, Previous: s.Previous,
				Day: s.Day, Minutes: s.Minutes, Pending: true}
			if _, _, err := renderPractice(t, d); err != nil {
				return nil, fmt.Errorf("notify: template file %s, kind %s: %w", where, kind, err)
			}
		}
		out[lang] = t
	}
	return out, nil
}

// renderPractice executes t's "subject" and "body" with d: the subject on
// one line, the body ending with one newline.
func renderPractice(t *template.Template, d any) (subject string, body []byte, err error) {
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "subject", d); err != nil {
		return "", nil, err
	}
	subject = oneLine(buf.String())
	buf.Reset()
	if err := t.ExecuteTemplate(&buf, "body", d); err != nil {
		return "", nil, err
	}
	return subject, append(bytes.TrimSpace(buf.Bytes()), '\n'), nil
}

// notifyPractice emails the practice about n.
func (m *Mailer) notifyPractice(ctx context.Context, n booking.Notification) error {
	a := n.Appointment
	if a.Booking == nil || a.Practitioner == nil || a.Type == nil || a.Practitioner.Location == nil {
		return booking.Errorf(booking.EInternal, "notify: notification without booking, practitioner, appointment type or time zone")
	}
	b, p := a.Booking, a.Practitioner
	if err := checkAddress(p.Email); err != nil {
		return booking.Errorf(booking.EInvalid, "notify: booking %s: practitioner %s has no usable email address", b.ID, p.ID)
	}
	lang, loc := m.lang, p.Location
	d := &practiceData{
		Lang: lang, Kind: n.Kind, About: n.About,
		Patient: oneLine(b.Patient.Name), Phone: oneLine(b.Patient.Phone), Email: oneLine(b.Patient.Email),
		Practitioner: oneLine(p.Name),
		When:         locale.When(lang, b.Start.In(loc)),
		Day:          locale.Day(lang, b.Start.In(loc)),
		Minutes:      int(b.End.Sub(b.Start) / time.Minute),
		Pending:      b.Status == booking.StatusPending,
	}
	if a.Type.DiscloseMotive {
		d.Type = oneLine(a.Type.Name)
	}
	if !n.Previous.Start.IsZero() {
		d.Previous = locale.When(lang, n.Previous.Start.In(loc))
	}
	subject, text, err := renderPractice(m.practice[lang], d)
	if err != nil {
		return booking.WrapError(booking.EInternal, err, "notify: booking "+b.ID+": the practice's message can't be rendered")
	}
	msg := &textMessage{
		From: m.from, To: &mail.Address{Name: oneLine(p.Name), Address: p.Email},
		Subject: subject, Date: m.now(), MessageID: messageID(n.ID, m.domain), Lang: lang, Text: text,
	}
	raw, err := msg.encode()
	if err != nil {
		return booking.WrapError(booking.EInternal, err, "notify: booking "+b.ID+": the practice's message can't be encoded")
	}
	if err := m.sender.Send(ctx, m.from.Address, []string{p.Email}, raw); err != nil {
		return m.sendError(fmt.Errorf("notify: %s message of booking %s to the practice: %w", n.Kind, b.ID, err))
	}
	return nil
}

// textMessage is a plain-text email, without attachment.
type textMessage struct {
	From, To  *mail.Address
	Subject   string
	Date      time.Time
	MessageID string
	Lang      string
	Text      []byte // UTF-8, lines ending in LF
}

// encode returns the message in RFC 5322 form: one text/plain part in
// quoted-printable, lines ending in CRLF.
func (m *textMessage) encode() ([]byte, error) {
	var buf bytes.Buffer
	var h header
	h.add("From", m.From.String())
	h.add("To", m.To.String())
	h.add("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	h.add("Date", m.Date.Format(time.RFC1123Z))
	h.add("Message-ID", m.MessageID)
	h.add("Auto-Submitted", "auto-generated")
	h.add("Content-Language", m.Lang)
	h.add("MIME-Version", "1.0")
	h.add("Content-Type", mime.FormatMediaType("text/plain", map[string]string{"charset": "utf-8"}))
	h.add("Content-Transfer-Encoding", "quoted-printable")
	if err := h.writeTo(&buf); err != nil {
		return nil, err
	}
	if err := quotedPrintable(&buf, m.Text); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
