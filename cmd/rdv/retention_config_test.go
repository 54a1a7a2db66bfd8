package main

import (
	"strings"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
)

// TestRetentionConfig: [retention] takes days or Go durations, at least a
// day, and gives the application its periods.
func TestRetentionConfig(t *testing.T) {
	const day = 24 * time.Hour
	for _, tc := range []struct {
		toml  string
		want  booking.Retention
		error string
	}{
		{toml: "", want: booking.Retention{}},
		{toml: "[retention]\nafter_visit = \"90d\"\ncancelled = \"30d\"", want: booking.Retention{AfterVisit: 90 * day, Cancelled: 30 * day}},
		{toml: "[retention]\nafter_visit = \"2160h\"", want: booking.Retention{AfterVisit: 90 * day}},
		{toml: "[retention]\ncancelled = \"1d\"", want: booking.Retention{Cancelled: day}},
		{toml: "[retention]\ncancelled = \"23h\"", error: "retention.cancelled 23h0m0s: want at least 1d"},
		{toml: "[retention]\nafter_visit = \"-1d\"", error: "not a number of days"},
		{toml: "[retention]\nafter_visit = \"-48h\"", error: "retention.after_visit -48h0m0s: want at least 1d"},
		{toml: "[retention]\nafter_visit = \"ninety\"", error: "not a period"},
		{toml: "[retention]\nforever = true", error: "unknown keys: retention.forever"},
	} {
		t.Run(tc.toml, func(t *testing.T) {
			cfg, err := ParseConfig([]byte(tc.toml))
			if err == nil {
				err = cfg.check()
			}
			if tc.error != "" {
				if err == nil || !strings.Contains(err.Error(), tc.error) {
					t.Fatalf("error %v, want one with %q", err, tc.error)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.Retention.retention(); got != tc.want {
				t.Errorf("retention %+v, want %+v", got, tc.want)
			}
		})
	}
	var out strings.Builder
	printConfig(&out, &Config{Retention: RetentionConfig{AfterVisit: period{90 * day}, Cancelled: period{36 * time.Hour}}})
	for _, want := range []string{`retention.after_visit = "90d"`, `retention.cancelled = "36h0m0s"`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("rdv check prints\n%s\nwithout %s", out.String(), want)
		}
	}
}
