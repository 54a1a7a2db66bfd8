package main

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// quotaConfig is a configuration with the practitioner's and a type's
// max_per_day.
func quotaConfig(practitioner, typ int) string {
	return fmt.Sprintf(`
[[practitioners]]
id = "demo"
timezone = "Europe/Paris"
max_per_day = %d
[practitioners.hours]
mon = ["09:00-12:00"]
[[practitioners.types]]
id = "nouveau"
name = "Nouveau patient"
duration = "30m"
max_per_day = %d
[[practitioners.types]]
id = "suivi"
name = "Suivi"
duration = "20m"
`, practitioner, typ)
}

// TestConfigQuotas checks that max_per_day reaches the practitioner and
// the type in rdv.Options, and that a negative one is refused.
func TestConfigQuotas(t *testing.T) {
	cfg, err := ParseConfig([]byte(quotaConfig(12, 4)))
	if err != nil {
		t.Fatal(err)
	}
	o, err := cfg.options(slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	p := o.Practitioners[0]
	if p.MaxBookingsPerDay != 12 || p.Type("nouveau").MaxPerDay != 4 || p.Type("suivi").MaxPerDay != 0 {
		t.Errorf("MaxBookingsPerDay %d, MaxPerDay %d and %d; want 12, 4 and 0",
			p.MaxBookingsPerDay, p.Type("nouveau").MaxPerDay, p.Type("suivi").MaxPerDay)
	}
	for name, text := range map[string]string{
		"practitioner": quotaConfig(-1, 4),
		"type":         quotaConfig(12, -1),
	} {
		t.Run(name, func(t *testing.T) {
			cfg, err := ParseConfig([]byte(text))
			if err == nil {
				_, err = cfg.options(slog.New(slog.DiscardHandler))
			}
			if err == nil || !strings.Contains(err.Error(), "cannot be negative") {
				t.Errorf("a negative max_per_day: error %v, want one saying it cannot be negative", err)
			}
		})
	}
}
