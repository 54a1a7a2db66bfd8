package booking

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func date(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func ranges(s string) []ClockRange {
	var rs []ClockRange
	for _, part := range splitComma(s) {
		if part == "" {
			continue
		}
		r, err := ParseClockRange(part)
		if err != nil {
			panic(err)
		}
		rs = append(rs, r)
	}
	return rs
}

// everyDay is a weekly template open during rs on all seven days.
func everyDay(rs string) WeeklyHours {
	var w WeeklyHours
	for d := range w {
		w[d] = ranges(rs)
	}
	return w
}

// show formats intervals as "2006-01-02 15:04 -07:00 .. 15:04 -07:00", the
// end with its date when it falls on another day.
func show(is []Interval) []string {
	out := make([]string, len(is))
	for i, iv := range is {
		endFmt := "15:04 -07:00"
		if DateOf(iv.End) != DateOf(iv.Start) {
			endFmt = "2006-01-02 15:04 -07:00"
		}
		out[i] = iv.Start.Format("2006-01-02 15:04 -07:00") + " .. " + iv.End.Format(endFmt)
	}
	return out
}

func TestScheduleOpen(t *testing.T) {
	weekdays := hours(map[time.Weekday]string{
		time.Monday: "09:00-12:00", time.Tuesday: "09:00-12:00", time.Wednesday: "09:00-12:00",
		time.Thursday: "09:00-12:00", time.Friday: "09:00-12:00",
	})
	monday := hours(map[time.Weekday]string{time.Monday: "08:30-12:00,14:00-18:00"})

	tests := []struct {
		name     string
		s        Schedule
		from, to string // window, "YYYY-MM-DD HH:MM" in Paris
		want     []string
		total    time.Duration // open time in all, if set
	}{
		{
			name: "closure over several days",
			s:    Schedule{Weekly: weekdays, Closures: []Closure{{From: date("2026-12-24"), To: date("2027-01-02"), Label: "congés"}}},
			from: "2026-12-21 00:00", to: "2027-01-06 00:00",
			want: []string{
				"2026-12-21 09:00 +01:00 .. 12:00 +01:00", "2026-12-22 09:00 +01:00 .. 12:00 +01:00",
				"2026-12-23 09:00 +01:00 .. 12:00 +01:00",
				"2027-01-04 09:00 +01:00 .. 12:00 +01:00", "2027-01-05 09:00 +01:00 .. 12:00 +01:00",
			},
		},
		{
			name: "closure of one day, From equal to To",
			s:    Schedule{Weekly: weekdays, Closures: []Closure{{From: date("2026-12-02"), To: date("2026-12-02")}}},
			from: "2026-12-01 00:00", to: "2026-12-04 00:00",
			want: []string{"2026-12-01 09:00 +01:00 .. 12:00 +01:00", "2026-12-03 09:00 +01:00 .. 12:00 +01:00"},
		},
		{
			// 31 October 2027 has 25 hours; 1 November is a holiday.
			name: "closure covering the autumn DST day",
			s:    Schedule{Weekly: everyDay("01:00-05:00"), Closures: []Closure{{From: date("2027-10-30"), To: date("2027-10-31")}}},
			from: "2027-10-29 00:00", to: "2027-11-03 00:00",
			want: []string{
				"2027-10-29 01:00 +02:00 .. 05:00 +02:00",
				"2027-11-02 01:00 +01:00 .. 05:00 +01:00",
			},
		},
		{
			name: "closure covering the spring DST day",
			s: Schedule{Weekly: everyDay("08:30-09:30"), OpenOnHolidays: true,
				Closures: []Closure{{From: date("2027-03-28"), To: date("2027-03-28")}}},
			from: "2027-03-27 00:00", to: "2027-03-30 00:00",
			want: []string{"2027-03-27 08:30 +01:00 .. 09:30 +01:00", "2027-03-29 08:30 +02:00 .. 09:30 +02:00"},
		},
		{
			name: "spring forward 2027-03-28: 01:00-05:00 is 3 hours",
			s:    Schedule{Weekly: everyDay("01:00-05:00")},
			from: "2027-03-28 00:00", to: "2027-03-29 00:00",
			want:  []string{"2027-03-28 01:00 +01:00 .. 05:00 +02:00"},
			total: 3 * time.Hour,
		},
		{
			name: "fall back 2027-10-31: 01:00-05:00 is 5 hours",
			s:    Schedule{Weekly: everyDay("01:00-05:00")},
			from: "2027-10-31 00:00", to: "2027-11-01 00:00",
			want:  []string{"2027-10-31 01:00 +02:00 .. 05:00 +01:00"},
			total: 5 * time.Hour,
		},
		{
			// 32 Sundays from 28 March to 31 October 2027; 15 August is a
			// holiday.
			name: "whole days on DST days: 23 and 25 hours",
			s:    Schedule{Weekly: hours(map[time.Weekday]string{time.Sunday: "00:00-24:00"})},
			from: "2027-03-28 00:00", to: "2027-11-01 00:00",
			total: 23*time.Hour + 29*24*time.Hour + 25*time.Hour,
		},
		{
			name: "an override replaces the day's hours",
			s: Schedule{Weekly: monday, Overrides: []DateOverride{
				{Date: date("2026-11-30"), Hours: ranges("10:00-13:00,15:00-16:00")}}},
			from: "2026-11-30 00:00", to: "2026-12-08 00:00",
			want: []string{
				"2026-11-30 10:00 +01:00 .. 13:00 +01:00", "2026-11-30 15:00 +01:00 .. 16:00 +01:00",
				"2026-12-07 08:30 +01:00 .. 12:00 +01:00", "2026-12-07 14:00 +01:00 .. 18:00 +01:00",
			},
		},
		{
			name: "an empty override closes a day",
			s:    Schedule{Weekly: monday, Overrides: []DateOverride{{Date: date("2026-11-30")}}},
			from: "2026-11-30 00:00", to: "2026-12-08 00:00",
			want: []string{"2026-12-07 08:30 +01:00 .. 12:00 +01:00", "2026-12-07 14:00 +01:00 .. 18:00 +01:00"},
		},
		{
			name: "an override on a closed weekday opens it",
			s:    Schedule{Weekly: monday, Overrides: []DateOverride{{Date: date("2026-12-05"), Hours: ranges("09:00-12:00")}}},
			from: "2026-12-01 00:00", to: "2026-12-07 00:00",
			want: []string{"2026-12-05 09:00 +01:00 .. 12:00 +01:00"},
		},
		{
			name: "an override beats a closure and a holiday",
			s: Schedule{Weekly: weekdays,
				Closures: []Closure{{From: date("2026-12-24"), To: date("2027-01-02")}},
				Overrides: []DateOverride{
					{Date: date("2026-12-30"), Hours: ranges("10:00-11:00")},
					{Date: date("2027-01-01"), Hours: ranges("11:00-12:00")},
				}},
			from: "2026-12-28 00:00", to: "2027-01-04 00:00",
			want: []string{"2026-12-30 10:00 +01:00 .. 11:00 +01:00", "2027-01-01 11:00 +01:00 .. 12:00 +01:00"},
		},
		{
			// 1 May (Saturday), Ascension on 6 May and 8 May (Saturday).
			name: "holidays closed by default",
			s:    Schedule{Weekly: everyDay("09:00-12:00")},
			from: "2027-05-01 00:00", to: "2027-05-10 00:00",
			want: []string{
				"2027-05-02 09:00 +02:00 .. 12:00 +02:00", "2027-05-03 09:00 +02:00 .. 12:00 +02:00",
				"2027-05-04 09:00 +02:00 .. 12:00 +02:00", "2027-05-05 09:00 +02:00 .. 12:00 +02:00",
				"2027-05-07 09:00 +02:00 .. 12:00 +02:00", "2027-05-09 09:00 +02:00 .. 12:00 +02:00",
			},
		},
		{
			name: "holidays open when opted out",
			s:    Schedule{Weekly: everyDay("09:00-12:00"), OpenOnHolidays: true},
			from: "2027-05-01 00:00", to: "2027-05-10 00:00",
			total: 9 * 3 * time.Hour,
		},
		{
			name: "Good Friday is open outside Alsace-Moselle",
			s:    Schedule{Weekly: everyDay("09:00-12:00")},
			from: "2027-03-25 00:00", to: "2027-03-27 00:00",
			want: []string{"2027-03-25 09:00 +01:00 .. 12:00 +01:00", "2027-03-26 09:00 +01:00 .. 12:00 +01:00"},
		},
		{
			name: "Alsace-Moselle: Good Friday closed",
			s:    Schedule{Weekly: everyDay("09:00-12:00"), AlsaceMoselle: true},
			from: "2027-03-25 00:00", to: "2027-03-27 00:00",
			want: []string{"2027-03-25 09:00 +01:00 .. 12:00 +01:00"},
		},
		{
			name: "Alsace-Moselle: 25 and 26 December closed",
			s:    Schedule{Weekly: everyDay("09:00-12:00"), AlsaceMoselle: true},
			from: "2027-12-24 00:00", to: "2027-12-28 00:00",
			want: []string{"2027-12-24 09:00 +01:00 .. 12:00 +01:00", "2027-12-27 09:00 +01:00 .. 12:00 +01:00"},
		},
		{
			name: "Alsace-Moselle opted out of holidays",
			s:    Schedule{Weekly: everyDay("09:00-12:00"), AlsaceMoselle: true, OpenOnHolidays: true},
			from: "2027-12-24 00:00", to: "2027-12-28 00:00",
			total: 4 * 3 * time.Hour,
		},
		{
			name: "available intervals added to the template",
			s: Schedule{Weekly: monday, Available: []Interval{
				{at("2026-12-01 10:00"), at("2026-12-01 11:00")}, // a Tuesday
				{at("2026-11-30 19:00"), at("2026-11-30 20:00")},
			}},
			from: "2026-11-30 00:00", to: "2026-12-02 00:00",
			want: []string{
				"2026-11-30 08:30 +01:00 .. 12:00 +01:00", "2026-11-30 14:00 +01:00 .. 18:00 +01:00",
				"2026-11-30 19:00 +01:00 .. 20:00 +01:00", "2026-12-01 10:00 +01:00 .. 11:00 +01:00",
			},
		},
		{
			name: "available intervals cut by a closure and a holiday",
			s: Schedule{
				Available: []Interval{{at("2026-12-23 14:00"), at("2026-12-27 12:00")}},
				Closures:  []Closure{{From: date("2026-12-24"), To: date("2026-12-24")}},
			},
			from: "2026-12-20 00:00", to: "2026-12-31 00:00",
			want: []string{
				"2026-12-23 14:00 +01:00 .. 2026-12-24 00:00 +01:00",
				"2026-12-26 00:00 +01:00 .. 2026-12-27 12:00 +01:00",
			},
		},
		{
			name: "available intervals dropped on a date with an override",
			s: Schedule{Weekly: monday,
				Available: []Interval{{at("2026-11-30 18:00"), at("2026-11-30 20:00")}},
				Overrides: []DateOverride{{Date: date("2026-11-30"), Hours: ranges("09:00-10:00")}}},
			from: "2026-11-30 00:00", to: "2026-12-01 00:00",
			want: []string{"2026-11-30 09:00 +01:00 .. 10:00 +01:00"},
		},
		{
			name: "open intervals that touch or overlap are merged",
			s: Schedule{Weekly: monday, Available: []Interval{
				{at("2026-11-30 12:00"), at("2026-11-30 13:00")},
				{at("2026-11-30 17:00"), at("2026-11-30 18:30")},
				{at("2026-11-30 07:00"), at("2026-11-30 09:00")},
			}},
			from: "2026-11-30 00:00", to: "2026-12-01 00:00",
			want: []string{"2026-11-30 07:00 +01:00 .. 13:00 +01:00", "2026-11-30 14:00 +01:00 .. 18:30 +01:00"},
		},
		{
			name: "open time across midnight is one interval",
			s: Schedule{Weekly: hours(map[time.Weekday]string{time.Monday: "20:00-24:00", time.Tuesday: "00:00-06:00"}),
				Available: []Interval{{at("2026-12-01 06:00"), at("2026-12-01 07:00")}}},
			from: "2026-11-30 00:00", to: "2026-12-02 00:00",
			want: []string{"2026-11-30 20:00 +01:00 .. 2026-12-01 07:00 +01:00"},
		},
		{
			name: "intervals are not clipped to the window",
			s:    Schedule{Weekly: monday},
			from: "2026-11-30 10:00", to: "2026-11-30 10:05",
			want: []string{"2026-11-30 08:30 +01:00 .. 12:00 +01:00"},
		},
		{
			name: "an interval running past the window's end is whole",
			s:    Schedule{Available: []Interval{{at("2026-11-30 23:00"), at("2026-12-01 02:00")}}},
			from: "2026-11-30 00:00", to: "2026-12-01 00:00",
			want: []string{"2026-11-30 23:00 +01:00 .. 2026-12-01 02:00 +01:00"},
		},
		{
			name: "unsorted override hours are still merged",
			s:    Schedule{Overrides: []DateOverride{{Date: date("2026-11-30"), Hours: []ClockRange{{14 * 60, 15 * 60}, {9 * 60, 10 * 60}, {10 * 60, 11 * 60}}}}},
			from: "2026-11-30 00:00", to: "2026-12-01 00:00",
			want: []string{"2026-11-30 09:00 +01:00 .. 11:00 +01:00", "2026-11-30 14:00 +01:00 .. 15:00 +01:00"},
		},
		{
			name: "the zero schedule is never open",
			from: "2026-11-30 00:00", to: "2027-11-30 00:00",
			want: []string{},
		},
		{
			name: "inverted window",
			s:    Schedule{Weekly: monday},
			from: "2026-12-07 00:00", to: "2026-11-30 00:00",
			want: []string{},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.s.Open(paris, at(tc.from), at(tc.to))
			if tc.want != nil && fmt.Sprint(show(got)) != fmt.Sprint(tc.want) {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(show(got), "\n"), strings.Join(tc.want, "\n"))
			}
			var total time.Duration
			for i, iv := range got {
				total += iv.End.Sub(iv.Start)
				if !iv.Start.Before(iv.End) {
					t.Errorf("interval %d is empty", i)
				}
				if i > 0 && !got[i-1].End.Before(iv.Start) {
					t.Errorf("intervals %d and %d touch or overlap", i-1, i)
				}
				if !iv.Start.Before(at(tc.to)) || !iv.End.After(at(tc.from)) {
					t.Errorf("interval %d is outside the window", i)
				}
				if iv.Start.Location() != paris || iv.End.Location() != paris {
					t.Errorf("interval %d is not in the practitioner's zone", i)
				}
			}
			if tc.total != 0 && total != tc.total {
				t.Errorf("open for %v, want %v", total, tc.total)
			}
		})
	}
}

func TestScheduleValidate(t *testing.T) {
	good := Schedule{
		Weekly:    hours(map[time.Weekday]string{time.Monday: "08:30-12:00,14:00-18:00"}),
		Overrides: []DateOverride{{Date: date("2026-12-24"), Hours: ranges("08:30-12:00")}, {Date: date("2026-12-31")}},
		Closures:  []Closure{{From: date("2027-08-02"), To: date("2027-08-22"), Label: "été"}},
	}
	tests := []struct {
		name  string
		edit  func(s *Schedule)
		error string // "" if valid
	}{
		{name: "valid", edit: func(*Schedule) {}},
		{name: "weekly ranges overlap", edit: func(s *Schedule) {
			s.Weekly[time.Tuesday] = []ClockRange{{9 * 60, 12 * 60}, {11 * 60, 13 * 60}}
		}, error: "Tuesday: ranges 09:00-12:00 and 11:00-13:00 overlap"},
		{name: "override on no date", edit: func(s *Schedule) {
			s.Overrides = append(s.Overrides, DateOverride{Date: Date{2027, time.February, 30}})
		}, error: "2027-02-30 is not a date"},
		{name: "override given twice", edit: func(s *Schedule) {
			s.Overrides = append(s.Overrides, DateOverride{Date: date("2026-12-24")})
		}, error: "2026-12-24 is given twice"},
		{name: "override hours out of order", edit: func(s *Schedule) {
			s.Overrides[0].Hours = []ClockRange{{14 * 60, 15 * 60}, {9 * 60, 10 * 60}}
		}, error: "2026-12-24: ranges 14:00-15:00 and 09:00-10:00 overlap or are not in order"},
		{name: "override hours past midnight", edit: func(s *Schedule) {
			s.Overrides[0].Hours = []ClockRange{{23 * 60, 25 * 60}}
		}, error: "2026-12-24: invalid range"},
		{name: "closure inverted", edit: func(s *Schedule) {
			s.Closures[0].From, s.Closures[0].To = s.Closures[0].To, s.Closures[0].From
		}, error: "ends before it starts"},
		{name: "closure without dates", edit: func(s *Schedule) {
			s.Closures = append(s.Closures, Closure{Label: "?"})
		}, error: "not a pair of dates"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := good
			s.Weekly = good.Weekly
			s.Overrides = append([]DateOverride(nil), good.Overrides...)
			s.Closures = append([]Closure(nil), good.Closures...)
			tc.edit(&s)
			err := s.Validate()
			switch {
			case tc.error == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.error != "" && (err == nil || !strings.Contains(err.Error(), tc.error)):
				t.Fatalf("error %v, want one containing %q", err, tc.error)
			case err != nil && ErrorCode(err) != EInvalid:
				t.Fatalf("error code %q, want %q", ErrorCode(err), EInvalid)
			}
		})
	}
}

// BenchmarkScheduleOpenNineMonths: the open time alone, for the same schedule.
func BenchmarkScheduleOpenNineMonths(b *testing.B) {
	s := Schedule{
		Weekly: hours(map[time.Weekday]string{
			time.Monday: "08:30-12:00,14:00-18:30", time.Tuesday: "08:30-12:00,14:00-18:30",
			time.Wednesday: "08:30-12:00", time.Thursday: "08:30-12:00,14:00-18:30",
			time.Friday: "08:30-12:00,14:00-18:30", time.Saturday: "09:00-12:00",
		}),
		Closures: []Closure{{From: date("2026-12-24"), To: date("2027-01-02")}},
	}
	from := at("2026-12-01 07:00")
	to := from.AddDate(0, 9, 0)
	b.ReportAllocs()
	var n int
	for b.Loop() {
		n = len(s.Open(paris, from, to))
	}
	b.ReportMetric(float64(n), "intervals")
}
