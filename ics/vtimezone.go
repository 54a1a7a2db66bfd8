package ics

import (
	"fmt"
	"time"

	"github.com/emersion/go-ical"
)

// maxObservances bounds the STANDARD/DAYLIGHT components of a VTIMEZONE.
const maxObservances = 8

// noTransition is the DTSTART given to the only observance of a zone that has
// no transition around the event (UTC-like zones, zones without DST).
var noTransition = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)

// Timezone returns a VTIMEZONE component for loc, derived from Go's time zone
// database (RFC 5545 section 3.6.5). It holds one observance per transition of
// the zone: the one in effect a year before from, and every later one up to a
// year after
// to (at most eight), so that a client can place any instant of [from, to). Each
// observance has a DTSTART in the local time in force before the transition
// (as RFC 5545 wants), TZOFFSETFROM, TZOFFSETTO and TZNAME, and is a DAYLIGHT
// component when Go reports daylight-saving time for it, else STANDARD. A zone
// with no transition gets a single STANDARD observance starting in 1970.
func Timezone(loc *time.Location, from, to time.Time) *ical.Component {
	tz := ical.NewComponent(ical.CompTimezone)
	tz.Props.SetText(ical.PropTimezoneID, loc.String())

	t := from.AddDate(-1, 0, 0).In(loc)
	start, end := t.ZoneBounds()
	if start.IsZero() {
		_, off := t.Zone()
		tz.Children = append(tz.Children, observance(t, noTransition, off, off))
	} else {
		_, before := start.Add(-time.Nanosecond).In(loc).Zone()
		_, after := start.In(loc).Zone()
		tz.Children = append(tz.Children, observance(start.In(loc), start, before, after))
	}
	limit := to.AddDate(1, 0, 0)
	for !end.IsZero() && end.Before(limit) && len(tz.Children) < maxObservances {
		next := end.In(loc)
		_, before := end.Add(-time.Nanosecond).In(loc).Zone()
		_, after := next.Zone()
		tz.Children = append(tz.Children, observance(next, end, before, after))
		_, end = next.ZoneBounds()
	}
	return tz
}

// observance returns the STANDARD or DAYLIGHT component of the zone that
// begins at the instant at (whose zone, name and DST flag are those of t),
// going from offset before to offset after, in seconds east of UTC.
func observance(t, at time.Time, before, after int) *ical.Component {
	kind := ical.CompTimezoneStandard
	if t.IsDST() {
		kind = ical.CompTimezoneDaylight
	}
	c := ical.NewComponent(kind)
	// DTSTART of an observance is a local time without TZID, read in the
	// offset in force before the transition.
	dtstart := ical.NewProp(ical.PropDateTimeStart)
	dtstart.Value = at.In(time.FixedZone("", before)).Format("20060102T150405")
	c.Props.Set(dtstart)
	c.Props.Set(offsetProp(ical.PropTimezoneOffsetFrom, before))
	c.Props.Set(offsetProp(ical.PropTimezoneOffsetTo, after))
	if name, _ := t.Zone(); name != "" {
		c.Props.SetText(ical.PropTimezoneName, name)
	}
	return c
}

// offsetProp returns a UTC-OFFSET property ("+0100", "-0330", "+053045").
func offsetProp(name string, seconds int) *ical.Prop {
	p := ical.NewProp(name)
	p.Value = formatOffset(seconds)
	return p
}

func formatOffset(seconds int) string {
	sign := '+'
	if seconds < 0 {
		sign = '-'
		seconds = -seconds
	}
	h, m, s := seconds/3600, seconds/60%60, seconds%60
	if s != 0 {
		return fmt.Sprintf("%c%02d%02d%02d", sign, h, m, s)
	}
	return fmt.Sprintf("%c%02d%02d", sign, h, m)
}
