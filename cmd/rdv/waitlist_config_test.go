package main

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rdvlibre/rdv/booking"
)

// TestWaitlistConfig: [waitlist] is off unless enabled, and gives the
// application its batch, interval and cap; values it can't use are refused.
func TestWaitlistConfig(t *testing.T) {
	for _, tc := range []struct {
		toml  string
		want  *booking.WaitlistConfig
		error string
	}{
		{toml: ""},
		{toml: "[waitlist]\nbatch = 2"},
		{toml: "[waitlist]\nenabled = true", want: &booking.WaitlistConfig{}},
		{toml: "[waitlist]\nenabled = true\nbatch = 2\ninterval = \"1h\"\nmax_per_email = 5",
			want: &booking.WaitlistConfig{Batch: 2, Interval: time.Hour, MaxPerEmail: 5}},
		{toml: "[waitlist]\nbatch = -1", error: "waitlist.batch -1"},
		{toml: "[waitlist]\ninterval = \"10s\"", error: "waitlist.interval 10s"},
		{toml: "[waitlist]\nmax_per_email = 1000", error: "waitlist.max_per_email 1000"},
		{toml: "[waitlist]\nsoon = true", error: "unknown keys: waitlist.soon"},
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
			if got := cfg.Waitlist.options(); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("options %+v, want %+v", got, tc.want)
			}
		})
	}
}
