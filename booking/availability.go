package booking

import (
	"context"
	"slices"
	"time"
)

// OpenTime is open time that the practitioner keeps on their calendar server
// rather than in rdv's configuration, as read for a window of time: the
// events of an availability calendar, or working hours (RFC 7953
// VAVAILABILITY). See AvailabilitySource.
type OpenTime struct {
	// Open is open time given as instants, in any order, possibly
	// overlapping. It adds to the weekly template (see Schedule.Available).
	Open []Interval
	// Covered is the time over which the source, rather than the weekly
	// template, says when the practitioner is open: within it the
	// practitioner is open during Open and at no other time, as if the
	// weekly template were empty; outside it the weekly template holds and
	// Open adds to it. Nil when the source only adds open time.
	Covered []Interval
}

// AvailabilitySource is what a Calendar also implements when the
// practitioner keeps open time on the calendar server. The Service looks for
// it on each practitioner's Calendar with a type assertion; a Calendar that
// does not implement it, or answers ok false, leaves the configured Schedule
// as it is. Implementations: caldav.Calendar; for tests,
// internal/bookingtest.Calendar.
//
// For each slot query, booking and move, the Service reads the open time for
// the local days the query needs and merges it into a copy of the
// practitioner's Schedule (Schedule.Available, and the weekly template only
// outside OpenTime.Covered): date overrides, closures (configured or added
// with AddClosure) and public holidays still rule their days, as Schedule
// says.
type AvailabilitySource interface {
	// Availability returns the open time that overlaps [from, to); it may
	// return more, and cut intervals at from or to. ok is false when no
	// source of open time is configured. When a source cannot be read the
	// error is EUnavailable: the Service then answers no slot at all rather
	// than slots computed without it.
	Availability(ctx context.Context, from, to time.Time) (open OpenTime, ok bool, err error)
}

// withAvailability returns sch, a copy of the practitioner's Schedule for
// [from, to), with the open time of e's AvailabilitySource merged in, read
// for the local days Schedule.Open examines for [from, to) and a day more on
// each side, so that no interval is cut where it matters.
func (s *Service) withAvailability(ctx context.Context, e *entry, sch Schedule, from, to time.Time) (Schedule, error) {
	src, ok := e.cal.(AvailabilitySource)
	if !ok {
		return sch, nil
	}
	loc := e.p.Location
	wf := DateOf(from.In(loc)).AddDays(-1).Midnight(loc)
	wt := DateOf(to.In(loc)).AddDays(3).Midnight(loc)
	ot, ok, err := src.Availability(ctx, wf, wt)
	if err != nil {
		if ErrorCode(err) != EUnavailable {
			err = WrapError(EUnavailable, err, "the practitioner's open time can't be read from the calendar")
		}
		return Schedule{}, err
	}
	if !ok {
		return sch, nil
	}
	avail := slices.Clip(sch.Available)
	if len(ot.Covered) > 0 {
		// The weekly template holds only outside the covered time: its open
		// time there becomes instants, and the template is cleared.
		weekly := (&Schedule{Weekly: sch.Weekly, OpenOnHolidays: true}).Open(loc, wf, wt)
		avail = append(avail, Intervals(weekly).Subtract(ot.Covered)...)
		sch.Weekly = WeeklyHours{}
	}
	sch.Available = append(avail, ot.Open...)
	return sch, nil
}

// rulesOpen returns the open time around a slot of t that starts at start,
// by the configured Schedule and the calendar's AvailabilitySource, without
// the closures added at runtime: whether start is a slot at all.
func (s *Service) rulesOpen(ctx context.Context, e *entry, t *AppointmentType, start time.Time) ([]Interval, error) {
	end := start.Add(t.Duration)
	sch, err := s.withAvailability(ctx, e, e.p.Schedule, start, end)
	if err != nil {
		return nil, err
	}
	return sch.Open(e.p.Location, start, end), nil
}
