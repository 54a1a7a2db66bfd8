package bookingtest

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rdvlibre/rdv/booking"
)

var (
	_ booking.Calendar           = (*Calendar)(nil)
	_ booking.AvailabilitySource = (*Calendar)(nil)
)

// Calendar is an in-memory bookings calendar: objects by href, each with an
// ETag that changes with every write, and writes conditional as
// booking.Calendar says (Create only where nothing is, Update and Delete
// only on the ETag given). An active booking event is busy time, and so is
// the time added with AddBusy. Its faults (OpBusy, OpCreate, …) make calls
// fail before or after they take effect.
//
// The methods whose names are not those of booking.Calendar (Put, Edit,
// Remove, PutForeign, …) are the practitioner, or another install, acting
// on the calendar behind rdv's back. It is safe for concurrent use.
type Calendar struct {
	Faults
	// Prefix is where Href places the events: Prefix + id + ".ics".
	// "/calendars/demo/bookings/" if "".
	Prefix string
	// AvailabilityFunc, if set, answers Availability; otherwise the
	// calendar has no source of open time (ok false).
	AvailabilityFunc func(ctx context.Context, from, to time.Time) (booking.OpenTime, bool, error)

	mu      sync.Mutex
	objects map[string]*object // by href
	busy    []booking.Interval
	etags   int
}

// object is a calendar object: a booking event of rdv, or, when foreign,
// something rdv can't read as one (busy time all the same).
type object struct {
	ev      booking.BookingEvent
	foreign bool
}

// NewCalendar returns an empty calendar.
func NewCalendar() *Calendar { return &Calendar{} }

func (c *Calendar) nextETag() string {
	c.etags++
	return "etag-" + strconv.Itoa(c.etags)
}

// eventStatus is the status an event shows for a booking in status st (see
// booking.BookingEvent.Status).
func eventStatus(st booking.Status) booking.Status {
	if st == booking.StatusExpired {
		return booking.StatusCancelled
	}
	return st
}

// Busy implements booking.Calendar: the time added with AddBusy, the
// foreign objects, and the booking events that are not cancelled.
func (c *Calendar) Busy(_ context.Context, from, to time.Time) ([]booking.BusyInterval, error) {
	if err := c.enter(OpBusy); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	window := booking.Interval{Start: from, End: to}
	out := []booking.BusyInterval{}
	for _, i := range c.busy {
		if i.Overlaps(window) {
			out = append(out, booking.BusyInterval{Interval: i})
		}
	}
	for _, href := range c.hrefs() {
		o := c.objects[href]
		i := booking.Interval{Start: o.ev.Start, End: o.ev.End}
		switch {
		case !i.Overlaps(window):
		case o.foreign:
			out = append(out, booking.BusyInterval{Interval: i})
		case o.ev.Status != booking.StatusCancelled:
			out = append(out, booking.BusyInterval{Interval: i, Booking: o.ev.Booking, Type: o.ev.Type})
		}
	}
	return out, nil
}

// hrefs returns the hrefs of the objects, sorted, under c.mu.
func (c *Calendar) hrefs() []string {
	out := make([]string, 0, len(c.objects))
	for href := range c.objects {
		out = append(out, href)
	}
	slices.Sort(out)
	return out
}

// Href implements booking.Calendar.
func (c *Calendar) Href(id string) string {
	p := c.Prefix
	if p == "" {
		p = "/calendars/demo/bookings/"
	}
	return p + id + ".ics"
}

// eventOf returns the event that a writes: its type as ics writes
// X-RDV-TYPE, the type's CalendarRef if it has one.
func eventOf(a booking.Appointment, href, etag string) booking.BookingEvent {
	b := a.Booking
	typ := b.TypeID
	if a.Type != nil && a.Type.CalendarRef != "" {
		typ = a.Type.CalendarRef
	}
	return booking.BookingEvent{
		Ref: booking.EventRef{Href: href, ETag: etag}, Booking: b.ID, Type: typ,
		Start: b.Start, End: b.End, Status: eventStatus(b.Status), Sequence: b.Sequence,
		Patient: b.Patient,
	}
}

// Create implements booking.Calendar: EConflict when an object is at the
// booking's href.
func (c *Calendar) Create(_ context.Context, a booking.Appointment) (booking.EventRef, error) {
	if err := c.enter(OpCreate); err != nil {
		return booking.EventRef{}, err
	}
	c.mu.Lock()
	href := c.Href(a.Booking.ID)
	if _, ok := c.objects[href]; ok {
		c.mu.Unlock()
		return booking.EventRef{}, booking.Errorf(booking.EConflict, "bookingtest: an object is at %s", href)
	}
	ev := eventOf(a, href, c.nextETag())
	c.put(href, &object{ev: ev})
	c.mu.Unlock()
	if err := c.leave(OpCreate); err != nil {
		return booking.EventRef{}, err
	}
	return ev.Ref, nil
}

func (c *Calendar) put(href string, o *object) {
	if c.objects == nil {
		c.objects = map[string]*object{}
	}
	c.objects[href] = o
}

// Update implements booking.Calendar: at ref.Href (the booking's href if
// ""), only if the object there has ref.ETag (any ETag if ref.ETag is "");
// EConflict when it changed or is gone.
func (c *Calendar) Update(_ context.Context, a booking.Appointment, ref booking.EventRef) (booking.EventRef, error) {
	if err := c.enter(OpUpdate); err != nil {
		return booking.EventRef{}, err
	}
	c.mu.Lock()
	href := ref.Href
	if href == "" {
		href = c.Href(a.Booking.ID)
	}
	o, ok := c.objects[href]
	switch {
	case !ok:
		c.mu.Unlock()
		return booking.EventRef{}, booking.Errorf(booking.EConflict, "bookingtest: no object at %s", href)
	case ref.ETag != "" && o.ev.Ref.ETag != ref.ETag:
		c.mu.Unlock()
		return booking.EventRef{}, booking.Errorf(booking.EConflict, "bookingtest: the object at %s changed", href)
	}
	ev := eventOf(a, href, c.nextETag())
	c.put(href, &object{ev: ev})
	c.mu.Unlock()
	if err := c.leave(OpUpdate); err != nil {
		return booking.EventRef{}, err
	}
	return ev.Ref, nil
}

// Delete implements booking.Calendar: only if the object has ref.ETag, when
// ref has one (EConflict otherwise); a missing object is not an error.
func (c *Calendar) Delete(_ context.Context, ref booking.EventRef) error {
	if err := c.enter(OpDelete); err != nil {
		return err
	}
	c.mu.Lock()
	o, ok := c.objects[ref.Href]
	if ok && ref.ETag != "" && o.ev.Ref.ETag != ref.ETag {
		c.mu.Unlock()
		return booking.Errorf(booking.EConflict, "bookingtest: the object at %s changed", ref.Href)
	}
	delete(c.objects, ref.Href)
	c.mu.Unlock()
	return c.leave(OpDelete)
}

// Events implements booking.Calendar: the booking events that overlap
// [from, to), cancelled ones included, ordered by start then href.
func (c *Calendar) Events(_ context.Context, from, to time.Time) ([]booking.BookingEvent, error) {
	if err := c.enter(OpEvents); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []booking.BookingEvent
	for _, href := range c.hrefs() {
		o := c.objects[href]
		if !o.foreign && o.ev.Start.Before(to) && from.Before(o.ev.End) {
			out = append(out, o.ev)
		}
	}
	slices.SortStableFunc(out, func(a, b booking.BookingEvent) int { return a.Start.Compare(b.Start) })
	return out, nil
}

// Event implements booking.Calendar: an error wrapping
// booking.ErrForeignEvent for an object put with PutForeign.
func (c *Calendar) Event(_ context.Context, href string) (booking.BookingEvent, bool, error) {
	if err := c.enter(OpEvent); err != nil {
		return booking.BookingEvent{}, false, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	o, ok := c.objects[href]
	switch {
	case !ok:
		return booking.BookingEvent{}, false, nil
	case o.foreign:
		return booking.BookingEvent{}, true, booking.WrapError(booking.EConflict, booking.ErrForeignEvent, "bookingtest: "+href+" is not a booking event")
	}
	return o.ev, true, nil
}

// Availability implements booking.AvailabilitySource with AvailabilityFunc.
func (c *Calendar) Availability(ctx context.Context, from, to time.Time) (booking.OpenTime, bool, error) {
	if err := c.enter(OpAvailability); err != nil {
		return booking.OpenTime{}, false, err
	}
	if c.AvailabilityFunc == nil {
		return booking.OpenTime{}, false, nil
	}
	return c.AvailabilityFunc(ctx, from, to)
}

// AddBusy adds busy time that is not a booking of rdv (the practitioner's
// other events).
func (c *Calendar) AddBusy(is ...booking.Interval) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.busy = append(c.busy, is...)
}

// Put writes ev at ev.Ref.Href (at Href(ev.Booking) if ""), whatever is
// there, as another install or the practitioner's client would, and
// returns its reference: its ETag is ev.Ref.ETag, or a new one if "".
func (c *Calendar) Put(ev booking.BookingEvent) booking.EventRef {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ev.Ref.Href == "" {
		ev.Ref.Href = c.Href(ev.Booking)
	}
	if ev.Ref.ETag == "" {
		ev.Ref.ETag = c.nextETag()
	}
	c.put(ev.Ref.Href, &object{ev: ev})
	return ev.Ref
}

// PutForeign writes at href an object that is not a booking event rdv can
// read (a client dropped X-RDV-BOOKING, say), busy during [start, end).
func (c *Calendar) PutForeign(href string, start, end time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ev := booking.BookingEvent{Ref: booking.EventRef{Href: href, ETag: c.nextETag()}, Start: start, End: end}
	c.put(href, &object{ev: ev, foreign: true})
}

// Edit changes the booking event at href with f, as the practitioner would
// in their calendar: it gets a new ETag. It reports whether an event was
// there.
func (c *Calendar) Edit(href string, f func(ev *booking.BookingEvent)) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	o, ok := c.objects[href]
	if !ok || o.foreign {
		return false
	}
	ev := o.ev
	f(&ev)
	ev.Ref = booking.EventRef{Href: href, ETag: c.nextETag()}
	c.put(href, &object{ev: ev})
	return true
}

// Remove deletes the object at href, as the practitioner would. It reports
// whether one was there.
func (c *Calendar) Remove(href string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.objects[href]
	delete(c.objects, href)
	return ok
}

// RemoveAll removes every object, as emptying the calendar would.
func (c *Calendar) RemoveAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.objects = nil
}

// Lookup returns the booking event at href.
func (c *Calendar) Lookup(href string) (booking.BookingEvent, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	o, ok := c.objects[href]
	if !ok || o.foreign {
		return booking.BookingEvent{}, false
	}
	return o.ev, true
}

// EventOf returns the booking event of the booking id, wherever it is.
func (c *Calendar) EventOf(id string) (booking.BookingEvent, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, href := range c.hrefs() {
		if o := c.objects[href]; !o.foreign && o.ev.Booking == id {
			return o.ev, true
		}
	}
	return booking.BookingEvent{}, false
}

// Len returns how many objects the calendar holds.
func (c *Calendar) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.objects)
}

// Hrefs returns the hrefs of the objects, sorted.
func (c *Calendar) Hrefs() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hrefs()
}

// String lists the objects, for test failures: href, booking, time,
// status, sequence. It names no patient.
func (c *Calendar) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var sb strings.Builder
	for _, href := range c.hrefs() {
		o := c.objects[href]
		if o.foreign {
			sb.WriteString(href + " (foreign)\n")
			continue
		}
		sb.WriteString(href + " " + o.ev.Booking + " " + o.ev.Start.Format(time.RFC3339) + " " +
			string(o.ev.Status) + " seq " + strconv.Itoa(o.ev.Sequence) + "\n")
	}
	return sb.String()
}
