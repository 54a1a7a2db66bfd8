package booking

import (
	"time"
)

// Schedule is when a practitioner is open: a weekly template, dates whose
// hours differ, closed periods, public holidays, and open time given as
// instants (the events of an availability calendar). Schedule.Open resolves
// it into open intervals for a window.
//
// Each local day D, in the practitioner's zone, is resolved on its own, by the
// first rule that applies:
//
//  1. a DateOverride for D: open exactly during its Hours on D (no hours:
//     closed all day), whatever the other rules say;
//  2. a Closure that covers D: closed all day;
//  3. D is a French public holiday (see FrenchHolidays) and OpenOnHolidays is
//     false: closed all day;
//  4. otherwise: open during the Weekly ranges of D's weekday and during the
//     part of each Available interval that falls on D.
//
// So a closure or a holiday also closes the availability calendar's events on
// its days (a weekly recurring event stays closed on Easter Monday), and a
// practitioner who works on a holiday or on one day of a closed period says so
// with a DateOverride. The zero Schedule is never open.
type Schedule struct {
	Weekly    WeeklyHours    // the weekly template
	Overrides []DateOverride // hours of particular dates, replacing everything else on them
	Closures  []Closure      // closed periods, e.g. holidays from 2026-12-24 to 2027-01-02
	// OpenOnHolidays opts out of closing on public holidays: they are then
	// resolved like any other day.
	OpenOnHolidays bool
	// AlsaceMoselle also closes on the two public holidays of Bas-Rhin,
	// Haut-Rhin and Moselle: Good Friday and 26 December.
	AlsaceMoselle bool
	// Available is open time given as instants, usually the events of an
	// availability calendar read for the window of a query; it adds to the
	// weekly template. It is runtime data: set it on a copy of the
	// practitioner's Schedule, not in the configured one. Intervals may be in
	// any order and overlap; empty ones are ignored.
	Available []Interval
}

// DateOverride sets the open hours of one date: on Date the practitioner is
// open during Hours and at no other time, in place of the weekly template and
// the availability calendar, even if the date is closed or a holiday. Empty
// Hours close the date.
type DateOverride struct {
	Date  Date
	Hours []ClockRange // sorted and disjoint, as in WeeklyHours
}

// Closure is a closed period of whole local days, From and To included.
type Closure struct {
	// ID names a closure added at runtime (Service.AddClosure), kept in the
	// Store; it is "" for one of the configured Schedule.
	ID       string
	From, To Date
	// Label is for the practitioner and the host ("congés d'été"). It is
	// never shown to patients: free slots reveal nothing about why time is
	// not free.
	Label string
}

// Covers reports whether d is one of the closed days.
func (c Closure) Covers(d Date) bool {
	k := d.key()
	return c.From.key() <= k && k <= c.To.key()
}

// Validate checks the weekly template, that each override is a real date given
// once with well-formed hours, and that each closure is a pair of real dates in
// order. Available is not checked: empty intervals in it are ignored.
func (s *Schedule) Validate() error {
	if err := s.Weekly.Validate(); err != nil {
		return err
	}
	seen := make(map[Date]bool, len(s.Overrides))
	for _, o := range s.Overrides {
		if !o.Date.valid() {
			return Errorf(EInvalid, "date override: %s is not a date", o.Date)
		}
		if seen[o.Date] {
			return Errorf(EInvalid, "date override: %s is given twice", o.Date)
		}
		seen[o.Date] = true
		if err := validateRanges(o.Date.String(), o.Hours); err != nil {
			return err
		}
	}
	for _, c := range s.Closures {
		if !c.From.valid() || !c.To.valid() {
			return Errorf(EInvalid, "closure %s to %s: not a pair of dates", c.From, c.To)
		}
		if c.To.Before(c.From) {
			return Errorf(EInvalid, "closure %s to %s: ends before it starts", c.From, c.To)
		}
	}
	return nil
}

// Open returns the practitioner's open time that overlaps [from, to), as
// sorted intervals in loc, disjoint and not touching: open time that runs on
// without a break, across ranges or across midnight, is one interval.
//
// The rules of s are resolved per local day in loc (see Schedule): a range
// such as 08:30–12:00 keeps its wall-clock times on any day, and a day with a
// daylight-saving change has 23 or 25 hours, so a range 01:00–05:00 lasts 3
// hours of real time on the spring day and 5 on the autumn day.
//
// Intervals are not clipped to [from, to), so that slot starts stay aligned on
// opening times. Open examines the local days from the one of from to the one
// after that of to: an interval is cut only at those days' bounds. It returns
// nil when nothing is open or when from is not before to.
func (s *Schedule) Open(loc *time.Location, from, to time.Time) []Interval {
	if loc == nil || !from.Before(to) {
		return nil
	}
	first := DateOf(from.In(loc))
	last := DateOf(to.In(loc)).AddDays(1)
	fk, lk := first.key(), last.key()

	// The overrides and closures that touch the days examined: usually none
	// or a few, so each day is checked against a short list.
	overrideIn := func(o DateOverride) bool { k := o.Date.key(); return fk <= k && k <= lk }
	closureIn := func(c Closure) bool { return c.From.key() <= lk && fk <= c.To.key() }
	overrides := filter(s.Overrides, overrideIn)
	closures := filter(s.Closures, closureIn)
	var avail []Interval
	if len(s.Available) > 0 {
		avail = Intervals(s.Available).Merge()
	}

	days := int(last.Midnight(time.UTC).Sub(first.Midnight(time.UTC))/(24*time.Hour)) + 1
	perWeek := 0
	for _, rs := range s.Weekly {
		perWeek += len(rs)
	}
	b := intervalBuilder{out: make([]Interval, 0, (days/7+1)*perWeek+len(avail)+len(overrides))}

	var holidays holidayList
	ai := 0 // avail[ai] is the first available interval that may reach the day
	wd := first.Weekday()
	m0 := first.Midnight(loc)
	for d := first; ; {
		next := d.AddDays(1)
		m1 := next.Midnight(loc)
		if o, ok := overrideOn(overrides, d); ok {
			for _, r := range o.Hours {
				b.add(Interval{r.Start.On(d, loc), r.End.On(d, loc)})
			}
		} else if !closedOn(closures, d) && (s.OpenOnHolidays || !holidays.has(d, s.AlsaceMoselle)) {
			// The weekly ranges and the day's part of the available intervals,
			// both sorted, taken in order of start.
			rs := s.Weekly[wd]
			for ai < len(avail) && !avail[ai].End.After(m0) {
				ai++
			}
			ri, aj := 0, ai
			var r Interval // rs[ri] on d
			if len(rs) > 0 {
				r = Interval{rs[0].Start.On(d, loc), rs[0].End.On(d, loc)}
			}
			for ri < len(rs) || (aj < len(avail) && avail[aj].Start.Before(m1)) {
				var a Interval // avail[aj], clipped to d
				haveA := aj < len(avail) && avail[aj].Start.Before(m1)
				if haveA {
					a = avail[aj].Intersect(Interval{m0, m1})
					a.Start, a.End = a.Start.In(loc), a.End.In(loc)
				}
				if ri < len(rs) && (!haveA || r.Start.Before(a.Start)) {
					b.add(r)
					if ri++; ri < len(rs) {
						r = Interval{rs[ri].Start.On(d, loc), rs[ri].End.On(d, loc)}
					}
					continue
				}
				b.add(a)
				aj++
			}
		}
		if d == last {
			break
		}
		d, m0, wd = next, m1, (wd+1)%7
	}

	out := b.result()
	i := 0
	for i < len(out) && !out[i].End.After(from) {
		i++
	}
	j := i
	for j < len(out) && out[j].Start.Before(to) {
		j++
	}
	if i == j {
		return nil
	}
	return out[i:j:j]
}

// filter returns the elements of in for which keep is true, in a slice of its
// own, or nil if there are none.
func filter[T any](in []T, keep func(T) bool) []T {
	n := 0
	for _, x := range in {
		if keep(x) {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	out := make([]T, 0, n)
	for _, x := range in {
		if keep(x) {
			out = append(out, x)
		}
	}
	return out
}

// overrideOn returns the first override of d in os.
func overrideOn(os []DateOverride, d Date) (DateOverride, bool) {
	for _, o := range os {
		if o.Date == d {
			return o, true
		}
	}
	return DateOverride{}, false
}

// closedOn reports whether one of cs covers d.
func closedOn(cs []Closure, d Date) bool {
	for _, c := range cs {
		if c.Covers(d) {
			return true
		}
	}
	return false
}

// intervalBuilder collects intervals into a sorted, disjoint, non-touching
// list (see Intervals.Merge). Intervals added in order of start are merged
// as they come, without a sort; one out of order makes result merge the lot
// with Intervals.Merge.
type intervalBuilder struct {
	out      []Interval
	unsorted bool
}

func (b *intervalBuilder) add(i Interval) {
	if !i.Start.Before(i.End) {
		return
	}
	n := len(b.out)
	switch {
	case n == 0 || b.unsorted:
		b.out = append(b.out, i)
	case i.Start.Before(b.out[n-1].Start):
		b.out = append(b.out, i)
		b.unsorted = true
	case !i.Start.After(b.out[n-1].End):
		if i.End.After(b.out[n-1].End) {
			b.out[n-1].End = i.End
		}
	default:
		b.out = append(b.out, i)
	}
}

func (b *intervalBuilder) result() []Interval {
	if b.unsorted {
		return Intervals(b.out).Merge()
	}
	return b.out
}

// key returns an int that orders dates as Before does.
func (d Date) key() int { return (d.Year*100+int(d.Month))*100 + d.Day }

// valid reports whether d names a day of the calendar (not 2027-02-30).
func (d Date) valid() bool {
	return d.Month >= time.January && d.Month <= time.December && d.Day >= 1 &&
		d == DateOf(time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC))
}
