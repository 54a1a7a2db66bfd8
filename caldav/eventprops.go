package caldav

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
