package notify

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"text/template"
	"time"
	"unicode"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/internal/locale"
)

// The message templates, one set per language under templates/<lang>/:
//
//   - <kind>.tmpl, a text/template defining "subject" and "body" (the
//     text/plain part), for each notification kind; the bodies end with the
//     "footer" of footer.tmpl;
//   - <kind>.html.tmpl, an html/template defining "content" (what the
//     text/html part says between the greeting and the footer), laid out by
//     the "html" document of layout.html.tmpl, which also defines "details"
//     and "footer".
//
// A file of MailerConfig.TemplatesDir with the same relative name replaces
// the embedded one.
//
//go:embed templates
var templateFS embed.FS

// languages are the languages messages can be written in.
var languages = booking.Languages

// kinds are the notification kinds a Mailer sends.
var kinds = []string{booking.NotifyCreated, booking.NotifyConfirmed, booking.NotifyCancelled,
	booking.NotifyRescheduled, booking.NotifyExpired, booking.NotifyLink, booking.NotifyReminder}

// messageData is what a template sees. Every field is plain text: the text
// templates write it as it is, the HTML templates escape it (html/template).
type messageData struct {
	Lang         string // language of the message, "fr" or "en"
	Subject      string // the rendered subject, for the HTML title and heading; "" while the subject is rendered
	Patient      string // the patient's name, as they typed it
	Practitioner string // display name of the practitioner
	Practice     string // display name of the sender (From), e.g. "Cabinet Martin"; may be ""
	Type         string // name of the appointment type, "" unless the type discloses it (AppointmentType.DiscloseMotive)
	When         string // date, time and zone, in a sentence: "mardi 1er décembre 2026 à 09:00 (heure de Paris)"
	Previous     string // the former date of a rescheduled booking, as When; "" otherwise
	Day          string // short form for subjects: "1er décembre à 09:00"
	Minutes      int    // length of the visit
	Location     string // address or video link, "" if none
	ManageURL    string // manage link, only in the messages about a new booking and a new link
	Pending      bool   // the booking waits for the patient's confirmation
	ConfirmBy    string // when a pending booking is released unless confirmed: "mardi 1er décembre à 11:20"; "" otherwise
}

// templateSet is the templates of one language and kind.
type templateSet struct {
	text *template.Template     // "subject" and "body"
	html *htmltemplate.Template // "html", which calls "content"
}

// templateFiles are the relative names of the files of one language and
// kind, text files first, then HTML ones.
func templateFiles(lang, kind string) (text, html []string) {
	return []string{lang + "/" + kind + ".tmpl", lang + "/footer.tmpl"},
		[]string{lang + "/layout.html.tmpl", lang + "/" + kind + ".html.tmpl"}
}

// loadTemplates parses the templates of every language and kind, keyed
// "<lang>/<kind>", each file taken from dir when dir (if not "") has it,
// from the embedded ones otherwise. Each set is executed once with sample
// data, so that a template that can't be rendered is refused here rather
// than when a patient's message is due. Errors name the file at fault.
func loadTemplates(dir string) (map[string]*templateSet, error) {
	src := &templateSource{dir: dir}
	if dir != "" {
		if err := src.checkDir(); err != nil {
			return nil, err
		}
	}
	m := make(map[string]*templateSet)
	for _, lang := range languages {
		for _, kind := range kinds {
			textFiles, htmlFiles := templateFiles(lang, kind)
			ts := &templateSet{
				text: template.New(lang + "/" + kind).Option("missingkey=error"),
				html: htmltemplate.New(lang + "/" + kind).Option("missingkey=error"),
			}
			for _, f := range textFiles {
				b, where, err := src.read(f)
				if err != nil {
					return nil, err
				}
				if _, err := ts.text.New(f).Parse(string(b)); err != nil {
					return nil, fmt.Errorf("notify: template file %s: %w", where, err)
				}
			}
			for _, f := range htmlFiles {
				b, where, err := src.read(f)
				if err != nil {
					return nil, err
				}
				if _, err := ts.html.New(f).Parse(string(b)); err != nil {
					return nil, fmt.Errorf("notify: template file %s: %w", where, err)
				}
			}
			for _, name := range []string{"subject", "body"} {
				if ts.text.Lookup(name) == nil {
					return nil, fmt.Errorf("notify: template file %s: no %q template defined", src.where(textFiles[0]), name)
				}
			}
			for _, name := range []string{"html", "content"} {
				if ts.html.Lookup(name) == nil {
					return nil, fmt.Errorf("notify: template files %s, %s: no %q template defined", src.where(htmlFiles[0]), src.where(htmlFiles[1]), name)
				}
			}
			if _, _, _, err := ts.render(sampleData(lang)); err != nil {
				return nil, fmt.Errorf("notify: templates of %s/%s (%s): %w", lang, kind, src.describe(append(textFiles, htmlFiles...)), err)
			}
			m[lang+"/"+kind] = ts
		}
	}
	return m, nil
}

// sampleData is a message with every field set, to try templates on.
func sampleData(lang string) *messageData {
	t := time.Date(2026, time.December, 1, 9, 0, 0, 0, time.UTC)
	return &messageData{
		Lang: lang, Subject: "Subject", Patient: "Marie Curie", Practitioner: "Dr Anne Martin",
		Practice: "Cabinet Martin", Type: "Consultation", When: locale.When(lang, t), Previous: locale.When(lang, t),
		Day: locale.Day(lang, t), Minutes: 20, Location: "12 rue de la Paix", ManageURL: "https://rdv.example/manage/x",
		Pending: true, ConfirmBy: locale.Deadline(lang, t),
	}
}

// render executes the templates of ts with d: the subject comes back on one
// line without control characters, the text body ending with one newline,
// and the HTML document. d.Subject is set to the subject.
func (ts *templateSet) render(d *messageData) (subject string, text, html []byte, err error) {
	var buf bytes.Buffer
	if err := ts.text.ExecuteTemplate(&buf, "subject", d); err != nil {
		return "", nil, nil, err
	}
	subject = oneLine(buf.String())
	d.Subject = subject
	buf.Reset()
	if err := ts.text.ExecuteTemplate(&buf, "body", d); err != nil {
		return "", nil, nil, err
	}
	text = append(bytes.TrimSpace(buf.Bytes()), '\n')
	var hbuf bytes.Buffer
	if err := ts.html.ExecuteTemplate(&hbuf, "html", d); err != nil {
		return "", nil, nil, err
	}
	html = append(bytes.TrimSpace(hbuf.Bytes()), '\n')
	return subject, text, html, nil
}

// templateSource reads template files from dir, when set and holding
// them, or from the embedded ones.
type templateSource struct {
	dir string
}

// read returns the file named rel ("fr/created.tmpl") and where it was
// read, for errors.
func (s *templateSource) read(rel string) ([]byte, string, error) {
	if s.dir != "" {
		p := filepath.Join(s.dir, filepath.FromSlash(rel))
		b, err := os.ReadFile(p)
		if err == nil {
			return b, p, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, p, fmt.Errorf("notify: template file %s: %w", p, err)
		}
	}
	b, err := templateFS.ReadFile("templates/" + rel)
	if err != nil {
		return nil, "", fmt.Errorf("notify: embedded template %s: %w", rel, err)
	}
	return b, "embedded " + rel, nil
}

// where names the file rel as read would find it.
func (s *templateSource) where(rel string) string {
	if s.dir != "" {
		p := filepath.Join(s.dir, filepath.FromSlash(rel))
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return "embedded " + rel
}

// describe names the files rels, as where does.
func (s *templateSource) describe(rels []string) string {
	names := make([]string, len(rels))
	for i, r := range rels {
		names[i] = s.where(r)
	}
	return strings.Join(names, ", ")
}

// checkDir refuses a templates directory that can't be read or holds a
// template file that overrides nothing (a misspelt name would otherwise be
// silently ignored).
func (s *templateSource) checkDir() error {
	fi, err := os.Stat(s.dir)
	if err != nil {
		return fmt.Errorf("notify: templates directory: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("notify: templates directory %s is not a directory", s.dir)
	}
	return filepath.WalkDir(s.dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("notify: templates directory: %w", err)
		}
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".tmpl") {
			return nil
		}
		rel, err := filepath.Rel(s.dir, p)
		if err != nil {
			return err
		}
		if _, err := fs.Stat(templateFS, path.Join("templates", filepath.ToSlash(rel))); err != nil {
			return fmt.Errorf("notify: template file %s overrides no template (want a name such as fr/created.tmpl or en/created.html.tmpl)", p)
		}
		return nil
	})
}

// oneLine replaces every run of white space and control characters in s
// (CR and LF included) by one space, and trims both ends: what is left is safe
// in a header field.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || r == '\u2028' || r == '\u2029'
	}), " ")
}
