package recur

import "github.com/emersion/go-ical"

// eventProps are the properties of a VEVENT that expansion reads, found in
// one pass over its property map. Most of them are absent from a given
// event, and a lookup of an absent name in a Go map costs about as much
// as one of a present name: a dozen lookups per event cost more than one
// walk of its ten or so properties.
type eventProps struct {
	c *ical.Component
	// The first property of each name, nil if there is none.
	uid, rid, start, end, duration, transp, status *ical.Prop
	// Every property of each name.
	rrules, rdates, exdates, attendees []ical.Prop
}

// readEvent reads the properties of the VEVENT c. Names are matched as
// ical.Props.Get does once it has put its argument in upper case: property
// maps are keyed by upper-case names.
func readEvent(c *ical.Component) eventProps {
	e := eventProps{c: c}
	for name, ps := range c.Props {
		if len(ps) == 0 {
			continue
		}
		switch name {
		case ical.PropUID:
			e.uid = &ps[0]
		case ical.PropRecurrenceID:
			e.rid = &ps[0]
		case ical.PropDateTimeStart:
			e.start = &ps[0]
		case ical.PropDateTimeEnd:
			e.end = &ps[0]
		case ical.PropDuration:
			e.duration = &ps[0]
		case ical.PropTransparency:
			e.transp = &ps[0]
		case ical.PropStatus:
			e.status = &ps[0]
		case ical.PropRecurrenceRule:
			e.rrules = ps
		case ical.PropRecurrenceDates:
			e.rdates = ps
		case ical.PropExceptionDates:
			e.exdates = ps
		case ical.PropAttendee:
			e.attendees = ps
		}
	}
	return e
}

// uidValue returns the UID of e, "" if it has none.
func (e *eventProps) uidValue() string {
	if e.uid == nil {
		return ""
	}
	return e.uid.Value
}

// series is a master VEVENT and its overrides (RFC 5545 section 3.8.4.4):
// the VEVENTs of one UID. Either may be missing.
type series struct {
	master    *eventProps
	overrides []*eventProps
}

// groupSeries groups VEVENTs by UID, in the order of their first
// appearance. A VEVENT without UID is a series of its own; a second master
// for one UID (invalid) too.
func groupSeries(events []eventProps) []series {
	var out []series
	var byUID map[string]int
	find := func(uid string) int {
		if byUID != nil {
			if i, ok := byUID[uid]; ok {
				return i
			}
			return -1
		}
		for i := range out {
			if seriesUID(out[i]) == uid {
				return i
			}
		}
		return -1
	}
	for k := range events {
		e := &events[k]
		uid := e.uidValue()
		isOverride := e.rid != nil
		i := -1
		if uid != "" {
			i = find(uid)
		}
		switch {
		case i >= 0 && isOverride:
			out[i].overrides = append(out[i].overrides, e)
			continue
		case i >= 0 && out[i].master == nil:
			out[i].master = e
			continue
		}
		s := series{master: e}
		if isOverride {
			s = series{overrides: []*eventProps{e}}
		}
		out = append(out, s)
		if uid != "" && i < 0 {
			if byUID == nil && len(out) > 16 {
				byUID = map[string]int{}
				for j := range out[:len(out)-1] {
					if u := seriesUID(out[j]); u != "" {
						if _, ok := byUID[u]; !ok {
							byUID[u] = j
						}
					}
				}
			}
			if byUID != nil {
				byUID[uid] = len(out) - 1
			}
		}
	}
	return out
}

func seriesUID(s series) string {
	e := s.master
	if e == nil {
		e = s.overrides[0]
	}
	return e.uidValue()
}
