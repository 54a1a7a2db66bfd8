package recur

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"github.com/rdvlibre/rdv/booking"
)

// Component and property names of RFC 7953 (Calendar Availability).
const (
	compAvailability = "VAVAILABILITY"
	compAvailable    = "AVAILABLE"
	propBusyType     = "BUSYTYPE"
)

// Busy types of a VAVAILABILITY (RFC 7953 section 3.2, BUSYTYPE): what the
// time it covers and no AVAILABLE frees is. For booking, all three close it.
const (
	BusyTypeBusy        = "BUSY"
	BusyTypeUnavailable = "BUSY-UNAVAILABLE" // the default
	BusyTypeTentative   = "BUSY-TENTATIVE"
)

// vavailability is one VAVAILABILITY component as rdv reads it, for a
// window [from, to).
type vavailability struct {
	uid      string
	priority int    // PRIORITY: 1 highest … 9 lowest, 0 undefined (lowest of all)
	busyType string // BUSYTYPE, BusyTypeUnavailable when absent or unknown
	// The time the component covers, [start, end), cut to the window; the
	// whole window when it sets neither DTSTART nor DTEND nor DURATION.
	start, end time.Time
	// The instances of its AVAILABLE subcomponents, cut to [start, end),
	// sorted and merged.
	available []booking.Interval
}

// rank orders priorities from the lowest to the highest: PRIORITY 0 (or
// none, or a value out of range) ranks lowest, then 9, 8, … and 1 highest
// (RFC 7953 section 3.1 and RFC 5545 section 3.8.1.9).
func (v vavailability) rank() int {
	if v.priority < 1 || v.priority > 9 {
		return 0
	}
	return 10 - v.priority
}

// Availability returns what the VAVAILABILITY components of cal (RFC 7953)
// say of [from, to), as booking.OpenTime: Covered is the time some
// VAVAILABILITY covers, Open the time within it when the calendar user is
// available. Intervals are cut to [from, to), sorted and merged. cal is an
// iCalendar object such as the calendar-availability property of a
// scheduling inbox holds (RFC 7953 section 7.2.4), with the VTIMEZONEs its
// TZIDs name.
//
// A VAVAILABILITY covers [DTSTART, DTEND), or DURATION from DTSTART; without
// DTSTART it covers all time before its end, without DTEND and DURATION all
// time after its start. Within it the time is busy, of its BUSYTYPE
// (BUSY-UNAVAILABLE by default; BUSY and BUSY-TENTATIVE are busy too for a
// booking), except during the instances of its AVAILABLE subcomponents, cut
// to the time it covers. An AVAILABLE is read like a VEVENT (see
// Instances): DTSTART with DTEND or DURATION, RRULE, RDATE, EXDATE,
// RECURRENCE-ID overrides, TZID resolved with the object's VTIMEZONE, and
// floating times in e.Location.
//
// Several VAVAILABILITY components combine by PRIORITY (RFC 7953 section 4):
// from the lowest (0, or none) to the highest (9, then 8, up to 1), each
// replaces over the whole time it covers what the lower ones say there.
// Components of equal priority form one layer: its time is available where
// one of them has an AVAILABLE instance, so their order in the object does
// not matter.
//
// Like Expand, Availability never fails as a whole: a component it cannot
// read in part is used for what could be read, with an error that says what
// was wrong; one without usable bounds covers nothing.
func (e Expander) Availability(cal *ical.Calendar, from, to time.Time) (booking.OpenTime, error) {
	if cal == nil || !from.Before(to) {
		return booking.OpenTime{}, nil
	}
	vs, err := e.vavailabilities(cal, from, to)
	return combineAvailability(vs), err
}

// vavailabilities reads the VAVAILABILITY components of cal for [from, to).
func (e Expander) vavailabilities(cal *ical.Calendar, from, to time.Time) ([]vavailability, error) {
	loc := e.Location
	if loc == nil {
		loc = time.UTC
	}
	var zones []*ical.Component
	for _, c := range cal.Children {
		if c.Name == ical.CompTimezone {
			zones = append(zones, c)
		}
	}
	p := newTimeParser(cal, loc)
	var out []vavailability
	var errs []error
	for _, c := range cal.Children {
		if c.Name != compAvailability {
			continue
		}
		v, err := e.vavailability(p, c, zones, from, to)
		if err != nil {
			errs = append(errs, fmt.Errorf("VAVAILABILITY %q: %w", truncate(v.uid, 60), err))
		}
		if v.start.Before(v.end) {
			out = append(out, v)
		}
	}
	return out, errors.Join(errs...)
}

// vavailability reads one VAVAILABILITY component for [from, to). A result
// whose start is not before its end covers nothing of the window.
func (e Expander) vavailability(p *timeParser, c *ical.Component, zones []*ical.Component, from, to time.Time) (vavailability, error) {
	v := vavailability{busyType: BusyTypeUnavailable, start: from, end: to}
	if prop := c.Props.Get(ical.PropUID); prop != nil {
		v.uid = strings.TrimSpace(prop.Value)
	}
	if prop := c.Props.Get(ical.PropPriority); prop != nil {
		v.priority, _ = strconv.Atoi(strings.TrimSpace(prop.Value))
	}
	if prop := c.Props.Get(propBusyType); prop != nil {
		switch bt := strings.ToUpper(strings.TrimSpace(prop.Value)); bt {
		case BusyTypeBusy, BusyTypeTentative:
			v.busyType = bt
		}
	}

	// The bounds. Unreadable ones make the component cover nothing: rdv
	// can't tell where it applies.
	var errs []error
	start, hasStart, err := p.prop(c.Props, ical.PropDateTimeStart)
	if err != nil {
		v.end = v.start
		return v, err
	}
	if hasStart {
		v.clip(start.time(), v.end)
	}
	switch {
	case hasStart:
		sp, ok, err := p.eventSpan(c, start)
		if err != nil {
			v.end = v.start
			return v, err
		}
		if ok {
			v.clip(v.start, time.Unix(sp.end(start.w, start.z), 0))
		}
	case c.Props.Get(ical.PropDateTimeEnd) != nil:
		end, _, err := p.prop(c.Props, ical.PropDateTimeEnd)
		if err != nil {
			v.end = v.start
			return v, err
		}
		v.clip(v.start, end.time())
	case c.Props.Get(ical.PropDuration) != nil:
		errs = append(errs, errors.New("recur: DURATION without DTSTART: taken as unbounded"))
	}
	v.start, v.end = v.start.In(e.location()), v.end.In(e.location())
	if !v.start.Before(v.end) {
		return v, errors.Join(errs...)
	}

	// The AVAILABLE subcomponents, read as VEVENTs of an object of their own
	// that has the VTIMEZONEs of the whole.
	children := slices.Clip(zones)
	for _, a := range c.Children {
		if a.Name == compAvailable {
			children = append(children, &ical.Component{Name: ical.CompEvent, Props: a.Props, Children: nil})
		}
	}
	if len(children) == len(zones) {
		return v, errors.Join(errs...)
	}
	obj := &ical.Calendar{Component: &ical.Component{Name: ical.CompCalendar, Children: children}}
	inst, err := e.Instances(obj, v.start, v.end)
	if err != nil {
		errs = append(errs, err)
	}
	spans := make(booking.Intervals, 0, len(inst))
	for _, in := range inst {
		spans = append(spans, booking.Interval{Start: in.Start, End: in.End}.Intersect(booking.Interval{Start: v.start, End: v.end}))
	}
	v.available = spans.Merge()
	return v, errors.Join(errs...)
}

func (e Expander) location() *time.Location {
	if e.Location == nil {
		return time.UTC
	}
	return e.Location
}

// combineAvailability combines components by priority (see
// Expander.Availability).
func combineAvailability(vs []vavailability) booking.OpenTime {
	if len(vs) == 0 {
		return booking.OpenTime{}
	}
	vs = slices.Clone(vs)
	slices.SortStableFunc(vs, func(a, b vavailability) int { return a.rank() - b.rank() })
	var open, covered booking.Intervals
	for i := 0; i < len(vs); {
		j := i
		var ranges, free booking.Intervals
		for ; j < len(vs) && vs[j].rank() == vs[i].rank(); j++ {
			ranges = append(ranges, booking.Interval{Start: vs[j].start, End: vs[j].end})
			free = append(free, vs[j].available...)
		}
		ranges = ranges.Merge()
		open = append(open.Subtract(ranges), free...).Merge()
		covered = append(covered, ranges...).Merge()
		i = j
	}
	return booking.OpenTime{Open: open, Covered: covered}
}

// clip narrows v's bounds to [start, end).
func (v *vavailability) clip(start, end time.Time) {
	b := booking.Interval{Start: v.start, End: v.end}.Intersect(booking.Interval{Start: start, End: end})
	v.start, v.end = b.Start, b.End
}
