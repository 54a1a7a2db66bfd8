package main

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	"github.com/rdvlibre/rdv/booking"
)

// TestConfigCalendarEvent checks that [calendar_event] and a practitioner's
// own calendar_event reach the calendars' options, key by key, and that a
// template that can't serve stops the start with the key named.
func TestConfigCalendarEvent(t *testing.T) {
	const practitioners = `
[[practitioners]]
id = "a"
timezone = "Europe/Paris"
[practitioners.hours]
mon = ["09:00-12:00"]
[[practitioners.types]]
id = "t"
name = "Dépistage"
duration = "20m"
[[practitioners]]
id = "b"
timezone = "Europe/Paris"
[practitioners.hours]
mon = ["09:00-12:00"]
[practitioners.calendar_event]
summary = "B {{.Patient}}"
[[practitioners.types]]
id = "t"
name = "Dépistage"
duration = "20m"
`
	tests := []struct {
		name, toml string
		// summary and description of the events of a and b; "" for the
		// defaults (no template in the options).
		a, b [2]string
		err  string
	}{
		{name: "defaults", toml: practitioners, b: [2]string{"B Marie Curie", "Durée : 20 min\nTéléphone : 06 12 34 56 78"}},
		{name: "global", toml: "[calendar_event]\nsummary = \"{{.Time}} {{.Patient}}\"\ndescription = \"{{.Phone}}\"\n" + practitioners,
			a: [2]string{"09:00 Marie Curie", "06 12 34 56 78"}, b: [2]string{"B Marie Curie", "06 12 34 56 78"}},
		{name: "unknown field", toml: "[calendar_event]\nsummary = \"{{.Motif}}\"\n" + practitioners, err: "config: calendar_event: ics: event summary"},
		{name: "two lines", toml: strings.Replace(practitioners, `"B {{.Patient}}"`, `"B {{.Patient}}\n{{.Phone}}"`, 1),
			err: "config: practitioner b: calendar_event: ics: event summary: holds a line break"},
		{name: "typo", toml: "[calendar_event]\nsumary = \"x\"\n", err: "unknown keys: calendar_event.sumary"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ParseConfig([]byte(tt.toml))
			if err == nil {
				err = cfg.check()
			}
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one with %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			cfg.BaseURL = "http://rdv.test"
			o, err := cfg.options(slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			for i, id := range []string{"a", "b"} {
				want := [][2]string{tt.a, tt.b}[i]
				tmpl := o.Calendars[id].Event
				if (tmpl == nil) != (want[0] == "") {
					t.Fatalf("practitioner %s: template %v, want one: %v", id, tmpl, want[0] != "")
				}
				if tmpl == nil {
					continue
				}
				p := &o.Practitioners[i]
				start := time.Date(2027, 3, 1, 9, 0, 0, 0, p.Location)
				a := booking.Appointment{
					Booking: &booking.Booking{ID: "b1", TypeID: "t", Start: start, End: start.Add(20 * time.Minute),
						Patient: booking.Patient{Name: "Marie Curie", Email: "m@example.org", Phone: "06 12 34 56 78"}},
					Practitioner: p, Type: p.Type("t"),
				}
				ev := tmpl.Event(a, start).Events()[0]
				summary, _ := ev.Props.Text(ical.PropSummary)
				description, _ := ev.Props.Text(ical.PropDescription)
				if summary != want[0] || description != want[1] {
					t.Errorf("practitioner %s: SUMMARY %q, DESCRIPTION %q; want %q", id, summary, description, want)
				}
			}
		})
	}
}
