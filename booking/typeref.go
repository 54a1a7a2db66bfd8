package booking

import (
	"context"
	"encoding/hex"
	"slices"
	"time"
)

// typeRef returns the opaque value of X-RDV-TYPE for a private type of
// practitioner p ("t-" and 16 hex digits): the same for every replica that
// shares the secret, and telling nothing of the type to whoever reads the
// calendar without it.
func (k keys) typeRef(practitionerID, typeID string) string {
	return "t-" + hex.EncodeToString(mac(k.secret, "rdv/calendar-type/v1", practitionerID, typeID)[:8])
}

// setTypeRefs sets the CalendarRef of p's private types, on a copy of its
// types; without a configured secret, the refs would change at each start:
// the types keep their ids.
func (s *Service) setTypeRefs(p *Practitioner) {
	p.Types = slices.Clone(p.Types)
	for i := range p.Types {
		t := &p.Types[i]
		t.CalendarRef = ""
		if !t.DiscloseMotive && s.keys.given {
			t.CalendarRef = s.keys.typeRef(p.ID, t.ID)
		}
	}
}

// TypeOfEvent returns the type whose id or CalendarRef is ref, the value
// of an event's X-RDV-TYPE, or nil.
func (p *Practitioner) TypeOfEvent(ref string) *AppointmentType {
	if t := p.Type(ref); t != nil {
		return t
	}
	for i := range p.Types {
		if t := &p.Types[i]; t.CalendarRef != "" && t.CalendarRef == ref {
			return t
		}
	}
	return nil
}

// typeID returns the id of the type an event's X-RDV-TYPE names, or ref as
// it is when it names none.
func (e *entry) typeID(ref string) string {
	if t := e.p.TypeOfEvent(ref); t != nil {
		return t.ID
	}
	return ref
}

// busy is e.cal.Busy with the types of the booking events as ids.
func (e *entry) busy(ctx context.Context, from, to time.Time) ([]BusyInterval, error) {
	busy, err := e.cal.Busy(ctx, from, to)
	for i := range busy {
		if busy[i].Type != "" {
			busy[i].Type = e.typeID(busy[i].Type)
		}
	}
	return busy, err
}

// events is e.cal.Events with the types as ids.
func (e *entry) events(ctx context.Context, from, to time.Time) ([]BookingEvent, error) {
	events, err := e.cal.Events(ctx, from, to)
	for i := range events {
		events[i].Type = e.typeID(events[i].Type)
	}
	return events, err
}

// event is e.cal.Event with the type as an id.
func (e *entry) event(ctx context.Context, href string) (BookingEvent, bool, error) {
	ev, found, err := e.cal.Event(ctx, href)
	ev.Type = e.typeID(ev.Type)
	return ev, found, err
}
