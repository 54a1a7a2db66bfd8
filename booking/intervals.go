package booking

import (
	"slices"
	"time"
)

// The interval algebra of rdv: half-open spans of time and the operations
// on sets of them that open time, busy time and availability need. Every
// package that works on intervals uses these, so that an edge case (two
// intervals that touch, an empty one) is decided once.

// Interval is a half-open span of time [Start, End).
type Interval struct {
	Start, End time.Time
}

// Empty reports whether i holds no instant: End is not after Start.
func (i Interval) Empty() bool { return !i.Start.Before(i.End) }

// Overlaps reports whether i and j share an instant.
func (i Interval) Overlaps(j Interval) bool {
	return i.Start.Before(j.End) && j.Start.Before(i.End)
}

// Intersect returns the part of i that lies in j; it is Empty when they do
// not overlap. Its times are those of i and j as given (their locations
// kept).
func (i Interval) Intersect(j Interval) Interval {
	if j.Start.After(i.Start) {
		i.Start = j.Start
	}
	if j.End.Before(i.End) {
		i.End = j.End
	}
	return i
}

// Cover returns the smallest interval that covers both i and j.
func (i Interval) Cover(j Interval) Interval {
	if j.Start.Before(i.Start) {
		i.Start = j.Start
	}
	if j.End.After(i.End) {
		i.End = j.End
	}
	return i
}

// Intervals is a set of intervals. Its methods take intervals in any
// order, possibly overlapping or empty, unless they say otherwise, and
// return them merged: sorted by start, disjoint, not touching, none empty,
// nil for the empty set. They never change their receiver or arguments.
type Intervals []Interval

// Merged reports whether s is already as Merge returns it.
func (s Intervals) Merged() bool {
	for k, i := range s {
		if i.Empty() || k > 0 && !s[k-1].End.Before(i.Start) {
			return false
		}
	}
	return true
}

// Merge returns the union of s: intervals that overlap or touch become one,
// empty ones are dropped.
func (s Intervals) Merge() Intervals {
	out := make(Intervals, 0, len(s))
	for _, i := range s {
		if !i.Empty() {
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
	if n == 0 {
		return nil
	}
	return out[:n:n]
}

// merged returns s merged, without a copy when it already is.
func (s Intervals) merged() Intervals {
	if s.Merged() {
		return s
	}
	return s.Merge()
}

// Subtract returns the parts of s that no interval of b covers.
func (s Intervals) Subtract(b Intervals) Intervals {
	a := s.merged()
	b = b.merged()
	var out Intervals
	j := 0
	for _, iv := range a {
		start := iv.Start
		for j < len(b) && !b[j].End.After(start) {
			j++
		}
		for k := j; k < len(b) && b[k].Start.Before(iv.End); k++ {
			if b[k].Start.After(start) {
				out = append(out, Interval{start, b[k].Start})
			}
			if b[k].End.After(start) {
				start = b[k].End
			}
		}
		if start.Before(iv.End) {
			out = append(out, Interval{start, iv.End})
		}
	}
	return out
}

// Intersect returns the time that both s and b cover.
func (s Intervals) Intersect(b Intervals) Intervals {
	a := s.merged()
	b = b.merged()
	var out Intervals
	for i, j := 0, 0; i < len(a) && j < len(b); {
		if x := a[i].Intersect(b[j]); !x.Empty() {
			out = append(out, x)
		}
		if a[i].End.Before(b[j].End) {
			i++
		} else {
			j++
		}
	}
	return out
}

// Clip returns the part of s that lies in w.
func (s Intervals) Clip(w Interval) Intervals {
	return s.Intersect(Intervals{w})
}
