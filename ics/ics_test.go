package ics

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	"github.com/rdvlibre/rdv/booking"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// appointment returns a booking of Marie Curie with Dr Anne Martin at start
// (wall clock in the zone named tz), for 20 minutes.
func appointment(t *testing.T, tz string, start string, status booking.Status) booking.Appointment {
	t.Helper()
	loc := mustLoad(t, tz)
	s, err := time.ParseInLocation("2006-01-02 15:04", start, loc)
	if err != nil {
		t.Fatal(err)
	}
	typ := &booking.AppointmentType{ID: "consultation", Name: "Première consultation", Duration: 20 * time.Minute}
	return booking.Appointment{
		Booking: &booking.Booking{
			ID:             "7c9e6679-7425-40de-944b-e07fc1f90ae7",
			PractitionerID: "demo",
			TypeID:         typ.ID,
			Start:          s,
			End:            s.Add(typ.Duration),
			Status:         status,
			Patient:        booking.Patient{Name: "Marie Curie", Email: "marie@example.org", Phone: "+33 6 12 34 56 78"},
			Sequence:       1,
		},
		Practitioner: &booking.Practitioner{ID: "demo", Name: "Dr Anne Martin", Email: "anne.martin@example.org", Location: loc},
		Type:         typ,
	}
}

var now = time.Date(2026, 11, 20, 8, 30, 15, 0, time.UTC)

func TestGolden(t *testing.T) {
	tests := []struct {
		name   string
		a      func(t *testing.T) booking.Appointment
		method string
	}{
		{"pending", func(t *testing.T) booking.Appointment {
			return appointment(t, "Europe/Paris", "2026-12-01 09:00", booking.StatusPending)
		}, ""},
		{"confirmed_summer", func(t *testing.T) booking.Appointment {
			a := appointment(t, "Europe/Paris", "2027-07-15 14:40", booking.StatusConfirmed)
			a.Type.Location = "12 rue des Lilas, 75020 Paris; 2e étage"
			return a
		}, ""},
		{"cancelled", func(t *testing.T) booking.Appointment {
			return appointment(t, "Europe/Paris", "2026-12-01 09:00", booking.StatusCancelled)
		}, ""},
		{"request", func(t *testing.T) booking.Appointment {
			return appointment(t, "Europe/Paris", "2026-12-01 09:00", booking.StatusConfirmed)
		}, MethodRequest},
		{"cancel", func(t *testing.T) booking.Appointment {
			a := appointment(t, "Europe/Paris", "2026-12-01 09:00", booking.StatusCancelled)
			a.Booking.Sequence = 2
			return a
		}, MethodCancel},
		{"utc", func(t *testing.T) booking.Appointment {
			return appointment(t, "UTC", "2026-12-01 09:00", booking.StatusConfirmed)
		}, ""},
		{"etc_utc", func(t *testing.T) booking.Appointment {
			return appointment(t, "Etc/UTC", "2026-12-01 09:00", booking.StatusConfirmed)
		}, ""},
		{"no_dst", func(t *testing.T) booking.Appointment {
			return appointment(t, "Asia/Kolkata", "2026-12-01 09:00", booking.StatusConfirmed)
		}, ""},
		{"hostile_names", func(t *testing.T) booking.Appointment {
			a := appointment(t, "America/New_York", "2027-03-14 09:00", booking.StatusPending)
			a.Booking.Patient.Name = "Jean \"Jo\" d'Arc; Dupont, fils:\x01"
			a.Practitioner.Name = "Cabinet \"Santé\", Dr X"
			a.Practitioner.Email = ""
			a.Booking.Patient.Phone = ""
			return a
		}, ""},
		{"disclosed", func(t *testing.T) booking.Appointment {
			a := appointment(t, "Europe/Paris", "2026-12-01 09:00", booking.StatusConfirmed)
			a.Type.DiscloseMotive = true
			return a
		}, ""},
		{"request_disclosed", func(t *testing.T) booking.Appointment {
			a := appointment(t, "Europe/Paris", "2026-12-01 09:00", booking.StatusConfirmed)
			a.Type.DiscloseMotive = true
			return a
		}, MethodRequest},
		{"request_en", func(t *testing.T) booking.Appointment {
			a := appointment(t, "Europe/Paris", "2026-12-01 09:00", booking.StatusPending)
			a.Booking.Lang = "en"
			return a
		}, MethodRequest},
		// Characters that a mailto URI must percent-encode (RFC 6068).
		{"mailto_escapes", func(t *testing.T) booking.Appointment {
			a := appointment(t, "Europe/Paris", "2027-03-28 10:00", booking.StatusConfirmed)
			a.Booking.Patient.Email = "o'neil+rdv&co#1/a=b@example.org"
			a.Practitioner.Email = "cabinet{martin}@example.org"
			return a
		}, MethodRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Encode(Appointment(tt.a(t), tt.method, now))
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", tt.name+".golden")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("output differs from %s (run go test -update after checking it):\n%s", golden, got)
			}
			for i, line := range strings.Split(string(got), "\r\n") {
				if len(line) > 75 {
					t.Errorf("line %d has %d octets: %q", i+1, len(line), line)
				}
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	a := appointment(t, "Europe/Paris", "2027-03-28 10:00", booking.StatusPending)
	a.Booking.Patient.Name = "Zoé Ünal-Łukasiewicz, née « Ørsted » — a name long enough to need folding twice over"
	a.Type.Location = "Cabinet médical, 3 place de la République; 69001 Lyon"
	a.Type.DiscloseMotive = true // every property; TestPatientCopyPrivate covers the default
	for _, method := range []string{"", MethodRequest, MethodCancel} {
		t.Run("method="+method, func(t *testing.T) {
			data, err := Encode(Appointment(a, method, now))
			if err != nil {
				t.Fatal(err)
			}
			cal, err := ical.NewDecoder(bytes.NewReader(data)).Decode()
			if err != nil {
				t.Fatal(err)
			}
			if got := propText(t, cal.Props, ical.PropMethod); got != method {
				t.Errorf("METHOD = %q, want %q", got, method)
			}
			if got := propText(t, cal.Props, ical.PropProductID); got != ProductID {
				t.Errorf("PRODID = %q", got)
			}
			events := cal.Events()
			if len(events) != 1 {
				t.Fatalf("%d events, want 1", len(events))
			}
			ev := events[0]
			if got := propText(t, ev.Props, ical.PropUID); got != a.Booking.ID {
				t.Errorf("UID = %q", got)
			}
			start, err := ev.DateTimeStart(nil)
			if err != nil || !start.Equal(a.Booking.Start) {
				t.Errorf("DTSTART = %v, %v; want %v", start, err, a.Booking.Start)
			}
			if tzid := ev.Props.Get(ical.PropDateTimeStart).Params.Get(ical.ParamTimezoneID); tzid != "Europe/Paris" {
				t.Errorf("DTSTART TZID = %q", tzid)
			}
			end, err := ev.DateTimeEnd(nil)
			if err != nil || !end.Equal(a.Booking.End) {
				t.Errorf("DTEND = %v, %v; want %v", end, err, a.Booking.End)
			}
			stamp, err := ev.Props.DateTime(ical.PropDateTimeStamp, nil)
			if err != nil || !stamp.Equal(now) || ev.Props.Get(ical.PropDateTimeStamp).Value != "20261120T083015Z" {
				t.Errorf("DTSTAMP = %v, %v", stamp, err)
			}
			status, err := ev.Status()
			wantStatus := ical.EventTentative
			if method == MethodCancel {
				wantStatus = ical.EventCancelled
			}
			if err != nil || status != wantStatus {
				t.Errorf("STATUS = %q, %v; want %q", status, err, wantStatus)
			}
			if got := ev.Props.Get(ical.PropLocation).Value; got != `Cabinet médical\, 3 place de la République\; 69001 Lyon` {
				t.Errorf("LOCATION = %q", got)
			}
			att := ev.Props.Get(ical.PropAttendee)
			if att.Value != "mailto:marie@example.org" || att.Params.Get(ical.ParamCommonName) != a.Booking.Patient.Name {
				t.Errorf("ATTENDEE = %+v", att)
			}
			if got, want := att.Params.Get("SCHEDULE-AGENT"), map[bool]string{true: "CLIENT"}[method == ""]; got != want {
				t.Errorf("SCHEDULE-AGENT = %q, want %q", got, want)
			}
			org := ev.Props.Get(ical.PropOrganizer)
			if org.Value != "mailto:anne.martin@example.org" || org.Params.Get(ical.ParamCommonName) != "Dr Anne Martin" {
				t.Errorf("ORGANIZER = %+v", org)
			}
			if got := propText(t, ev.Props, PropBooking); got != a.Booking.ID {
				t.Errorf("%s = %q", PropBooking, got)
			}
			if got := propText(t, ev.Props, PropType); got != "consultation" {
				t.Errorf("%s = %q", PropType, got)
			}
			desc := propText(t, ev.Props, ical.PropDescription)
			if hasPhone := strings.Contains(desc, a.Booking.Patient.Phone); hasPhone != (method == "") {
				t.Errorf("DESCRIPTION %q: phone present = %v", desc, hasPhone)
			}
			summary := ev.Props.Get(ical.PropSummary).Value
			if hasName := strings.Contains(summary, "Zoé"); hasName != (method == "") {
				t.Errorf("SUMMARY %q: patient name present = %v", summary, hasName)
			}
		})
	}
}

// TestPatientCopyPrivate checks that the patient's copy of a booking whose
// type keeps its motive private names neither the type nor its id, in
// either language, while the practitioner's copy has the id (rdv reads
// X-RDV-TYPE back from the calendar) and, by default, names the type only
// when it is disclosed.
func TestPatientCopyPrivate(t *testing.T) {
	const motive = "Dépistage IST / VIH"
	tests := []struct {
		lang, method string
		disclose     bool
		summary      string
	}{
		{"", MethodRequest, false, "Rendez-vous — Dr Anne Martin"},
		{"fr", MethodCancel, false, "Rendez-vous — Dr Anne Martin"},
		{"en", MethodRequest, false, "Appointment — Dr Anne Martin"},
		{"en", MethodCancel, false, "Appointment — Dr Anne Martin"},
		{"fr", MethodRequest, true, motive + " — Dr Anne Martin"},
		{"en", "", false, "RDV — Marie Curie"},
		{"fr", "", true, "RDV — Marie Curie (" + motive + ")"},
	}
	for _, tt := range tests {
		t.Run(tt.lang+"_"+tt.method+map[bool]string{true: "_disclosed"}[tt.disclose], func(t *testing.T) {
			a := appointment(t, "Europe/Paris", "2026-12-01 09:00", booking.StatusConfirmed)
			a.Type.ID, a.Booking.TypeID = "depistage-ist", "depistage-ist"
			a.Type.Name = motive
			a.Type.DiscloseMotive = tt.disclose
			a.Booking.Lang = tt.lang
			data, err := Encode(Appointment(a, tt.method, now))
			if err != nil {
				t.Fatal(err)
			}
			cal, err := ical.NewDecoder(bytes.NewReader(data)).Decode()
			if err != nil {
				t.Fatal(err)
			}
			ev := cal.Events()[0]
			if got := propText(t, ev.Props, ical.PropSummary); got != tt.summary {
				t.Errorf("SUMMARY = %q, want %q", got, tt.summary)
			}
			unfolded := strings.ReplaceAll(string(data), "\r\n ", "")
			for _, s := range []string{"Dépistage", "IST", "VIH", "depistage-ist", PropType} {
				shown := tt.disclose || (tt.method == "" && (s == "depistage-ist" || s == PropType))
				if got := strings.Contains(unfolded, s); got != shown {
					t.Errorf("%q in the object: %v, want %v", s, got, shown)
				}
			}
			if got := propText(t, ev.Props, PropBooking); got != a.Booking.ID {
				t.Errorf("%s = %q", PropBooking, got)
			}
		})
	}
}

// propText returns the unescaped value of a TEXT property (go-ical's Text
// stops at the first unescaped comma, so the whole list is joined back).
func propText(t *testing.T, props ical.Props, name string) string {
	t.Helper()
	p := props.Get(name)
	if p == nil {
		return ""
	}
	l, err := p.TextList()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return strings.Join(l, ",")
}

func TestParamValue(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Marie Curie", "Marie Curie"},
		{`Jean "Jo" Dupont`, "Jean Jo Dupont"},
		{"a\x00b\x1fc\x7fd", "abcd"},
		{"line\r\nbreak", "linebreak"},
		{"  spaced ", "spaced"},
		{"Dupont, fils; 2:3", "Dupont, fils; 2:3"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := paramValue(tt.in); got != tt.want {
				t.Errorf("paramValue(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestFold(t *testing.T) {
	long := strings.Repeat("é", 100) // 200 octets
	cal := ical.NewCalendar()
	cal.Props.SetText(ical.PropProductID, ProductID)
	cal.Props.SetText(ical.PropVersion, "2.0")
	ev := ical.NewEvent()
	ev.Props.SetText(ical.PropUID, "x")
	ev.Props.SetDateTime(ical.PropDateTimeStamp, now)
	ev.Props.SetText(ical.PropSummary, long)
	cal.Children = append(cal.Children, ev.Component)
	data, err := Encode(cal)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\r\n") {
		if len(line) > 75 {
			t.Errorf("line of %d octets", len(line))
		}
		if !strings.HasPrefix(line, " ") && strings.ContainsRune(line, '\uFFFD') {
			t.Errorf("broken UTF-8 in %q", line)
		}
	}
	back, err := ical.NewDecoder(bytes.NewReader(data)).Decode()
	if err != nil {
		t.Fatal(err)
	}
	if got := back.Events()[0].Props.Get(ical.PropSummary).Value; got != long {
		t.Errorf("SUMMARY after unfolding = %q", got)
	}
}
