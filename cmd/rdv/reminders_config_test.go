package main

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// reminders: absent is the default (nil), [] is none, a list is taken as it
// is, and what booking refuses is refused.
func TestConfigReminders(t *testing.T) {
	for _, tt := range []struct {
		name, line string
		want       []time.Duration
		none       bool // want an empty, non-nil list
		err        string
	}{
		{name: "absent"},
		{name: "none", line: `reminders = []`, none: true},
		{name: "two", line: `reminders = ["48h", "2h"]`, want: []time.Duration{48 * time.Hour, 2 * time.Hour}},
		{name: "negative", line: `reminders = ["-1h"]`, err: "reminder"},
		{name: "twice", line: `reminders = ["2h", "120m"]`, err: "twice"},
		{name: "not a duration", line: `reminders = ["soon"]`, err: "duration"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			toml := `
[[practitioners]]
id = "demo"
timezone = "Europe/Paris"
[practitioners.hours]
mon = ["09:00-12:00"]
[[practitioners.types]]
id = "consultation"
duration = "20m"
` + tt.line + "\n"
			cfg, err := ParseConfig([]byte(toml))
			if err == nil {
				_, err = cfg.Practitioners[0].Practitioner()
			}
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one about %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			p, _ := cfg.Practitioners[0].Practitioner()
			got := p.Types[0].Reminders
			if tt.none {
				if got == nil || len(got) != 0 {
					t.Fatalf("reminders %v, want an empty list", got)
				}
				return
			}
			if !slices.Equal(got, tt.want) || (tt.want == nil) != (got == nil) {
				t.Fatalf("reminders %v, want %v", got, tt.want)
			}
		})
	}
}

func TestConfigAlarm(t *testing.T) {
	cfg, err := ParseConfig([]byte("[mail]\nalarm = \"1h\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Mail.Alarm.Duration != time.Hour {
		t.Errorf("alarm %v", cfg.Mail.Alarm.Duration)
	}
}
