package recur

import (
	"math"
	"sync"
	"time"
)

// wall is a reading of a clock: the seconds since 1970-01-01T00:00:00 of
// that clock, counted as if it were UTC. Calendar arithmetic (next day, next
// month, the third Monday) works on wall times without a zone; a zone turns
// one into an instant (see zone.instant).
type wall int64

const secondsPerDay = 86400

func wallOf(y int, m time.Month, d, hh, mm, ss int) wall {
	return wall(time.Date(y, m, d, hh, mm, ss, 0, time.UTC).Unix())
}

// wallOfTime returns the reading of t's clock.
func wallOfTime(t time.Time) wall {
	_, off := t.Zone()
	return wall(t.Unix() + int64(off))
}

func (w wall) day() int64       { return floorDiv(int64(w), secondsPerDay) }
func (w wall) secOfDay() int64  { return int64(w) - w.day()*secondsPerDay }
func (w wall) utc() time.Time   { return time.Unix(int64(w), 0).UTC() }
func wallOfDay(day int64) wall  { return wall(day * secondsPerDay) }
func weekdayOf(day int64) int   { return int(floorMod(day+4, 7)) } // 1970-01-01 was a Thursday
func isLeap(y int) bool         { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }
func floorMod(a, b int64) int64 { return a - floorDiv(a, b)*b }

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func daysIn(y int, m time.Month) int {
	switch m {
	case time.February:
		if isLeap(y) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

func daysInYear(y int) int {
	if isLeap(y) {
		return 366
	}
	return 365
}

// civilDay is one day of the proleptic Gregorian calendar with the fields
// the recurrence rules look at, advanced one day at a time without a call
// into package time.
type civilDay struct {
	z        int64 // days since 1970-01-01
	y        int
	m        time.Month
	d        int
	yday     int // 1-based
	wd       int // time.Weekday
	dim, diy int // days in the month, in the year
}

func civilDayOf(z int64) civilDay {
	t := time.Unix(z*secondsPerDay, 0).UTC()
	y, m, d := t.Date()
	return civilDay{z: z, y: y, m: m, d: d, yday: t.YearDay(), wd: int(t.Weekday()), dim: daysIn(y, m), diy: daysInYear(y)}
}

func (c *civilDay) next() {
	c.z++
	c.wd = (c.wd + 1) % 7
	c.yday++
	c.d++
	if c.d <= c.dim {
		return
	}
	c.d = 1
	c.m++
	if c.m > time.December {
		c.m = time.January
		c.y++
		c.yday = 1
		c.diy = daysInYear(c.y)
	}
	c.dim = daysIn(c.y, c.m)
}

// zone reads the wall times of one time zone as instants, following RFC 5545
// section 3.3.5: a wall time that occurs twice (when clocks go back) is the
// first of the two instants, and one that does not occur (when clocks go
// forward) is read with the UTC offset in force before the gap, so 02:30 on
// the day Paris moves from 02:00 to 03:00 is 03:30 summer time. (time.Date
// leaves both cases unspecified, and in practice picks the second instant
// and, in some zones, the hour before a gap.)
//
// A zone remembers the last stretch of constant offset it used, so that
// reading the instances of a series costs no zone lookup most of the time.
// It is not safe for concurrent use.
type zone struct {
	loc        *time.Location
	fixed      bool  // the offset never changes
	off        int64 // the offset of the remembered stretch (or the fixed one)
	safeFrom   int64 // instants in [safeFrom, safeTo) have offset off, and a
	safeTo     int64 // wall time read there has no other reading
	hasStretch bool
}

func newZone(loc *time.Location) *zone {
	z := zoneOfLocation(loc, false)
	return &z
}

// zoneOfLocation returns a new zone of loc, as a value. With remember, what
// it learns of loc is kept for the next objects (see zoneStarts).
func zoneOfLocation(loc *time.Location, remember bool) zone {
	zoneStarts.RLock()
	z, ok := zoneStarts.m[loc]
	zoneStarts.RUnlock()
	if ok {
		return z
	}
	z = zone{loc: loc}
	start, end := time.Unix(0, 0).In(loc).ZoneBounds()
	if start.IsZero() && end.IsZero() {
		_, off := time.Unix(0, 0).In(loc).Zone()
		z.fixed, z.off = true, int64(off)
	}
	if remember {
		zoneStarts.Lock()
		if zoneStarts.m == nil || len(zoneStarts.m) >= maxZoneStarts {
			zoneStarts.m = map[*time.Location]zone{}
		}
		zoneStarts.m[loc] = z
		zoneStarts.Unlock()
	}
	return z
}

// zoneStarts holds a new zone of the locations met most, so that the
// expansion of an object does not look again at whether the practitioner's
// zone, or an event's, is fixed: the practitioner's zone, and those of
// IANA names (which loadZone keeps anyway), not those compiled from
// VTIMEZONEs. It is emptied when full.
var zoneStarts struct {
	sync.RWMutex
	m map[*time.Location]zone
}

const maxZoneStarts = 256

var utcZone = newZone(time.UTC)

// instant returns the instant (Unix seconds) of a wall time of the zone.
func (z *zone) instant(w wall) int64 {
	if z.fixed {
		return int64(w) - z.off
	}
	if z.hasStretch {
		if u := int64(w) - z.off; u >= z.safeFrom && u < z.safeTo {
			return u
		}
	}
	return z.slowInstant(w)
}

// time returns the time.Time of a wall time of the zone.
func (z *zone) time(w wall) time.Time {
	return time.Unix(z.instant(w), 0).In(z.loc)
}

// wallAt returns the wall time of the zone at instant u.
func (z *zone) wallAt(u int64) wall {
	if z.fixed {
		return wall(u + z.off)
	}
	_, off := time.Unix(u, 0).In(z.loc).Zone()
	return wall(u + int64(off))
}

// offsets returns the least and the greatest UTC offset of the zone within
// a day of instant u.
func (z *zone) offsets(u int64) (lo, hi int64) {
	if z.fixed {
		return z.off, z.off
	}
	lo, hi = math.MaxInt64, math.MinInt64
	for _, t := range [...]int64{u - secondsPerDay, u, u + secondsPerDay} {
		off := int64(offsetAt(z.loc, t))
		lo, hi = min(lo, off), max(hi, off)
	}
	return lo, hi
}

// slowInstant looks at every stretch of constant offset within two days of
// w (offsets differ by less than a day) for the instants whose reading is
// w, and applies RFC 5545's rules to what it finds.
func (z *zone) slowInstant(w wall) int64 {
	const margin = 2 * secondsPerDay
	var (
		found, gap, havePrev bool
		best, gapAt          int64
		prevEnd, prevOff     int64
		bestStart, bestEnd   int64
		bestOff              int64
		from                 = int64(w) - margin
	)
	for range 16 {
		t := time.Unix(from, 0).In(z.loc)
		_, o := t.Zone()
		off := int64(o)
		s, e := t.ZoneBounds()
		start, end := int64(math.MinInt64), int64(math.MaxInt64)
		if !s.IsZero() {
			start = s.Unix()
		}
		if !e.IsZero() {
			end = e.Unix()
		}
		if u := int64(w) - off; u >= start && u < end && (!found || u < best) {
			found, best = true, u
			bestStart, bestEnd, bestOff = start, end, off
		}
		if havePrev && !gap && prevEnd == start && int64(w) >= start+prevOff && int64(w) < start+off {
			gap, gapAt = true, int64(w)-prevOff
		}
		if end == math.MaxInt64 || end > int64(w)+margin {
			break
		}
		havePrev, prevEnd, prevOff = true, end, off
		from = end
	}
	switch {
	case found:
		z.hasStretch, z.off = true, bestOff
		z.safeFrom, z.safeTo = satAdd(bestStart, secondsPerDay), satAdd(bestEnd, -secondsPerDay)
		return best
	case gap:
		return gapAt
	default:
		// No reading found (a zone whose stretches are shorter than the
		// loop allows): what package time says.
		return int64(w) - int64(offsetAt(z.loc, int64(w)))
	}
}

func offsetAt(loc *time.Location, u int64) int {
	_, off := time.Unix(u, 0).In(loc).Zone()
	return off
}

// satAdd adds d to a bound, leaving the infinite bounds infinite.
func satAdd(a, d int64) int64 {
	if a == math.MinInt64 || a == math.MaxInt64 {
		return a
	}
	return a + d
}
