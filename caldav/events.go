package caldav

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"github.com/rdvlibre/rdv/booking"
	"github.com/rdvlibre/rdv/ics"
	"github.com/rdvlibre/rdv/recur"
)

// Events returns rdv's booking events of the bookings calendar that overlap
// [from, to), cancelled ones included, sorted by start: the objects whose
// VEVENT carries an X-RDV-BOOKING equal to its UID. They come from the
// cache of the bookings calendar, validated first like for Busy, and the
// same errors.
func (c *Calendar) Events(ctx context.Context, from, to time.Time) ([]booking.BookingEvent, error) {
	if !from.Before(to) {
		return nil, nil
	}
	cc := c.caches[0] // the bookings calendar
	if err := c.validate(ctx, cc); err != nil {
		return nil, err
	}
	var out []booking.BookingEvent
	cc.mu.Lock()
	for _, o := range cc.objects {
		if ev := o.event; ev != nil && overlaps(booking.Interval{Start: ev.Start, End: ev.End}, from, to) {
			out = append(out, *ev)
		}
	}
	cc.mu.Unlock()
	slices.SortFunc(out, func(a, b booking.BookingEvent) int { return a.Start.Compare(b.Start) })
	return out, nil
}

// Event reads the booking event at href from the server (GET), bypassing
// the cache. found is false when there is no object there (404, 410). An
// object there that can't be decoded or is not one of rdv's booking events
// gives an error wrapping booking.ErrForeignEvent. Errors: EUnavailable
// when the server cannot be reached, fails or refuses the credentials.
func (c *Calendar) Event(ctx context.Context, href string) (booking.BookingEvent, bool, error) {
	resp, err := c.conn.do(ctx, http.MethodGet, c.conn.resolve(href), http.Header{"Accept": {"text/calendar"}}, nil)
	if err != nil {
		return booking.BookingEvent{}, false, c.conn.opError(err, false)
	}
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		drain(resp)
		return booking.BookingEvent{}, false, nil
	case resp.StatusCode/100 != 2:
		drain(resp)
		return booking.BookingEvent{}, false, c.conn.opError(&statusError{"GET", resp.Request.URL.Redacted(), resp.StatusCode, nil}, false)
	}
	data, err := readBody(resp)
	if err != nil {
		return booking.BookingEvent{}, false, c.conn.opError(err, false)
	}
	cal, err := recur.Decode(string(data))
	if err != nil {
		return booking.BookingEvent{}, false, fmt.Errorf("caldav: %s: %w (%v)", href, booking.ErrForeignEvent, err)
	}
	inst := c.instances(c.bookings, href, cal, farPast, farFuture)
	ev := bookingEvent(inst, booking.EventRef{Href: href, ETag: resp.Header.Get("ETag")})
	if ev == nil {
		return booking.BookingEvent{}, false, fmt.Errorf("caldav: %s: %w", href, booking.ErrForeignEvent)
	}
	return *ev, true, nil
}

// bookingOf returns the booking id and the appointment type of an event
// that is one of rdv's booking events (its X-RDV-BOOKING equals its UID),
// or "" and "".
func bookingOf(ev *ical.Component) (id, typ string) {
	if ev == nil {
		return "", ""
	}
	b, uid := ev.Props.Get(ics.PropBooking), ev.Props.Get(ical.PropUID)
	if b == nil || uid == nil {
		return "", ""
	}
	id = strings.TrimSpace(b.Value)
	if id == "" || id != strings.TrimSpace(uid.Value) {
		return "", ""
	}
	if t := ev.Props.Get(ics.PropType); t != nil {
		typ = strings.TrimSpace(t.Value)
	}
	return id, typ
}

// bookingEvent returns the booking event among the instances of an object
// (all of them, free ones included), or nil.
func bookingEvent(inst []recur.Instance, ref booking.EventRef) *booking.BookingEvent {
	for _, in := range inst {
		id, typ := bookingOf(in.Event)
		if id == "" {
			continue
		}
		ev := &booking.BookingEvent{Ref: ref, Booking: id, Type: typ, Start: in.Start, End: in.End, Status: booking.StatusConfirmed}
		if p := in.Event.Props.Get(ical.PropStatus); p != nil {
			switch strings.ToUpper(strings.TrimSpace(p.Value)) {
			case "TENTATIVE":
				ev.Status = booking.StatusPending
			case "CANCELLED":
				ev.Status = booking.StatusCancelled
			}
		}
		if p := in.Event.Props.Get(ical.PropSequence); p != nil {
			ev.Sequence, _ = strconv.Atoi(strings.TrimSpace(p.Value))
		}
		ev.Patient = patientOf(in.Event)
		return ev
	}
	return nil
}

// patientOf reads the patient of a booking event as rdv writes it (see
// ics.Appointment): the name (CN) and email (mailto) of its first ATTENDEE,
// and the phone of its X-RDV-PHONE or, in an event without one (written
// before the practice's templates made the DESCRIPTION), on the
// "Téléphone : " line of its DESCRIPTION. The mailto URI is
// percent-decoded (ics.MailtoAddress); otherwise what it returns is as the
// event has it, not validated.
func patientOf(ev *ical.Component) booking.Patient {
	var p booking.Patient
	if att := ev.Props.Get(ical.PropAttendee); att != nil {
		if addr, ok := ics.MailtoAddress(att.Value); ok {
			p.Email = addr
		}
		p.Name = att.Params.Get(ical.ParamCommonName)
	}
	if ph := ev.Props.Get(ics.PropPhone); ph != nil {
		text, err := ph.Text()
		if err != nil {
			text = ph.Value
		}
		p.Phone = strings.TrimSpace(text)
		return p
	}
	if d := ev.Props.Get(ical.PropDescription); d != nil {
		text, err := d.Text()
		if err != nil {
			text = d.Value
		}
		for _, line := range strings.Split(text, "\n") {
			if phone, ok := strings.CutPrefix(strings.TrimSpace(line), ics.PhoneLabel); ok {
				p.Phone = strings.TrimSpace(phone)
			}
		}
	}
	return p
}
