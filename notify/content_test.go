package notify

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"html/template"
	"io"
	"mime"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/emersion/go-ical"

	"github.com/rdvlibre/rdv/booking"
)

// htmlEscape is s as html/template writes text.
func htmlEscape(s string) string { return template.HTMLEscapeString(s) }

// voidTag matches the start tags of the HTML elements without an end tag
// that the templates use.
var voidTag = regexp.MustCompile(`<(meta|br|hr)\b([^>]*)>`)

// checkHTML checks the HTML part of a message: a document in language lang
// whose title and only h1 are the subject, whose elements are balanced,
// and which loads nothing (no image, script, style sheet, frame or remote
// URL other than links).
func checkHTML(t *testing.T, doc []byte, lang, subject string) {
	t.Helper()
	doc = bytes.ReplaceAll(doc, []byte("\r\n"), []byte("\n"))
	if !bytes.HasPrefix(doc, []byte("<!DOCTYPE html>\n<html lang=\""+lang+"\">")) {
		t.Errorf("html does not start with the doctype and <html lang=%q>:\n%.80s", lang, doc)
	}
	// encoding/xml reads the document strictly, once the void elements are
	// written as XML empty elements: every other element must be closed,
	// in order, and every attribute quoted.
	x := voidTag.ReplaceAll(doc, []byte("<$1$2/>"))
	d := xml.NewDecoder(bytes.NewReader(x))
	d.Entity = xml.HTMLEntity
	var stack []string
	var h1, title, text strings.Builder
	h1s := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("html can't be read: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			name := strings.ToLower(tok.Name.Local)
			switch name {
			case "img", "script", "style", "link", "iframe", "object", "embed", "form", "input", "svg", "video", "audio":
				t.Errorf("html has a <%s> element", name)
			case "h1":
				h1s++
			}
			for _, a := range tok.Attr {
				switch k := strings.ToLower(a.Name.Local); {
				case k == "src" || k == "srcset" || k == "background" || strings.HasPrefix(k, "on"):
					t.Errorf("html has attribute %s=%q", k, a.Value)
				case k == "style" && strings.Contains(a.Value, "url("):
					t.Errorf("html style loads %q", a.Value)
				case k == "href" && !strings.HasPrefix(a.Value, testBaseURL+"/manage/"):
					t.Errorf("html links to %q", a.Value)
				}
			}
			stack = append(stack, name)
		case xml.EndElement:
			name := strings.ToLower(tok.Name.Local)
			if len(stack) == 0 || stack[len(stack)-1] != name {
				t.Fatalf("html: </%s> closes %v", name, stack)
			}
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				switch stack[len(stack)-1] {
				case "h1":
					h1.Write(tok)
				case "title":
					title.Write(tok)
				}
			}
			text.Write(tok)
		}
	}
	if len(stack) != 0 {
		t.Errorf("html leaves %v open", stack)
	}
	if h1s != 1 || h1.String() != subject || title.String() != subject {
		t.Errorf("html: %d h1 %q, title %q; want one h1 and the title %q", h1s, h1.String(), title.String(), subject)
	}
}

// sendOne sends n with a mailer made with cfg (From, BaseURL, Sender and Now
// set here) and returns the message, parsed.
func sendOne(t *testing.T, cfg MailerConfig, n booking.Notification) (*parsed, []byte) {
	t.Helper()
	rec := &recorder{}
	cfg.From, cfg.BaseURL, cfg.Sender, cfg.Now = testFrom, testBaseURL, rec, fixedNow
	m, err := NewMailer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Notify(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	raw := rec.last(t).msg
	return parseMessage(t, raw), raw
}

func subjectOf(t *testing.T, p *parsed) string {
	t.Helper()
	s, err := new(mime.WordDecoder).DecodeHeader(p.header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestPrivateMotive checks that the motive of a type that does not disclose
// it appears nowhere in the message (subject, text, HTML, invitation,
// attachment, raw bytes), in every kind of message and language, and that
// a type that discloses it is named.
func TestPrivateMotive(t *testing.T) {
	const motive = "Dépistage IST / VIH"
	for _, disclose := range []bool{false, true} {
		for _, lang := range []string{"fr", "en"} {
			for _, kind := range kinds {
				name := lang + "_" + kind
				if disclose {
					name += "_disclosed"
				}
				t.Run(name, func(t *testing.T) {
					a := appointment(t, booking.StatusPending)
					a.Type.ID, a.Booking.TypeID = "depistage-ist", "depistage-ist"
					a.Type.Name = motive
					a.Type.DiscloseMotive = disclose
					n := booking.Notification{Kind: kind, Appointment: a, ManageToken: testToken, ConfirmBy: testConfirmBy}
					p, raw := sendOne(t, MailerConfig{Lang: lang}, n)
					parts := map[string]string{
						"subject":    subjectOf(t, p),
						"text":       string(p.text.body),
						"html":       string(p.html.body),
						"calendar":   strings.ReplaceAll(string(p.calendar.body), "\r\n ", ""),
						"attachment": strings.ReplaceAll(string(p.attachment.body), "\r\n ", ""),
						"raw":        string(raw),
					}
					for where, s := range parts {
						for _, word := range []string{"Dépistage", "D=C3=A9pistage", "IST", "VIH", "depistage-ist", "X-RDV-TYPE"} {
							if strings.Contains(s, word) && !disclose {
								t.Errorf("%s holds %q", where, word)
							}
						}
					}
					if !disclose {
						return
					}
					for _, where := range []string{"text", "html", "calendar", "attachment"} {
						if where == "calendar" && kind == booking.NotifyReminder {
							continue // a reminder has no text/calendar alternative
						}
						if !strings.Contains(parts[where], htmlEscape(motive)) && !strings.Contains(parts[where], motive) {
							t.Errorf("%s lacks the disclosed motive", where)
						}
					}
					if strings.Contains(parts["subject"], "Dépistage") {
						t.Error("the subject names the motive even when disclosed")
					}
				})
			}
		}
	}
}

// TestHTMLEscapes checks that what the patient typed and what the practice
// configured is escaped in the HTML part.
func TestHTMLEscapes(t *testing.T) {
	a := appointment(t, booking.StatusPending)
	a.Booking.Patient.Name = `Marie <script>alert("x")</script> & <b>Curie</b>`
	a.Practitioner.Name = `Dr <img src=x onerror=alert(1)>`
	a.Type.Location = `<a href="https://evil.example">ici</a>`
	n := booking.Notification{Kind: booking.NotifyCreated, Appointment: a, ManageToken: testToken}
	p, _ := sendOne(t, MailerConfig{}, n)
	html := string(p.html.body)
	for _, bad := range []string{"<script", "<b>", "<img", `<a href="https://evil`} {
		if strings.Contains(html, bad) {
			t.Errorf("html holds %q unescaped", bad)
		}
	}
	for _, want := range []string{"Marie &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;Curie&lt;/b&gt;", "Dr &lt;img src=x onerror=alert(1)&gt;"} {
		if !strings.Contains(html, want) {
			t.Errorf("html lacks %q", want)
		}
	}
	checkHTML(t, p.html.body, "fr", subjectOf(t, p))
}

// TestBookingLanguage checks that a booking's language wins over the
// mailer's default: subject, text, HTML, dates, zone name and invitation.
func TestBookingLanguage(t *testing.T) {
	tests := []struct {
		name, mailer, booking, want string
	}{
		{"en_booking_fr_instance", "fr", "en", "en"},
		{"fr_booking_en_instance", "en", "fr", "fr"},
		{"instance_default", "en", "", "en"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := appointment(t, booking.StatusPending)
			a.Booking.Lang = tt.booking
			n := booking.Notification{Kind: booking.NotifyCreated, Appointment: a, ManageToken: testToken, ConfirmBy: testConfirmBy}
			p, _ := sendOne(t, MailerConfig{Lang: tt.mailer}, n)
			want := map[string]struct{ subject, text, html, summary string }{
				"fr": {"Confirmez votre rendez-vous du 1er décembre à 09:00 — Dr Anne Martin",
					"mardi 1er décembre 2026 à 09:00 (heure de Paris)", `<html lang="fr">`, "Rendez-vous — Dr Anne Martin"},
				"en": {"Please confirm your appointment on 1 December at 09:00 — Dr Anne Martin",
					"Tuesday 1 December 2026 at 09:00 (Paris time)", `<html lang="en">`, "Appointment — Dr Anne Martin"},
			}[tt.want]
			if got := subjectOf(t, p); got != want.subject {
				t.Errorf("subject %q, want %q", got, want.subject)
			}
			if got := p.header.Get("Content-Language"); got != tt.want {
				t.Errorf("Content-Language %q, want %q", got, tt.want)
			}
			if !strings.Contains(string(p.text.body), want.text) || !strings.Contains(string(p.html.body), want.text) {
				t.Errorf("text or html lacks %q", want.text)
			}
			if !strings.Contains(string(p.html.body), want.html) {
				t.Errorf("html lacks %q", want.html)
			}
			cal, err := ical.NewDecoder(bytes.NewReader(p.calendar.body)).Decode()
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := cal.Events()[0].Props.Text(ical.PropSummary); got != want.summary {
				t.Errorf("SUMMARY %q, want %q", got, want.summary)
			}
			if n.Appointment.Booking.Lang != tt.booking {
				t.Error("Notify changed the booking it was given")
			}
		})
	}
}

// writeTemplate writes a template file under dir.
func writeTemplate(t *testing.T, dir, rel, content string) string {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestTemplatesDir checks that a file of TemplatesDir replaces the embedded
// template of the same name, and that an unusable one stops NewMailer with
// an error that names it.
func TestTemplatesDir(t *testing.T) {
	t.Run("override", func(t *testing.T) {
		dir := t.TempDir()
		writeTemplate(t, dir, "fr/cancelled.tmpl", `{{define "subject"}}Annulation — {{.Practitioner}}{{end}}
{{define "body"}}Bonjour {{.Patient}}, c'est annulé.{{template "footer" .}}{{end}}`)
		writeTemplate(t, dir, "fr/cancelled.html.tmpl", `{{define "content"}}<p>C'est annulé.</p>{{end}}`)
		n := booking.Notification{Kind: booking.NotifyCancelled, Appointment: appointment(t, booking.StatusCancelled)}
		p, _ := sendOne(t, MailerConfig{TemplatesDir: dir}, n)
		if got := subjectOf(t, p); got != "Annulation — Dr Anne Martin" {
			t.Errorf("subject %q", got)
		}
		if !strings.HasPrefix(string(p.text.body), "Bonjour Marie Curie, c'est annulé.") || !strings.Contains(string(p.text.body), "Confidentialité") {
			t.Errorf("text:\n%s", p.text.body)
		}
		if !strings.Contains(string(p.html.body), "<p>C&#39;est annulé.</p>") && !strings.Contains(string(p.html.body), "<p>C'est annulé.</p>") {
			t.Errorf("html:\n%s", p.html.body)
		}
		// The other messages keep the embedded templates.
		n = booking.Notification{Kind: booking.NotifyConfirmed, Appointment: appointment(t, booking.StatusConfirmed)}
		p, _ = sendOne(t, MailerConfig{TemplatesDir: dir}, n)
		if got := subjectOf(t, p); got != "Rendez-vous confirmé : 1er décembre à 09:00 — Dr Anne Martin" {
			t.Errorf("confirmed subject %q", got)
		}
	})

	tests := []struct {
		name, rel, content, want string
	}{
		{"syntax", "en/created.tmpl", `{{define "subject"}}{{.Day}{{end}}`, ""},
		{"no_subject", "fr/link.tmpl", `{{define "body"}}x{{end}}`, `no "subject" template`},
		{"unknown_field", "fr/confirmed.html.tmpl", `{{define "content"}}{{.Motive}}{{end}}`, "Motive"},
		{"misspelt_name", "fr/creted.tmpl", `{{define "subject"}}x{{end}}`, "overrides no template"},
		{"broken_layout", "en/layout.html.tmpl", `{{define "html"}}<p>{{template "nothing" .}}</p>{{end}}`, "nothing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := writeTemplate(t, dir, tt.rel, tt.content)
			_, err := NewMailer(MailerConfig{From: testFrom, BaseURL: testBaseURL, Sender: &recorder{}, TemplatesDir: dir})
			if err == nil {
				t.Fatal("NewMailer accepted the broken template")
			}
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q: want the file %s and %q", err, path, tt.want)
			}
			if booking.ErrorCode(err) != booking.EInvalid {
				t.Errorf("error code %q, want EInvalid", booking.ErrorCode(err))
			}
		})
	}
	t.Run("missing_dir", func(t *testing.T) {
		_, err := NewMailer(MailerConfig{From: testFrom, BaseURL: testBaseURL, Sender: &recorder{}, TemplatesDir: filepath.Join(t.TempDir(), "nope")})
		if !errors.Is(err, os.ErrNotExist) {
			t.Errorf("error %v, want one that wraps ErrNotExist", err)
		}
	})
}
