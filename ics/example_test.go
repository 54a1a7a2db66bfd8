package ics_test

import (
	"fmt"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/ics"
)

// Appointment renders the event rdv stores in the practitioner's calendar;
// Encode writes it out. The type keeps its motive private (the default), so
// the SUMMARY names the patient only.
func ExampleAppointment() {
	paris, _ := time.LoadLocation("Europe/Paris")
	start := time.Date(2026, 12, 1, 9, 0, 0, 0, paris)
	a := booking.Appointment{
		Booking: &booking.Booking{
			ID: "7c9e6679-7425-40de-944b-e07fc1f90ae7", TypeID: "consultation",
			Start: start, End: start.Add(20 * time.Minute), Status: booking.StatusConfirmed,
			Patient: booking.Patient{Name: "Marie Curie", Email: "marie@example.org"},
		},
		Practitioner: &booking.Practitioner{ID: "demo", Name: "Dr Anne Martin", Email: "anne@example.org", Location: paris},
		Type:         &booking.AppointmentType{ID: "consultation", Name: "Consultation", Duration: 20 * time.Minute},
	}
	cal := ics.Appointment(a, "", time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC))
	data, err := ics.Encode(cal)
	if err != nil {
		panic(err)
	}
	ev := cal.Events()[0]
	fmt.Println(ev.Props.Get("DTSTART").Params.Get("TZID"), ev.Props.Get("DTSTART").Value)
	fmt.Println(ev.Props.Get("SUMMARY").Value)
	fmt.Println(len(data) > 0)
	// Output:
	// Europe/Paris 20261201T090000
	// RDV — Marie Curie
	// true
}

// A practice sets the texts of its calendar events with templates; the
// type's name is there only for a type that discloses its motive.
func ExampleEventTemplate_Event() {
	tmpl, err := ics.NewEventTemplate(`{{.Time}} {{.Patient}}{{with .Type}} — {{.}}{{end}}`, `{{with .Phone}}Tél. {{.}}{{end}}`)
	if err != nil {
		panic(err)
	}
	paris, _ := time.LoadLocation("Europe/Paris")
	start := time.Date(2026, 12, 1, 9, 0, 0, 0, paris)
	a := booking.Appointment{
		Booking: &booking.Booking{
			ID: "7c9e6679-7425-40de-944b-e07fc1f90ae7", TypeID: "consultation",
			Start: start, End: start.Add(20 * time.Minute), Status: booking.StatusConfirmed,
			Patient: booking.Patient{Name: "Marie Curie", Email: "marie@example.org", Phone: "06 12 34 56 78"},
		},
		Practitioner: &booking.Practitioner{ID: "demo", Name: "Dr Anne Martin", Location: paris},
		Type:         &booking.AppointmentType{ID: "consultation", Name: "Consultation", Duration: 20 * time.Minute, DiscloseMotive: true},
	}
	ev := tmpl.Event(a, time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)).Events()[0]
	summary, _ := ev.Props.Text("SUMMARY")
	description, _ := ev.Props.Text("DESCRIPTION")
	fmt.Println(summary)
	fmt.Println(description)
	// Output:
	// 09:00 Marie Curie — Consultation
	// Tél. 06 12 34 56 78
}
