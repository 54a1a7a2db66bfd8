package booking

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Clock is a wall-clock time of day, in minutes after midnight (0 to 1440).
type Clock int

// ParseClock parses "HH:MM" (24-hour clock; "24:00" is the end of the day).
func ParseClock(s string) (Clock, error) {
	h, m, ok := strings.Cut(s, ":")
	if !ok || len(h) == 0 || len(h) > 2 || len(m) != 2 {
		return 0, Errorf(EInvalid, "clock %q: want HH:MM", s)
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || mm < 0 || mm > 59 || hh > 24 || (hh == 24 && mm != 0) {
		return 0, Errorf(EInvalid, "clock %q: want HH:MM between 00:00 and 24:00", s)
	}
	return Clock(hh*60 + mm), nil
}

func (c Clock) String() string { return fmt.Sprintf("%02d:%02d", int(c)/60, int(c)%60) }

// On returns the instant at which the wall clock in loc shows c on the given
// local date. A time skipped by a daylight-saving change is moved forward by the
// length of the gap, as time.Date does; 24:00 is midnight of the next day.
func (c Clock) On(d Date, loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, int(c)/60, int(c)%60, 0, 0, loc)
}

// ClockRange is a range of wall-clock time in a day, [Start, End).
type ClockRange struct {
	Start, End Clock
}

// ParseClockRange parses "HH:MM-HH:MM".
func ParseClockRange(s string) (ClockRange, error) {
	a, b, ok := strings.Cut(strings.TrimSpace(s), "-")
	if !ok {
		return ClockRange{}, Errorf(EInvalid, "range %q: want HH:MM-HH:MM", s)
	}
	start, err := ParseClock(strings.TrimSpace(a))
	if err != nil {
		return ClockRange{}, err
	}
	end, err := ParseClock(strings.TrimSpace(b))
	if err != nil {
		return ClockRange{}, err
	}
	if end <= start {
		return ClockRange{}, Errorf(EInvalid, "range %q: end must be after start", s)
	}
	return ClockRange{start, end}, nil
}

func (r ClockRange) String() string { return r.Start.String() + "-" + r.End.String() }

// WeeklyHours gives, for each weekday, the ranges of wall-clock time during which
// the practitioner is open. Ranges of a day are sorted and do not overlap.
type WeeklyHours [7][]ClockRange

// Validate checks that each day's ranges are well formed, sorted and disjoint.
func (w *WeeklyHours) Validate() error {
	for d, rs := range w {
		if err := validateRanges(time.Weekday(d).String(), rs); err != nil {
			return err
		}
	}
	return nil
}

// validateRanges checks that the ranges of one day, called day in errors, are
// well formed, sorted and disjoint.
func validateRanges(day string, rs []ClockRange) error {
	for i, r := range rs {
		if r.Start < 0 || r.End > 24*60 || r.End <= r.Start {
			return Errorf(EInvalid, "%s: invalid range %s", day, r)
		}
		if i > 0 && r.Start < rs[i-1].End {
			return Errorf(EInvalid, "%s: ranges %s and %s overlap or are not in order", day, rs[i-1], r)
		}
	}
	return nil
}

// Set sets the ranges of a weekday, sorted.
func (w *WeeklyHours) Set(d time.Weekday, ranges ...ClockRange) {
	rs := append([]ClockRange(nil), ranges...)
	sort.Slice(rs, func(i, j int) bool { return rs[i].Start < rs[j].Start })
	w[d] = rs
}

// Date is a calendar date without a time zone.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the date of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// ParseDate parses "YYYY-MM-DD".
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, Errorf(EInvalid, "date %q: want YYYY-MM-DD", s)
	}
	return DateOf(t), nil
}

// AddDays returns the date n days after d.
func (d Date) AddDays(n int) Date {
	return DateOf(time.Date(d.Year, d.Month, d.Day+n, 12, 0, 0, 0, time.UTC))
}

// Weekday returns the day of the week of d.
func (d Date) Weekday() time.Weekday {
	return time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC).Weekday()
}

// Before reports whether d is before e.
func (d Date) Before(e Date) bool {
	if d.Year != e.Year {
		return d.Year < e.Year
	}
	if d.Month != e.Month {
		return d.Month < e.Month
	}
	return d.Day < e.Day
}

// Midnight returns the first instant of d in loc.
func (d Date) Midnight(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day) }
