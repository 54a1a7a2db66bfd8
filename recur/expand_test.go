package recur

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	"github.com/rdvlibre/rdv/internal/testcal"
)

func loadFixture(t testing.TB, name string) *ical.Calendar {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cal, err := ical.NewDecoder(f).Decode()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return cal
}

func TestExpand(t *testing.T) {
	loc := testcal.Paris(t)
	tests := []struct {
		name, file string
		from, to   string
		want       []string
		wantErr    bool
	}{
		{
			name: "weekly with EXDATE single and list, across DST", file: "weekly_exdate.ics",
			from: "2027-03-01T00:00:00Z", to: "2027-05-01T00:00:00Z",
			want: []string{
				"2027-03-02T09:00:00+01:00/2027-03-02T10:00:00+01:00",
				"2027-03-30T09:00:00+02:00/2027-03-30T10:00:00+02:00",
				"2027-04-06T09:00:00+02:00/2027-04-06T10:00:00+02:00", // UNTIL is inclusive
			},
		},
		{
			name: "weekly, window in the middle", file: "weekly_exdate.ics",
			from: "2027-03-29T00:00:00+02:00", to: "2027-04-05T00:00:00+02:00",
			want: []string{"2027-03-30T09:00:00+02:00/2027-03-30T10:00:00+02:00"},
		},
		{
			name: "RDATE lists and periods", file: "rdate.ics",
			from: "2027-03-01T00:00:00Z", to: "2027-04-01T00:00:00Z",
			want: []string{
				"2027-03-01T14:00:00+01:00/2027-03-01T14:30:00+01:00",
				"2027-03-03T14:00:00+01:00/2027-03-03T14:30:00+01:00",
				"2027-03-04T08:00:00Z/2027-03-04T10:00:00Z",
				"2027-03-05T16:00:00+01:00/2027-03-05T16:30:00+01:00",
				"2027-03-06T08:00:00Z/2027-03-06T08:15:00Z",
			},
		},
		{
			name: "moved override", file: "override_moved.ics",
			from: "2027-03-01T00:00:00Z", to: "2027-04-01T00:00:00Z",
			want: []string{
				"2027-03-02T09:00:00+01:00/2027-03-02T10:00:00+01:00",
				"2027-03-10T14:00:00+01:00/2027-03-10T15:30:00+01:00",
				"2027-03-16T09:00:00+01:00/2027-03-16T10:00:00+01:00",
			},
		},
		{
			name: "moved override, window on the original slot only", file: "override_moved.ics",
			from: "2027-03-09T00:00:00+01:00", to: "2027-03-10T00:00:00+01:00",
		},
		{
			name: "cancelled and transparent overrides", file: "override_cancelled.ics",
			from: "2027-03-01T00:00:00Z", to: "2027-04-01T00:00:00Z",
			want: []string{
				"2027-03-02T08:00:00Z/2027-03-02T09:00:00Z",
				"2027-03-23T08:00:00Z/2027-03-23T09:00:00Z",
			},
		},
		{
			name: "all-day events on DST days", file: "allday.ics",
			from: "2027-01-01T00:00:00Z", to: "2028-01-01T00:00:00Z",
			want: []string{
				"2027-03-28T00:00:00+01:00/2027-03-29T00:00:00+02:00", // 23 hours
				"2027-03-30T00:00:00+02:00/2027-04-02T00:00:00+02:00",
				"2027-10-31T00:00:00+02:00/2027-11-01T00:00:00+01:00", // 25 hours
			},
		},
		{
			name: "an all-day event ends at local midnight", file: "allday.ics",
			from: "2027-03-29T00:00:00+02:00", to: "2027-03-29T08:00:00+02:00",
		},
		{
			name: "weekly all-day with a DATE EXDATE", file: "allday_weekly.ics",
			from: "2027-03-01T00:00:00Z", to: "2027-05-01T00:00:00Z",
			want: []string{
				"2027-03-21T00:00:00+01:00/2027-03-22T00:00:00+01:00",
				"2027-03-28T00:00:00+01:00/2027-03-29T00:00:00+02:00",
			},
		},
		{
			name: "floating times in the practitioner's zone", file: "floating.ics",
			from: "2027-03-01T00:00:00Z", to: "2027-04-01T00:00:00Z",
			want: []string{
				"2027-03-15T09:00:00+01:00/2027-03-15T09:30:00+01:00",
				"2027-03-23T09:00:00+01:00/2027-03-23T09:30:00+01:00",
				"2027-03-30T09:00:00+02:00/2027-03-30T09:30:00+02:00",
			},
		},
		{
			name: "DURATION exact and nominal", file: "duration.ics",
			from: "2027-03-01T00:00:00Z", to: "2027-06-01T00:00:00Z",
			want: []string{
				"2027-03-15T09:00:00+01:00/2027-03-15T09:45:00+01:00",
				"2027-03-27T12:00:00+01:00/2027-03-28T12:00:00+02:00", // P1D across DST: 23 hours
				"2027-05-01T00:00:00Z/2027-05-08T00:00:00Z",
			},
		},
		{
			name: "TRANSPARENT and CANCELLED are skipped", file: "transparent.ics",
			from: "2027-03-15T00:00:00Z", to: "2027-03-17T00:00:00Z",
			want: []string{"2027-03-15T08:00:00Z/2027-03-15T09:00:00Z"},
		},
		{
			name: "no DTEND: a date lasts a day, a date-time nothing", file: "no_dtend.ics",
			from: "2027-03-15T00:00:00Z", to: "2027-03-18T00:00:00Z",
			want: []string{
				"2027-03-15T10:00:00Z/2027-03-15T10:00:00Z",
				"2027-03-16T00:00:00+01:00/2027-03-17T00:00:00+01:00",
			},
		},
		{
			name: "TZIDs: Windows, prefixed, X-LIC-LOCATION, unknown, Tokyo", file: "zones.ics",
			from: "2027-03-14T00:00:00Z", to: "2027-03-20T00:00:00Z",
			want: []string{
				"2027-03-15T09:00:00+01:00/2027-03-15T10:00:00+01:00",
				"2027-03-15T09:00:00-04:00/2027-03-15T10:00:00-04:00",
				"2027-03-16T09:00:00+01:00/2027-03-16T10:00:00+01:00",
				"2027-03-17T09:00:00+01:00/2027-03-17T10:00:00+01:00", // unknown: practitioner's zone
				"2027-03-18T09:00:00+09:00/2027-03-18T10:00:00+09:00",
			},
		},
		{
			name: "an event that starts before the window and overlaps it counts", file: "overlap.ics",
			from: "2027-03-15T08:00:00Z", to: "2027-03-15T12:00:00Z",
			want: []string{"2027-03-15T07:00:00Z/2027-03-15T09:00:00Z"},
		},
		{
			name: "a recurring instance that starts before the window counts", file: "overlap.ics",
			from: "2027-03-15T01:00:00Z", to: "2027-03-15T03:00:00Z",
			want: []string{"2027-03-14T22:00:00Z/2027-03-15T02:00:00Z"},
		},
		{
			name: "broken components are skipped, the rest is kept", file: "broken.ics",
			from: "2027-03-15T00:00:00Z", to: "2027-03-16T00:00:00Z",
			want: []string{
				"2027-03-15T10:00:00Z/2027-03-15T11:00:00Z", // bad RRULE: DTSTART still counts
				"2027-03-15T12:00:00Z/2027-03-15T13:00:00Z",
			},
			wantErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cal := loadFixture(t, tt.file)
			got, err := Expand(cal, loc, testcal.MustTime(t, tt.from), testcal.MustTime(t, tt.to))
			if (err != nil) != tt.wantErr {
				t.Errorf("err = %v, want error: %v", err, tt.wantErr)
			}
			want := testcal.Intervals(t, tt.want...)
			if !testcal.SameIntervals(got, want) {
				t.Errorf("got:%s\nwant:%s", testcal.FormatIntervals(got), testcal.FormatIntervals(want))
			}
		})
	}
}

func TestExpandHostile(t *testing.T) {
	loc := testcal.Paris(t)
	cal := loadFixture(t, "hostile.ics")
	tests := []struct {
		name     string
		from, to string
		want     int
		cut      bool
	}{
		// Without COUNT, a rule starts at the window: a minute of the
		// SECONDLY series costs 60 instances, however far from DTSTART.
		{"a minute far after the start", "2027-06-15T00:00:00Z", "2027-06-15T00:01:00Z", 60, false},
		// Two days of it are more than MaxInstances: cut, the rest kept (the
		// normal event, and MaxInstances-1 seconds: the instance that starts
		// a second before the window, and ends as it starts, was counted).
		{"two days", "2027-03-15T00:00:00Z", "2027-03-17T00:00:00Z", MaxInstances, true},
		// 10 seconds of the SECONDLY series, and the DTSTART of the three
		// others: DTSTART is an instance even when the rule never matches.
		{"window at the start", "2027-03-01T00:00:00Z", "2027-03-01T00:00:10Z", 10 + 3, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			got, err := Expand(cal, loc, testcal.MustTime(t, tt.from), testcal.MustTime(t, tt.to))
			if elapsed := time.Since(start); elapsed > 10*time.Second {
				t.Errorf("Expand took %v", elapsed)
			}
			if len(got) != tt.want {
				t.Errorf("%d intervals, want %d", len(got), tt.want)
			}
			if tt.cut != errors.Is(err, errTooManyInstances) {
				t.Errorf("err = %v, want the series cut: %v", err, tt.cut)
			}
		})
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    span
		wantErr bool
	}{
		{"PT45M", span{exact: 45 * time.Minute}, false},
		{"P1D", span{days: 1}, false},
		{"P2W", span{days: 14}, false},
		{"P1DT2H3M4S", span{days: 1, exact: 2*time.Hour + 3*time.Minute + 4*time.Second}, false},
		{"+PT1H", span{exact: time.Hour}, false},
		{"-PT1H", span{exact: -time.Hour}, false},
		{"P", span{}, true},
		{"PT", span{}, true},
		{"P1H", span{}, true},
		{"PT1D", span{}, true},
		{"P99999999999D", span{}, true},
		{"1H", span{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseDuration(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("parseDuration(%q) = %+v, %v", tt.in, got, err)
			}
		})
	}
}
