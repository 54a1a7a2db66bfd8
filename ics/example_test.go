package ics_test

import (
	"fmt"
	"time"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/ics"
)

// Appointment renders the event rdv stores in the practitioner's calendar;
// Encode writes it out.
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
	// RDV — Marie Curie (Consultation)
	// true
}
