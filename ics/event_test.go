package ics

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	"github.com/rdvlibre/rdv/booking"
)

func TestNewEventTemplateRefuses(t *testing.T) {
	tests := []struct {
		name, summary, description, want string
	}{
		{"parse error", "{{.Patient", "", "event summary"},
		{"unknown field", "{{.Motive}}", "", "Motive"},
		{"unknown field in description", "", "{{.Reason}}", "Reason"},
		{"two lines", "{{.Patient}}\n{{.Phone}}", "", "line break"},
		{"control character", "{{.Patient}}\t{{.Time}}", "", "control character"},
		{"control character in description", "", "{{.Patient}}\x1b", "control character"},
		{"empty summary", "{{.Type}}", "", "empty"},
		{"too long", `{{printf "%5000s" .Patient}}`, "", "longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewEventTemplate(tt.summary, tt.description)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewEventTemplate(%q, %q) = %v, want an error with %q", tt.summary, tt.description, err, tt.want)
			}
		})
	}
}

func TestEventTemplateFields(t *testing.T) {
	tmpl, err := NewEventTemplate(
		`{{.Date}} {{.Time}}-{{.EndTime}} {{.Patient}} [{{.Type}}|{{.TypeID}}] {{.Practitioner}}`,
		"{{.Email}}\n{{.Phone}}\n{{.Duration}}\n{{.Start.Format \"2006\"}}")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name                 string
		disclose             bool
		summary, description string
	}{
		{"private", false, "01/12/2026 09:00-09:20 Marie Curie [|] Dr Anne Martin",
			"marie@example.org\n+33 6 12 34 56 78\n20 min\n2026"},
		{"disclosed", true, "01/12/2026 09:00-09:20 Marie Curie [Première consultation|consultation] Dr Anne Martin",
			"marie@example.org\n+33 6 12 34 56 78\n20 min\n2026"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := appointment(t, "Europe/Paris", "2026-12-01 09:00", booking.StatusConfirmed)
			a.Type.DiscloseMotive = tt.disclose
			ev := tmpl.Event(a, now).Events()[0]
			if got := propText(t, ev.Props, ical.PropSummary); got != tt.summary {
				t.Errorf("SUMMARY = %q, want %q", got, tt.summary)
			}
			if got := propText(t, ev.Props, ical.PropDescription); got != tt.description {
				t.Errorf("DESCRIPTION = %q, want %q", got, tt.description)
			}
			// The machine properties do not depend on the template.
			if got := propText(t, ev.Props, PropType); got != "consultation" {
				t.Errorf("%s = %q", PropType, got)
			}
			if got := propText(t, ev.Props, PropPhone); got != "+33 6 12 34 56 78" {
				t.Errorf("%s = %q", PropPhone, got)
			}
		})
	}
}

// TestEventTemplateHostile checks that a patient's values cannot make
// properties or lines of their own, whatever the template does with them.
func TestEventTemplateHostile(t *testing.T) {
	tmpl, err := NewEventTemplate("{{.Patient}} {{.Phone}}", "{{.Patient}}\n{{.Email}}")
	if err != nil {
		t.Fatal(err)
	}
	a := appointment(t, "Europe/Paris", "2026-12-01 09:00", booking.StatusConfirmed)
	a.Booking.Patient.Name = "Eve\r\nX-EVIL:1\nATTENDEE:mailto:evil@example.org\u2028END:VEVENT;,\\"
	a.Booking.Patient.Phone = "06\n12"
	for name, cal := range map[string]*ical.Calendar{"custom": tmpl.Event(a, now), "default": Appointment(a, "", now)} {
		t.Run(name, func(t *testing.T) {
			data, err := Encode(cal)
			if err != nil {
				t.Fatal(err)
			}
			back, err := ical.NewDecoder(bytes.NewReader(data)).Decode()
			if err != nil {
				t.Fatal(err)
			}
			evs := back.Events()
			if len(evs) != 1 {
				t.Fatalf("%d events, want 1", len(evs))
			}
			ev := evs[0]
			if ev.Props.Get("X-EVIL") != nil || len(ev.Props.Values(ical.PropAttendee)) != 1 {
				t.Errorf("the patient's name made properties:\n%s", data)
			}
			summary := propText(t, ev.Props, ical.PropSummary)
			if strings.ContainsAny(summary, "\r\n\u2028") || !strings.Contains(summary, "X-EVIL:1") {
				t.Errorf("SUMMARY = %q, want one line that keeps the name as text", summary)
			}
			for _, line := range strings.Split(string(data), "\r\n") {
				if strings.HasPrefix(line, "X-EVIL") || strings.HasPrefix(line, "END:VEVENT;") {
					t.Errorf("line %q", line)
				}
			}
		})
	}
}

// TestEventDefaults pins what the practitioner's event shows by default.
func TestEventDefaults(t *testing.T) {
	tests := []struct {
		name                 string
		disclose             bool
		phone                string
		summary, description string
	}{
		{"private", false, "+33 6 12 34 56 78", "RDV — Marie Curie", "Durée : 20 min\nTéléphone : +33 6 12 34 56 78"},
		{"private without phone", false, "", "RDV — Marie Curie", "Durée : 20 min"},
		{"disclosed", true, "", "RDV — Marie Curie (Première consultation)", "Motif : Première consultation\nDurée : 20 min"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := appointment(t, "Europe/Paris", "2026-12-01 09:00", booking.StatusConfirmed)
			a.Type.DiscloseMotive = tt.disclose
			a.Booking.Patient.Phone = tt.phone
			a.Booking.End = a.Booking.Start.Add(a.Type.Duration)
			var nilTmpl *EventTemplate
			ev := nilTmpl.Event(a, now).Events()[0]
			if got := propText(t, ev.Props, ical.PropSummary); got != tt.summary {
				t.Errorf("SUMMARY = %q, want %q", got, tt.summary)
			}
			if got := propText(t, ev.Props, ical.PropDescription); got != tt.description {
				t.Errorf("DESCRIPTION = %q, want %q", got, tt.description)
			}
			if got := ev.Props.Get(PropPhone) != nil; got != (tt.phone != "") {
				t.Errorf("%s present = %v", PropPhone, got)
			}
		})
	}
}

func TestDuration(t *testing.T) {
	for _, tt := range []struct {
		min  int
		want string
	}{{20, "20 min"}, {60, "1 h"}, {90, "1 h 30"}, {125, "2 h 05"}} {
		a := appointment(t, "UTC", "2026-12-01 09:00", booking.StatusConfirmed)
		a.Booking.End = a.Booking.Start.Add(time.Duration(tt.min) * time.Minute)
		if got := fields(a).Duration; got != tt.want {
			t.Errorf("%d minutes: %q, want %q", tt.min, got, tt.want)
		}
	}
}

// TestCalendarRef: the practitioner's event carries the type's CalendarRef
// in X-RDV-TYPE; the patient's copy of a disclosed type, the id.
func TestCalendarRef(t *testing.T) {
	a := appointment(t, "Europe/Paris", "2026-12-01 09:00", booking.StatusConfirmed)
	a.Type.CalendarRef = "t-0123456789abcdef"
	if got := propText(t, Appointment(a, "", now).Events()[0].Props, PropType); got != "t-0123456789abcdef" {
		t.Errorf("practitioner's %s = %q", PropType, got)
	}
	a.Type.DiscloseMotive = true
	if got := propText(t, Appointment(a, MethodRequest, now).Events()[0].Props, PropType); got != "consultation" {
		t.Errorf("patient's %s = %q", PropType, got)
	}
}
