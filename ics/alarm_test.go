package ics

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	"github.com/rdvlibre/rdv/booking"
)

func TestAlarmGolden(t *testing.T) {
	cal := Appointment(appointment(t, "Europe/Paris", "2026-12-01 09:00", booking.StatusConfirmed), MethodRequest, now)
	AddAlarm(cal, time.Hour)
	got, err := Encode(cal)
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "request_alarm.golden")
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
	// go-ical reads the trigger back as the duration before the start.
	back, err := ical.NewDecoder(bytes.NewReader(got)).Decode()
	if err != nil {
		t.Fatal(err)
	}
	ev := back.Events()[0]
	if len(ev.Children) != 1 || ev.Children[0].Name != ical.CompAlarm {
		t.Fatalf("event children %v, want one VALARM", ev.Children)
	}
	if d, err := ev.Children[0].Props.Get(ical.PropTrigger).Duration(); err != nil || d != -time.Hour {
		t.Errorf("TRIGGER = %v, %v; want -1h", d, err)
	}
}

func TestAlarmOff(t *testing.T) {
	cal := Appointment(appointment(t, "Europe/Paris", "2026-12-01 09:00", booking.StatusConfirmed), MethodRequest, now)
	AddAlarm(cal, 0)
	if n := len(cal.Events()[0].Children); n != 0 {
		t.Errorf("%d components in the event for an alarm of 0", n)
	}
}

func TestFormatDuration(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{0, "PT0S"},
		{time.Second, "PT1S"},
		{15 * time.Minute, "PT15M"},
		{time.Hour, "PT1H"},
		{time.Hour + 30*time.Minute, "PT1H30M"},
		{time.Hour + 5*time.Second, "PT1H0M5S"},
		{24 * time.Hour, "P1D"},
		{26 * time.Hour, "P1DT2H"},
	} {
		t.Run(c.want, func(t *testing.T) {
			got := formatDuration(c.d)
			if got != c.want {
				t.Fatalf("formatDuration(%v) = %q, want %q", c.d, got, c.want)
			}
			// go-ical reads it back.
			p := ical.NewProp(ical.PropDuration)
			p.Value = got
			if back, err := p.Duration(); err != nil || back != c.d {
				t.Errorf("read back as %v, %v", back, err)
			}
		})
	}
}
