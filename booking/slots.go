package booking

import (
	"slices"
	"time"
)

// Interval is a half-open span of time [Start, End).
type Interval struct {
	Start, End time.Time
}

// Overlaps reports whether i and j share an instant.
func (i Interval) Overlaps(j Interval) bool {
	return i.Start.Before(j.End) && j.Start.Before(i.End)
}

// Slot is a bookable span [Start, End), in the practitioner's time zone.
type Slot struct {
	Start, End time.Time
}

// SlotQuery is everything the slot engine needs. It holds no clock and no I/O:
// Now is the instant against which notice and horizon are measured.
type SlotQuery struct {
	Location *time.Location   // the practitioner's zone; opening hours are read in it
	Hours    WeeklyHours      // opening hours
	Type     *AppointmentType // duration, step, buffers, notice, horizon
	Busy     []Interval       // busy time, in any order, possibly overlapping
	From, To time.Time        // the window: slots that start in [From, To)
	Now      time.Time
}

// Slots returns the free slots of q, sorted by start.
//
// A slot is free iff it lies inside one opening range of its local day, the span
// [start−BufferBefore, end+BufferAfter) overlaps no busy interval, start ≥ Now +
// MinNotice and start ≤ Now + Horizon. Candidate starts are the range's opening
// time plus whole multiples of the step; they are computed on instants, so a
// range that crosses a daylight-saving change yields neither a doubled nor a
// missing slot. Slots returns nil for an empty or inverted window.
func Slots(q SlotQuery) []Slot {
	t := q.Type
	if t == nil || q.Location == nil || !q.From.Before(q.To) || t.Duration <= 0 {
		return nil
	}
	from := q.From
	if earliest := q.Now.Add(t.MinNotice); earliest.After(from) {
		from = earliest
	}
	latest := q.Now.Add(t.horizon()) // inclusive bound on starts
	to := q.To
	if !from.Before(to) || latest.Before(from) {
		return nil
	}
	busy := mergeIntervals(q.Busy)
	step := t.step()

	var out []Slot
	bi := 0 // busy[bi] is the first busy interval that may still matter
	day := DateOf(from.In(q.Location))
	last := DateOf(to.In(q.Location))
	for ; !last.Before(day); day = day.AddDays(1) {
		for _, r := range q.Hours[day.Weekday()] {
			open := r.Start.On(day, q.Location)
			close := r.End.On(day, q.Location)
			for start := open; ; start = start.Add(step) {
				end := start.Add(t.Duration)
				if end.After(close) || !start.Before(to) || start.After(latest) {
					break
				}
				if start.Before(from) {
					continue
				}
				need := Interval{start.Add(-t.BufferBefore), end.Add(t.BufferAfter)}
				for bi < len(busy) && !busy[bi].End.After(need.Start) {
					bi++
				}
				if bi < len(busy) && busy[bi].Start.Before(need.End) {
					continue
				}
				out = append(out, Slot{start.In(q.Location), end.In(q.Location)})
			}
		}
	}
	return out
}

// IsSlot reports whether [start, start+duration) is one of the slots of q. The
// window of q is ignored: the candidate's own local day is examined.
func IsSlot(q SlotQuery, start time.Time) bool {
	q.From = start
	q.To = start.Add(time.Nanosecond)
	for _, s := range Slots(q) {
		if s.Start.Equal(start) {
			return true
		}
	}
	return false
}

// mergeIntervals returns the union of in as sorted, disjoint intervals. Empty
// and inverted intervals are dropped.
func mergeIntervals(in []Interval) []Interval {
	out := make([]Interval, 0, len(in))
	for _, i := range in {
		if i.Start.Before(i.End) {
			out = append(out, i)
		}
	}
	slices.SortFunc(out, func(a, b Interval) int { return a.Start.Compare(b.Start) })
	n := 0
	for _, i := range out {
		if n > 0 && !i.Start.After(out[n-1].End) {
			if i.End.After(out[n-1].End) {
				out[n-1].End = i.End
			}
			continue
		}
		out[n] = i
		n++
	}
	return out[:n]
}
