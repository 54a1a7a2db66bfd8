package booking

import (
	"cmp"
	"slices"
	"time"
)

// Slot is a bookable span [Start, End), in the practitioner's time zone.
type Slot struct {
	Start, End time.Time
}

// SlotQuery is everything the slot engine needs. It holds no clock and no I/O:
// Now is the instant against which notice and horizon are measured.
type SlotQuery struct {
	Location *time.Location   // the practitioner's zone: slots are given in it, and starts realign at its midnights
	Open     []Interval       // open time, in any order, possibly overlapping (see Schedule.Open)
	Type     *AppointmentType // duration, step, buffers, notice, horizon
	Busy     []Interval       // busy time, in any order, possibly overlapping
	From, To time.Time        // the window: slots that start in [From, To)
	Now      time.Time
	// Held is the time held by bookings of Type itself, one interval per
	// booking, each exactly the booking's [start, end). Bookings with the
	// same interval share a slot: while fewer than Type's capacity hold it,
	// that slot stays free (the others that overlap it do not); once full it
	// is busy like any other time. With a capacity of 1, Held is busy time.
	Held []Interval
	// Quotas cap the bookings of a local day (in Location): a slot that
	// starts on a day that has reached the Max of one of them is not free.
	// Their counts must hold every booking of the days the window touches,
	// not only those in the window.
	Quotas []DayQuota
}

// DayQuota caps how many bookings one local day may hold (the appointment
// type's MaxPerDay, the practitioner's MaxBookingsPerDay), with how many
// each day already holds.
type DayQuota struct {
	Max    int          // the most bookings a day may hold; 0 (or less) for no cap
	Booked map[Date]int // the bookings that count against Max, by the local date of their start
}

// reached reports whether any of quotas is reached on day d.
func reached(quotas []DayQuota, d Date) bool {
	for _, q := range quotas {
		if q.Max > 0 && q.Booked[d] >= q.Max {
			return true
		}
	}
	return false
}

// Slots returns the free slots of q, sorted by start.
//
// Open time is first merged, so that intervals that overlap or touch (an
// extra opening right after the weekly hours, an opening that runs past
// midnight) form one open interval. A slot is free iff it lies inside one open
// interval, the span [start−BufferBefore, end+BufferAfter) overlaps no busy
// interval, start ≥ Now + MinNotice, start ≤ Now + Horizon, and no quota of
// q is reached on the local day of start (see SlotQuery.Quotas). A slot whose
// exact span is held by fewer bookings than the type's capacity is free as
// far as those bookings go (see SlotQuery.Held).
//
// Candidate starts are the open interval's start plus whole multiples of the
// step, counted again from each local midnight the interval runs across: a
// start depends only on the open time of its own local day, never on how far
// back the open time given in q reaches. Starts are computed on instants, so
// open time that crosses a daylight-saving change yields neither a doubled nor
// a missing slot. Slots returns nil for an empty or inverted window.
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
	open := Intervals(q.Open).merged()
	full, shared := heldSpans(q.Held, t.capacity(), from)
	busy := mergeSpans(slices.Concat(q.Busy, full), from)
	step := t.step()
	loc := q.Location

	// Candidates are walked as offsets from from: integers, cheap to compare.
	toOff, latestOff := to.Sub(from), latest.Sub(from)
	out := make([]Slot, 0, maxSlots(open, from, to, step))
	bi := 0              // busy[bi] is the first busy span that may still matter
	var dayEnd time.Time // the local midnight that ends the day of the current anchor
	var dayFull bool     // a quota of q is reached on that day
	for _, run := range open {
		runEnd := run.End.Sub(from)
		if runEnd < t.Duration {
			continue // too early to hold a slot starting at from or later
		}
		if !run.Start.Before(to) || run.Start.After(latest) {
			break
		}
		for anchor := run.Start; anchor.Before(run.End); {
			if !anchor.Before(dayEnd) {
				y, m, d := anchor.In(loc).Date()
				dayEnd = time.Date(y, m, d+1, 0, 0, 0, 0, loc)
				dayFull = reached(q.Quotas, Date{y, m, d})
			}
			segEnd := Interval{anchor, run.End}.Intersect(Interval{anchor, dayEnd}).End // starts counted from anchor lie before segEnd
			if dayFull {
				anchor = segEnd
				continue
			}
			start := anchor
			if start.Before(from) {
				late := from.Sub(start)
				k := late / step
				if late%step != 0 {
					k++
				}
				start = start.Add(k * step)
			}
			segEndOff := segEnd.Sub(from)
			for off := start.Sub(from); off < segEndOff; off += step {
				endOff := off + t.Duration
				if endOff > runEnd || off >= toOff || off > latestOff {
					break
				}
				needStart, needEnd := off-t.BufferBefore, endOff+t.BufferAfter
				for bi < len(busy) && busy[bi].end <= needStart {
					bi++
				}
				if bi < len(busy) && busy[bi].start < needEnd {
					continue
				}
				if len(shared) > 0 && sharedBlocks(shared, off, endOff, needStart, needEnd) {
					continue
				}
				out = append(out, Slot{from.Add(off).In(loc), from.Add(endOff).In(loc)})
			}
			anchor = segEnd
		}
	}
	return out
}

// heldSpans groups held intervals by exact span: those held capacity times or
// more are returned as full intervals (busy time), the others as spans from
// base, sorted, that only their own slot may join.
func heldSpans(held []Interval, capacity int, base time.Time) (full []Interval, shared []span) {
	if len(held) == 0 {
		return nil, nil
	}
	count := make(map[span]int, len(held))
	for _, i := range held {
		if i.Start.Before(i.End) {
			count[span{i.Start.Sub(base), i.End.Sub(base)}]++
		}
	}
	for sp, n := range count {
		if n >= capacity {
			full = append(full, Interval{base.Add(sp.start), base.Add(sp.end)})
		} else {
			shared = append(shared, sp)
		}
	}
	slices.SortFunc(shared, func(a, b span) int { return cmp.Compare(a.start, b.start) })
	return full, shared
}

// sharedBlocks reports whether a shared span other than the candidate's own
// [off, endOff) overlaps what the candidate needs free, [needStart, needEnd).
func sharedBlocks(shared []span, off, endOff, needStart, needEnd time.Duration) bool {
	for _, sp := range shared {
		if sp.start >= needEnd {
			break
		}
		if sp.end > needStart && (sp.start != off || sp.end != endOff) {
			return true
		}
	}
	return false
}

// maxSlots returns an upper bound, close when little time is busy, on the
// number of slots that open, merged, holds in [from, to).
func maxSlots(open Intervals, from, to time.Time, step time.Duration) int {
	n := 0
	for _, i := range open {
		if c := i.Intersect(Interval{from, to}); !c.Empty() {
			n += int(c.End.Sub(c.Start)/step) + 2 // + 2: a start realigned at a midnight
		}
	}
	return n
}

// IsSlot reports whether [start, start+duration) is one of the slots of q. The
// window of q is ignored; q.Open must cover the local days of the candidate,
// as Schedule.Open(loc, start, start+duration) does.
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

// span is an interval as offsets from a base instant: cheaper to sort and
// compare than a pair of time.Time, which matters for thousands of busy
// intervals. Offsets saturate at about ±292 years from the base (time.Time.Sub),
// which keeps their order.
type span struct {
	start, end time.Duration
}

// mergeSpans returns the union of in as sorted, disjoint spans from base:
// Intervals.Merge on offsets, for the busy time of the slot engine, where
// thousands of intervals make time.Time comparisons show. Empty and
// inverted intervals are dropped.
func mergeSpans(in []Interval, base time.Time) []span {
	out := make([]span, 0, len(in))
	for _, i := range in {
		if i.Start.Before(i.End) {
			out = append(out, span{i.Start.Sub(base), i.End.Sub(base)})
		}
	}
	slices.SortFunc(out, func(a, b span) int { return cmp.Compare(a.start, b.start) })
	n := 0
	for _, s := range out {
		if n > 0 && s.start <= out[n-1].end {
			out[n-1].end = max(out[n-1].end, s.end)
			continue
		}
		out[n] = s
		n++
	}
	return out[:n]
}
