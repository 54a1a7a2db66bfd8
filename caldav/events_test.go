package caldav

import (
	"bytes"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/ics"
)

// The patient read back from a booking event is the one rdv wrote: the
// mailto URI of the ATTENDEE is percent-decoded (RFC 6068).
func TestPatientOf(t *testing.T) {
	start := time.Date(2027, 3, 10, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name, email string
	}{
		{"plain", "marie@example.org"},
		{"characters a mailto URI encodes", "o'neil+rdv&co#1/a=b{c}@example.org"},
		{"what an earlier version let through", "a?cc=x@example.org"},
		{"a percent sign", "a%41@example.org"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := testAppointment(t, "7c9e6679-7425-40de-944b-e07fc1f90ae7", start, "confirmed")
			a.Booking.Patient.Email = tt.email
			data, err := ics.Encode(ics.Appointment(a, "", start))
			if err != nil {
				t.Fatal(err)
			}
			cal, err := ical.NewDecoder(bytes.NewReader(data)).Decode()
			if err != nil {
				t.Fatal(err)
			}
			if got := patientOf(cal.Events()[0].Component); got != a.Booking.Patient {
				t.Errorf("patientOf = %+q, want %+q", got, a.Booking.Patient)
			}
		})
	}
	t.Run("a template that leaves the phone out", func(t *testing.T) {
		tmpl, err := ics.NewEventTemplate("{{.Patient}}", "{{.Duration}}")
		if err != nil {
			t.Fatal(err)
		}
		a := testAppointment(t, "7c9e6679-7425-40de-944b-e07fc1f90ae7", start, "confirmed")
		a.Booking.Patient.Phone = "+33 6 12 34 56 78"
		data, err := ics.Encode(tmpl.Event(a, start))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data, []byte("Téléphone")) {
			t.Fatalf("the DESCRIPTION has the phone:\n%s", data)
		}
		cal, err := ical.NewDecoder(bytes.NewReader(data)).Decode()
		if err != nil {
			t.Fatal(err)
		}
		if got := patientOf(cal.Events()[0].Component); got != a.Booking.Patient {
			t.Errorf("patientOf = %+q, want %+q", got, a.Booking.Patient)
		}
	})
	t.Run("an event written before X-RDV-PHONE", func(t *testing.T) {
		ev := ical.NewEvent()
		att := ical.NewProp(ical.PropAttendee)
		att.Value = "mailto:marie@example.org"
		att.Params.Set(ical.ParamCommonName, "Marie Curie")
		ev.Props.Set(att)
		ev.Props.SetText(ical.PropDescription, "Motif : Consultation\nTéléphone : 06 12 34 56 78")
		want := booking.Patient{Name: "Marie Curie", Email: "marie@example.org", Phone: "06 12 34 56 78"}
		if got := patientOf(ev.Component); got != want {
			t.Errorf("patientOf = %+q, want %+q", got, want)
		}
	})
	t.Run("raw ?cc= of an event written before encoding", func(t *testing.T) {
		ev := ical.NewEvent()
		att := ical.NewProp(ical.PropAttendee)
		att.Value = "mailto:a?cc=x@example.org"
		ev.Props.Set(att)
		if got := patientOf(ev.Component); got.Email != "a" {
			t.Errorf("email = %q, want the address before the header fields, %q", got.Email, "a")
		}
	})
}
