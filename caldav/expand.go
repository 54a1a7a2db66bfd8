package caldav

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"github.com/rdvlibre/rdv/booking"
)

// Instance is one occurrence of an event of a calendar object.
type Instance struct {
	Start, End time.Time       // [Start, End); End equals Start for an event with no length
	Event      *ical.Component // the VEVENT it comes from: the master or an override
}

// Expand returns the busy time of the events of cal that overlaps [from, to),
// sorted by start: the instances of every VEVENT that is neither
// TRANSP:TRANSPARENT nor STATUS:CANCELLED, recurrences expanded by rdv itself
// (RFC 5545 section 3.8.5), whatever a server may have filtered. loc is the
// practitioner's zone, in which floating times and dates are read.
//
// See Instances for the rules. Expand never fails as a whole: when part of
// cal is broken (a bad date, a bad RRULE, a series cut at MaxInstances), it
// returns the busy time of the rest with an error that says what was wrong.
func Expand(cal *ical.Calendar, loc *time.Location, from, to time.Time) ([]booking.Interval, error) {
	inst, err := Instances(cal, loc, from, to)
	var out []booking.Interval
	for _, in := range inst {
		if busy(in.Event) {
			out = append(out, booking.Interval{Start: in.Start, End: in.End})
		}
	}
	return out, err
}

// Instances returns the instances of the VEVENTs of cal that overlap
// [from, to), sorted by start, transparent and cancelled ones included (see
// Expand for busy time only). An instance overlaps the window if it starts
// before to and ends after from; one without length, if it starts in
// [from, to).
//
// The components of one UID form a series: the master (without
// RECURRENCE-ID) yields DTSTART, the RRULE instances (computed with rrule-go
// in the zone of DTSTART, so 09:00 stays 09:00 across a daylight-saving
// change) and the RDATEs (DATE, DATE-TIME or PERIOD), minus the EXDATEs
// (several properties, comma-separated lists) and minus the instances an
// override replaces. Each override (a component with RECURRENCE-ID) is an
// instance of its own at its own DTSTART: a moved instance appears once, at
// its new time; a cancelled or transparent override frees its slot. The
// RANGE=THISANDFUTURE parameter is not supported: such an override replaces
// its own instance only.
//
// An instance lasts what DTEND − DTSTART says (exactly) or DURATION (days
// being calendar days in the event's zone); with neither, a date lasts one
// day and a date-time no time (an override with neither lasts as long as its
// master's instances). Dates (all-day events) are local days in loc, so an
// all-day event on a daylight-saving day lasts 23 or 25 hours. Floating
// times are read in loc. A TZID is resolved with time.LoadLocation, else
// with the X-LIC-LOCATION of its VTIMEZONE, the IANA name that ends a
// prefixed TZID ("/mozilla.org/.../Europe/Paris") or a common Windows zone
// name; one that none of these resolve is read in loc: a best effort, not an
// error, exact when the event was made in the practitioner's own zone. The
// VTIMEZONE rules themselves are not read.
//
// Work is bounded: a series stops at to or after MaxInstances, whichever
// comes first, and an HOURLY, MINUTELY or SECONDLY rule whose BY parts can
// never match yields nothing. On errors, see Expand.
func Instances(cal *ical.Calendar, loc *time.Location, from, to time.Time) ([]Instance, error) {
	if cal == nil || !from.Before(to) {
		return nil, nil
	}
	if loc == nil {
		loc = time.UTC
	}
	p := newTimeParser(cal, loc)
	type series struct {
		master    *ical.Component
		overrides []*ical.Component
	}
	var order []string
	byUID := map[string]*series{}
	for i, c := range cal.Children {
		if c.Name != ical.CompEvent {
			continue
		}
		uid := ""
		if prop := c.Props.Get(ical.PropUID); prop != nil {
			uid = prop.Value
		}
		if uid == "" {
			uid = fmt.Sprintf("\x00%d", i) // no UID: a series of its own
		}
		s := byUID[uid]
		if s == nil {
			s = &series{}
			byUID[uid] = s
			order = append(order, uid)
		}
		if c.Props.Get(ical.PropRecurrenceID) != nil {
			s.overrides = append(s.overrides, c)
		} else if s.master == nil {
			s.master = c
		} else {
			// Two masters with one UID: invalid, but keep both.
			byUID[uid+"\x00"+fmt.Sprint(i)] = &series{master: c}
			order = append(order, uid+"\x00"+fmt.Sprint(i))
		}
	}

	w := window{from: from, to: to}
	var out []Instance
	var errs []error
	for _, uid := range order {
		s := byUID[uid]
		inst, err := p.series(s.master, s.overrides, w)
		out = append(out, inst...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	slices.SortStableFunc(out, func(a, b Instance) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return a.End.Compare(b.End)
	})
	return out, errors.Join(errs...)
}

type window struct{ from, to time.Time }

// overlaps reports whether [start, end) meets the window.
func (w window) overlaps(start, end time.Time) bool {
	if !start.Before(w.to) {
		return false
	}
	if end.Equal(start) {
		return !start.Before(w.from)
	}
	return end.After(w.from)
}

// series expands one master with its overrides. Either may be missing.
func (p *timeParser) series(master *ical.Component, overrides []*ical.Component, w window) ([]Instance, error) {
	var out []Instance
	var errs []error
	var masterSpan span
	var masterSpanOK bool
	var replaced *instantSet

	if master != nil {
		start, startIsDate, ok, err := p.prop(master.Props, ical.PropDateTimeStart)
		switch {
		case err != nil:
			errs = append(errs, err)
			master = nil
		case !ok:
			errs = append(errs, errors.New("caldav: VEVENT without DTSTART"))
			master = nil
		default:
			masterSpan, masterSpanOK, err = p.eventSpan(master, start, startIsDate)
			if err != nil {
				errs = append(errs, err)
				master = nil
				break
			}
			replaced = newInstantSet(start.Location())
			for _, o := range overrides {
				rid := o.Props.Get(ical.PropRecurrenceID)
				t, isDate, err := p.parse(rid.Value, rid.Params)
				if err != nil {
					errs = append(errs, fmt.Errorf("RECURRENCE-ID: %w", err))
					continue
				}
				replaced.add(t, isDate, startIsDate)
			}
			inst, err := p.masterInstances(master, start, startIsDate, masterSpan, replaced, w)
			out = append(out, inst...)
			if err != nil {
				errs = append(errs, err)
			}
		}
	}

	for _, o := range overrides {
		start, startIsDate, ok, err := p.prop(o.Props, ical.PropDateTimeStart)
		if err == nil && !ok {
			// An override must have a DTSTART; fall back on RECURRENCE-ID.
			start, startIsDate, ok, err = p.prop(o.Props, ical.PropRecurrenceID)
		}
		if err != nil || !ok {
			if err != nil {
				errs = append(errs, err)
			}
			continue
		}
		sp, spOK, err := p.eventSpan(o, start, startIsDate)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !spOK && masterSpanOK {
			sp = masterSpan
		}
		if end := sp.end(start); w.overlaps(start, end) {
			out = append(out, Instance{Start: start, End: end, Event: o})
		}
	}
	return out, errors.Join(errs...)
}

// masterInstances returns the instances of a master component in the window.
func (p *timeParser) masterInstances(ev *ical.Component, dtstart time.Time, isDate bool, sp span, replaced *instantSet, w window) ([]Instance, error) {
	excluded := newInstantSet(dtstart.Location())
	if err := p.exdates(ev, excluded, isDate); err != nil {
		return nil, err
	}
	var out []Instance
	seen := map[int64]bool{}
	add := func(start, end time.Time) {
		if excluded.has(start) || replaced.has(start) || !w.overlaps(start, end) || seen[start.Unix()] {
			return
		}
		seen[start.Unix()] = true
		out = append(out, Instance{Start: start, End: end, Event: ev})
	}

	add(dtstart, sp.end(dtstart)) // DTSTART is always the first instance
	rdates, err := p.rdates(ev)
	if err != nil {
		return out, err
	}
	for _, r := range rdates {
		end := r.end
		if end.IsZero() {
			end = sp.end(r.start)
		}
		add(r.start, end)
	}

	rules := ev.Props.Values(ical.PropRecurrenceRule)
	if len(rules) == 0 {
		return out, nil
	}
	budget := MaxInstances - len(rdates)
	for _, prop := range rules {
		opt, err := ruleOption(prop, dtstart)
		if err != nil {
			return out, err
		}
		err = eachRuleInstance(opt, w.to, &budget, func(t time.Time) {
			add(t, sp.end(t))
		})
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// busy reports whether an event makes its time busy: it is not
// TRANSP:TRANSPARENT and not STATUS:CANCELLED (RFC 5545 sections 3.8.2.7
// and 3.8.1.11).
func busy(ev *ical.Component) bool {
	if p := ev.Props.Get(ical.PropTransparency); p != nil && strings.EqualFold(strings.TrimSpace(p.Value), "TRANSPARENT") {
		return false
	}
	if p := ev.Props.Get(ical.PropStatus); p != nil && strings.EqualFold(strings.TrimSpace(p.Value), "CANCELLED") {
		return false
	}
	return true
}
