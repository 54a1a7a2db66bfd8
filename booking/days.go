package booking

import (
	"context"
	"time"
)

// DayState says what a local day holds for a patient choosing a day.
type DayState string

const (
	DayFree   DayState = "free"   // at least one free slot
	DayFull   DayState = "full"   // open, but every slot is taken
	DayClosed DayState = "closed" // no open time (weekly hours, closure, holiday)
	DayPast   DayState = "past"   // over, or too soon for the type's minimum notice
	DayLater  DayState = "later"  // beyond the type's booking horizon: not open for booking yet
)

// Day is one local day of a practitioner for an appointment type: its free
// slots, and, when it has none, why.
type Day struct {
	Date  Date
	State DayState
	Slots []Slot
}

// MaxDays is the longest span of days Days and RescheduleDays answer for.
const MaxDays = 42

// Days returns the local days [from, to) of the practitioner for the type,
// each with its free slots or the reason it has none. The reason tells
// nothing of the busy events: a day is "full" whatever fills it.
func (s *Service) Days(ctx context.Context, practitionerID, typeID string, from, to Date) ([]Day, error) {
	e, t, err := s.entryAndType(practitionerID, typeID)
	if err != nil {
		return nil, err
	}
	return s.days(ctx, e, t, from, to, "", time.Time{})
}

// RescheduleDays is Days for moving the booking that token opens: its own
// time does not count as busy and its current start is not offered.
// ENotFound for an unknown token.
func (s *Service) RescheduleDays(ctx context.Context, token string, from, to Date) ([]Day, error) {
	a, err := s.BookingByToken(ctx, token)
	if err != nil {
		return nil, err
	}
	return s.days(ctx, s.byID[a.Practitioner.ID], a.Type, from, to, a.Booking.ID, a.Booking.Start)
}

func (s *Service) days(ctx context.Context, e *entry, t *AppointmentType, from, to Date, exclude string, skip time.Time) ([]Day, error) {
	if !from.Before(to) {
		return nil, Errorf(EInvalid, "the span of days is empty: 'to' must be after 'from'")
	}
	loc := e.p.Location
	// Counted in days: a day lasts 23 to 25 hours, 22 to 26 where the
	// clocks change by two (Antarctica/Troll).
	if from.AddDays(MaxDays).Before(to) {
		return nil, Errorf(EInvalid, "the span of days is too long: at most %d days", MaxDays)
	}
	now := s.now()
	earliest, latest := now.Add(t.MinNotice), now.Add(t.horizon()).Add(time.Nanosecond)
	slots, open, err := s.slotsAndOpen(ctx, e, t, from.Midnight(loc), to.Midnight(loc), exclude, true)
	if err != nil {
		return nil, err
	}
	var days []Day
	for d := from; d.Before(to); d = d.AddDays(1) {
		start, end := d.Midnight(loc), d.AddDays(1).Midnight(loc)
		day := Day{Date: d}
		for len(slots) > 0 && slots[0].Start.Before(end) {
			if !slots[0].Start.Equal(skip) {
				day.Slots = append(day.Slots, slots[0])
			}
			slots = slots[1:]
		}
		// The part of the day that could hold a slot.
		lo, hi := maxTime(start, earliest), minTime(end, latest)
		switch {
		case len(day.Slots) > 0:
			day.State = DayFree
		case !end.After(earliest):
			day.State = DayPast
		case !start.Before(latest):
			day.State = DayLater
		case lo.Before(hi) && overlapsAny(open, lo, hi):
			day.State = DayFull
		case overlapsAny(open, start, lo):
			day.State = DayPast // its open hours are over, or inside the notice
		case overlapsAny(open, maxTime(start, latest), end):
			day.State = DayLater // its open hours come after the horizon's end
		default:
			day.State = DayClosed
		}
		days = append(days, day)
	}
	return days, nil
}

func overlapsAny(ivs []Interval, from, to time.Time) bool {
	for _, iv := range ivs {
		if iv.Start.Before(to) && from.Before(iv.End) {
			return true
		}
	}
	return false
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
