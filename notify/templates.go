package notify

import (
	"bytes"
	"embed"
	"fmt"
	"strings"
	"text/template"
	"unicode"

	"github.com/rdvlibre/rdv/booking"
)

// The message templates: templates/<lang>/<kind>.tmpl, one per language and
// notification kind, each defining a "subject" and a "body" template; the
// bodies end with the "footer" of templates/<lang>/footer.tmpl.
//
//go:embed templates
var templateFS embed.FS

// languages are the languages messages can be written in.
var languages = []string{"fr", "en"}

// kinds are the notification kinds a Mailer sends.
var kinds = []string{booking.NotifyCreated, booking.NotifyConfirmed, booking.NotifyCancelled,
	booking.NotifyRescheduled, booking.NotifyExpired, booking.NotifyLink, booking.NotifyReminder}

// messageData is what a template sees. Every field is plain text; the
// templates produce text/plain, so nothing is escaped.
type messageData struct {
	Patient      string // the patient's name, as they typed it
	Practitioner string // display name of the practitioner
	Type         string // name of the appointment type
	When         string // date, time and zone, in a sentence: "mardi 1er décembre 2026 à 09:00 (heure de Paris)"
	Previous     string // the former date of a rescheduled booking, as When; "" otherwise
	Day          string // short form for subjects: "1er décembre à 09:00"
	Minutes      int    // length of the visit
	Location     string // address or video link, "" if none
	ManageURL    string // manage link, only in the messages about a new booking and a new link
	Pending      bool   // the booking waits for the patient's confirmation
}

// loadTemplates parses the templates of every language and kind, keyed
// "<lang>/<kind>".
func loadTemplates() (map[string]*template.Template, error) {
	m := make(map[string]*template.Template)
	for _, lang := range languages {
		for _, kind := range kinds {
			name := lang + "/" + kind
			t, err := template.New(name).Option("missingkey=error").ParseFS(templateFS,
				"templates/"+name+".tmpl", "templates/"+lang+"/footer.tmpl")
			if err != nil {
				return nil, fmt.Errorf("notify: template %s: %w", name, err)
			}
			if t.Lookup("subject") == nil || t.Lookup("body") == nil {
				return nil, fmt.Errorf("notify: template %s: want a subject and a body", name)
			}
			m[name] = t
		}
	}
	return m, nil
}

// render executes the subject and body of t with d. The subject comes back on
// one line, without control characters; the body ends with one newline.
func render(t *template.Template, d *messageData) (subject string, body []byte, err error) {
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "subject", d); err != nil {
		return "", nil, fmt.Errorf("notify: template %s: %w", t.Name(), err)
	}
	subject = oneLine(buf.String())
	buf.Reset()
	if err := t.ExecuteTemplate(&buf, "body", d); err != nil {
		return "", nil, fmt.Errorf("notify: template %s: %w", t.Name(), err)
	}
	body = append(bytes.TrimSpace(buf.Bytes()), '\n')
	return subject, body, nil
}

// oneLine replaces every run of white space and control characters in s
// (CR and LF included) by one space, and trims both ends: what is left is safe
// in a header field.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || r == '\u2028' || r == '\u2029'
	}), " ")
}
