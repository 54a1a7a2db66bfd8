package ics

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"text/template"
	"time"
	"unicode"

	"github.com/emersion/go-ical"

	"github.com/rdvlibre/rdv/booking"
)

// Default templates of the event in the practitioner's calendar. They name
// the patient, the length of the visit and the patient's phone, and the
// motive only when its type discloses it (AppointmentType.DiscloseMotive):
// a private type's name is in the practitioner's agenda (the admin API,
// the practice's emails), not in a calendar that assistants, replacements
// and synced phones read. The start and end are the event's own times.
const (
	DefaultEventSummary     = `RDV — {{.Patient}}{{with .Type}} ({{.}}){{end}}`
	DefaultEventDescription = `{{with .Type}}Motif : {{.}}
{{end}}Durée : {{.Duration}}{{with .Phone}}
Téléphone : {{.}}{{end}}`
)

// MaxEventTextLen bounds, in bytes, what a template may make of a SUMMARY
// or DESCRIPTION.
const MaxEventTextLen = 4096

// EventFields are what the templates of an EventTemplate are executed
// with. Type and TypeID are empty for a type that keeps its motive private.
type EventFields struct {
	Patient string // the patient's name
	Email   string // the patient's email
	Phone   string // the patient's phone; may be empty
	// Type is the appointment type's name, TypeID its id; both "" when the
	// type keeps its motive private (DiscloseMotive false).
	Type, TypeID string
	Practitioner string // the practitioner's name
	// Start and End are the visit's times in the practitioner's zone.
	Start, End time.Time
	// Date ("01/12/2026"), Time ("09:00"), EndTime ("09:20") and Duration
	// ("20 min", "1 h 30") format them.
	Date, Time, EndTime, Duration string
	Lang                          string // the patient's language, "fr" or "en"
}

// EventTemplate makes the SUMMARY and DESCRIPTION of the event stored in
// the practitioner's calendar (Go text/template). Build one with
// NewEventTemplate; the nil *EventTemplate uses the defaults.
type EventTemplate struct {
	summary, description *template.Template
}

// NewEventTemplate parses the templates of the SUMMARY and the DESCRIPTION
// of the practitioner's event ("" takes DefaultEventSummary or
// DefaultEventDescription) and tries them on sample bookings, of a private
// and a disclosed type, with and without a phone. It returns an error when
// one does not parse or fails on a sample, when the SUMMARY comes out empty
// or on more than one line, when either holds a control character (other
// than the DESCRIPTION's line feeds) or exceeds MaxEventTextLen. The
// patient's values never make a property of their own: go-ical escapes
// them as TEXT.
func NewEventTemplate(summary, description string) (*EventTemplate, error) {
	if summary == "" {
		summary = DefaultEventSummary
	}
	if description == "" {
		description = DefaultEventDescription
	}
	s, err := template.New("summary").Option("missingkey=error").Parse(summary)
	if err != nil {
		return nil, fmt.Errorf("ics: event summary: %w", err)
	}
	d, err := template.New("description").Option("missingkey=error").Parse(description)
	if err != nil {
		return nil, fmt.Errorf("ics: event description: %w", err)
	}
	t := &EventTemplate{summary: s, description: d}
	for _, f := range sampleFields() {
		sum, err := execute(s, f)
		if err != nil {
			return nil, fmt.Errorf("ics: event summary: %w", err)
		}
		if err := checkText(sum, false); err != nil {
			return nil, fmt.Errorf("ics: event summary: %w", err)
		}
		if strings.TrimSpace(sum) == "" {
			return nil, errors.New("ics: event summary: empty for a sample booking")
		}
		desc, err := execute(d, f)
		if err != nil {
			return nil, fmt.Errorf("ics: event description: %w", err)
		}
		if err := checkText(desc, true); err != nil {
			return nil, fmt.Errorf("ics: event description: %w", err)
		}
	}
	return t, nil
}

// defaultEvent is the template of the nil *EventTemplate.
var defaultEvent = func() *EventTemplate {
	t, err := NewEventTemplate("", "")
	if err != nil {
		panic(err)
	}
	return t
}()

// sampleFields are the bookings NewEventTemplate tries a template on.
func sampleFields() []EventFields {
	start := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	f := func(typ, id, phone string) EventFields {
		return fields(booking.Appointment{
			Booking: &booking.Booking{TypeID: "sample", Start: start, End: start.Add(20 * time.Minute),
				Patient: booking.Patient{Name: "Marie Curie", Email: "marie@example.org", Phone: phone}},
			Practitioner: &booking.Practitioner{Name: "Dr Anne Martin", Location: time.UTC},
			Type:         &booking.AppointmentType{ID: id, Name: typ, DiscloseMotive: typ != ""},
		})
	}
	return []EventFields{f("", "sample", "+33 6 12 34 56 78"), f("Consultation", "consultation", ""), f("", "sample", "")}
}

func execute(t *template.Template, f EventFields) (string, error) {
	var b bytes.Buffer
	if err := t.Execute(&b, f); err != nil {
		return "", err
	}
	if b.Len() > MaxEventTextLen {
		return "", fmt.Errorf("longer than %d bytes", MaxEventTextLen)
	}
	return b.String(), nil
}

// checkText reports a control character in s, line feeds excepted when
// multiline.
func checkText(s string, multiline bool) error {
	for _, r := range s {
		if r == '\n' && multiline {
			continue
		}
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			if r == '\n' {
				return errors.New("holds a line break: it must be one line")
			}
			return fmt.Errorf("holds the control character %U", r)
		}
	}
	return nil
}

// fields returns the template fields of a.
func fields(a booking.Appointment) EventFields {
	b := a.Booking
	loc := time.UTC
	f := EventFields{Patient: b.Patient.Name, Email: b.Patient.Email, Phone: b.Patient.Phone, Lang: b.Lang}
	if a.Practitioner != nil {
		f.Practitioner = a.Practitioner.Name
		if a.Practitioner.Location != nil {
			loc = a.Practitioner.Location
		}
	}
	if a.Type != nil && a.Type.DiscloseMotive {
		f.TypeID, f.Type = a.Type.ID, a.Type.Name
		if f.Type == "" {
			f.Type = a.Type.ID
		}
	}
	f.Start, f.End = b.Start.In(loc), b.End.In(loc)
	f.Date, f.Time, f.EndTime = f.Start.Format("02/01/2006"), f.Start.Format("15:04"), f.End.Format("15:04")
	f.Duration = duration(f.End.Sub(f.Start))
	return f
}

// duration formats d as "20 min", "1 h" or "1 h 30".
func duration(d time.Duration) string {
	m := int(d.Round(time.Minute) / time.Minute)
	switch {
	case m < 60:
		return fmt.Sprintf("%d min", m)
	case m%60 == 0:
		return fmt.Sprintf("%d h", m/60)
	default:
		return fmt.Sprintf("%d h %02d", m/60, m%60)
	}
}

// texts returns the SUMMARY and DESCRIPTION of a's event. A template that
// fails on a booking (it passed on the samples, so only on odd values)
// falls back to the defaults; the SUMMARY is made one line.
func (t *EventTemplate) texts(a booking.Appointment) (summary, description string) {
	if t == nil {
		t = defaultEvent
	}
	f := fields(a)
	var err error
	if summary, err = execute(t.summary, f); err != nil {
		summary, _ = execute(defaultEvent.summary, f)
	}
	if description, err = execute(t.description, f); err != nil {
		description, _ = execute(defaultEvent.description, f)
	}
	summary = strings.Join(strings.Fields(summary), " ")
	return summary, strings.TrimSpace(description)
}

// Event returns the iCalendar object of a booking stored in the
// practitioner's calendar: Appointment with method "", its SUMMARY and
// DESCRIPTION made by t (the defaults when t is nil).
func (t *EventTemplate) Event(a booking.Appointment, now time.Time) *ical.Calendar {
	return build(a, "", now, t)
}
